#!/usr/bin/env bash
# Docker-free WordPress harness: MariaDB in a private data dir, PHP's built-in server with a
# router, WordPress installed by script with the LayerSync plugin active, and a cron ticker
# standing in for the system cron a production site uses with DISABLE_WP_CRON.
#
#   scripts/harness.sh start  [dev|test]   start (idempotent) and install WordPress
#   scripts/harness.sh stop   [dev|test]   stop everything the profile started
#   scripts/harness.sh status [dev|test]
#   scripts/harness.sh env    [dev|test]   print shell exports for tests (eval "$(…)")
#   scripts/harness.sh reset  [dev|test]   stop and delete the profile's data
#
# Requires scripts/setup.sh to have run (packages, WordPress core).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cmd="${1:-status}"
use_profile "${2:-test}"

db_ping() { mariadb-admin --no-defaults --socket="$DB_SOCK" -uroot ping >/dev/null 2>&1; }
db_sql()  { mariadb --no-defaults --socket="$DB_SOCK" -uroot -e "$1"; }

start_mariadb() {
  if db_ping; then return 0; fi
  if [ ! -d "$DB_DIR/mysql" ]; then
    log "initialising MariaDB in $DB_DIR"
    mkdir -p "$DB_DIR"
    mariadb-install-db --no-defaults --datadir="$DB_DIR" --user=root \
      --auth-root-authentication-method=socket --skip-test-db >"$LOG_DIR/mariadb-install.log" 2>&1 \
      || die "mariadb-install-db failed, see $LOG_DIR/mariadb-install.log"
  fi
  port_open "$DB_PORT" && die "port $DB_PORT is taken; set LAYERSYNC_DB_PORT"
  # --no-defaults: the system config points at a socket dir that does not exist here.
  setsid mariadbd --no-defaults --user=root --datadir="$DB_DIR" --socket="$DB_SOCK" \
    --port="$DB_PORT" --bind-address=127.0.0.1 --skip-log-bin --skip-name-resolve \
    --pid-file="$RUN_DIR/mariadbd.pid" --log-error="$LOG_DIR/mariadb.err" \
    </dev/null >/dev/null 2>&1 &
  echo $! > "$RUN_DIR/mariadb.pgid"
  for _ in $(seq 1 150); do db_ping && break; sleep 0.1; done
  db_ping || die "MariaDB did not start, see $LOG_DIR/mariadb.err"
  db_sql "CREATE DATABASE IF NOT EXISTS \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
          CREATE USER IF NOT EXISTS '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
          CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASS';
          GRANT ALL ON \`$DB_NAME\`.* TO '$DB_USER'@'127.0.0.1';
          GRANT ALL ON \`$DB_NAME\`.* TO '$DB_USER'@'localhost';"
}

write_wp() {
  local core="$HARNESS_DIR/cache/wordpress-$WP_MINOR"
  [ -f "$core/wp-includes/version.php" ] || die "WordPress core missing: run scripts/setup.sh"
  if [ ! -f "$WP_DIR/wp-includes/version.php" ]; then
    log "copying WordPress $WP_MINOR to $WP_DIR"
    mkdir -p "$WP_DIR" && cp -r "$core/." "$WP_DIR/"
  fi
  # The plugin is linked, not copied, so edits show up without reinstalling.
  ln -sfn "$ROOT/plugin" "$WP_DIR/wp-content/plugins/layersync"
  # Extra plugins for tests (e.g. a local WooCommerce copy given by LAYERSYNC_WOOCOMMERCE_DIR).
  if [ -n "${LAYERSYNC_WOOCOMMERCE_DIR:-}" ]; then
    [ -f "$LAYERSYNC_WOOCOMMERCE_DIR/woocommerce.php" ] || die "LAYERSYNC_WOOCOMMERCE_DIR has no woocommerce.php"
    ln -sfn "$LAYERSYNC_WOOCOMMERCE_DIR" "$WP_DIR/wp-content/plugins/woocommerce"
  fi
  if [ ! -f "$WP_DIR/wp-config.php" ]; then
    local salts; salts="$(php -r 'foreach (["AUTH_KEY","SECURE_AUTH_KEY","LOGGED_IN_KEY","NONCE_KEY","AUTH_SALT","SECURE_AUTH_SALT","LOGGED_IN_SALT","NONCE_SALT"] as $k) { echo "define(\x27$k\x27, \x27".bin2hex(random_bytes(32))."\x27);\n"; }')"
    cat > "$WP_DIR/wp-config.php" <<PHP
<?php
// Written by scripts/harness.sh for the '$PROFILE' profile. Local only.
define( 'DB_NAME', '$DB_NAME' );
define( 'DB_USER', '$DB_USER' );
define( 'DB_PASSWORD', '$DB_PASS' );
define( 'DB_HOST', '127.0.0.1:$DB_PORT' );
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );
$salts
\$table_prefix = 'wp_';
define( 'WP_HOME', '$WP_URL' );
define( 'WP_SITEURL', '$WP_URL' );
define( 'WP_DEBUG', true );
define( 'WP_DEBUG_LOG', '$LOG_DIR/wp-debug.log' );
define( 'WP_DEBUG_DISPLAY', false );
// Nothing leaves this machine; a real cron ticker drives WP-Cron (scripts/harness.sh).
define( 'WP_HTTP_BLOCK_EXTERNAL', true );
define( 'DISABLE_WP_CRON', true );
define( 'AUTOMATIC_UPDATER_DISABLED', true );
define( 'WP_ENVIRONMENT_TYPE', 'local' );
if ( ! defined( 'ABSPATH' ) ) {
	define( 'ABSPATH', __DIR__ . '/' );
}
require_once ABSPATH . 'wp-settings.php';
PHP
  fi
}

install_wp() {
  local admin_pass_file="$PROFILE_DIR/admin-password"
  [ -f "$admin_pass_file" ] || head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 16 > "$admin_pass_file"
  LAYERSYNC_ADMIN_PASSWORD="$(cat "$admin_pass_file")" WP_DIR="$WP_DIR" WP_URL="$WP_URL" \
    php "$ROOT/scripts/wp/install.php" >>"$LOG_DIR/install.log" 2>&1 \
    || { tail -20 "$LOG_DIR/install.log" >&2; die "WordPress install failed, see $LOG_DIR/install.log"; }
}

start_php() {
  if [ -f "$RUN_DIR/php.pgid" ] && kill -0 "$(cat "$RUN_DIR/php.pgid")" 2>/dev/null; then return 0; fi
  port_open "$WP_PORT" && die "port $WP_PORT is taken; set LAYERSYNC_WP_PORT"
  PHP_CLI_SERVER_WORKERS="${LAYERSYNC_PHP_WORKERS:-4}" setsid php -d variables_order=EGPCS \
    -S "127.0.0.1:$WP_PORT" -t "$WP_DIR" "$ROOT/scripts/wp/router.php" \
    </dev/null >>"$LOG_DIR/php-server.log" 2>&1 &
  echo $! > "$RUN_DIR/php.pgid"
  wait_for_url "$WP_URL/wp-login.php" 150 || die "WordPress did not answer on $WP_URL, see $LOG_DIR/php-server.log"
}

# Production sites with DISABLE_WP_CRON call wp-cron.php from the system cron; this is that.
start_cron() {
  if [ -f "$RUN_DIR/cron.pgid" ] && kill -0 "$(cat "$RUN_DIR/cron.pgid")" 2>/dev/null; then return 0; fi
  local every="${LAYERSYNC_CRON_INTERVAL:-1}"
  setsid bash -c "while sleep $every; do curl -s -o /dev/null --max-time 30 '$WP_URL/wp-cron.php'; done" \
    </dev/null >/dev/null 2>&1 &
  echo $! > "$RUN_DIR/cron.pgid"
}

stop_all() {
  kill_group "$RUN_DIR/cron.pgid"
  kill_group "$RUN_DIR/php.pgid"
  if db_ping; then mariadb-admin --no-defaults --socket="$DB_SOCK" -uroot shutdown >/dev/null 2>&1 || true; fi
  kill_group "$RUN_DIR/mariadb.pgid"
}

case "$cmd" in
  start)
    start_mariadb
    write_wp
    install_wp
    start_php
    start_cron
    log "WordPress ($PROFILE) on $WP_URL  (admin: admin / $(cat "$PROFILE_DIR/admin-password"))"
    ;;
  stop) stop_all ;;
  reset) stop_all; rm -rf "$PROFILE_DIR"; log "removed $PROFILE_DIR" ;;
  status)
    db_ping && echo "mariadb: up ($DB_PORT)" || echo "mariadb: down"
    curl -fsS -o /dev/null --max-time 2 "$WP_URL/wp-login.php" && echo "wordpress: up ($WP_URL)" || echo "wordpress: down"
    ;;
  env)
    cat <<ENV
export LAYERSYNC_PROFILE='$PROFILE'
export LAYERSYNC_PROFILE_DIR='$PROFILE_DIR'
export LAYERSYNC_WP_DIR='$WP_DIR'
export LAYERSYNC_WP_URL='$WP_URL'
export LAYERSYNC_WP_ADMIN_PASSWORD='$(cat "$PROFILE_DIR/admin-password" 2>/dev/null)'
export LAYERSYNC_DB_SOCKET='$DB_SOCK'
export LAYERSYNC_DB_NAME='$DB_NAME'
export LAYERSYNC_LOG_DIR='$LOG_DIR'
export LAYERSYNC_RELAY_PORT='$RELAY_PORT'
export LAYERSYNC_FAKE_META_PORT='$FAKE_META_PORT'
ENV
    ;;
  *) die "usage: $0 start|stop|status|env|reset [dev|test]" ;;
esac
