#!/usr/bin/env bash
# Every test the project has: lint and types, the Python suites by layer, and the
# TypeScript clients' unit and browser tests. Exits non-zero when any part fails.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
step() { echo; echo "== $*"; "$@" || status=1; }

step .venv/bin/ruff check src tests bench examples
step .venv/bin/ruff format --check src tests bench examples
step .venv/bin/mypy
step .venv/bin/pytest -q -p no:cacheprovider tests
step bash scripts/docs.sh check
if [ -f clients/package.json ]; then
  step npm --prefix clients test --silent
fi
echo
if [ $status -eq 0 ]; then echo "all test steps passed"; else echo "some test steps FAILED"; fi
exit $status
