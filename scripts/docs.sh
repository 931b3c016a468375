#!/usr/bin/env bash
# The docs site (mkdocs-material): `build` writes ./site, `check` builds into a temporary
# folder with --strict (a broken link, a missing page or an undocumented setting fails it).
set -euo pipefail
cd "$(dirname "$0")/.."
# mkdocs 1.x plugins print a banner about mkdocs 2; it is noise here (we pin mkdocs < 2).
export NO_MKDOCS_2_WARNING=1 DISABLE_MKDOCS_2_WARNING=true
case "${1:-build}" in
  build) .venv/bin/mkdocs build --strict --quiet --site-dir site && echo "docs: site/index.html" ;;
  check)
    out=$(mktemp -d)
    trap 'rm -rf "$out"' EXIT
    .venv/bin/mkdocs build --strict --quiet --site-dir "$out" && echo "docs: built with --strict"
    ;;
  *) echo "usage: scripts/docs.sh build|check" >&2; exit 2 ;;
esac
