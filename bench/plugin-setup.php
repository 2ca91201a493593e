<?php
/**
 * Prepares the bench site (run by bench/plugin.sh with WP_DIR set): a generous events rate limit
 * (the bench posts hundreds of events from one address; the limiter still runs and counts), an
 * empty outbox, and — when WooCommerce is active — a product and cash on delivery for checkout.
 * Prints one JSON object describing what can be measured.
 *
 * @package LayerSync\Bench
 */

// phpcs:disable -- a benchmark fixture outside the plugin.

$wp_dir = (string) getenv( 'WP_DIR' );
$url    = (string) getenv( 'WP_URL' );
$parts  = parse_url( $url );
$_SERVER['HTTP_HOST']   = $parts['host'] . ( isset( $parts['port'] ) ? ':' . $parts['port'] : '' );
$_SERVER['SERVER_NAME'] = $parts['host'];
$_SERVER['REQUEST_URI'] = '/';
require $wp_dir . '/wp-load.php';

update_option( 'layersync_rate_limit', '1000000' );
update_option( 'layersync_rate_window', '60' );
global $wpdb;
$wpdb->query( $wpdb->prepare( 'DELETE FROM %i', $wpdb->prefix . 'layersync_outbox' ) );

$post = get_posts( array( 'numberposts' => 1, 'post_type' => 'post', 'post_status' => 'publish' ) );
$out  = array(
	'layersync'   => class_exists( \LayerSync\Plugin::class ),
	'woocommerce' => class_exists( 'WooCommerce' ),
	'post_url'    => $post ? get_permalink( $post[0] ) : home_url( '/?p=1' ),
);

if ( $out['woocommerce'] ) {
	$ids = wc_get_products( array( 'sku' => 'layersync-bench', 'return' => 'ids', 'limit' => 1 ) );
	if ( $ids ) {
		$product = wc_get_product( $ids[0] );
	} else {
		$product = new WC_Product_Simple();
		$product->set_name( 'LayerSync bench product' );
		$product->set_sku( 'layersync-bench' );
		$product->set_regular_price( '19.99' );
		$product->set_status( 'publish' );
		$product->save();
	}
	$cod            = get_option( 'woocommerce_cod_settings', array() );
	$cod            = is_array( $cod ) ? $cod : array();
	$cod['enabled'] = 'yes';
	update_option( 'woocommerce_cod_settings', $cod );
	update_option( 'woocommerce_enable_guest_checkout', 'yes' );
	update_option( 'woocommerce_enable_checkout_login_reminder', 'no' );
	$out['product_id']   = $product->get_id();
	$out['product_url']  = get_permalink( $product->get_id() );
	$out['checkout_url'] = wc_get_checkout_url();
}

echo json_encode( $out, JSON_UNESCAPED_SLASHES ), "\n";
