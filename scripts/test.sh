#!/usr/bin/env bash
# The whole suite: static checks, then every test (unit, contract, end-to-end) on both stores.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ]; then npm run setup; fi

# The PostgreSQL tests need the local server; start the packaged cluster when it is installed but down.
if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
  fi
fi

npm run typecheck
npm run lint
npm run format:check
if [ $# -gt 0 ]; then
  npx vitest run "$@"
else
  # The hostile-input suite measures how long a bystander waits, so it runs alone, after the rest.
  npx vitest run --exclude 'test/hostile/**'
  npx vitest run test/hostile
fi
