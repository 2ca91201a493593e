<?php
/**
 * The WooCommerce integration is inert without WooCommerce and hooks in once it loads.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Integration\Commerce;

use LayerSync\Internal\Frontend;
use LayerSync\Internal\Settings;
use LayerSync\Plugin;
use LayerSync\Tests\Integration\IntegrationTestCase;
use LayerSync\Tests\Support\Commerce\WooCommerceStandIn;
use PHPUnit\Framework\Attributes\PreserveGlobalState;
use PHPUnit\Framework\Attributes\RunInSeparateProcess;

final class IntegrationTest extends IntegrationTestCase {

	/**
	 * Hook => [callback method, priority, accepted args].
	 */
	private const HOOKS = array(
		'woocommerce_add_to_cart'                        => array( 'cart', 'on_add_to_cart', 20, 6 ),
		'woocommerce_after_cart_item_quantity_update'    => array( 'cart', 'on_quantity_update', 20, 4 ),
		'woocommerce_remove_cart_item'                   => array( 'cart', 'on_remove_cart_item', 20, 2 ),
		'woocommerce_cart_item_restored'                 => array( 'cart', 'on_cart_item_restored', 20, 2 ),
		'woocommerce_checkout_order_processed'           => array( 'checkout', 'on_checkout_order_processed', 10, 3 ),
		'woocommerce_store_api_checkout_order_processed' => array( 'checkout', 'on_store_api_checkout_order_processed', 10, 1 ),
		'woocommerce_before_pay_action'                  => array( 'checkout', 'on_before_pay_action', 10, 1 ),
		'woocommerce_after_pay_action'                   => array( 'checkout', 'on_after_pay_action', 10, 1 ),
		'woocommerce_payment_complete'                   => array( 'purchases', 'on_payment_complete', 10, 1 ),
		'woocommerce_order_status_on-hold'               => array( 'purchases', 'on_order_status', 10, 2 ),
		'woocommerce_order_status_processing'            => array( 'purchases', 'on_order_status', 10, 2 ),
		'woocommerce_order_status_completed'             => array( 'purchases', 'on_order_status', 10, 2 ),
		'woocommerce_thankyou'                           => array( 'purchases', 'on_thankyou', 10, 1 ),
		'woocommerce_refund_created'                     => array( 'refunds', 'on_refund_created', 10, 2 ),
		'woocommerce_order_refunded'                     => array( 'refunds', 'on_order_refunded', 10, 2 ),
		'woocommerce_privacy_remove_order_personal_data' => array( 'identity', 'forget', 10, 1 ),
	);

	#[RunInSeparateProcess]
	#[PreserveGlobalState( false )]
	public function test_inert_without_woocommerce_and_hooked_once_it_loads(): void {
		$plugin = Plugin::instance();
		$this->assertNotNull( $plugin );
		$commerce = $plugin->commerce();
		if ( class_exists( 'WooCommerce', false ) ) {
			$this->assertTrue( $commerce->is_hooked(), 'a real WooCommerce is active' );
		} else {
			$this->assertFalse( $commerce->is_hooked() );
			$this->assertFalse( has_action( 'woocommerce_add_to_cart' ) );
			$this->assertSame( array(), $commerce->page_data()->config() );
			$this->assertArrayNotHasKey( 'commerce', ( new Frontend( new Settings(), dirname( __DIR__, 4 ) . '/plugin/', $commerce->page_data() ) )->config() );
			$this->assertNotFalse( has_action( 'woocommerce_loaded', array( $commerce, 'register_woocommerce_hooks' ) ) );

			WooCommerceStandIn::load();
		}

		$this->assertTrue( $commerce->is_hooked() );
		$services = array(
			'cart'      => $commerce->cart(),
			'checkout'  => $commerce->checkout(),
			'purchases' => $commerce->purchases(),
			'refunds'   => $commerce->refunds(),
			'identity'  => $commerce->identity(),
		);
		foreach ( self::HOOKS as $hook => list( $service, $method, $priority, $args ) ) {
			$callback = array( $services[ $service ], $method );
			$this->assertIsCallable( $callback );
			$this->assertSame( $priority, has_action( $hook, $callback ), $hook );
			$this->assertSame( $args, $GLOBALS['wp_filter'][ $hook ]->callbacks[ $priority ][ _wp_filter_build_unique_id( $hook, $callback, $priority ) ]['accepted_args'], "$hook accepted args" );
		}
	}
}
