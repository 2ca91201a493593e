# Sourced by the bench scripts: installs what a fresh machine lacks (idempotent), then builds
# the relay so the benches run `node relay/dist/src/cli.js`, exactly what ships.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

need_wrk="${1:-}"
if [ "$need_wrk" = "wrk" ] && ! command -v wrk >/dev/null 2>&1; then
  echo "[bench] installing wrk (apt)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
fi

# Dependencies (fastify, better-sqlite3, undici, tsx) come from the workspace lockfile.
if ! node -e "const r=require('module').createRequire('$ROOT/relay/package.json'); for (const p of ['fastify','better-sqlite3','undici','tsx']) r.resolve(p)" >/dev/null 2>&1 \
  || ! node -e "const r=require('module').createRequire('$ROOT/relay/package.json'); new (r('better-sqlite3'))(':memory:')" >/dev/null 2>&1; then
  echo "[bench] installing npm dependencies (npm ci; better-sqlite3 compiles, ~1-2 min)" >&2
  npm_config_nodedir=/usr npm ci --no-audit --no-fund >&2
fi

if [ "${BENCH_SKIP_BUILD:-0}" != "1" ]; then
  echo "[bench] building the relay (npm run build -w relay)" >&2
  if ! npm run build -w relay >/tmp/layersync-bench-build.log 2>&1; then
    # tsc still emits JavaScript when it reports type errors (work in progress elsewhere).
    echo "[bench] warning: the relay build reported errors (see /tmp/layersync-bench-build.log); benchmarking the JavaScript it emitted" >&2
  fi
fi
test -f "$ROOT/relay/dist/src/cli.js" || { echo "[bench] relay/dist/src/cli.js missing after build" >&2; exit 1; }
