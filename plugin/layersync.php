<?php
/**
 * Plugin Name:       LayerSync
 * Plugin URI:        https://github.com/layersync/layersync
 * Description:       Server-side conversion tracking for WordPress and WooCommerce: events are kept in a durable outbox and delivered, signed, to your own LayerSync relay — never on a visitor's request.
 * Version:           0.1.0
 * Requires at least: 6.5
 * Requires PHP:      8.1
 * Author:            LayerSync
 * License:           GPL-2.0-or-later
 * License URI:       https://www.gnu.org/licenses/gpl-2.0.html
 * Text Domain:       layersync
 * Domain Path:       /languages
 * WC requires at least: 8.5
 * WC tested up to:   9.4
 *
 * This file only bootstraps: it must stay parseable by old PHP versions so that a site on an
 * unsupported version sees an admin notice instead of a fatal error. Everything else lives in
 * src/ (PSR-4, `LayerSync\`).
 *
 * @package LayerSync
 */

defined( 'ABSPATH' ) || exit;

define( 'LAYERSYNC_VERSION', '0.1.0' );
define( 'LAYERSYNC_FILE', __FILE__ );
define( 'LAYERSYNC_MIN_PHP', '8.1' );
define( 'LAYERSYNC_MIN_WP', '6.5' );
define( 'LAYERSYNC_MIN_WC', '8.5' );

/**
 * Returns what keeps LayerSync from running here, as readable sentences (empty when all is fine).
 *
 * @since 0.1.0
 *
 * @return string[]
 */
function layersync_requirement_errors() {
	$errors = array();
	if ( version_compare( PHP_VERSION, LAYERSYNC_MIN_PHP, '<' ) ) {
		$errors[] = sprintf(
			/* translators: 1: required PHP version, 2: current PHP version */
			__( 'LayerSync needs PHP %1$s or newer; this site runs PHP %2$s.', 'layersync' ),
			LAYERSYNC_MIN_PHP,
			PHP_VERSION
		);
	}
	if ( version_compare( get_bloginfo( 'version' ), LAYERSYNC_MIN_WP, '<' ) ) {
		$errors[] = sprintf(
			/* translators: 1: required WordPress version, 2: current WordPress version */
			__( 'LayerSync needs WordPress %1$s or newer; this site runs WordPress %2$s.', 'layersync' ),
			LAYERSYNC_MIN_WP,
			get_bloginfo( 'version' )
		);
	}
	return $errors;
}

/**
 * Prints the requirement errors as an admin notice (the plugin stays inactive meanwhile).
 *
 * @since 0.1.0
 *
 * @return void
 */
function layersync_requirements_notice() {
	if ( ! current_user_can( 'activate_plugins' ) ) {
		return;
	}
	foreach ( layersync_requirement_errors() as $layersync_error ) {
		printf(
			'<div class="notice notice-error"><p><strong>LayerSync</strong> — %s</p></div>',
			esc_html( $layersync_error )
		);
	}
}

if ( array() !== layersync_requirement_errors() ) {
	add_action( 'admin_notices', 'layersync_requirements_notice' );
	return;
}

require_once __DIR__ . '/autoload.php';

// Declared before WooCommerce initialises: LayerSync reads orders only through the CRUD API
// (HPOS-safe) and adds nothing to the cart/checkout blocks that could break them.
add_action(
	'before_woocommerce_init',
	static function () {
		if ( class_exists( \Automattic\WooCommerce\Utilities\FeaturesUtil::class ) ) {
			\Automattic\WooCommerce\Utilities\FeaturesUtil::declare_compatibility( 'custom_order_tables', LAYERSYNC_FILE, true );
			\Automattic\WooCommerce\Utilities\FeaturesUtil::declare_compatibility( 'cart_checkout_blocks', LAYERSYNC_FILE, true );
		}
	}
);

register_activation_hook( __FILE__, array( \LayerSync\Plugin::class, 'activate' ) );
register_deactivation_hook( __FILE__, array( \LayerSync\Plugin::class, 'deactivate' ) );

\LayerSync\Plugin::boot();
