<?php
/**
 * Base of the WooCommerce integration tests.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Integration\Commerce;

use LayerSync\Internal\Commerce\Integration;
use LayerSync\Plugin;
use LayerSync\Tests\Integration\IntegrationTestCase;
use LayerSync\Tests\Support\Commerce\WooCommerceStandIn;
use LayerSync\Tests\Support\JsonSchema;

/**
 * Every commerce test runs in its own process (the concrete classes say so): WooCommerce — the
 * stand-in, or a real one the harness activated — is loaded there, with a customer whose
 * browser sent the tracker's cookies. Orders are built and moved through their life only with
 * WooCommerce's public API (wc_create_order(), add_product(), payment_complete(),
 * wc_create_refund()…) and the hooks are fired with WooCommerce's names and arguments, so the
 * tests mean the same against a real WooCommerce.
 */
abstract class CommerceTestCase extends IntegrationTestCase {

	// The customer's raw personal data: it must never reach the outbox or LayerSync's meta.
	public const EMAIL      = 'Jane.Doe+shop@Gmail.com';
	public const PHONE      = '(650) 555-1212';
	public const FIRST_NAME = 'Janelle';
	public const LAST_NAME  = 'Doeberg';
	public const ADDRESS    = '1 Market Street';
	public const CITY       = 'San Francisco';
	public const STATE      = 'CA';
	public const POSTCODE   = '94103-1234';
	public const COUNTRY    = 'US';

	public const FBP         = 'fb.1.1700000000000.1234567890';
	public const FBC         = 'fb.1.1700000000000.IwAR-click';
	public const GCLID       = 'Cj0KCQ-landing-gclid';
	public const TTCLID      = 'E.C.P.ttclid-cookie';
	public const USER_AGENT  = 'Mozilla/5.0 (Customer Browser)';
	public const CUSTOMER_IP = '203.0.113.45';

	public const CONSENT_GRANTED = array(
		'ad_storage'         => 'granted',
		'analytics_storage'  => 'granted',
		'ad_user_data'       => 'granted',
		'ad_personalization' => 'denied',
		'do_not_sell'        => false,
	);

	/**
	 * Whether this test class stores orders like HPOS (stand-in only).
	 *
	 * @var bool
	 */
	protected bool $hpos = false;

	/**
	 * Shop, cart and checkout page ids.
	 *
	 * @var array<string, int>
	 */
	protected static array $pages = array();

	protected function setUp(): void {
		parent::setUp();
		WooCommerceStandIn::load( $this->hpos );
		WooCommerceStandIn::reset();
		$this->assertTrue( Integration::woocommerce_ready(), 'WooCommerce is loaded' );
		$this->assertTrue( $this->commerce()->is_hooked(), 'LayerSync registered its WooCommerce hooks on woocommerce_loaded' );

		update_option( 'woocommerce_currency', 'EUR' );
		update_option( 'woocommerce_price_num_decimals', '2' );
		update_option( 'woocommerce_default_country', 'US:CA' );
		foreach ( array( 'shop', 'cart', 'checkout' ) as $page ) {
			$id = (int) get_option( "woocommerce_{$page}_page_id" );
			if ( $id <= 0 || null === get_post( $id ) ) {
				$id = (int) wp_insert_post(
					array(
						'post_type'   => 'page',
						'post_status' => 'publish',
						'post_title'  => ucfirst( $page ),
						'post_name'   => $page,
					)
				);
				update_option( "woocommerce_{$page}_page_id", $id );
			}
			self::$pages[ $page ] = $id;
		}
		if ( function_exists( 'wc_load_cart' ) ) {
			wc_load_cart();
		}
		$this->customer_browser();
	}

	/**
	 * The plugin's WooCommerce integration.
	 *
	 * @return Integration
	 */
	protected function commerce(): Integration {
		$plugin = Plugin::instance();
		$this->assertNotNull( $plugin );
		return $plugin->commerce();
	}

	/**
	 * The request comes from the customer's browser: the tracker's consent and click-id cookies,
	 * the platforms' cookies, user agent and address.
	 *
	 * @param array<string, mixed> $consent Consent snapshot the tracker wrote.
	 */
	protected function customer_browser( array $consent = self::CONSENT_GRANTED ): void {
		$_COOKIE                    = array(
			'layersync_consent' => (string) wp_json_encode( $consent ),
			'layersync_cid'     => (string) wp_json_encode(
				array(
					'gclid' => array( self::GCLID, ( time() + 86400 ) * 1000 ),
					'scid'  => array( 'expired-sccid', ( time() - 60 ) * 1000 ),
				)
			),
			'_fbp'              => self::FBP,
			'_fbc'              => self::FBC,
			'_ga'               => 'GA1.1.1234567890.1700000000',
			'_ga_ABC123'        => 'GS1.1.1700000500.3.1.1700000600.0.0.0',
			'_gcl_aw'           => 'GCL.1700000000.cookie-gclid',
			'ttclid'            => self::TTCLID,
			'_scid'             => 'snap-browser-cookie',
		);
		$_SERVER['HTTP_USER_AGENT'] = self::USER_AGENT;
		$_SERVER['REMOTE_ADDR']     = self::CUSTOMER_IP;
	}

	/**
	 * A request without any browser: a payment gateway's callback or a cron job.
	 */
	protected function no_browser(): void {
		$_COOKIE                    = array();
		$_SERVER['HTTP_USER_AGENT'] = 'PaymentGateway-Webhook/2.0';
		$_SERVER['REMOTE_ADDR']     = '198.51.100.7';
	}

	/**
	 * A simple product.
	 *
	 * @param string   $name       Name.
	 * @param string   $sku        SKU ('' for none).
	 * @param string   $price      Price.
	 * @param string[] $categories Category names (created, nested as given: parent first).
	 * @return \WC_Product
	 */
	protected function product( string $name = 'Linen Shirt', string $sku = 'SHIRT-1', string $price = '20.00', array $categories = array( 'Clothing', 'Shirts' ) ): \WC_Product {
		$product = new \WC_Product_Simple();
		$product->set_name( $name );
		$product->set_sku( $sku );
		$product->set_regular_price( $price );
		$product->set_category_ids( $this->categories( $categories ) );
		$product->save();
		$loaded = wc_get_product( $product->get_id() );
		$this->assertInstanceOf( \WC_Product::class, $loaded );
		return $loaded;
	}

	/**
	 * Nested categories, returns the deepest one's id in a list.
	 *
	 * @param string[] $names Names, parent first.
	 * @return int[]
	 */
	protected function categories( array $names ): array {
		$parent = 0;
		foreach ( $names as $name ) {
			$existing = get_term_by( 'name', $name, 'product_cat' );
			if ( $existing instanceof \WP_Term ) {
				$parent = $existing->term_id;
				continue;
			}
			$term = wp_insert_term( $name, 'product_cat', array( 'parent' => max( 0, $parent ) ) );
			$this->assertIsArray( $term );
			$parent = (int) $term['term_id'];
		}
		return 0 === $parent ? array() : array( $parent );
	}

	/**
	 * An order as the checkout creates it (pending), for the customer, with two shirts (40.00),
	 * 5.00 shipping and 4.00 tax: total 49.00.
	 *
	 * @param string $gateway     Payment method.
	 * @param string $created_via checkout, store-api, admin…
	 * @return \WC_Order
	 */
	protected function checkout_order( string $gateway = 'stripe', string $created_via = 'checkout' ): \WC_Order {
		$order = wc_create_order( array( 'created_via' => $created_via ) );
		$this->assertInstanceOf( \WC_Order::class, $order );
		$order->set_address(
			array(
				'first_name' => self::FIRST_NAME,
				'last_name'  => self::LAST_NAME,
				'address_1'  => self::ADDRESS,
				'city'       => self::CITY,
				'state'      => self::STATE,
				'postcode'   => self::POSTCODE,
				'country'    => self::COUNTRY,
				'email'      => self::EMAIL,
				'phone'      => self::PHONE,
			),
			'billing'
		);
		$order->add_product( $this->product(), 2 );
		$shipping = new \WC_Order_Item_Shipping();
		$shipping->set_method_title( 'Flat rate' );
		$shipping->set_method_id( 'flat_rate' );
		$shipping->set_total( '5.00' );
		$order->add_item( $shipping );
		$order->set_payment_method( $gateway );
		$order->set_payment_method_title( 'bacs' === $gateway ? 'Direct bank transfer' : 'Credit card' );
		$order->set_currency( 'EUR' );
		$order->set_cart_tax( '4.00' );
		$order->calculate_totals( false );
		$order->save();
		$this->assertSame( '49', (string) (float) $order->get_total() );
		return $this->reload( $order );
	}

	/**
	 * The order freshly loaded, as another request would see it.
	 *
	 * @param \WC_Order $order Order.
	 * @return \WC_Order
	 */
	protected function reload( \WC_Order $order ): \WC_Order {
		$loaded = wc_get_order( $order->get_id() );
		$this->assertInstanceOf( \WC_Order::class, $loaded );
		return $loaded;
	}

	/**
	 * Fires the classic checkout's hook as WC_Checkout::process_checkout() does.
	 *
	 * @param \WC_Order $order Order.
	 */
	protected function submit_classic_checkout( \WC_Order $order ): void {
		do_action( 'woocommerce_checkout_order_processed', $order->get_id(), array( 'billing_email' => self::EMAIL ), $order );
	}

	/**
	 * Outbox payloads by event id (decoded as arrays).
	 *
	 * @param string|null $event_name Only this event.
	 * @return array<string, array<string, mixed>>
	 */
	protected function events( ?string $event_name = null ): array {
		$out = array();
		foreach ( self::outbox_rows() as $row ) {
			if ( null !== $event_name && $event_name !== $row['event_name'] ) {
				continue;
			}
			$payload = json_decode( (string) $row['payload'], true );
			$this->assertIsArray( $payload );
			$out[ (string) $row['event_id'] ] = $payload;
		}
		return $out;
	}

	/**
	 * The only outbox event of a name.
	 *
	 * @param string $event_name Event name.
	 * @return array<string, mixed>
	 */
	protected function only_event( string $event_name ): array {
		$events = $this->events( $event_name );
		$this->assertCount( 1, $events, "exactly one $event_name in the outbox" );
		$event = reset( $events );
		$this->assertIsArray( $event );
		return $event;
	}

	/**
	 * Every outbox payload validates against the relay's JSON Schema.
	 */
	protected function assert_outbox_matches_the_contract(): void {
		$schema = JsonSchema::event_schema();
		foreach ( self::outbox_rows() as $row ) {
			$this->assertSame( array(), $schema->errors( json_decode( (string) $row['payload'] ) ), (string) $row['event_id'] );
		}
	}

	/**
	 * No raw personal data in any outbox payload nor in any `_layersync_` order meta.
	 */
	protected function assert_no_raw_pii_stored(): void {
		global $wpdb;
		$stored = array();
		foreach ( self::outbox_rows() as $row ) {
			$stored[] = (string) $row['payload'];
		}
		foreach ( WooCommerceStandIn::layersync_order_meta() as $row ) {
			$stored[] = $row['meta_value'];
		}
		$this->assertNotSame( array(), $stored );
		$haystack = strtolower( implode( "\n", $stored ) );
		foreach ( array( self::EMAIL, 'jane.doe', 'janedoe', self::FIRST_NAME, self::LAST_NAME, self::ADDRESS, self::CITY, 'sanfrancisco', self::POSTCODE, '94103', '5551212', '6505551212' ) as $raw ) {
			$this->assertStringNotContainsString( strtolower( $raw ), $haystack, "raw \"$raw\" is stored" );
		}
		$this->assertIsObject( $wpdb );
	}

	/**
	 * Expected identity hashes of the customer's billing data.
	 *
	 * @return array<string, string>
	 */
	protected static function customer_hashes(): array {
		return array(
			'em'        => hash( 'sha256', 'jane.doe+shop@gmail.com' ),
			'em_google' => hash( 'sha256', 'janedoe@gmail.com' ),
			'em_reddit' => hash( 'sha256', 'janedoe@gmail.com' ),
			'ph'        => hash( 'sha256', '16505551212' ),
			'ph_e164'   => hash( 'sha256', '+16505551212' ),
			'fn'        => hash( 'sha256', 'janelle' ),
			'ln'        => hash( 'sha256', 'doeberg' ),
			'ct'        => hash( 'sha256', 'sanfrancisco' ),
			'st'        => hash( 'sha256', 'ca' ),
			'zp'        => hash( 'sha256', '94103' ),
			'country'   => hash( 'sha256', 'us' ),
		);
	}
}
