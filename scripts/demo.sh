#!/usr/bin/env bash
# The README's demo: builds the Angular demo when it is missing or stale, then runs the auth
# server, the lessons API and the app on http://localhost:8000 (SQLite in ./.jotauth-demo/),
# and the example OpenID Connect SPA on http://localhost:8001.
# `make demo` runs scripts/bootstrap.sh first; extra arguments go to `jotauth demo`
# (e.g. --port 8080). The demo (examples/jotauth_demo) and the lessons API it serves
# (examples/lessons_api.py) are repository code, not in the jotauth wheel: examples/ goes on
# the path, and `jotauth demo` finds the demo's command there.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/jotauth ] || [ ! -d clients/node_modules ]; then
  bash scripts/bootstrap.sh
fi
bash scripts/build-demo-app.sh
# The second app (examples/oidc_spa, on http://localhost:8001) loads oidc-client-ts.
if [ ! -d examples/oidc_spa/node_modules ]; then
  (cd examples/oidc_spa && npm ci --no-audit --no-fund --loglevel=error)
fi
PYTHONPATH="$PWD/examples${PYTHONPATH:+:$PYTHONPATH}" exec .venv/bin/jotauth demo "$@"
