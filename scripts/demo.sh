#!/usr/bin/env bash
# The README's demo: builds the Angular demo when it is missing or stale, then runs the auth
# server, the lessons API and the app on http://127.0.0.1:8000 (SQLite in ./.jotauth-demo/).
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
PYTHONPATH="$PWD/examples${PYTHONPATH:+:$PYTHONPATH}" exec .venv/bin/jotauth demo "$@"
