<?php
/**
 * Installs WordPress for the harness without WP-CLI (none is installable here) and connects the
 * LayerSync plugin. Idempotent: an installed site is only re-configured.
 *
 * Environment: WP_DIR, WP_URL, LAYERSYNC_ADMIN_PASSWORD, and optionally LAYERSYNC_RELAY_URL,
 * LAYERSYNC_SITE_ID, LAYERSYNC_SECRET to connect the plugin to a relay.
 */

// phpcs:disable WordPress.Security.EscapeOutput -- CLI script, output goes to a log.
$wp_dir = getenv( 'WP_DIR' );
if ( ! $wp_dir || ! is_file( $wp_dir . '/wp-config.php' ) ) {
	fwrite( STDERR, "WP_DIR must point at a WordPress root with wp-config.php\n" );
	exit( 1 );
}
$url = (string) getenv( 'WP_URL' );
$parts = parse_url( $url );
$_SERVER['HTTP_HOST']   = $parts['host'] . ( isset( $parts['port'] ) ? ':' . $parts['port'] : '' );
$_SERVER['SERVER_NAME'] = $parts['host'];
$_SERVER['REQUEST_URI'] = '/';
define( 'WP_INSTALLING', true );

// No mail server here: pluggable, so it must be defined before WordPress loads.
function wp_new_blog_notification() {}

require $wp_dir . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';


$password = (string) getenv( 'LAYERSYNC_ADMIN_PASSWORD' );
if ( ! is_blog_installed() ) {
	$result = wp_install( 'LayerSync Demo Store', 'admin', 'admin@example.test', true, '', $password );
	echo 'installed WordPress ' . get_bloginfo( 'version' ) . "\n";
} else {
	$admin = get_user_by( 'login', 'admin' );
	if ( $admin && ! wp_check_password( $password, $admin->user_pass, $admin->ID ) ) {
		wp_set_password( $password, $admin->ID );
	}
}

update_option( 'show_avatars', 0 );
update_option( 'permalink_structure', '/%postname%/' );
update_option( 'blog_public', 0 );
flush_rewrite_rules( false );

$plugins = array( 'layersync/layersync.php' );
if ( is_dir( WP_PLUGIN_DIR . '/woocommerce' ) ) {
	array_unshift( $plugins, 'woocommerce/woocommerce.php' );
}
foreach ( $plugins as $plugin ) {
	if ( ! is_plugin_active( $plugin ) ) {
		$activated = activate_plugin( $plugin );
		if ( is_wp_error( $activated ) ) {
			fwrite( STDERR, "could not activate $plugin: " . $activated->get_error_message() . "\n" );
			exit( 1 );
		}
		echo "activated $plugin\n";
	}
}

// Connect the plugin to the relay when the caller says where it is.
$relay_url = getenv( 'LAYERSYNC_RELAY_URL' );
if ( $relay_url ) {
	update_option( 'layersync_relay_url', $relay_url );
	update_option( 'layersync_site_id', (string) getenv( 'LAYERSYNC_SITE_ID' ) );
	// The secret is never autoloaded: it is read only when the outbox drains.
	update_option( 'layersync_secret', (string) getenv( 'LAYERSYNC_SECRET' ), false );
	echo "connected to relay $relay_url as site " . getenv( 'LAYERSYNC_SITE_ID' ) . "\n";
}

// A page where a visitor can trigger a lead the way a site's own form would.
$demo = get_page_by_path( 'layersync-demo' );
if ( ! $demo ) {
	kses_remove_filters();
	$form = <<<'HTML'
<!-- wp:html -->
<form id="layersync-demo-form" class="layersync-demo" onsubmit="event.preventDefault(); var f=this; window.LayerSync.track('lead', {email: f.email.value}).then(function(id){ document.getElementById('layersync-demo-result').textContent = 'Sent lead with event_id ' + id; });">
  <p><label>Email <input type="email" name="email" required placeholder="you@example.com"></label></p>
  <p><button type="submit">Send a lead</button></p>
  <p id="layersync-demo-result" role="status"></p>
</form>
<!-- /wp:html -->
HTML;
	wp_insert_post(
		array(
			'post_type'    => 'page',
			'post_status'  => 'publish',
			'post_name'    => 'layersync-demo',
			'post_title'   => 'LayerSync demo',
			'post_content' => $form,
		)
	);
	echo "created page /layersync-demo/\n";
}
echo "ok\n";
