#!/usr/bin/env bash
# Shared by setup.sh, harness.sh, dev.sh and test.sh. Sourced, never run.
# Everything here is idempotent: running it twice does the work once.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HARNESS_DIR="${LAYERSYNC_HARNESS_DIR:-$ROOT/.harness}"
# Newest WordPress with a release build on the registries reachable here (npm package
# @wp-playground/wordpress-builds@0.9.19 ships 6.2.6 … 6.5.5 and 6.6-RC3; 6.5.5 is the newest
# final release and also the oldest we support). Override with LAYERSYNC_WP_VERSION=6.6.
WP_BUILDS_PKG="@wp-playground/wordpress-builds@0.9.19"
WP_MINOR="${LAYERSYNC_WP_VERSION:-6.5}"

export npm_config_nodedir=/usr   # better-sqlite3 builds from source against the local Node headers
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

log()  { printf '\033[1;34m[layersync]\033[0m %s\n' "$*" >&2; }
warn() { printf '\033[1;33m[layersync]\033[0m %s\n' "$*" >&2; }
die()  { printf '\033[1;31m[layersync] %s\033[0m\n' "$*" >&2; exit 1; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root for: $*"; fi; }

# Profiles keep the demo and the test suite apart so both can run at once.
# Ports can be overridden with LAYERSYNC_{WP,DB,RELAY,FAKE_META}_PORT.
use_profile() {
  PROFILE="$1"
  case "$PROFILE" in
    dev)  _wp=8088 _db=3307 _relay=8787 _meta=8791 ;;
    test) _wp=8089 _db=3308 _relay=8788 _meta=8790 ;;
    *) die "unknown profile '$PROFILE' (use dev or test)" ;;
  esac
  WP_PORT="${LAYERSYNC_WP_PORT:-$_wp}"
  DB_PORT="${LAYERSYNC_DB_PORT:-$_db}"
  RELAY_PORT="${LAYERSYNC_RELAY_PORT:-$_relay}"
  FAKE_META_PORT="${LAYERSYNC_FAKE_META_PORT:-$_meta}"
  PROFILE_DIR="$HARNESS_DIR/$PROFILE"
  DB_DIR="$PROFILE_DIR/mariadb"
  DB_SOCK="$DB_DIR/mysqld.sock"
  DB_NAME="layersync_$PROFILE"
  DB_USER="layersync"
  DB_PASS="layersync-$PROFILE"
  WP_DIR="$PROFILE_DIR/wordpress"
  WP_URL="http://127.0.0.1:$WP_PORT"
  RELAY_URL="http://127.0.0.1:$RELAY_PORT"
  LOG_DIR="$PROFILE_DIR/logs"
  RUN_DIR="$PROFILE_DIR/run"
  mkdir -p "$LOG_DIR" "$RUN_DIR"
}

# Kill a process group recorded in a pid file (the pid is the group leader, started by setsid).
kill_group() {
  local pidfile="$1" pid
  [ -f "$pidfile" ] || return 0
  pid="$(cat "$pidfile")"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for_url() {
  local url="$1" tries="${2:-100}"
  for _ in $(seq 1 "$tries"); do
    curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null && return 0
    sleep 0.2
  done
  return 1
}

# A content hash of the given files/dirs, for "rebuild only when sources changed" stamps.
tree_hash() {
  (cd "$ROOT" && find "$@" -type f -not -path '*/node_modules/*' -print0 2>/dev/null | sort -z | xargs -0 sha256sum 2>/dev/null | sha256sum | cut -c1-16)
}
