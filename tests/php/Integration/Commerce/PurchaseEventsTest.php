<?php
/**
 * One purchase per order, whatever the path and however many hooks see it.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Integration\Commerce;

use LayerSync\Internal\Commerce\CommerceSettings;
use LayerSync\Internal\Commerce\EventIds;
use LayerSync\Internal\Commerce\OrderIdentity;
use LayerSync\Internal\Commerce\PurchaseEvents;
use LayerSync\Internal\Event\EventRecorder;
use LayerSync\Internal\Outbox\OutboxTable;
use PHPUnit\Framework\Attributes\PreserveGlobalState;
use PHPUnit\Framework\Attributes\RunTestsInSeparateProcesses;

#[RunTestsInSeparateProcesses]
#[PreserveGlobalState( false )]
final class PurchaseEventsTest extends CommerceTestCase {

	public function test_a_paid_order_is_recorded_once_whatever_fires_afterwards(): void {
		$order = $this->checkout_order();
		$this->submit_classic_checkout( $order );
		$this->assertSame( array(), $this->events( 'purchase' ) );

		$this->reload( $order )->payment_complete( 'txn_1' );

		$event_id = 'wc-order-' . get_current_blog_id() . '-' . $order->get_id() . '-purchase';
		$this->assertSame( EventIds::purchase( $order->get_id() ), $event_id );
		$purchase = $this->only_event( 'purchase' );
		$this->assertSame( $event_id, $purchase['event_id'] );
		$this->assertSame( 'server', $purchase['source'] );
		$paid = $this->reload( $order )->get_date_paid();
		$this->assertNotNull( $paid );
		$this->assertSame( $paid->getTimestamp(), $purchase['event_time'] );
		$this->assertEquals(
			array(
				'order_id' => (string) $order->get_id(),
				'value'    => 49,
				'currency' => 'EUR',
				'tax'      => 4,
				'shipping' => 5,
				'items'    => array(
					array(
						'id'       => 'SHIRT-1',
						'name'     => 'Linen Shirt',
						'price'    => 20,
						'quantity' => 2,
						'category' => 'Clothing > Shirts',
					),
				),
			),
			$purchase['commerce']
		);
		$this->assertSame( 'stripe', $purchase['properties']['payment_method'] );
		$this->assertSame( 'paid', $purchase['properties']['purchase_timing'] );
		$this->assertSame( 'woocommerce_order_status_processing', $purchase['properties']['trigger'], 'payment_complete() saves the processing status first' );
		$reloaded = $this->reload( $order );
		$this->assertGreaterThan( 0, (int) $reloaded->get_meta( PurchaseEvents::META_RECORDED ) );
		$this->assertSame( $event_id, $reloaded->get_meta( PurchaseEvents::META_EVENT_ID ) );

		// Every other way the order can be seen again.
		$this->submit_classic_checkout( $this->reload( $order ) );
		do_action( 'woocommerce_store_api_checkout_order_processed', $this->reload( $order ) );
		$this->reload( $order )->payment_complete( 'txn_1' );
		do_action( 'woocommerce_payment_complete', $order->get_id(), 'txn_1' );
		do_action( 'woocommerce_thankyou', $order->get_id() );
		$this->reload( $order )->update_status( 'completed' );
		$this->assertSame( PurchaseEvents::RECORDED_BEFORE, $this->commerce()->purchases()->maybe_record( $this->reload( $order ), 'test' ) );

		$this->assertCount( 1, $this->events( 'purchase' ) );
		$this->assert_outbox_matches_the_contract();
		$this->assert_no_raw_pii_stored();
	}

	public function test_bank_transfer_waits_until_paid_by_default(): void {
		$order = $this->checkout_order( 'bacs' );
		$this->submit_classic_checkout( $order );
		$this->reload( $order )->update_status( 'on-hold' );
		$this->assertSame( array(), $this->events( 'purchase' ), 'placed, not paid' );

		// Days later the merchant sees the money and marks it processing, in wp-admin.
		$this->no_browser();
		$this->reload( $order )->update_status( 'processing' );

		$purchase = $this->only_event( 'purchase' );
		$this->assertSame( 'paid', $purchase['properties']['purchase_timing'] );
		$this->assertSame( 'woocommerce_order_status_processing', $purchase['properties']['trigger'] );
		$this->assertSame( self::FBP, $purchase['identity']['fbp'], 'still the customer\'s ids from checkout' );
	}

	public function test_bank_transfer_set_to_when_placed_is_sent_when_the_order_goes_on_hold(): void {
		$this->add_test_filter(
			'pre_option_' . CommerceSettings::OPTION_TIMING,
			static fn() => array(
				'bacs'   => 'placed',
				'cheque' => 'paid',
				'cod'    => 'paid',
			)
		);
		$order = $this->checkout_order( 'bacs' );
		$this->submit_classic_checkout( $order );
		$this->assertSame( array(), $this->events( 'purchase' ), 'pending: the customer has not finished' );

		$this->reload( $order )->update_status( 'on-hold' );

		$purchase = $this->only_event( 'purchase' );
		$this->assertSame( 'placed', $purchase['properties']['purchase_timing'] );
		$created = $this->reload( $order )->get_date_created();
		$this->assertNotNull( $created );
		$this->assertSame( $created->getTimestamp(), $purchase['event_time'] );

		$this->reload( $order )->update_status( 'processing' );
		$this->assertCount( 1, $this->events( 'purchase' ) );
	}

	public function test_cash_on_delivery_is_paid_when_completed_or_placed_when_processing(): void {
		$cod = $this->checkout_order( 'cod' );
		$this->submit_classic_checkout( $cod );
		$this->reload( $cod )->update_status( 'processing' );
		$this->assertSame( array(), $this->events( 'purchase' ), 'processing is not cash in hand' );
		$this->reload( $cod )->update_status( 'completed' );
		$this->assertCount( 1, $this->events( 'purchase' ) );

		self::clear_outbox();
		$this->add_test_filter(
			'pre_option_' . CommerceSettings::OPTION_TIMING,
			static fn() => array(
				'bacs'   => 'paid',
				'cheque' => 'paid',
				'cod'    => 'placed',
			)
		);
		$placed = $this->checkout_order( 'cod' );
		$this->submit_classic_checkout( $placed );
		$this->reload( $placed )->update_status( 'processing' );
		$this->assertSame( 'placed', $this->only_event( 'purchase' )['properties']['purchase_timing'] );
	}

	public function test_an_order_created_in_wp_admin_is_recorded_without_the_merchants_browser(): void {
		$merchant_consent = array(
			'ad_storage'         => 'denied',
			'analytics_storage'  => 'denied',
			'ad_user_data'       => 'denied',
			'ad_personalization' => 'denied',
			'do_not_sell'        => true,
		);
		$this->customer_browser( $merchant_consent );
		$_COOKIE['_fbp']            = 'fb.1.1700000000000.merchant';
		$_SERVER['HTTP_USER_AGENT'] = 'Merchant Browser';
		wp_set_current_user( $this->admin() );
		$this->in_wp_admin();

		$order = $this->checkout_order( 'bacs', 'admin' );
		$order->update_status( 'processing', 'Paid by bank transfer', true );

		$purchase = $this->only_event( 'purchase' );
		$this->assertSame( 'admin', $purchase['properties']['created_via'] );
		$this->assertSame( self::customer_hashes()['em'], $purchase['identity']['em'] );
		$this->assertArrayNotHasKey( 'fbp', $purchase['identity'] );
		$this->assertArrayNotHasKey( 'user_agent', $purchase['context'] ?? array() );
		$this->assertNotSame( $merchant_consent, $purchase['consent'] ?? null );
		$this->assertSame( '', $this->reload( $order )->get_meta( OrderIdentity::META_CAPTURE ) );
		$this->assert_outbox_matches_the_contract();
	}

	public function test_pay_for_order_link_captures_the_customer_and_records_once_paid(): void {
		wp_set_current_user( $this->admin() );
		$this->no_browser();
		$order = $this->checkout_order( '', 'admin' );
		wp_set_current_user( 0 );

		// The customer opens the link and pays (WC_Form_Handler::pay_action(): the hook, then the
		// gateway, whose success redirects and exits before woocommerce_after_pay_action).
		$this->customer_browser();
		$_POST    = array(
			'woocommerce_pay'       => '1',
			'woocommerce-pay-nonce' => wp_create_nonce( 'woocommerce-pay' ),
			'payment_method'        => 'stripe',
		);
		$_REQUEST = $_POST; // phpcs:ignore WordPress.Security.NonceVerification.Missing -- the test builds the request.
		$order    = $this->reload( $order );
		do_action( 'woocommerce_before_pay_action', $order );
		$order->set_payment_method( 'stripe' );
		$order->set_payment_method_title( 'Credit card' );
		$order->save();
		$order->payment_complete( 'txn_pay' );
		$_POST    = array();
		$_REQUEST = array();

		$capture = $this->reload( $order )->get_meta( OrderIdentity::META_CAPTURE );
		$this->assertIsArray( $capture );
		$this->assertSame( 'pay_for_order', $capture['via'] );
		$purchase = $this->only_event( 'purchase' );
		$this->assertSame( self::FBP, $purchase['identity']['fbp'] );
		$this->assertSame( self::CONSENT_GRANTED, $purchase['consent'] );
		$payment = $this->only_event( 'add_payment_info' );
		$this->assertSame( 'stripe', $payment['properties']['payment_type'], 'the gateway chosen in the form' );
		$this->assertSame( self::FBP, $payment['identity']['fbp'] );
		$this->assert_outbox_matches_the_contract();

		// A failed attempt later (woocommerce_after_pay_action) adds nothing: same order, same id.
		do_action( 'woocommerce_after_pay_action', $this->reload( $order ) );
		$this->assertCount( 1, $this->events( 'add_payment_info' ) );
	}

	public function test_thank_you_page_prints_the_purchase_once_and_never_records_it_again(): void {
		$order = $this->checkout_order();
		$this->submit_classic_checkout( $order );
		$this->reload( $order )->payment_complete( 'txn_2' );

		$first = $this->thank_you_page( $this->reload( $order ) );
		do_action( 'woocommerce_thankyou', $order->get_id() );
		$second = $this->thank_you_page( $this->reload( $order ) );
		do_action( 'woocommerce_thankyou', $order->get_id() );

		$this->assertIsArray( $first );
		$this->assertSame( EventIds::purchase( $order->get_id() ), $first['event_id'] );
		$this->assertSame( 'purchase', $first['event_name'] );
		$this->assertSame( (string) $order->get_id(), $first['order_id'] );
		$this->assertEquals( 49, $first['value'] );
		$this->assertSame( 'EUR', $first['currency'] );
		$this->assertSame( 'SHIRT-1', $first['items'][0]['id'] );
		$this->assertNull( $second, 'a revisit prints nothing for the pixels' );
		$this->assertCount( 1, $this->events( 'purchase' ) );
		$this->assertSame( $first['event_id'], array_key_first( $this->events( 'purchase' ) ) );
	}

	public function test_thank_you_page_records_a_due_purchase_and_prints_nothing_for_an_unpaid_one(): void {
		$paid = $this->checkout_order();
		$this->submit_classic_checkout( $paid );
		$this->without_purchase_hooks( fn() => $this->reload( $paid )->payment_complete( 'txn_3' ) );
		$this->assertSame( array(), $this->events( 'purchase' ) );

		$printed = $this->thank_you_page( $this->reload( $paid ) );
		$this->assertIsArray( $printed, 'the thank-you page is itself a trigger' );
		$this->assertSame( 'order_received_page', $this->only_event( 'purchase' )['properties']['trigger'] );

		self::clear_outbox();
		$unpaid = $this->checkout_order( 'bacs' );
		$this->submit_classic_checkout( $unpaid );
		$this->reload( $unpaid )->update_status( 'on-hold' );
		$this->assertNull( $this->thank_you_page( $this->reload( $unpaid ) ) );
		$this->assertSame( array(), $this->events( 'purchase' ) );
	}

	public function test_thank_you_page_with_a_wrong_key_or_long_after_prints_nothing(): void {
		$order = $this->checkout_order();
		$this->submit_classic_checkout( $order );
		$this->reload( $order )->payment_complete( 'txn_4' );

		$this->assertNull( $this->thank_you_page( $this->reload( $order ), 'wc_order_wrongkey' ) );

		$late = $this->reload( $order );
		$late->update_meta_data( PurchaseEvents::META_RECORDED, (string) ( time() - PurchaseEvents::BROWSER_WINDOW - 60 ) );
		$late->save();
		$this->assertNull( $this->thank_you_page( $this->reload( $order ) ), 'outside the pixels\' dedup window' );
	}

	public function test_the_marker_keeps_it_single_after_the_outbox_row_is_purged(): void {
		$order = $this->checkout_order();
		$this->submit_classic_checkout( $order );
		$this->reload( $order )->payment_complete( 'txn_5' );
		self::clear_outbox();

		$this->reload( $order )->update_status( 'completed' );
		do_action( 'woocommerce_thankyou', $order->get_id() );

		$this->assertSame( array(), $this->events( 'purchase' ) );
	}

	public function test_a_crashed_winner_is_healed_by_the_next_trigger(): void {
		$order = $this->checkout_order();
		$this->submit_classic_checkout( $order );
		// The first request inserted the purchase and died before writing the marker.
		$this->without_purchase_hooks( fn() => $this->reload( $order )->payment_complete( 'txn_6' ) );
		$plugin = \LayerSync\Plugin::instance();
		$this->assertNotNull( $plugin );
		$plugin->recorder()->record(
			array(
				'event_id'   => EventIds::purchase( $order->get_id() ),
				'event_name' => 'purchase',
				'event_time' => time(),
				'source'     => 'server',
			)
		);
		global $wpdb;

		// Seconds after the insert: it may still be writing the marker, leave it.
		$this->assertSame( PurchaseEvents::DUPLICATE, $this->commerce()->purchases()->maybe_record( $this->reload( $order ), 'test' ) );
		$this->assertSame( '', $this->reload( $order )->get_meta( PurchaseEvents::META_RECORDED ) );

		$wpdb->query( $wpdb->prepare( 'UPDATE %i SET created_at = %s', OutboxTable::name(), gmdate( 'Y-m-d H:i:s', time() - 120 ) ) );
		$this->assertSame( PurchaseEvents::DUPLICATE, $this->commerce()->purchases()->maybe_record( $this->reload( $order ), 'test' ) );
		$this->assertNotSame( '', $this->reload( $order )->get_meta( PurchaseEvents::META_RECORDED ) );
		$this->assertCount( 1, $this->events( 'purchase' ) );
	}

	public function test_an_order_paid_long_ago_is_not_sent_now(): void {
		$order = $this->checkout_order();
		$order->set_date_paid( time() - 10 * 86400 );
		$order->save();
		$this->without_purchase_hooks( fn() => $this->reload( $order )->update_status( 'processing' ) );

		$this->reload( $order )->update_status( 'completed' );

		$this->assertSame( array(), $this->events( 'purchase' ) );
		$this->assertSame( PurchaseEvents::TOO_OLD, $this->commerce()->purchases()->maybe_record( $this->reload( $order ), 'test' ) );
	}

	public function test_nothing_is_recorded_when_purchases_are_off(): void {
		$this->add_test_filter( 'pre_option_' . CommerceSettings::OPTION_EVENTS, static fn() => array( 'add_to_cart' ) );
		$order = $this->checkout_order();
		$this->submit_classic_checkout( $order );
		$this->reload( $order )->payment_complete( 'txn_7' );

		$this->assertSame( array(), self::outbox_rows() );
		$this->assertSame( PurchaseEvents::DISABLED, $this->commerce()->purchases()->maybe_record( $this->reload( $order ), 'test' ) );
	}

	public function test_recording_reports_a_rejected_event_without_marking_the_order(): void {
		$this->add_test_filter( 'layersync_event_payload', static fn( $event ) => 'purchase' === ( $event['event_name'] ?? '' ) ? false : $event );
		$order = $this->checkout_order();
		$this->submit_classic_checkout( $order );
		$this->reload( $order )->payment_complete( 'txn_8' );

		$this->assertSame( EventRecorder::REJECTED, $this->commerce()->purchases()->maybe_record( $this->reload( $order ), 'test' ) );
		$this->assertSame( '', $this->reload( $order )->get_meta( PurchaseEvents::META_RECORDED ) );
	}

	/**
	 * Renders the tracker configuration of the order-received page for an order.
	 *
	 * @param \WC_Order   $order Order.
	 * @param string|null $key   Order key in the URL (the order's by default).
	 * @return array<string, mixed>|null LayerSyncConfig.purchase, or null when not printed.
	 */
	private function thank_you_page( \WC_Order $order, ?string $key = null ): ?array {
		global $wp, $wp_query, $wp_the_query;
		$wp_query                         = new \WP_Query( array( 'page_id' => self::$pages['checkout'] ) ); // phpcs:ignore WordPress.WP.GlobalVariablesOverride.Prohibited -- the page being rendered.
		$wp_the_query                     = $wp_query; // phpcs:ignore WordPress.WP.GlobalVariablesOverride.Prohibited
		$wp->query_vars['order-received'] = (string) $order->get_id();
		$_GET['key']                      = $key ?? $order->get_order_key();
		$this->assertTrue( is_order_received_page() );
		$config = $this->commerce()->page_data()->config();
		unset( $wp->query_vars['order-received'], $_GET['key'] ); // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- the test sets it.
		$purchase = $config['purchase'] ?? null;
		return is_array( $purchase ) ? $purchase : null;
	}

	/**
	 * Runs $change with LayerSync's purchase hooks removed (an order paid before LayerSync was
	 * there, or a request that died before recording).
	 *
	 * @param callable $change Change.
	 */
	private function without_purchase_hooks( callable $change ): void {
		$this->add_test_filter( 'pre_option_' . CommerceSettings::OPTION_EVENTS, static fn() => array() );
		$change();
		remove_all_filters( 'pre_option_' . CommerceSettings::OPTION_EVENTS );
	}

	/**
	 * An administrator.
	 *
	 * @return int
	 */
	private function admin(): int {
		$user = get_user_by( 'login', 'admin' );
		$this->assertInstanceOf( \WP_User::class, $user );
		return $user->ID;
	}

	/**
	 * The request is a wp-admin screen.
	 */
	private function in_wp_admin(): void {
		require_once ABSPATH . 'wp-admin/includes/class-wp-screen.php';
		require_once ABSPATH . 'wp-admin/includes/screen.php';
		set_current_screen( 'edit-shop_order' );
		$this->assertTrue( is_admin() );
	}
}
