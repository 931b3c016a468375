#!/usr/bin/env bash
# Installs everything the demo and the tests need on a fresh machine, idempotently:
# Debian packages (chromium for browser tests, wrk for benchmarks), the Python venv
# and the npm workspace. Re-runs are cheap: each step is skipped when its inputs
# have not changed since it last succeeded.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
stamps="$root/.stamps"
mkdir -p "$stamps"

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v wrk >/dev/null 2>&1 || need_apt+=(wrk)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need_apt+=(nginx)  # tests/e2e/deploy
# The independent TOTP implementation the second-factor tests check codes against (RFC 6238).
command -v oathtool >/dev/null 2>&1 || need_apt+=(oathtool)
# bench/peers/express builds better-sqlite3 from source (its prebuilt binary is not reachable).
command -v g++ >/dev/null 2>&1 || need_apt+=(g++)
command -v make >/dev/null 2>&1 || need_apt+=(make)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "bootstrap: installing Debian packages: ${need_apt[*]}"
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  # flock: several checkouts on one machine may bootstrap at once, and apt holds a global lock.
  flock /tmp/jotauth-apt.lock $sudo apt-get update -qq
  flock /tmp/jotauth-apt.lock $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    "${need_apt[@]}" >/dev/null
fi

py_inputs=$(cat pyproject.toml | sha256sum | cut -c1-16)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamps/venv" 2>/dev/null)" != "$py_inputs" ]; then
  echo "bootstrap: creating the Python venv (.venv)"
  python3 -m venv .venv
  # pip.conf on these machines may name local index folders that do not exist; its
  # warnings about them are noise, every other line still shows.
  quiet_pip() { "$@" 2>&1 | { grep -v 'is ignored: it is neither a file nor a directory' || true; }; return "${PIPESTATUS[0]}"; }
  # pip >= 25.1 reads PEP 735 dependency groups (--group): the dev tools are one, not an extra.
  quiet_pip .venv/bin/pip install -q --upgrade 'pip>=25.1'
  # Every extra (what users install piecemeal) and the test group.
  quiet_pip .venv/bin/pip install -q -e '.[server,fastapi,flask,postgres,redis]' --group test
  echo "$py_inputs" > "$stamps/venv"
fi

if [ -f clients/package.json ]; then
  js_inputs=$(cat clients/package.json clients/package-lock.json 2>/dev/null | sha256sum | cut -c1-16)
  if [ ! -d clients/node_modules ] || [ "$(cat "$stamps/npm" 2>/dev/null)" != "$js_inputs" ]; then
    echo "bootstrap: installing npm packages (clients/)"
    # flock: a developer's parallel install in the same workspace must not interleave.
    if [ -f clients/package-lock.json ]; then
      (cd clients && flock /tmp/jotauth-npm.lock npm ci --no-audit --no-fund --loglevel=error)
    else
      (cd clients && flock /tmp/jotauth-npm.lock npm install --no-audit --no-fund --loglevel=error)
    fi
    echo "$js_inputs" > "$stamps/npm"
  fi
fi

# The example SPA on a second origin (examples/oidc_spa: the demo's second app, driven by the
# oidc-client-ts browser test) loads oidc-client-ts from its own lockfile.
spa_inputs=$(cat examples/oidc_spa/package.json examples/oidc_spa/package-lock.json | sha256sum | cut -c1-16)
if [ ! -d examples/oidc_spa/node_modules ] || [ "$(cat "$stamps/npm-oidc-spa" 2>/dev/null)" != "$spa_inputs" ]; then
  echo "bootstrap: installing npm packages (examples/oidc_spa/)"
  (cd examples/oidc_spa && flock /tmp/jotauth-npm.lock npm ci --no-audit --no-fund --loglevel=error)
  echo "$spa_inputs" > "$stamps/npm-oidc-spa"
fi
