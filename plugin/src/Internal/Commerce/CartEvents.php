<?php
/**
 * Cart changes (add_to_cart, remove_from_cart), recorded by the server.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Commerce;

use LayerSync\Internal\Event\EventId;
use LayerSync\Internal\Event\EventRecorder;
use LayerSync\Internal\Identity\Hasher;
use LayerSync\Internal\Privacy\ConsentResolver;
use LayerSync\Internal\Settings;

/**
 * Records every change of the cart's content where WooCommerce makes it, whichever way the
 * shopper made it, and hands each event's id to the browser (BrowserHandoff) for the pixel half.
 *
 * Which hooks fire, per path (WooCommerce 8.5–9.x, checked against WC_Cart and the Store API's
 * CartController):
 *
 * | path                                                    | new line                  | line already in cart                                        |
 * |---------------------------------------------------------|---------------------------|-------------------------------------------------------------|
 * | product form / ?add-to-cart= (WC_Form_Handler)          | woocommerce_add_to_cart   | woocommerce_after_cart_item_quantity_update, then woocommerce_add_to_cart |
 * | AJAX button (?wc-ajax=add_to_cart, WC_AJAX)             | woocommerce_add_to_cart   | same as above                                               |
 * | Store API cart/add-item (blocks)                        | woocommerce_add_to_cart   | woocommerce_after_cart_item_quantity_update only            |
 * | quantity changed (cart page, Store API update-item)     | —                         | woocommerce_after_cart_item_quantity_update                 |
 * | removed (cart page link, Store API remove-item, qty 0)  | —                         | woocommerce_remove_cart_item                                |
 * | "Undo" after removal                                    | woocommerce_cart_item_restored | —                                                      |
 *
 * A quantity increase is an add_to_cart of the difference, a decrease a remove_from_cart of the
 * difference. The classic path's quantity update followed by woocommerce_add_to_cart for the same
 * line is one event, not two.
 *
 * @since 0.1.0
 */
final class CartEvents {

	/**
	 * Records events.
	 *
	 * @var EventRecorder
	 */
	private EventRecorder $recorder;

	/**
	 * Which events are on.
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
	 * Consent of the request.
	 *
	 * @var ConsentSnapshot
	 */
	private ConsentSnapshot $consent;

	/**
	 * Click ids of the request.
	 *
	 * @var ClickIds
	 */
	private ClickIds $click_ids;

	/**
	 * Request context.
	 *
	 * @var RequestContext
	 */
	private RequestContext $request;

	/**
	 * Pixel hand-off.
	 *
	 * @var BrowserHandoff
	 */
	private BrowserHandoff $handoff;

	/**
	 * Settings (calling code).
	 *
	 * @var Settings
	 */
	private Settings $settings;

	/**
	 * Cart item key => quantity already recorded by a quantity update in this request, which the
	 * classic add-to-cart's following woocommerce_add_to_cart must not record again.
	 *
	 * @var array<string, int>
	 */
	private array $recorded_increase = array();

	/**
	 * Constructor.
	 *
	 * @param EventRecorder    $recorder  Records events.
	 * @param CommerceSettings $commerce  Which events are on.
	 * @param Items            $items     Items.
	 * @param ConsentSnapshot  $consent   Consent of the request.
	 * @param ClickIds         $click_ids Click ids of the request.
	 * @param RequestContext   $request   Request context.
	 * @param BrowserHandoff   $handoff   Pixel hand-off.
	 * @param Settings         $settings  Settings.
	 */
	public function __construct( EventRecorder $recorder, CommerceSettings $commerce, Items $items, ConsentSnapshot $consent, ClickIds $click_ids, RequestContext $request, BrowserHandoff $handoff, Settings $settings ) {
		$this->recorder  = $recorder;
		$this->commerce  = $commerce;
		$this->items     = $items;
		$this->consent   = $consent;
		$this->click_ids = $click_ids;
		$this->request   = $request;
		$this->handoff   = $handoff;
		$this->settings  = $settings;
	}

	/**
	 * Hooks.
	 */
	public function register(): void {
		add_action( 'woocommerce_add_to_cart', array( $this, 'on_add_to_cart' ), 20, 6 );
		add_action( 'woocommerce_after_cart_item_quantity_update', array( $this, 'on_quantity_update' ), 20, 4 );
		add_action( 'woocommerce_remove_cart_item', array( $this, 'on_remove_cart_item' ), 20, 2 );
		add_action( 'woocommerce_cart_item_restored', array( $this, 'on_cart_item_restored' ), 20, 2 );
	}

	/**
	 * `woocommerce_add_to_cart`: a product was added (every path).
	 *
	 * @param string       $cart_item_key  Cart item key.
	 * @param int          $product_id     Product id.
	 * @param int|float    $quantity       Quantity added.
	 * @param int          $variation_id   Variation id (0 for none).
	 * @param array<mixed> $variation      Variation attributes.
	 * @param array<mixed> $cart_item_data Other cart item data.
	 */
	public function on_add_to_cart( $cart_item_key, $product_id, $quantity, $variation_id = 0, $variation = array(), $cart_item_data = array() ): void {
		$key      = (string) $cart_item_key;
		$quantity = max( 0, (int) round( (float) $quantity ) );
		if ( isset( $this->recorded_increase[ $key ] ) && $this->recorded_increase[ $key ] === $quantity ) {
			// Classic path for a line already in the cart: on_quantity_update() recorded it.
			unset( $this->recorded_increase[ $key ] );
			return;
		}
		$cart_item = $this->cart_item( $key );
		if ( null === $cart_item ) {
			$id        = (int) $variation_id > 0 ? (int) $variation_id : (int) $product_id;
			$product   = wc_get_product( $id );
			$cart_item = $product instanceof \WC_Product ? array( 'data' => $product ) : null;
		}
		if ( null !== $cart_item ) {
			$this->record( 'add_to_cart', $cart_item, $quantity );
		}
	}

	/**
	 * `woocommerce_after_cart_item_quantity_update`: a line's quantity changed.
	 *
	 * @param string    $cart_item_key Cart item key.
	 * @param int|float $quantity      New quantity.
	 * @param int|float $old_quantity  Previous quantity.
	 * @param mixed     $cart          Cart.
	 */
	public function on_quantity_update( $cart_item_key, $quantity, $old_quantity, $cart = null ): void {
		$key   = (string) $cart_item_key;
		$delta = (int) round( (float) $quantity - (float) $old_quantity );
		if ( 0 === $delta ) {
			return;
		}
		$cart_item = $this->cart_item( $key, $cart );
		if ( null === $cart_item ) {
			return;
		}
		if ( $delta > 0 ) {
			$this->recorded_increase[ $key ] = $delta;
			$this->record( 'add_to_cart', $cart_item, $delta );
		} else {
			$this->record( 'remove_from_cart', $cart_item, -$delta );
		}
	}

	/**
	 * `woocommerce_remove_cart_item`: a line is about to be removed (its data is still there).
	 *
	 * @param string $cart_item_key Cart item key.
	 * @param mixed  $cart          Cart.
	 */
	public function on_remove_cart_item( $cart_item_key, $cart = null ): void {
		$cart_item = $this->cart_item( (string) $cart_item_key, $cart );
		if ( null !== $cart_item ) {
			$this->record( 'remove_from_cart', $cart_item, max( 1, (int) round( (float) ( $cart_item['quantity'] ?? 1 ) ) ) );
		}
	}

	/**
	 * `woocommerce_cart_item_restored`: a removed line came back ("Undo").
	 *
	 * @param string $cart_item_key Cart item key.
	 * @param mixed  $cart          Cart.
	 */
	public function on_cart_item_restored( $cart_item_key, $cart = null ): void {
		$cart_item = $this->cart_item( (string) $cart_item_key, $cart );
		if ( null !== $cart_item ) {
			$this->record( 'add_to_cart', $cart_item, max( 1, (int) round( (float) ( $cart_item['quantity'] ?? 1 ) ) ) );
		}
	}

	/**
	 * Records one cart event and hands its id to the browser.
	 *
	 * @param string               $event_name add_to_cart or remove_from_cart.
	 * @param array<string, mixed> $cart_item  Cart line (with its product in "data").
	 * @param int                  $quantity   Units added or removed.
	 */
	private function record( string $event_name, array $cart_item, int $quantity ): void {
		if ( $quantity <= 0 || ! $this->commerce->is_enabled( $event_name ) ) {
			return;
		}
		$consent = $this->consent->current( $event_name );
		if ( ! $this->consent->allows_recording( $consent ) ) {
			return;
		}
		$item = $this->items->cart_item( $cart_item, $quantity );
		if ( null === $item ) {
			return;
		}
		$event   = ServerEvent::make(
			EventId::uuid7(),
			$event_name,
			time(),
			$this->request->context(),
			array_merge( $this->click_ids->read( $consent ), $this->customer_identity() ),
			Items::single_item_commerce( $item ),
			$consent
		);
		$outcome = $this->recorder->record( $event );
		if ( EventRecorder::QUEUED === $outcome['status'] && ConsentResolver::allows_storage( $consent ) ) {
			$this->handoff->hand_over( $event );
		}
	}

	/**
	 * A line of the current cart, with its product.
	 *
	 * @param string $key  Cart item key.
	 * @param mixed  $cart Cart passed by the hook, if any.
	 * @return array<string, mixed>|null
	 */
	private function cart_item( string $key, $cart = null ): ?array {
		if ( ! $cart instanceof \WC_Cart ) {
			$cart = function_exists( 'WC' ) && WC()->cart instanceof \WC_Cart ? WC()->cart : null;
		}
		if ( null === $cart ) {
			return null;
		}
		$contents = $cart->get_cart_contents();
		$item     = $contents[ $key ] ?? null;
		return is_array( $item ) ? $item : null;
	}

	/**
	 * Hashed identifiers of a logged-in customer (their billing details, else their account
	 * email), so cart events match as well as their orders will.
	 *
	 * @return array<string, string>
	 */
	private function customer_identity(): array {
		if ( ! is_user_logged_in() ) {
			return array();
		}
		$raw      = array();
		$customer = function_exists( 'WC' ) && WC()->customer instanceof \WC_Customer ? WC()->customer : null;
		if ( null !== $customer ) {
			$raw = array(
				'em'      => $customer->get_billing_email(),
				'ph'      => $customer->get_billing_phone(),
				'fn'      => $customer->get_billing_first_name(),
				'ln'      => $customer->get_billing_last_name(),
				'ct'      => $customer->get_billing_city(),
				'st'      => $customer->get_billing_state(),
				'zp'      => $customer->get_billing_postcode(),
				'country' => $customer->get_billing_country(),
			);
		}
		if ( '' === trim( (string) ( $raw['em'] ?? '' ) ) ) {
			$user      = wp_get_current_user();
			$raw['em'] = $user->user_email;
		}
		return ( new Hasher( $this->settings->default_calling_code() ) )->hash_identity( $raw );
	}
}
