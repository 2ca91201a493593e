<?php
/**
 * Loads the WooCommerce stand-in into a WordPress that has no WooCommerce (none is installable
 * here), then fires `woocommerce_loaded` as WooCommerce does once its files are in. Included
 * only by tests running in a separate process (and their helper processes), or by the harness
 * web server for a request that asks for it (WooCommerceStandIn::install_for_http()), never when
 * a real WooCommerce is active: LayerSync\Tests\Support\Commerce\WooCommerceStandIn::load()
 * checks.
 *
 * $GLOBALS['layersync_wc_stand_in_hpos'] chooses the order storage before loading: true for
 * HPOS-like tables, false for posts + post meta (legacy).
 *
 * @package LayerSync\Tests
 */

// phpcs:disable WordPress.NamingConventions.PrefixAllGlobals

if ( class_exists( 'WooCommerce', false ) ) {
	return;
}

define( 'WC_VERSION', '9.4.0' );

require __DIR__ . '/class-wc-data.php';
require __DIR__ . '/class-wc-product.php';
require __DIR__ . '/class-wc-order.php';
require __DIR__ . '/class-wc-cart.php';
require __DIR__ . '/functions.php';

$layersync_wc_register_types = static function (): void {
	register_post_type(
		'product',
		array(
			'public'      => true,
			'has_archive' => true,
			'rewrite'     => array( 'slug' => 'product' ),
		)
	);
	register_post_type( 'product_variation', array( 'public' => false ) );
	register_post_type( 'shop_coupon', array( 'public' => false ) );
	register_taxonomy(
		'product_cat',
		'product',
		array(
			'hierarchical' => true,
			'query_var'    => true,
			'public'       => true,
		)
	);
	register_taxonomy(
		'product_brand',
		'product',
		array(
			'hierarchical' => true,
			'query_var'    => true,
			'public'       => true,
		)
	);
};
// WooCommerce registers its types on init; tests load the stand-in after it.
if ( did_action( 'init' ) ) {
	$layersync_wc_register_types();
} else {
	add_action( 'init', $layersync_wc_register_types, 5 );
}
add_action( 'template_redirect', array( 'WC_AJAX', 'do_wc_ajax' ), 0 );
add_action( 'wc_ajax_add_to_cart', array( 'WC_AJAX', 'add_to_cart' ) );

LayerSync_Stand_In_Order_Store::install();

if ( did_action( 'rest_api_init' ) ) {
	LayerSync_Stand_In_Store_Api::register_routes();
} else {
	add_action( 'rest_api_init', array( 'LayerSync_Stand_In_Store_Api', 'register_routes' ) );
}

do_action( 'woocommerce_loaded' );
