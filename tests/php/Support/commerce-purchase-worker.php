<?php
/**
 * Helper process for the concurrent-purchase test: loads the harness WordPress with its own
 * database connection and WooCommerce (the stand-in, unless a real one is active), prints
 * "ready", waits for the parent's go — one line on standard input holding the barrier time —
 * then fires one WooCommerce hook for a paid order the way WooCommerce fires it. Every worker
 * that reaches the outbox insert waits there until the barrier, so the inserts really race.
 * Prints {"hook", "reached", "recorded"} as JSON.
 *
 * Usage: php commerce-purchase-worker.php <order id> <hook> <hpos 0|1>
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

require dirname( __DIR__, 3 ) . '/vendor/autoload.php';
require __DIR__ . '/load-wordpress.php';

$layersync_order_id = (int) ( $argv[1] ?? 0 );
$layersync_hook     = (string) ( $argv[2] ?? '' );
if ( '' === $layersync_hook ) {
	fwrite( STDERR, "usage: commerce-purchase-worker.php <order id> <hook> <hpos 0|1>\n" );
	exit( 2 );
}
$layersync_barrier = 0.0;

\LayerSync\Tests\Support\Commerce\WooCommerceStandIn::load( '1' === ( $argv[3] ?? '0' ) );

// A gateway callback or a second tab: no cookies of the customer here.
$_COOKIE = array();

$layersync_result = array(
	'hook'     => $layersync_hook,
	'reached'  => false,
	'recorded' => false,
);
add_filter(
	'layersync_event_before_enqueue',
	static function ( $event ) use ( &$layersync_result, &$layersync_barrier ) {
		if ( is_array( $event ) && 'purchase' === ( $event['event_name'] ?? '' ) ) {
			$layersync_result['reached'] = true;
			while ( microtime( true ) < $layersync_barrier ) {
				usleep( 500 );
			}
		}
		return $event;
	}
);
add_action(
	'layersync_purchase_recorded',
	static function () use ( &$layersync_result ): void {
		$layersync_result['recorded'] = true;
	}
);

echo "ready\n";
$layersync_barrier = (float) fgets( STDIN );

$layersync_order = wc_get_order( $layersync_order_id );
if ( ! $layersync_order instanceof \WC_Order ) {
	fwrite( STDERR, "order $layersync_order_id not found\n" );
	exit( 1 );
}
switch ( $layersync_hook ) {
	case 'woocommerce_payment_complete':
		do_action( 'woocommerce_payment_complete', $layersync_order_id, 'txn_race' );
		break;
	case 'woocommerce_thankyou':
		do_action( 'woocommerce_thankyou', $layersync_order_id );
		break;
	case 'woocommerce_checkout_order_processed':
		do_action( 'woocommerce_checkout_order_processed', $layersync_order_id, array(), $layersync_order );
		break;
	case 'woocommerce_store_api_checkout_order_processed':
		do_action( 'woocommerce_store_api_checkout_order_processed', $layersync_order );
		break;
	default:
		// woocommerce_order_status_processing / _completed: ($order_id, $order).
		do_action( $layersync_hook, $layersync_order_id, $layersync_order );
}

echo wp_json_encode( $layersync_result );
