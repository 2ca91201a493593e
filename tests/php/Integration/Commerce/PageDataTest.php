<?php
/**
 * What the tracker gets on product, listing, cart and checkout pages.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Integration\Commerce;

use LayerSync\Internal\Commerce\CommerceSettings;
use LayerSync\Internal\Frontend;
use LayerSync\Internal\Settings;
use PHPUnit\Framework\Attributes\PreserveGlobalState;
use PHPUnit\Framework\Attributes\RunTestsInSeparateProcesses;

#[RunTestsInSeparateProcesses]
#[PreserveGlobalState( false )]
final class PageDataTest extends CommerceTestCase {

	public function test_product_page_carries_view_item_the_same_for_every_visitor(): void {
		$product = $this->product();
		$this->visit(
			array(
				'p'         => $product->get_id(),
				'post_type' => 'product',
			)
		);

		$config = $this->config();

		$this->assertEquals(
			array(
				'value'    => 20,
				'currency' => 'EUR',
				'items'    => array(
					array(
						'id'       => 'SHIRT-1',
						'name'     => 'Linen Shirt',
						'price'    => 20,
						'category' => 'Clothing > Shirts',
					),
				),
			),
			$config['commerce']['view_item']
		);
		$this->assertSame( CommerceSettings::EVENTS, $config['commerce']['events'] );
		$this->assertSame(
			array(
				'consent'       => 'layersync_consent',
				'click_ids'     => 'layersync_cid',
				'server_events' => 'layersync_events',
			),
			$config['commerce']['cookies']
		);
		$this->assertArrayNotHasKey( 'purchase', $config );

		// Another visitor, logged in, with a cart: the cached page must be the same.
		WC()->cart->add_to_cart( $product->get_id(), 1 );
		wp_set_current_user( 1 );
		$this->customer_browser( array_fill_keys( array( 'ad_storage', 'analytics_storage', 'ad_user_data', 'ad_personalization' ), 'denied' ) + array( 'do_not_sell' => true ) );
		$this->assertSame( $config, $this->config() );
	}

	public function test_category_archive_carries_view_item_list(): void {
		$shirt = $this->product( 'Linen Shirt', 'SHIRT-1', '20.00', array( 'Clothing', 'Shirts' ) );
		$polo  = $this->product( 'Polo', '', '25.00', array( 'Clothing', 'Shirts' ) );
		$mug   = $this->product( 'Mug', 'MUG', '8.00', array( 'Kitchen' ) );
		$this->visit( array( 'product_cat' => 'shirts' ) );
		$this->assertTrue( is_product_taxonomy() );

		$list = $this->config()['commerce']['view_item_list'];

		$this->assertSame( 'product_cat:shirts', $list['list_id'] );
		$this->assertSame( 'Shirts', $list['list_name'] );
		$this->assertSame( 'EUR', $list['currency'] );
		$ids = array_column( $list['items'], 'id' );
		$this->assertContains( (string) $polo->get_id(), $ids, 'a product without SKU is listed by its id' );
		$this->assertContains( (string) $shirt->get_sku(), $ids );
		$this->assertNotContains( (string) $mug->get_sku(), $ids, 'only the category\'s products' );
	}

	public function test_cart_and_checkout_pages_carry_the_cart(): void {
		$product = $this->product();
		WC()->cart->add_to_cart( $product->get_id(), 3 );
		WC()->cart->calculate_totals();

		$this->visit( array( 'page_id' => self::$pages['cart'] ) );
		$cart = $this->config()['commerce'];
		$this->visit( array( 'page_id' => self::$pages['checkout'] ) );
		$checkout = $this->config()['commerce'];

		$this->assertEquals( 60, $cart['view_cart']['value'] );
		$this->assertSame( 3, $cart['view_cart']['items'][0]['quantity'] );
		$this->assertArrayNotHasKey( 'begin_checkout', $cart );
		$this->assertSame( $cart['view_cart'], $checkout['begin_checkout'] );
		$this->assertArrayNotHasKey( 'view_cart', $checkout );
	}

	public function test_an_empty_cart_or_a_disabled_event_prints_nothing(): void {
		$this->visit( array( 'page_id' => self::$pages['cart'] ) );
		$this->assertArrayNotHasKey( 'view_cart', $this->config()['commerce'] );

		$product = $this->product();
		$this->add_test_filter( 'pre_option_' . CommerceSettings::OPTION_EVENTS, static fn() => array( 'purchase' ) );
		$this->visit(
			array(
				'p'         => $product->get_id(),
				'post_type' => 'product',
			)
		);
		$commerce = $this->config()['commerce'];
		$this->assertArrayNotHasKey( 'view_item', $commerce );
		$this->assertSame( array( 'purchase' ), $commerce['events'] );
	}

	public function test_the_printed_script_carries_the_commerce_config(): void {
		$product = $this->product();
		$this->visit(
			array(
				'p'         => $product->get_id(),
				'post_type' => 'product',
			)
		);

		$script = ( new Frontend( new Settings(), dirname( __DIR__, 4 ) . '/plugin/', $this->commerce()->page_data() ) )->inline_script();

		$this->assertStringContainsString( '"commerce":{"events":[', $script );
		$this->assertStringContainsString( '"view_item":{"value":20,"currency":"EUR","items":[{"id":"SHIRT-1"', $script );
	}

	/**
	 * Makes $query the main query, as WordPress does for a request.
	 *
	 * @param array<string, mixed> $query Query vars.
	 */
	private function visit( array $query ): void {
		global $wp_query, $wp_the_query;
		$wp_query     = new \WP_Query( $query ); // phpcs:ignore WordPress.WP.GlobalVariablesOverride.Prohibited -- the page being rendered.
		$wp_the_query = $wp_query; // phpcs:ignore WordPress.WP.GlobalVariablesOverride.Prohibited
	}

	/**
	 * The tracker configuration of the current page.
	 *
	 * @return array<string, mixed>
	 */
	private function config(): array {
		return ( new Frontend( new Settings(), dirname( __DIR__, 4 ) . '/plugin/', $this->commerce()->page_data() ) )->config();
	}
}
