#!/usr/bin/env bash
# The front-end check: the host's ES modules (src/openminis/web/static) and the SDK are
# type-checked from their JSDoc against minis-sdk.d.ts by TypeScript's `tsc --noEmit`
# (tsconfig.json; nothing is built), and the pure modules' tests run under `node --test`
# (tests/js). TypeScript comes from the npm registry, pinned in package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "check-frontend: node and npm are needed (Debian: apt-get install nodejs npm)" >&2
  exit 1
fi

# node_modules is installed again when it is missing or older than the lock file.
if [ ! -f package-lock.json ]; then
  npm install --no-audit --no-fund --loglevel=error
elif [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

npx --no-install tsc --noEmit -p tsconfig.json
node --test tests/js/
