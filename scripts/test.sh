#!/usr/bin/env bash
# The whole LayerSync test suite: lint, type-check, unit (relay, tracker, PHP), PHP integration
# inside a real WordPress on MariaDB, and end-to-end in Chromium against a real relay.
# Installs whatever is missing first (scripts/setup.sh). Every step runs; the exit code is
# non-zero if any failed.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bash "$ROOT/scripts/setup.sh" || die "setup failed"
cd "$ROOT"

declare -a RESULTS=()
failed=0
step() {
  local name="$1"; shift
  log "── $name"
  local t0=$SECONDS
  if "$@"; then RESULTS+=("ok    $name ($((SECONDS - t0))s)")
  else RESULTS+=("FAIL  $name ($((SECONDS - t0))s)"); failed=$((failed + 1)); fi
}

use_profile test
cleanup() { bash "$ROOT/scripts/harness.sh" stop test >/dev/null 2>&1 || true; }
trap cleanup EXIT

step "eslint"                npx eslint --max-warnings=0 .
step "tsc --noEmit"          npm run typecheck --silent
step "phpcs (WordPress)"     vendor/bin/phpcs -q
step "phpstan"               vendor/bin/phpstan analyse --no-progress --memory-limit=1G
step "translations (.pot up to date)" node scripts/make-pot.mjs --check
step "vitest relay"          npm test --silent --workspace relay
step "vitest tracker"        npm test --silent --workspace assets-src/tracker
step "vitest admin"          npm test --silent --workspace assets-src/admin
step "phpunit unit"          vendor/bin/phpunit --testsuite unit

# Integration and e2e share one real WordPress (MariaDB + PHP server), started fresh.
bash "$ROOT/scripts/harness.sh" reset test >/dev/null
if bash "$ROOT/scripts/harness.sh" start test; then
  eval "$(bash "$ROOT/scripts/harness.sh" env test)"
  step "phpunit integration (WordPress $WP_MINOR + MariaDB)" vendor/bin/phpunit --testsuite integration
  step "playwright e2e (Chromium)" npm test --silent --workspace e2e
else
  RESULTS+=("FAIL  harness start"); failed=$((failed + 1))
fi

echo
log "summary"
printf '  %s\n' "${RESULTS[@]}"
total=${#RESULTS[@]}
echo "test steps: $((total - failed)) of $total ok"
[ "$failed" -eq 0 ]
