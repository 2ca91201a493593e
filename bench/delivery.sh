#!/usr/bin/env bash
# End-to-end delivery latency (relay → fake Meta) and relay memory under steady load.
# Usage: bench/delivery.sh   (tunables: see bench/README.md). Exits 0 whether targets pass or not;
# non-zero only when the bench itself broke.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/prepare.sh"
exec node "$ROOT/bench/delivery.mjs"
