#!/usr/bin/env bash
# What the LayerSync plugin adds to a WordPress site, measured against the plugin switched off in
# the same run (a bench-only mu-plugin turns it off per request with "X-Bench-Plugin: off"):
#   - median added time to a page (front page; a product page with WooCommerce) — target ≤ 3 ms;
#   - added time to the tracker's REST event POST;
#   - added time to checkout order processing with WooCommerce — target ≤ 10 ms (reported as not
#     measurable without it; give a local copy with LAYERSYNC_WOOCOMMERCE_DIR);
#   - outbound HTTP calls made while serving visitor requests (pre_http_request) — asserted 0.
#
# Runs its own Docker-free WordPress (scripts/harness.sh, in .harness/bench, ports 8389/3608),
# with OPcache on as in production and the cron ticker idle so background runs do not compete.
#
#   bash bench/plugin.sh            BENCH_RUNS=300 BENCH_WARMUP=30 (per mode)  BENCH_KEEP=1 keeps the site running
#
# Exit 0 when measured (targets met or not, see the verdicts), 1 when the bench broke, 2 when a
# visitor request made an outbound HTTP call.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
say() { printf '\033[1;34m[bench]\033[0m %s\n' "$*" >&2; }

# hyperfine (cross-check of the page figures), installed from apt once.
if ! command -v hyperfine >/dev/null 2>&1; then
  say "installing hyperfine (apt)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq hyperfine >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq hyperfine >/dev/null 2>&1; } \
    || say "hyperfine could not be installed; the PHP/curl figures below do not need it"
fi

# WordPress core and PHP packages come from the project's setup (idempotent).
if [ ! -f "$ROOT/.harness/cache/wordpress-${LAYERSYNC_WP_VERSION:-6.5}/wp-includes/version.php" ] || ! command -v mariadbd >/dev/null 2>&1; then
  say "running scripts/setup.sh (packages, WordPress core)"
  bash scripts/setup.sh >&2
fi

export LAYERSYNC_HARNESS_DIR="${BENCH_HARNESS_DIR:-$ROOT/.harness/bench}"
export LAYERSYNC_WP_PORT="${BENCH_WP_PORT:-8389}" LAYERSYNC_DB_PORT="${BENCH_DB_PORT:-3608}"
export LAYERSYNC_RELAY_PORT="${BENCH_RELAY_PORT:-8688}" LAYERSYNC_FAKE_META_PORT="${BENCH_FAKE_META_PORT:-8690}"
export LAYERSYNC_CRON_INTERVAL=86400 LAYERSYNC_PHP_WORKERS="${BENCH_PHP_WORKERS:-2}"
mkdir -p "$LAYERSYNC_HARNESS_DIR/cache" "$LAYERSYNC_HARNESS_DIR/php-ini"
for core in "$ROOT"/.harness/cache/wordpress-*; do
  [ -e "$LAYERSYNC_HARNESS_DIR/cache/$(basename "$core")" ] || ln -s "$core" "$LAYERSYNC_HARNESS_DIR/cache/$(basename "$core")"
done
# OPcache for the built-in server's workers, as a production PHP-FPM has it (a leading ':' keeps
# the distribution's own ini directory).
printf 'opcache.enable_cli=1\nopcache.validate_timestamps=1\nopcache.revalidate_freq=0\n' > "$LAYERSYNC_HARNESS_DIR/php-ini/zz-layersync-bench.ini"
export PHP_INI_SCAN_DIR=":$LAYERSYNC_HARNESS_DIR/php-ini"
export BENCH_OPCACHE="on"

stop_site() { [ "${BENCH_KEEP:-0}" = "1" ] || bash scripts/harness.sh stop test >/dev/null 2>&1 || true; }
trap stop_site EXIT
# A server left running from an earlier run may lack the OPcache setting: start fresh.
bash scripts/harness.sh stop test >/dev/null 2>&1 || true
say "starting the bench WordPress on port $LAYERSYNC_WP_PORT"
bash scripts/harness.sh start test >&2
eval "$(bash scripts/harness.sh env test)"
export WP_DIR="$LAYERSYNC_WP_DIR" WP_URL="$LAYERSYNC_WP_URL"

mkdir -p "$WP_DIR/wp-content/mu-plugins"
cp "$ROOT/bench/plugin-mu.php" "$WP_DIR/wp-content/mu-plugins/layersync-bench.php"
BENCH_SETUP="$(php "$ROOT/bench/plugin-setup.php")" || { say "bench site setup failed"; exit 1; }
export BENCH_SETUP
say "site: $BENCH_SETUP"

set +e
php "$ROOT/bench/plugin-run.php"
status=$?
set -e
[ "$status" = 1 ] && exit 1

if command -v hyperfine >/dev/null 2>&1; then
  json="$(mktemp)"
  echo
  echo "hyperfine cross-check, front page (process spawn included, same for both):"
  hyperfine -N --style none --warmup 20 --runs "${BENCH_HYPERFINE_RUNS:-150}" --export-json "$json" \
    "curl -s -o /dev/null -H X-Bench-Plugin:on $WP_URL/" \
    "curl -s -o /dev/null -H X-Bench-Plugin:off $WP_URL/" >/dev/null 2>&1 || true
  php -r '$r = json_decode((string) file_get_contents($argv[1]), true)["results"] ?? [];
    if (count($r) === 2) { $on = $r[0]["median"] * 1000; $off = $r[1]["median"] * 1000;
      printf("  median on %.2f ms, off %.2f ms, added %.2f ms, ratio %.3fx\n", $on, $off, $on - $off, $on / $off); }
    else { echo "  (hyperfine gave no result)\n"; }' "$json"
  rm -f "$json"
fi
exit "$status"
