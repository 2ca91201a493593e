<?php
/**
 * Refunds, full and partial.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Commerce;

use LayerSync\Internal\Event\EventRecorder;

/**
 * Records each refund of an order whose purchase LayerSync recorded, once, with id
 * `wc-order-{blog}-{order}-refund-{refund}`.
 *
 * WooCommerce's wc_create_refund() fires `woocommerce_refund_created` and then `woocommerce_order_refunded`
 * after the refund is saved and, when the gateway refunds the payment, after the gateway agreed
 * (a refused gateway refund deletes the refund first, and neither hook fires). Both are hooked;
 * the deterministic id makes the second a duplicate. A manual change of the order status to
 * "refunded" goes through wc_create_refund() too (wc_order_fully_refunded()).
 *
 * The event: commerce.value = the refunded amount (positive), tax and shipping refunded, the
 * refunded lines (absolute quantities; none for an amount-only refund), order_id as the
 * purchase's; properties.remaining_value = order total minus this and every earlier refund (the
 * Google Ads destination restates the conversion to it, or retracts it at 0),
 * properties.refund_type = "full" | "partial". Identity, consent and context are the order's
 * (captured at checkout): no browser is present.
 *
 * @since 0.1.0
 */
final class RefundEvents {

	public const NO_PURCHASE = 'no_purchase';

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
	 * Hooks.
	 */
	public function register(): void {
		add_action( 'woocommerce_refund_created', array( $this, 'on_refund_created' ), 10, 2 );
		add_action( 'woocommerce_order_refunded', array( $this, 'on_order_refunded' ), 10, 2 );
	}

	/**
	 * `woocommerce_refund_created`.
	 *
	 * @param int   $refund_id Refund id.
	 * @param mixed $args      wc_create_refund() arguments.
	 */
	public function on_refund_created( $refund_id, $args = null ): void {
		$this->record( (int) $refund_id );
	}

	/**
	 * `woocommerce_order_refunded`.
	 *
	 * @param int $order_id  Order id.
	 * @param int $refund_id Refund id.
	 */
	public function on_order_refunded( $order_id, $refund_id ): void {
		$this->record( (int) $refund_id );
	}

	/**
	 * Records one refund.
	 *
	 * @param int $refund_id Refund id.
	 * @return string|null The recorder's status, self::NO_PURCHASE, or null when not applicable.
	 */
	public function record( int $refund_id ): ?string {
		if ( $refund_id <= 0 || ! function_exists( 'wc_get_order' ) || ! $this->commerce->is_enabled( 'refund' ) ) {
			return null;
		}
		$refund = wc_get_order( $refund_id );
		if ( ! $refund instanceof \WC_Order_Refund ) {
			return null;
		}
		$order = wc_get_order( $refund->get_parent_id() );
		if ( ! $order instanceof \WC_Order ) {
			return null;
		}
		if ( '' === (string) $order->get_meta( PurchaseEvents::META_RECORDED ) ) {
			// No purchase to take back: it predates LayerSync, or was never due.
			return self::NO_PURCHASE;
		}
		$amount = abs( (float) $refund->get_amount() );
		if ( $amount <= 0 ) {
			return null;
		}
		$consent = $this->identity->consent( $order );
		if ( null !== $consent && ! $this->consent->allows_recording( $consent ) ) {
			return null;
		}
		$remaining = Items::money( (float) $order->get_total() - $this->refunded_up_to( $order, $refund ) );
		$created   = $refund->get_date_created();

		$event = ServerEvent::make(
			EventIds::refund( $order->get_id(), $refund_id ),
			'refund',
			null !== $created ? min( time(), $created->getTimestamp() ) : time(),
			$this->identity->context( $order ),
			$this->identity->identity( $order ),
			$this->items->refund_commerce( $refund, $order ),
			$consent,
			array(
				'remaining_value' => max( 0.0, $remaining ),
				'refund_type'     => $remaining <= 0 ? 'full' : 'partial',
			)
		);
		return $this->recorder->record( $event )['status'];
	}

	/**
	 * The amount refunded by this refund and every earlier one of the order (refunds created
	 * after it do not count, so a late recording reports the value as it was).
	 *
	 * @param \WC_Order        $order  Order.
	 * @param \WC_Order_Refund $refund This refund.
	 * @return float
	 */
	private function refunded_up_to( \WC_Order $order, \WC_Order_Refund $refund ): float {
		$total = 0.0;
		$seen  = false;
		foreach ( $order->get_refunds() as $candidate ) {
			if ( $candidate->get_id() <= $refund->get_id() ) {
				$total += abs( (float) $candidate->get_amount() );
				$seen   = $seen || $candidate->get_id() === $refund->get_id();
			}
		}
		if ( ! $seen ) {
			$total += abs( (float) $refund->get_amount() );
		}
		return $total;
	}
}
