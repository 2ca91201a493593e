<?php
/**
 * Delivery priority and retention per event name.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Outbox;

/**
 * Orders the outbox so money events leave first, and keeps them longest when the relay is
 * unreachable: a purchase held for two weeks is still worth sending, a page view is not.
 * Lower numbers drain first.
 *
 * @since 0.1.0
 */
final class Priority {

	private const BY_NAME = array(
		'purchase'          => 0,
		'refund'            => 0,
		'lead'              => 10,
		'sign_up'           => 10,
		'subscribe'         => 10,
		'start_trial'       => 10,
		'begin_checkout'    => 20,
		'add_shipping_info' => 20,
		'add_payment_info'  => 20,
		'add_to_cart'       => 30,
		'remove_from_cart'  => 30,
		'view_cart'         => 30,
		'search'            => 40,
		'view_item'         => 40,
		'view_item_list'    => 40,
		'page_view'         => 50,
	);

	/**
	 * Priority of custom:<name> events: with the funnel, below conversions.
	 */
	private const CUSTOM = 30;

	/**
	 * Priority for an event name.
	 *
	 * @param string $event_name Standard or custom:<name>.
	 * @return int 0 (first) … 50 (last).
	 */
	public static function for_event( string $event_name ): int {
		return self::BY_NAME[ $event_name ] ?? self::CUSTOM;
	}

	/**
	 * How long an undelivered event of this priority is kept before it expires.
	 *
	 * @param int $priority From for_event().
	 * @return int Seconds.
	 */
	public static function retention_seconds( int $priority ): int {
		if ( $priority <= 10 ) {
			return 14 * 86400;
		}
		if ( $priority <= 30 ) {
			return 7 * 86400;
		}
		return 3 * 86400;
	}
}
