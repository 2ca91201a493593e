#!/usr/bin/env bash
# LayerSync's main job on the embedded default: the relay on SQLite, and a local WordPress
# store with the plugin active and connected to it. Events a visitor triggers show up in this
# terminal with the exact payload each enabled destination would receive (dry-run mode: built,
# validated and stored, not sent). Ctrl-C stops everything this started.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bash "$ROOT/scripts/setup.sh"
use_profile dev

RELAY_DB="$PROFILE_DIR/relay.sqlite"
RELAY=(node "$ROOT/relay/dist/src/cli.js")
export LAYERSYNC_DB="$RELAY_DB" LAYERSYNC_PORT="$RELAY_PORT" LAYERSYNC_HOST=127.0.0.1

# One site, its secret kept across runs so the store and the relay keep agreeing.
SITE_ID=demo
[ -f "$PROFILE_DIR/site-secret" ] || (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$PROFILE_DIR/site-secret")
SECRET="$(cat "$PROFILE_DIR/site-secret")"
[ -f "$PROFILE_DIR/admin-token" ] || (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$PROFILE_DIR/admin-token")
export LAYERSYNC_ADMIN_TOKEN="$(cat "$PROFILE_DIR/admin-token")"

cleanup() {
  trap - INT TERM EXIT
  # Stop first, talk after: the terminal (or a pipe such as `| tee`) may be gone already, and a
  # failed write must not leave the relay, PHP or MariaDB running.
  trap '' PIPE
  set +e
  kill_group "$RUN_DIR/relay.pgid"
  kill_group "$RUN_DIR/stream.pgid"
  bash "$ROOT/scripts/harness.sh" stop dev >/dev/null 2>&1
  { echo; log "stopped the relay and WordPress; nothing left listening"; } 2>/dev/null
}
trap cleanup INT TERM EXIT

port_open "$RELAY_PORT" && die "port $RELAY_PORT is taken (another relay running?); set LAYERSYNC_RELAY_PORT"

"${RELAY[@]}" sites add --id "$SITE_ID" --secret "$SECRET" >/dev/null
# Meta in dry-run: a merchant previews exactly what Meta would receive before going live.
"${RELAY[@]}" connect meta --site "$SITE_ID" --pixel 1234567890123456 --token demo-access-token-not-a-real-one --dry-run >/dev/null

setsid "${RELAY[@]}" start </dev/null >>"$LOG_DIR/relay.log" 2>&1 &
echo $! > "$RUN_DIR/relay.pgid"
wait_for_url "$RELAY_URL/readyz" 100 || die "relay did not start, see $LOG_DIR/relay.log"

LAYERSYNC_RELAY_URL="$RELAY_URL" LAYERSYNC_SITE_ID="$SITE_ID" LAYERSYNC_SECRET="$SECRET" \
  bash "$ROOT/scripts/harness.sh" start dev

cat <<INFO

  LayerSync is running.

  Store          $WP_URL/
  Try it         $WP_URL/layersync-demo/   (send a lead; it appears below within a few seconds)
  WordPress      $WP_URL/wp-admin/   user: admin   password: $(cat "$PROFILE_DIR/admin-password")
  Relay          $RELAY_URL   (health: $RELAY_URL/readyz)
  Relay admin    curl -H "Authorization: Bearer \$(cat $PROFILE_DIR/admin-token)" $RELAY_URL/v1/admin/events
  Logs           $LOG_DIR/

  Destinations   meta (dry-run: payloads are built and shown, nothing is sent)
  Press Ctrl-C to stop everything.

INFO

# Follow events as they arrive, with each destination's payload.
setsid "${RELAY[@]}" stream --tail </dev/null &
echo $! > "$RUN_DIR/stream.pgid"
wait "$(cat "$RUN_DIR/stream.pgid")" || true
