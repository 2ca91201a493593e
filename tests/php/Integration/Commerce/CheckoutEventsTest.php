<?php
/**
 * Identity and consent captured at checkout, carried by later events without a browser.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Integration\Commerce;

use LayerSync\Internal\Commerce\EventIds;
use LayerSync\Internal\Commerce\OrderIdentity;
use LayerSync\Internal\Settings;
use PHPUnit\Framework\Attributes\PreserveGlobalState;
use PHPUnit\Framework\Attributes\RunTestsInSeparateProcesses;

#[RunTestsInSeparateProcesses]
#[PreserveGlobalState( false )]
final class CheckoutEventsTest extends CommerceTestCase {

	public function test_classic_checkout_captures_hashed_identity_click_ids_consent_and_context_on_the_order(): void {
		$order = $this->checkout_order();

		$this->submit_classic_checkout( $order );

		$order    = $this->reload( $order );
		$identity = $order->get_meta( OrderIdentity::META_IDENTITY );
		$this->assertIsArray( $identity );
		foreach ( self::customer_hashes() as $key => $hash ) {
			$this->assertSame( $hash, $identity[ $key ] ?? null, "identity.$key" );
		}
		$this->assertSame( self::FBP, $identity['fbp'] );
		$this->assertSame( self::FBC, $identity['fbc'] );
		$this->assertSame( self::GCLID, $identity['gclid'] );
		$this->assertSame( self::TTCLID, $identity['ttclid'] );
		$this->assertSame( '1234567890.1700000000', $identity['ga_client_id'] );
		$this->assertSame( self::CONSENT_GRANTED, $order->get_meta( OrderIdentity::META_CONSENT ) );
		$context = $order->get_meta( OrderIdentity::META_CONTEXT );
		$this->assertIsArray( $context );
		$this->assertSame( wc_get_checkout_url(), $context['url'] );
		$this->assertSame( self::USER_AGENT, $context['user_agent'] );
		$this->assertSame( self::CUSTOMER_IP, $context['ip'] );
		$this->assertFalse( $context['ip_anonymized'] );
		$capture = $order->get_meta( OrderIdentity::META_CAPTURE );
		$this->assertIsArray( $capture );
		$this->assertSame( 'checkout', $capture['via'] );

		$this->assertSame( array(), $this->events( 'purchase' ), 'a pending order is not a purchase yet' );
		$this->assert_no_raw_pii_stored();
	}

	public function test_checkout_steps_are_recorded_once_per_order_with_deterministic_ids(): void {
		$order = $this->checkout_order();

		$this->submit_classic_checkout( $order );
		$this->submit_classic_checkout( $this->reload( $order ) );

		$shipping = $this->events( 'add_shipping_info' );
		$payment  = $this->events( 'add_payment_info' );
		$this->assertSame( array( EventIds::order_event( $order->get_id(), 'add_shipping_info' ) ), array_keys( $shipping ) );
		$this->assertSame( array( EventIds::order_event( $order->get_id(), 'add_payment_info' ) ), array_keys( $payment ) );
		$this->assertSame( 'wc-order-' . get_current_blog_id() . '-' . $order->get_id() . '-add_shipping_info', array_key_first( $shipping ) );
		$step = (array) reset( $shipping );
		$this->assertSame( 'Flat rate', $step['properties']['shipping_tier'] );
		$this->assertEquals( 40, $step['commerce']['value'], 'the lines, as begin_checkout' );
		$this->assertArrayNotHasKey( 'order_id', $step['commerce'] );
		$this->assertSame( 'Credit card', ( (array) reset( $payment ) )['properties']['payment_type'] );
		$this->assertSame( self::customer_hashes()['em'], $step['identity']['em'] );
		$this->assert_outbox_matches_the_contract();
	}

	public function test_block_checkout_captures_through_the_store_api_hook(): void {
		$order = $this->checkout_order( 'stripe', 'store-api' );

		do_action( 'woocommerce_store_api_checkout_order_processed', $order );

		$order   = $this->reload( $order );
		$capture = $order->get_meta( OrderIdentity::META_CAPTURE );
		$this->assertIsArray( $capture );
		$this->assertSame( 'store_api', $capture['via'] );
		$this->assertSame( self::FBP, $order->get_meta( OrderIdentity::META_IDENTITY )['fbp'] ?? null );
		$this->assertCount( 1, $this->events( 'add_payment_info' ) );
	}

	public function test_a_later_paid_status_from_a_gateway_callback_carries_the_checkout_identity_and_consent(): void {
		$order = $this->checkout_order();
		$this->submit_classic_checkout( $order );

		// Later, the gateway's webhook: another process, no cookies, the gateway's own address.
		$this->no_browser();
		$this->reload( $order )->payment_complete( 'txn_123' );

		$purchase = $this->only_event( 'purchase' );
		$this->assertSame( self::CONSENT_GRANTED, $purchase['consent'] );
		foreach ( self::customer_hashes() as $key => $hash ) {
			$this->assertSame( $hash, $purchase['identity'][ $key ] ?? null, "identity.$key" );
		}
		$this->assertSame( self::FBP, $purchase['identity']['fbp'] );
		$this->assertSame( self::GCLID, $purchase['identity']['gclid'] );
		$this->assertSame( self::USER_AGENT, $purchase['context']['user_agent'], 'the customer\'s, not the webhook\'s' );
		$this->assertSame( self::CUSTOMER_IP, $purchase['context']['ip'] );
		$this->assert_outbox_matches_the_contract();
		$this->assert_no_raw_pii_stored();
	}

	public function test_erasing_the_orders_personal_data_removes_the_capture(): void {
		$order = $this->checkout_order();
		$this->submit_classic_checkout( $order );
		$this->reload( $order )->payment_complete( 'txn' );

		// WC_Privacy_Erasers::remove_order_personal_data() fires this after anonymizing the order.
		do_action( 'woocommerce_privacy_remove_order_personal_data', $this->reload( $order ) );

		$order = $this->reload( $order );
		foreach ( array( OrderIdentity::META_IDENTITY, OrderIdentity::META_CONSENT, OrderIdentity::META_CONTEXT, OrderIdentity::META_CAPTURE ) as $key ) {
			$this->assertFalse( $order->meta_exists( $key ), $key );
		}
		$this->assertNotSame( '', $order->get_meta( \LayerSync\Internal\Commerce\PurchaseEvents::META_RECORDED ), 'the marker stays' );
	}

	public function test_ip_is_anonymized_at_capture_when_the_site_says_so(): void {
		$this->add_test_filter( 'pre_option_' . Settings::OPTION_ANONYMIZE_IP, static fn() => '1' );
		$order = $this->checkout_order();

		$this->submit_classic_checkout( $order );

		$context = $this->reload( $order )->get_meta( OrderIdentity::META_CONTEXT );
		$this->assertIsArray( $context );
		$this->assertSame( '203.0.113.0', $context['ip'] );
		$this->assertTrue( $context['ip_anonymized'] );
	}

	public function test_national_phone_numbers_take_the_billing_countrys_calling_code(): void {
		$order = $this->checkout_order();
		$order->set_billing_country( 'GB' );
		$order->set_billing_phone( '020 7946 0958' );
		$order->save();

		$this->submit_classic_checkout( $this->reload( $order ) );

		$identity = $this->reload( $order )->get_meta( OrderIdentity::META_IDENTITY );
		$this->assertIsArray( $identity );
		$this->assertSame( hash( 'sha256', '442079460958' ), $identity['ph'] );
		$this->assertSame( hash( 'sha256', '+442079460958' ), $identity['ph_e164'] );
	}
}
