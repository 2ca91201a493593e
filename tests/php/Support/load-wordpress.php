<?php
/**
 * Loads the harness WordPress (LAYERSYNC_WP_DIR) for the integration suite and its helper
 * processes. Included, never run directly.
 *
 * PHPUnit includes its bootstrap inside a function, so WordPress's file-scope variables would
 * otherwise be local to it: declare them global first, as WordPress's own test suite does.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

// phpcs:disable WordPress.WP.GlobalVariablesOverride.Prohibited -- this is WordPress's own bootstrap sequence.
global $wpdb, $current_site, $current_blog, $wp_rewrite, $shortcode_tags, $wp, $phpmailer, $wp_theme_directories, $table_prefix;

$layersync_wp_dir = (string) getenv( 'LAYERSYNC_WP_DIR' );
if ( '' === $layersync_wp_dir || ! is_file( $layersync_wp_dir . '/wp-load.php' ) || ! is_file( $layersync_wp_dir . '/wp-config.php' ) ) {
	fwrite(
		STDERR,
		"\nThe integration tests run inside a real WordPress, and LAYERSYNC_WP_DIR does not point at one"
		. ( '' === $layersync_wp_dir ? ' (it is not set)' : " ($layersync_wp_dir has no wp-load.php / wp-config.php)" ) . ".\n"
		. "Start the harness and load its environment, then run the suite again:\n\n"
		. "    bash scripts/harness.sh start test\n"
		. "    eval \"\$(bash scripts/harness.sh env test)\"\n"
		. "    vendor/bin/phpunit --testsuite integration\n\n"
		. "(Only the unit suite needs no WordPress: vendor/bin/phpunit --testsuite unit)\n"
	);
	exit( 1 );
}

$layersync_wp_url = (string) ( getenv( 'LAYERSYNC_WP_URL' ) ? getenv( 'LAYERSYNC_WP_URL' ) : 'http://127.0.0.1:8089' );
$layersync_parts  = parse_url( $layersync_wp_url ); // phpcs:ignore WordPress.WP.AlternativeFunctions.parse_url_parse_url -- WordPress is not loaded yet.
$layersync_host   = ( $layersync_parts['host'] ?? '127.0.0.1' ) . ( isset( $layersync_parts['port'] ) ? ':' . $layersync_parts['port'] : '' );

// A plausible request context for code that reads it (home URL detection, REST, IP).
$_SERVER['HTTP_HOST']       = $layersync_host;
$_SERVER['SERVER_NAME']     = $layersync_parts['host'] ?? '127.0.0.1';
$_SERVER['SERVER_PORT']     = (string) ( $layersync_parts['port'] ?? 80 );
$_SERVER['REQUEST_URI']     = '/';
$_SERVER['REQUEST_METHOD']  = 'GET';
$_SERVER['REMOTE_ADDR']     = '127.0.0.1';
$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';

require_once $layersync_wp_dir . '/wp-load.php';

if ( ! class_exists( \LayerSync\Plugin::class ) || null === \LayerSync\Plugin::instance() ) {
	fwrite( STDERR, "\nWordPress at $layersync_wp_dir loaded, but the LayerSync plugin is not active there. Run: bash scripts/harness.sh start test\n" );
	exit( 1 );
}
