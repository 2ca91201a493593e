<?php
/**
 * The purchase path in one order storage (HPOS or legacy posts), sequential and concurrent.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Integration\Commerce;

use LayerSync\Internal\Commerce\CommerceSettings;
use LayerSync\Internal\Commerce\EventIds;
use LayerSync\Internal\Commerce\OrderIdentity;
use LayerSync\Internal\Commerce\PurchaseEvents;
use LayerSync\Tests\Support\Commerce\WooCommerceStandIn;

/**
 * Run twice by its subclasses: with orders in HPOS-like tables and in posts. LayerSync only uses
 * the CRUD API, so both must behave the same; what differs is where the meta rows are.
 */
abstract class OrderStorageTestCase extends CommerceTestCase {

	protected function setUp(): void {
		parent::setUp();
		if ( ! WooCommerceStandIn::is_stand_in() && WooCommerceStandIn::uses_hpos() !== $this->hpos ) {
			$this->markTestSkipped( 'the real WooCommerce here uses the other order storage' );
		}
		$this->assertSame( $this->hpos, WooCommerceStandIn::uses_hpos() );
	}

	public function test_meta_is_written_through_the_crud_api_into_the_orders_storage(): void {
		$order = $this->checkout_order();
		$this->submit_classic_checkout( $order );
		$this->no_browser();
		$this->reload( $order )->payment_complete( 'txn' );
		wc_create_refund(
			array(
				'order_id' => $order->get_id(),
				'amount'   => '9.00',
			)
		);

		$this->assertCount( 1, $this->events( 'purchase' ) );
		$this->assertCount( 1, $this->events( 'refund' ) );
		$rows = array_values(
			array_filter(
				WooCommerceStandIn::layersync_order_meta(),
				static fn( array $row ): bool => $row['order_id'] === $order->get_id()
			)
		);
		$keys = array_column( $rows, 'meta_key' );
		sort( $keys );
		$this->assertSame(
			array( OrderIdentity::META_CAPTURE, OrderIdentity::META_CONSENT, OrderIdentity::META_CONTEXT, OrderIdentity::META_IDENTITY, PurchaseEvents::META_EVENT_ID, PurchaseEvents::META_RECORDED ),
			$keys,
			'each key once'
		);
		$storages = array_unique( array_column( $rows, 'storage' ) );
		$this->assertSame( array( $this->hpos ? ( WooCommerceStandIn::is_stand_in() ? 'stand-in' : 'hpos' ) : 'posts' ), array_values( $storages ) );
		if ( $this->hpos ) {
			$this->assertSame( '', get_post_meta( $order->get_id(), PurchaseEvents::META_RECORDED, true ), 'nothing in post meta with HPOS' );
		}
		$this->assertNotSame( '', $this->reload( $order )->get_meta( PurchaseEvents::META_RECORDED ) );
		$this->assert_no_raw_pii_stored();
	}

	public function test_concurrent_purchase_hooks_record_exactly_one_purchase(): void {
		$order = $this->checkout_order();
		$this->submit_classic_checkout( $order );
		// Paid, but in this process nobody recorded it: the workers race for it.
		$this->add_test_filter( 'pre_option_' . CommerceSettings::OPTION_EVENTS, static fn() => array() );
		$this->reload( $order )->payment_complete( 'txn_race' );
		remove_all_filters( 'pre_option_' . CommerceSettings::OPTION_EVENTS );
		$this->assertTrue( $this->reload( $order )->is_paid() );
		$this->assertSame( array(), $this->events( 'purchase' ) );

		$hooks   = array(
			'woocommerce_payment_complete',
			'woocommerce_payment_complete',
			'woocommerce_order_status_processing',
			'woocommerce_order_status_processing',
			'woocommerce_order_status_completed',
			'woocommerce_thankyou',
		);
		$workers = array();
		foreach ( $hooks as $hook ) {
			$process = proc_open(
				array( PHP_BINARY, dirname( __DIR__, 2 ) . '/Support/commerce-purchase-worker.php', (string) $order->get_id(), $hook, $this->hpos ? '1' : '0' ),
				array(
					0 => array( 'pipe', 'r' ),
					1 => array( 'pipe', 'w' ),
					2 => array( 'pipe', 'w' ),
				),
				$pipes
			);
			$this->assertIsResource( $process );
			$workers[] = array( $process, $pipes );
		}
		// Every worker has loaded WordPress: let them all go at once; whoever reaches the outbox
		// insert waits there until the barrier, half a second later.
		$started = array();
		foreach ( $workers as $n => list( , $pipes ) ) {
			$started[ $n ] = (string) fgets( $pipes[1] );
		}
		$barrier = sprintf( "%.6F\n", microtime( true ) + 0.5 );
		foreach ( $workers as list( , $pipes ) ) {
			fwrite( $pipes[0], $barrier );
			fclose( $pipes[0] );
		}
		$results = array();
		foreach ( $workers as $n => list( $process, $pipes ) ) {
			$out = ( $started[ $n ] ?? '' ) . stream_get_contents( $pipes[1] );
			$err = (string) stream_get_contents( $pipes[2] );
			fclose( $pipes[1] );
			fclose( $pipes[2] );
			$this->assertSame( 0, proc_close( $process ), "worker $n failed: $out $err" );
			$this->assertStringStartsWith( "ready\n", $out, "worker $n: $err" );
			$result = json_decode( substr( $out, 6 ), true );
			$this->assertIsArray( $result, "worker $n printed: $out $err" );
			$results[] = $result;
		}

		$this->assertSame( array( EventIds::purchase( $order->get_id() ) ), array_keys( $this->events( 'purchase' ) ), 'exactly one outbox row' );
		$this->assertCount( 1, array_filter( array_column( $results, 'recorded' ) ), 'exactly one request recorded it: ' . wp_json_encode( $results ) );
		$this->assertGreaterThan( 1, count( array_filter( array_column( $results, 'reached' ) ) ), 'several requests really raced to the insert' );
		$markers = array_filter(
			WooCommerceStandIn::layersync_order_meta(),
			static fn( array $row ): bool => $row['order_id'] === $order->get_id() && PurchaseEvents::META_RECORDED === $row['meta_key']
		);
		$this->assertCount( 1, $markers, 'one marker row, written by the winner' );

		// And afterwards every hook is a no-op.
		$this->reload( $order )->update_status( 'completed' );
		do_action( 'woocommerce_thankyou', $order->get_id() );
		$this->assertCount( 1, $this->events( 'purchase' ) );
	}
}
