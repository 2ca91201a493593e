<?php
/**
 * WooCommerce data the storefront tracker needs on a page.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Commerce;

/**
 * Adds the commerce part of `window.LayerSyncConfig` (Frontend).
 *
 * Keys added:
 *
 *     commerce: {
 *       events: ["view_item", …],            // funnel events this site records (all origins)
 *       cookies: {consent: "layersync_consent", click_ids: "layersync_cid",
 *                 server_events: "layersync_events"},
 *       view_item?:      {value, currency, items: [item]},                       // product page
 *       view_item_list?: {currency, items: [item…], list_id, list_name},         // shop, category, tag, brand, product search
 *       view_cart?:      {value, currency, coupon?, items},                      // cart page
 *       begin_checkout?: {value, currency, coupon?, items}                       // checkout page
 *     }
 *     purchase?: {event_id, event_name: "purchase", order_id, value, currency, tax, shipping,
 *                 coupon?, items}                                                // thank-you page, once
 *
 * The tracker sends view_item, view_item_list, view_cart and begin_checkout itself, with its own
 * UUIDv7 and these objects as `commerce` (list_id / list_name as properties.item_list_id /
 * item_list_name): the server never records them, so a page served from a cache still pairs its
 * pixel and server copies. A disabled event is simply not printed.
 *
 * Product and listing data is the same for every visitor, so those pages stay cacheable. The
 * cart, checkout and thank-you data is per customer; WooCommerce never lets caches keep those
 * pages (it sends no-cache headers and DONOTCACHEPAGE on them).
 *
 * @since 0.1.0
 */
final class PageData {

	/**
	 * Most products printed for a listing.
	 */
	public const MAX_LIST_ITEMS = 50;

	/**
	 * Settings of the integration.
	 *
	 * @var CommerceSettings
	 */
	private CommerceSettings $commerce;

	/**
	 * Items.
	 *
	 * @var Items
	 */
	private Items $items;

	/**
	 * Purchases (thank-you page).
	 *
	 * @var PurchaseEvents
	 */
	private PurchaseEvents $purchases;

	/**
	 * Captured identity (thank-you page).
	 *
	 * @var OrderIdentity
	 */
	private OrderIdentity $identity;

	/**
	 * Constructor.
	 *
	 * @param CommerceSettings $commerce  Settings of the integration.
	 * @param Items            $items     Items.
	 * @param PurchaseEvents   $purchases Purchases.
	 * @param OrderIdentity    $identity  Captured identity.
	 */
	public function __construct( CommerceSettings $commerce, Items $items, PurchaseEvents $purchases, OrderIdentity $identity ) {
		$this->commerce  = $commerce;
		$this->items     = $items;
		$this->purchases = $purchases;
		$this->identity  = $identity;
	}

	/**
	 * Keys to merge into the tracker configuration (empty without WooCommerce).
	 *
	 * @return array<string, mixed>
	 */
	public function config(): array {
		if ( ! Integration::woocommerce_ready() ) {
			return array();
		}
		$commerce = array(
			'events'  => $this->commerce->enabled_events(),
			'cookies' => array(
				'consent'       => ConsentSnapshot::COOKIE,
				'click_ids'     => ClickIds::COOKIE,
				'server_events' => BrowserHandoff::COOKIE,
			),
		);
		$config   = array();
		if ( self::is( 'is_product' ) ) {
			$this->add( $commerce, 'view_item', fn() => $this->view_item() );
		} elseif ( self::is( 'is_shop' ) || self::is( 'is_product_taxonomy' ) || $this->is_product_search() ) {
			$this->add( $commerce, 'view_item_list', fn() => $this->view_item_list() );
		} elseif ( self::is( 'is_cart' ) ) {
			$this->add( $commerce, 'view_cart', fn() => $this->cart() );
		} elseif ( self::is( 'is_order_received_page' ) ) {
			$purchase = $this->purchase();
			if ( null !== $purchase ) {
				$config['purchase'] = $purchase;
			}
		} elseif ( self::is( 'is_checkout' ) && ! self::is( 'is_checkout_pay_page' ) ) {
			$this->add( $commerce, 'begin_checkout', fn() => $this->cart() );
		}
		$config['commerce'] = $commerce;
		return $config;
	}

	/**
	 * The product of a single product page.
	 *
	 * @return array<string, mixed>|null
	 */
	public function view_item(): ?array {
		$product = wc_get_product( get_queried_object_id() );
		if ( ! $product instanceof \WC_Product ) {
			return null;
		}
		$item = $this->items->product_item( $product );
		return null === $item ? null : Items::single_item_commerce( $item );
	}

	/**
	 * The products of a listing page (main query), with the list's id and name.
	 *
	 * @return array<string, mixed>|null
	 */
	public function view_item_list(): ?array {
		global $wp_query;
		$items = array();
		$posts = $wp_query instanceof \WP_Query && is_array( $wp_query->posts ) ? $wp_query->posts : array();
		foreach ( $posts as $post ) {
			$product = wc_get_product( $post instanceof \WP_Post ? $post->ID : (int) $post );
			$item    = $product instanceof \WC_Product ? $this->items->product_item( $product ) : null;
			if ( null !== $item ) {
				$items[] = $item;
			}
			if ( count( $items ) >= self::MAX_LIST_ITEMS ) {
				break;
			}
		}
		if ( array() === $items ) {
			return null;
		}
		list( $list_id, $list_name ) = self::list_name();
		return array(
			'currency'  => Items::currency(),
			'items'     => $items,
			'list_id'   => $list_id,
			'list_name' => $list_name,
		);
	}

	/**
	 * The cart (cart and checkout pages).
	 *
	 * @return array<string, mixed>|null
	 */
	public function cart(): ?array {
		$cart = WC()->cart;
		if ( ! $cart instanceof \WC_Cart || $cart->is_empty() ) {
			return null;
		}
		$commerce = $this->items->cart_commerce( $cart );
		return isset( $commerce['items'] ) ? $commerce : null;
	}

	/**
	 * The thank-you page's purchase, for the tracker's browser half. The order must match the
	 * URL's order key. Captures the customer's browser when nothing was captured for the order
	 * yet, records the purchase when it is due (the thank-you page is one of its triggers), and
	 * returns it when PurchaseEvents::browser_half() allows (once, shortly after recording).
	 *
	 * @return array<string, mixed>|null
	 */
	public function purchase(): ?array {
		global $wp;
		$order_id = $wp instanceof \WP && isset( $wp->query_vars['order-received'] ) ? absint( $wp->query_vars['order-received'] ) : 0;
		$key      = isset( $_GET['key'] ) ? sanitize_text_field( wp_unslash( $_GET['key'] ) ) : ''; // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- the order key is the capability, checked below as WooCommerce does.
		if ( $order_id <= 0 || '' === $key ) {
			return null;
		}
		$order = wc_get_order( $order_id );
		if ( ! $order instanceof \WC_Order || ! hash_equals( $order->get_order_key(), $key ) ) {
			return null;
		}
		if ( ! $this->identity->has_browser_capture( $order ) ) {
			$this->identity->capture_from_request( $order, 'order_received' );
		}
		$this->purchases->maybe_record( $order, 'order_received_page' );
		return $this->purchases->browser_half( $order );
	}

	/**
	 * Adds one page event's data when the event is on and there is data.
	 *
	 * @param array<string, mixed>                    $commerce Commerce config being built.
	 * @param string                                  $event    Event name.
	 * @param callable(): (array<string, mixed>|null) $build    Builds the data.
	 */
	private function add( array &$commerce, string $event, callable $build ): void {
		if ( ! $this->commerce->is_enabled( $event ) ) {
			return;
		}
		$data = $build();
		if ( null !== $data ) {
			$commerce[ $event ] = $data;
		}
	}

	/**
	 * Whether a product search results page is shown.
	 *
	 * @return bool
	 */
	private function is_product_search(): bool {
		return is_search() && 'product' === get_query_var( 'post_type' );
	}

	/**
	 * Id and name of the listing shown: ["shop", "Shop"], ["product_cat:shirts", "Shirts"],
	 * ["search", "Search results"].
	 *
	 * @return array{0: string, 1: string}
	 */
	private static function list_name(): array {
		$term = get_queried_object();
		if ( $term instanceof \WP_Term ) {
			return array( mb_substr( $term->taxonomy . ':' . $term->slug, 0, 256 ), mb_substr( wp_specialchars_decode( $term->name ), 0, 256 ) );
		}
		if ( is_search() ) {
			return array( 'search', __( 'Search results', 'layersync' ) );
		}
		return array( 'shop', __( 'Shop', 'layersync' ) );
	}

	/**
	 * Calls a WooCommerce conditional tag when it exists.
	 *
	 * @param string $function_name is_product, is_cart….
	 * @return bool
	 */
	private static function is( string $function_name ): bool {
		return function_exists( $function_name ) && (bool) call_user_func( $function_name );
	}
}
