<?php
/**
 * Full and partial refunds, with the order's remaining value.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Integration\Commerce;

use LayerSync\Internal\Commerce\EventIds;
use LayerSync\Internal\Commerce\RefundEvents;
use PHPUnit\Framework\Attributes\PreserveGlobalState;
use PHPUnit\Framework\Attributes\RunTestsInSeparateProcesses;

#[RunTestsInSeparateProcesses]
#[PreserveGlobalState( false )]
final class RefundEventsTest extends CommerceTestCase {

	public function test_partial_refund_of_one_line_then_the_rest(): void {
		$order = $this->paid_order();
		$line  = array_key_first( $order->get_items() );
		$this->assertNotNull( $line );

		// The merchant, in wp-admin, a week later: no browser.
		$this->no_browser();
		$first = wc_create_refund(
			array(
				'order_id'   => $order->get_id(),
				'amount'     => '22.00',
				'reason'     => 'Wrong size, refund to jane.doe@example.com',
				'line_items' => array(
					$line => array(
						'qty'          => 1,
						'refund_total' => '20.00',
						'refund_tax'   => array( 1 => '2.00' ),
					),
				),
			)
		);
		$this->assertInstanceOf( \WC_Order_Refund::class, $first );

		$refunds = $this->events( 'refund' );
		$this->assertSame( array( EventIds::refund( $order->get_id(), $first->get_id() ) ), array_keys( $refunds ), 'woocommerce_refund_created and woocommerce_order_refunded: one event' );
		$refund = (array) reset( $refunds );
		$this->assertSame( 'wc-order-' . get_current_blog_id() . '-' . $order->get_id() . '-refund-' . $first->get_id(), $refund['event_id'] );
		$this->assertEquals(
			array(
				'order_id' => (string) $order->get_id(),
				'value'    => 22,
				'currency' => 'EUR',
				'tax'      => 2,
				'shipping' => 0,
				'items'    => array(
					array(
						'id'       => 'SHIRT-1',
						'name'     => 'Linen Shirt',
						'price'    => 20,
						'quantity' => 1,
						'category' => 'Clothing > Shirts',
					),
				),
			),
			$refund['commerce']
		);
		$this->assertEquals( 27, $refund['properties']['remaining_value'], '49 - 22' );
		$this->assertSame( 'partial', $refund['properties']['refund_type'] );
		$this->assertSame( self::CONSENT_GRANTED, $refund['consent'], 'the checkout\'s consent' );
		$this->assertSame( self::FBP, $refund['identity']['fbp'] );
		$this->assertSame( self::customer_hashes()['em'], $refund['identity']['em'] );
		$this->assertSame( self::USER_AGENT, $refund['context']['user_agent'] );

		$rest = wc_create_refund(
			array(
				'order_id' => $order->get_id(),
				'amount'   => '27.00',
			)
		);
		$this->assertInstanceOf( \WC_Order_Refund::class, $rest );
		$last = $this->events( 'refund' )[ EventIds::refund( $order->get_id(), $rest->get_id() ) ];
		$this->assertEquals( 0, $last['properties']['remaining_value'] );
		$this->assertSame( 'full', $last['properties']['refund_type'] );
		$this->assertArrayNotHasKey( 'items', $last['commerce'], 'an amount-only refund names no lines' );
		$this->assertSame( 'refunded', $this->reload( $order )->get_status() );
		$this->assertCount( 2, $this->events( 'refund' ) );
		$this->assertCount( 1, $this->events( 'purchase' ), 'the refunded status does not touch the purchase' );
		$this->assert_outbox_matches_the_contract();
		$this->assert_no_raw_pii_stored();
	}

	public function test_full_refund_at_once_retracts_the_whole_order(): void {
		$order  = $this->paid_order();
		$refund = wc_create_refund(
			array(
				'order_id' => $order->get_id(),
				'amount'   => '49.00',
			)
		);
		$this->assertInstanceOf( \WC_Order_Refund::class, $refund );

		$event = $this->only_event( 'refund' );
		$this->assertEquals( 49, $event['commerce']['value'] );
		$this->assertEquals( 0, $event['properties']['remaining_value'] );
		$this->assertSame( 'full', $event['properties']['refund_type'] );
	}

	public function test_refund_with_shipping_line(): void {
		$order    = $this->paid_order();
		$shipping = array_key_first( $order->get_shipping_methods() );
		$this->assertNotNull( $shipping );
		wc_create_refund(
			array(
				'order_id'   => $order->get_id(),
				'amount'     => '5.00',
				'line_items' => array(
					$shipping => array(
						'qty'          => 0,
						'refund_total' => '5.00',
					),
				),
			)
		);

		$event = $this->only_event( 'refund' );
		$this->assertEquals( 5, $event['commerce']['shipping'] );
		$this->assertEquals( 44, $event['properties']['remaining_value'] );
		$this->assertArrayNotHasKey( 'items', $event['commerce'] );
	}

	public function test_a_refund_recorded_late_reports_the_value_left_at_that_refund(): void {
		$order = $this->paid_order();
		$this->add_test_filter( 'pre_option_layersync_commerce_events', static fn() => array( 'purchase' ) );
		$first  = wc_create_refund(
			array(
				'order_id' => $order->get_id(),
				'amount'   => '10.00',
			)
		);
		$second = wc_create_refund(
			array(
				'order_id' => $order->get_id(),
				'amount'   => '15.00',
			)
		);
		remove_all_filters( 'pre_option_layersync_commerce_events' );
		$this->assertInstanceOf( \WC_Order_Refund::class, $first );
		$this->assertInstanceOf( \WC_Order_Refund::class, $second );
		$this->assertSame( array(), $this->events( 'refund' ) );

		$this->assertSame( 'queued', $this->commerce()->refunds()->record( $first->get_id() ) );

		$this->assertEquals( 39, $this->only_event( 'refund' )['properties']['remaining_value'], '49 - 10, not 49 - 25' );
	}

	public function test_no_refund_without_a_recorded_purchase(): void {
		$order = $this->checkout_order();
		$this->submit_classic_checkout( $order );
		$this->add_test_filter( 'pre_option_layersync_commerce_events', static fn() => array( 'refund' ) );
		$this->reload( $order )->payment_complete( 'txn' );

		$refund = wc_create_refund(
			array(
				'order_id' => $order->get_id(),
				'amount'   => '10.00',
			)
		);

		$this->assertInstanceOf( \WC_Order_Refund::class, $refund );
		$this->assertSame( array(), $this->events( 'refund' ) );
		$this->assertSame( RefundEvents::NO_PURCHASE, $this->commerce()->refunds()->record( $refund->get_id() ) );
	}

	/**
	 * A checkout order, paid (its purchase recorded).
	 *
	 * @return \WC_Order
	 */
	private function paid_order(): \WC_Order {
		$order = $this->checkout_order();
		$this->submit_classic_checkout( $order );
		$this->reload( $order )->payment_complete( 'txn_paid' );
		$this->assertCount( 1, $this->events( 'purchase' ) );
		return $this->reload( $order );
	}
}
