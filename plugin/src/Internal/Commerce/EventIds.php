<?php
/**
 * Event ids of WooCommerce events.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Commerce;

/**
 * Deterministic ids for events that belong to an order (the rest use Event\EventId::uuid7()).
 *
 * An order's events are keyed by the blog id (a multisite network shares one relay site per
 * blog at most, and a single site is blog 1) and the order id — never by anything personal:
 *
 * - `wc-order-{blog}-{order}-purchase`
 * - `wc-order-{blog}-{order}-add_shipping_info`, `wc-order-{blog}-{order}-add_payment_info`
 * - `wc-order-{blog}-{order}-refund-{refund}`
 *
 * The same order always yields the same id, however many hooks see it and in whatever process:
 * the outbox's unique event_id makes the first insert win, and the relay merges the browser half
 * (which reads the id from the thank-you page) with the server half by it.
 *
 * @since 0.1.0
 */
final class EventIds {

	/**
	 * The purchase of an order.
	 *
	 * @param int $order_id Order id.
	 * @return string
	 */
	public static function purchase( int $order_id ): string {
		return self::order_event( $order_id, 'purchase' );
	}

	/**
	 * A checkout step of an order (add_shipping_info, add_payment_info).
	 *
	 * @param int    $order_id   Order id.
	 * @param string $event_name Event name.
	 * @return string
	 */
	public static function order_event( int $order_id, string $event_name ): string {
		return sprintf( 'wc-order-%d-%d-%s', get_current_blog_id(), $order_id, $event_name );
	}

	/**
	 * One refund of an order.
	 *
	 * @param int $order_id  Order id.
	 * @param int $refund_id Refund id.
	 * @return string
	 */
	public static function refund( int $order_id, int $refund_id ): string {
		return self::order_event( $order_id, 'refund-' . $refund_id );
	}
}
