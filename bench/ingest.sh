#!/usr/bin/env bash
# Ingest throughput and latency of the relay against a bare fastify 202 route, same run.
# Usage: bench/ingest.sh   (tunables: see bench/README.md). Exits 0 whether targets pass or not;
# non-zero only when the bench itself broke.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/prepare.sh" wrk
exec node "$ROOT/bench/ingest.mjs"
