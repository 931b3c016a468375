#!/usr/bin/env bash
# Builds the browser clients and the Angular demo (production) when their inputs changed
# since the last successful build; otherwise does nothing. Used by scripts/demo.sh and by
# the browser end-to-end tests, so a test run costs at most one `ng build`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out="$root/clients/demo/dist/demo/browser"
stamp="$root/clients/demo/dist/.inputs-sha256"

if [ ! -d "$root/clients/node_modules" ]; then
  echo "build-demo-app: clients/node_modules is missing; run scripts/bootstrap.sh first" >&2
  exit 1
fi

inputs() {
  (
    cd "$root/clients"
    sha256sum package.json package-lock.json tsconfig.base.json
    find client angular angularjs demo \
      \( -name node_modules -o -name dist -o -name .angular -o -name coverage \) -prune -o \
      -type f \( -path '*/src/*' -o -path 'demo/public/*' -o -path 'demo/legacy/*' \
      -o -name 'package.json' -o -name 'tsconfig*.json' -o -name 'angular.json' \
      -o -path '*/scripts/*' \) -print 2>/dev/null |
      LC_ALL=C sort | xargs sha256sum
  ) | sha256sum | cut -c1-32
}

mkdir -p "$root/clients/demo/.angular"
exec 9>"$root/clients/demo/.angular/build.lock"
flock 9  # one build at a time (the demo and a test run may start together)

wanted=$(inputs)
if [ -f "$out/index.html" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ]; then
  exit 0
fi

echo "build-demo-app: building the browser clients and the Angular demo"
start=$(date +%s)
cd "$root/clients"
for package in client angular; do
  npm run build --workspace "@jotauth/$package" --silent
done
# The AngularJS adapter only feeds the /legacy/ page: without it the Angular demo still works
# (and the legacy page's browser test says what is missing).
if [ -f angularjs/src/index.ts ]; then
  npm run build --workspace @jotauth/angularjs --silent ||
    echo "build-demo-app: WARNING: @jotauth/angularjs did not build; /legacy/ will not work" >&2
fi
NG_CLI_ANALYTICS=false npm run build --workspace @jotauth/demo --silent

# The AngularJS page has no build step: its files, angular.js and the adapter's browser bundle.
legacy="$out/legacy"
mkdir -p "$legacy/vendor"
cp demo/legacy/* "$legacy/"
cp node_modules/angular/angular.min.js "$legacy/vendor/"
if [ -f angularjs/dist/jotauth-angularjs.min.js ]; then
  cp angularjs/dist/jotauth-angularjs.min.js "$legacy/vendor/"
fi
echo "$wanted" > "$stamp"
echo "build-demo-app: done in $(( $(date +%s) - start )) s"
