<?php
/**
 * What happens when a customer submits a checkout: capture and the checkout steps.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Commerce;

use LayerSync\Internal\Event\EventRecorder;

/**
 * On the customer's checkout request — classic (`woocommerce_checkout_order_processed`), block
 * (`woocommerce_store_api_checkout_order_processed`) or a pay-for-order link
 * (`woocommerce_before_pay_action`; WooCommerce fires `woocommerce_after_pay_action` only when
 * the payment did not redirect, i.e. failed) — captures their identity, consent and context onto
 * the order (OrderIdentity), and records the checkout steps the order proves were taken:
 *
 * - `add_shipping_info` (when the order ships: it has a shipping line), with
 *   properties.shipping_tier = the chosen methods' names;
 * - `add_payment_info` (when a payment method is set), with properties.payment_type = its name.
 *
 * Both are server-only and once per order: ids `wc-order-{blog}-{order}-add_shipping_info` and
 * `…-add_payment_info` (EventIds). Checkouts abandoned before submission are not seen here.
 *
 * @since 0.1.0
 */
final class CheckoutEvents {

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
	 * Captured identity.
	 *
	 * @var OrderIdentity
	 */
	private OrderIdentity $identity;

	/**
	 * Consent policy (strict mode).
	 *
	 * @var ConsentSnapshot
	 */
	private ConsentSnapshot $consent;

	/**
	 * Constructor.
	 *
	 * @param EventRecorder    $recorder Records events.
	 * @param CommerceSettings $commerce Which events are on.
	 * @param Items            $items    Items.
	 * @param OrderIdentity    $identity Captured identity.
	 * @param ConsentSnapshot  $consent  Consent policy.
	 */
	public function __construct( EventRecorder $recorder, CommerceSettings $commerce, Items $items, OrderIdentity $identity, ConsentSnapshot $consent ) {
		$this->recorder = $recorder;
		$this->commerce = $commerce;
		$this->items    = $items;
		$this->identity = $identity;
		$this->consent  = $consent;
	}

	/**
	 * Hooks. Capture runs at priority 10, before the purchase is considered (PurchaseEvents, 30).
	 */
	public function register(): void {
		add_action( 'woocommerce_checkout_order_processed', array( $this, 'on_checkout_order_processed' ), 10, 3 );
		add_action( 'woocommerce_store_api_checkout_order_processed', array( $this, 'on_store_api_checkout_order_processed' ), 10, 1 );
		add_action( 'woocommerce_before_pay_action', array( $this, 'on_before_pay_action' ), 10, 1 );
		add_action( 'woocommerce_after_pay_action', array( $this, 'on_after_pay_action' ), 10, 1 );
	}

	/**
	 * `woocommerce_checkout_order_processed`: classic checkout submitted (before payment).
	 *
	 * @param int        $order_id    Order id.
	 * @param mixed      $posted_data Checkout fields (not read: they hold raw personal data).
	 * @param mixed|null $order       Order.
	 */
	public function on_checkout_order_processed( $order_id, $posted_data = null, $order = null ): void {
		$order = self::order( $order, $order_id );
		if ( null === $order ) {
			return;
		}
		$this->identity->capture_from_request( $order, 'checkout' );
		$this->record_step( $order, 'add_shipping_info' );
		$this->record_step( $order, 'add_payment_info' );
	}

	/**
	 * `woocommerce_store_api_checkout_order_processed`: block checkout submitted.
	 *
	 * @param mixed $order Order.
	 */
	public function on_store_api_checkout_order_processed( $order ): void {
		$order = self::order( $order, 0 );
		if ( null === $order ) {
			return;
		}
		$this->identity->capture_from_request( $order, 'store_api' );
		$this->record_step( $order, 'add_shipping_info' );
		$this->record_step( $order, 'add_payment_info' );
	}

	/**
	 * `woocommerce_before_pay_action`: the customer submits a pay-for-order form (an order the
	 * merchant created, or a failed payment retried). Their browser is here: capture it, and
	 * record add_payment_info with the gateway they chose (the order gets it only afterwards,
	 * and a successful payment redirects before any later hook).
	 *
	 * @param mixed $order Order.
	 */
	public function on_before_pay_action( $order ): void {
		$order = self::order( $order, 0 );
		if ( null === $order ) {
			return;
		}
		$this->identity->capture_from_request( $order, 'pay_for_order' );
		$gateway = self::posted_gateway();
		if ( '' !== $gateway ) {
			$this->record_step( $order, 'add_payment_info', $gateway );
		}
	}

	/**
	 * `woocommerce_after_pay_action`: the pay-for-order form was processed without a redirect
	 * (the payment failed); the customer did add payment information.
	 *
	 * @param mixed $order Order.
	 */
	public function on_after_pay_action( $order ): void {
		$order = self::order( $order, 0 );
		if ( null !== $order ) {
			$this->record_step( $order, 'add_payment_info' );
		}
	}

	/**
	 * Records a checkout step of the order (once: deterministic id).
	 *
	 * @param \WC_Order $order      Order.
	 * @param string    $event_name add_shipping_info or add_payment_info.
	 * @param string    $gateway    Payment method chosen, when the order does not have it yet.
	 * @return string|null The recorder's status, or null when not recorded.
	 */
	public function record_step( \WC_Order $order, string $event_name, string $gateway = '' ): ?string {
		if ( $order->get_id() <= 0 || ! $this->commerce->is_enabled( $event_name ) ) {
			return null;
		}
		$properties = array();
		if ( 'add_shipping_info' === $event_name ) {
			$names = array();
			foreach ( $order->get_shipping_methods() as $method ) {
				$names[] = wp_strip_all_tags( $method->get_name() );
			}
			if ( array() === $names ) {
				return null;
			}
			$properties['shipping_tier'] = mb_substr( implode( ', ', $names ), 0, 256 );
		} else {
			$title = '' !== $gateway ? self::gateway_title( $gateway ) : wp_strip_all_tags( $order->get_payment_method_title() );
			$id    = '' !== $gateway ? $gateway : $order->get_payment_method();
			if ( '' === $id ) {
				return null;
			}
			$properties['payment_type'] = mb_substr( '' !== $title ? $title : $id, 0, 256 );
		}
		$consent = $this->identity->consent( $order );
		if ( null !== $consent && ! $this->consent->allows_recording( $consent ) ) {
			return null;
		}
		$commerce = $this->items->order_commerce( $order );
		// The steps describe the cart being bought, not an order yet: the relay dedups purchases
		// by order_id, so it stays out; value is the lines' total, as for begin_checkout.
		$value = 0.0;
		foreach ( $commerce['items'] ?? array() as $item ) {
			$value += (float) $item['price'] * (int) ( $item['quantity'] ?? 1 );
		}
		$commerce          = array_diff_key( $commerce, array_flip( array( 'order_id', 'tax', 'shipping' ) ) );
		$commerce['value'] = Items::money( $value );

		$event = ServerEvent::make(
			EventIds::order_event( $order->get_id(), $event_name ),
			$event_name,
			time(),
			$this->identity->context( $order ),
			$this->identity->identity( $order ),
			$commerce,
			$consent,
			$properties
		);
		return $this->recorder->record( $event )['status'];
	}

	/**
	 * The gateway chosen in a pay-for-order form, once WooCommerce's own nonce checks out ('' otherwise).
	 *
	 * @return string
	 */
	private static function posted_gateway(): string {
		$nonce = '';
		foreach ( array( 'woocommerce-pay-nonce', '_wpnonce' ) as $field ) {
			if ( '' === $nonce && isset( $_REQUEST[ $field ] ) && is_string( $_REQUEST[ $field ] ) ) {
				$nonce = sanitize_text_field( wp_unslash( $_REQUEST[ $field ] ) );
			}
		}
		if ( '' === $nonce || ! wp_verify_nonce( $nonce, 'woocommerce-pay' ) || ! isset( $_POST['payment_method'] ) || ! is_string( $_POST['payment_method'] ) ) {
			return '';
		}
		return sanitize_key( wp_unslash( $_POST['payment_method'] ) );
	}

	/**
	 * A gateway's title as the customer saw it ('' when unknown).
	 *
	 * @param string $gateway Gateway id.
	 * @return string
	 */
	private static function gateway_title( string $gateway ): string {
		if ( ! function_exists( 'WC' ) || ! is_callable( array( WC(), 'payment_gateways' ) ) ) {
			return '';
		}
		$gateways = WC()->payment_gateways()->payment_gateways();
		$found    = $gateways[ $gateway ] ?? null;
		return $found instanceof \WC_Payment_Gateway ? wp_strip_all_tags( (string) $found->get_title() ) : '';
	}

	/**
	 * The order a hook is about.
	 *
	 * @param mixed $order    Object from the hook, if any.
	 * @param mixed $order_id Id from the hook.
	 * @return \WC_Order|null
	 */
	private static function order( $order, $order_id ): ?\WC_Order {
		if ( $order instanceof \WC_Order ) {
			return $order;
		}
		if ( ! function_exists( 'wc_get_order' ) || ! is_numeric( $order_id ) || (int) $order_id <= 0 ) {
			return null;
		}
		$loaded = wc_get_order( (int) $order_id );
		return $loaded instanceof \WC_Order ? $loaded : null;
	}
}
