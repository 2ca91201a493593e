<?php
/**
 * Cart events (add_to_cart, remove_from_cart) on every path a shopper changes the cart.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Integration\Commerce;

use LayerSync\Internal\Commerce\BrowserHandoff;
use LayerSync\Internal\Commerce\CommerceSettings;
use LayerSync\Internal\Event\EventId;
use LayerSync\Internal\Settings;
use PHPUnit\Framework\Attributes\PreserveGlobalState;
use PHPUnit\Framework\Attributes\RunTestsInSeparateProcesses;

#[RunTestsInSeparateProcesses]
#[PreserveGlobalState( false )]
final class CartEventsTest extends CommerceTestCase {

	public function test_product_form_add_records_one_add_to_cart_and_hands_its_id_to_the_browser(): void {
		$product                = $this->product();
		$_SERVER['REQUEST_URI'] = '/product/linen-shirt/';

		$key = WC()->cart->add_to_cart( $product->get_id(), 2 );

		$this->assertIsString( $key );
		$event = $this->only_event( 'add_to_cart' );
		$this->assertMatchesRegularExpression( EventId::UUID7_PATTERN, $event['event_id'] );
		$this->assertSame( 'server', $event['source'] );
		// JSON numbers: 40.0 is stored as 40.
		$this->assertEquals(
			array(
				'value'    => 40,
				'currency' => 'EUR',
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
			$event['commerce']
		);
		$this->assertSame( self::CONSENT_GRANTED, $event['consent'] );
		$this->assertSame( home_url( '/product/linen-shirt/' ), $event['context']['url'] );
		$this->assertSame( self::USER_AGENT, $event['context']['user_agent'] );
		$this->assertSame( self::CUSTOMER_IP, $event['context']['ip'] );
		$this->assertSame( self::FBP, $event['identity']['fbp'] );
		$this->assertSame( self::FBC, $event['identity']['fbc'] );
		$this->assertSame( self::GCLID, $event['identity']['gclid'], 'the tracker\'s landing click id wins over _gcl_aw' );
		$this->assertSame( self::TTCLID, $event['identity']['ttclid'] );
		$this->assertSame( '1234567890.1700000000', $event['identity']['ga_client_id'] );
		$this->assertSame( '1700000500', $event['identity']['ga_session_id'] );
		$this->assertArrayNotHasKey( 'scid', $event['identity'], 'expired landing ids and the Snap browser cookie are not a click id' );
		$this->assert_outbox_matches_the_contract();

		// The browser half: the same id, in the cookie the tracker reads.
		$handed = $this->commerce()->handoff()->handed();
		$this->assertCount( 1, $handed );
		$this->assertSame( $event['event_id'], $handed[0]['event_id'] );
		$this->assertSame( 'add_to_cart', $handed[0]['event_name'] );
		$this->assertSame( 'woocommerce:add_to_cart', $handed[0]['source'] );
		$this->assertEquals( $event['commerce'], $handed[0]['commerce'] );
		$cookie = json_decode( wp_unslash( (string) $_COOKIE[ BrowserHandoff::COOKIE ] ), true );
		$this->assertIsArray( $cookie );
		$this->assertSame( $event['event_id'], $cookie[0]['event_id'] );
	}

	public function test_adding_a_product_already_in_the_cart_is_one_event_for_the_added_quantity(): void {
		$product = $this->product();
		WC()->cart->add_to_cart( $product->get_id(), 1 );
		self::clear_outbox();

		// WC_Cart::add_to_cart() fires woocommerce_after_cart_item_quantity_update, then woocommerce_add_to_cart.
		WC()->cart->add_to_cart( $product->get_id(), 3 );

		$event = $this->only_event( 'add_to_cart' );
		$this->assertSame( 3, $event['commerce']['items'][0]['quantity'] );
		$this->assertEquals( 60, $event['commerce']['value'] );
		$this->assertCount( 2, $this->commerce()->handoff()->pending(), 'both adds are waiting for the tracker' );
	}

	public function test_the_cookie_is_shared_with_other_server_events_and_keeps_theirs(): void {
		$lead                              = array(
			'event_id'   => '0193a0b4-1c2d-7e3f-8a4b-5c6d7e8f9a0b',
			'event_name' => 'lead',
			'source'     => 'cf7:12',
			't'          => time() - 10,
		);
		$_COOKIE[ BrowserHandoff::COOKIE ] = wp_slash( (string) wp_json_encode( array( $lead ) ) );

		WC()->cart->add_to_cart( $this->product()->get_id(), 1 );

		$pending = $this->commerce()->handoff()->pending();
		$this->assertSame( array( 'lead', 'add_to_cart' ), array_column( $pending, 'event_name' ) );
		$this->assertSame( $lead, $pending[0] );
		// The lead forms' own reader accepts the cart entry too.
		$this->assertSame( array( 'cf7:12', 'woocommerce:add_to_cart' ), array_column( \LayerSync\Internal\Forms\BrowserHandoff::read_cookie(), 'source' ) );
	}

	public function test_ajax_add_to_cart_button(): void {
		$product                 = $this->product();
		$_SERVER['HTTP_REFERER'] = home_url( '/shop/' );
		$_POST                   = array(
			'product_id' => (string) $product->get_id(),
			'quantity'   => '1',
		);
		$answer                  = $this->ajax( array( \WC_AJAX::class, 'add_to_cart' ) );
		$_POST                   = array();

		$this->assertArrayHasKey( 'fragments', $answer );
		$event = $this->only_event( 'add_to_cart' );
		$this->assertSame( home_url( '/shop/' ), $event['context']['url'], 'the page that sent the AJAX request' );
		$this->assertSame( 1, $event['commerce']['items'][0]['quantity'] );
		$this->assertSame( $event['event_id'], $this->commerce()->handoff()->handed()[0]['event_id'] );
		$this->assert_outbox_matches_the_contract();
	}

	public function test_store_api_of_the_cart_blocks_adds_updates_and_removes(): void {
		$product = $this->product();
		$nonce   = array( 'Nonce' => wp_create_nonce( 'wc_store_api' ) );

		// New line: CartController fires woocommerce_add_to_cart.
		$response = $this->rest(
			'POST',
			'/wc/store/v1/cart/add-item',
			array(
				'id'       => $product->get_id(),
				'quantity' => 2,
			),
			$nonce
		);
		$this->assertSame( 200, $response->get_status(), (string) wp_json_encode( $response->get_data() ) );
		$key = (string) $response->get_data()['items'][0]['key'];

		// Same product again: CartController only calls set_quantity() (no woocommerce_add_to_cart).
		$this->rest(
			'POST',
			'/wc/store/v1/cart/add-item',
			array(
				'id'       => $product->get_id(),
				'quantity' => 1,
			),
			$nonce
		);
		// Quantity 3 → 1.
		$this->rest(
			'POST',
			'/wc/store/v1/cart/update-item',
			array(
				'key'      => $key,
				'quantity' => 1,
			),
			$nonce
		);
		$this->rest( 'POST', '/wc/store/v1/cart/remove-item', array( 'key' => $key ), $nonce );

		$changes = array();
		foreach ( self::outbox_rows() as $row ) {
			$payload   = json_decode( (string) $row['payload'], true );
			$changes[] = array( $row['event_name'], $payload['commerce']['items'][0]['quantity'] ?? null );
		}
		$this->assertSame(
			array(
				array( 'add_to_cart', 2 ),
				array( 'add_to_cart', 1 ),
				array( 'remove_from_cart', 2 ),
				array( 'remove_from_cart', 1 ),
			),
			$changes
		);
		$this->assertCount( 4, $this->commerce()->handoff()->handed() );
		$this->assert_outbox_matches_the_contract();
	}

	public function test_cart_page_quantity_zero_restore_and_removal(): void {
		$product = $this->product();
		$key     = (string) WC()->cart->add_to_cart( $product->get_id(), 2 );
		self::clear_outbox();

		WC()->cart->set_quantity( $key, 0 );
		WC()->cart->restore_cart_item( $key );
		WC()->cart->remove_cart_item( $key );

		$this->assertSame( array( 'remove_from_cart', 'add_to_cart', 'remove_from_cart' ), array_column( self::outbox_rows(), 'event_name' ) );
		foreach ( $this->events() as $event ) {
			$this->assertSame( 2, $event['commerce']['items'][0]['quantity'] );
		}
	}

	public function test_variation_is_identified_by_its_own_sku_or_id(): void {
		$parent = new \WC_Product_Variable();
		$parent->set_name( 'Hoodie' );
		$parent->set_sku( 'HOODIE' );
		$parent->set_category_ids( $this->categories( array( 'Clothing', 'Hoodies' ) ) );
		$parent->save();
		$blue = new \WC_Product_Variation();
		$blue->set_parent_id( $parent->get_id() );
		$blue->set_regular_price( '35.00' );
		$blue->set_attributes(
			array(
				'pa_color' => 'Blue',
				'pa_size'  => 'XL',
			)
		);
		$blue->save();

		WC()->cart->add_to_cart( $parent->get_id(), 1, $blue->get_id() );

		$item = $this->only_event( 'add_to_cart' )['commerce']['items'][0];
		$this->assertSame( (string) $blue->get_id(), $item['id'], 'not the SKU it inherits from its parent for display' );
		$this->assertSame( 'Hoodie', $item['name'] );
		$this->assertSame( 'Blue, XL', $item['variant'] );
		$this->assertSame( 'Clothing > Hoodies', $item['category'] );
	}

	public function test_nothing_is_recorded_when_cart_events_are_off(): void {
		$this->add_test_filter( 'pre_option_' . CommerceSettings::OPTION_EVENTS, static fn() => array( 'purchase', 'refund' ) );
		$key = (string) WC()->cart->add_to_cart( $this->product()->get_id(), 1 );
		WC()->cart->remove_cart_item( $key );

		$this->assertSame( array(), self::outbox_rows() );
		$this->assertSame( array(), $this->commerce()->handoff()->handed() );
	}

	public function test_a_switched_off_cart_event_sent_by_the_browser_is_refused_too(): void {
		// The tracker records add_to_cart's browser half itself; a page cached before the switch
		// was turned off still sends it.
		$this->add_test_filter( 'pre_option_' . CommerceSettings::OPTION_EVENTS, static fn() => array( 'purchase', 'refund' ) );
		$response = $this->rest( 'POST', '/layersync/v1/events', array( 'events' => array( self::browser_event( array( 'event_name' => 'add_to_cart' ) ) ) ) );

		$this->assertSame( 'rejected', $response->get_data()['results'][0]['status'] );
		$this->assertSame( 'add_to_cart events are switched off on this site (LayerSync → Events)', $response->get_data()['results'][0]['reason'] );
		$this->assertSame( array(), self::outbox_rows() );

		// The Events screen knows WooCommerce runs, so it does not say its events never happen.
		$admin = wp_insert_user(
			array(
				'user_login' => 'layersync_admin_' . wp_generate_password( 6, false ),
				'user_pass'  => wp_generate_password(),
				'role'       => 'administrator',
			)
		);
		$this->assertIsInt( $admin );
		wp_set_current_user( $admin );
		$settings = $this->rest( 'GET', '/layersync/v1/admin/settings' )->get_data();
		require_once ABSPATH . 'wp-admin/includes/user.php';
		wp_delete_user( $admin );
		$this->assertTrue( $settings['woocommerce_active'] );
		$this->assertSame( array( 'purchase', 'refund' ), $settings['commerce_events'] );
	}

	public function test_without_consent_no_ids_are_read_and_no_cookie_is_written(): void {
		$denied = array_fill_keys( array( 'ad_storage', 'analytics_storage', 'ad_user_data', 'ad_personalization' ), 'denied' ) + array( 'do_not_sell' => false );
		$this->customer_browser( $denied );

		WC()->cart->add_to_cart( $this->product()->get_id(), 1 );

		$event = $this->only_event( 'add_to_cart' );
		$this->assertSame( $denied, $event['consent'] );
		$this->assertArrayNotHasKey( 'identity', $event, 'no click or browser id without ad_storage / analytics_storage' );
		$this->assertSame( array(), $this->commerce()->handoff()->handed() );
		$this->assertArrayNotHasKey( BrowserHandoff::COOKIE, $_COOKIE );
	}

	public function test_without_the_tracker_cookie_the_sites_consent_policy_decides(): void {
		$this->customer_browser();
		unset( $_COOKIE['layersync_consent'] );
		$this->add_test_filter( 'pre_option_' . Settings::OPTION_CONSENT_DEFAULT, static fn() => 'denied' );

		WC()->cart->add_to_cart( $this->product()->get_id(), 1 );

		$event = $this->only_event( 'add_to_cart' );
		foreach ( array( 'ad_storage', 'analytics_storage', 'ad_user_data', 'ad_personalization' ) as $signal ) {
			$this->assertSame( 'denied', $event['consent'][ $signal ] );
		}
		$this->assertArrayNotHasKey( 'fbp', $event['identity'] ?? array() );
	}

	public function test_strict_consent_mode_records_nothing_without_consent(): void {
		if ( ! defined( Settings::class . '::OPTION_REQUIRE_CONSENT' ) ) {
			$this->markTestSkipped( 'strict consent mode is not part of this build' );
		}
		$this->add_test_filter( 'pre_option_layersync_require_consent', static fn() => '1' );
		$this->customer_browser( array_fill_keys( array( 'ad_storage', 'analytics_storage', 'ad_user_data', 'ad_personalization' ), 'denied' ) + array( 'do_not_sell' => false ) );

		WC()->cart->add_to_cart( $this->product()->get_id(), 1 );

		$this->assertSame( array(), self::outbox_rows() );
	}

	/**
	 * Runs a WooCommerce AJAX handler the way admin-ajax / wc-ajax does, stopping at its
	 * wp_send_json() (whose wp_die() would end the process) and returning the JSON it sent.
	 *
	 * @param callable $handler Handler.
	 * @return array<string, mixed>
	 */
	private function ajax( callable $handler ): array {
		$this->add_test_filter( 'wp_doing_ajax', '__return_true' );
		$this->add_test_filter(
			'wp_die_ajax_handler',
			static fn() => static function (): void {
				throw new \RuntimeException( 'wp_die' );
			}
		);
		$level = ob_get_level();
		ob_start();
		try {
			$handler();
		} catch ( \RuntimeException $e ) {
			$this->assertSame( 'wp_die', $e->getMessage() );
		}
		$output = '';
		while ( ob_get_level() > $level ) {
			$output = (string) ob_get_clean() . $output;
		}
		$answer = json_decode( $output, true );
		$this->assertIsArray( $answer, $output );
		return $answer;
	}
}
