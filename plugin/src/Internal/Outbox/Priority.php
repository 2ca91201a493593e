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
 * unreachable: a purchase held for weeks is still worth sending (and may be replayed), a page
 * view a day later is not. Lower numbers drain first and are evicted last.
 *
 * Tiers (priority → retention of an undelivered event):
 * - 0: purchase, refund — 30 days; never evicted by the outbox size cap;
 * - 10: lead, sign_up, subscribe, start_trial — 7 days;
 * - 20: begin_checkout, add_shipping_info, add_payment_info, add_to_cart — 7 days;
 * - 30 and above: behavioural events (cart views and removals, custom:<name>, searches,
 *   product views, page views) — 1 day; the size cap evicts them first, oldest first.
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
		'add_to_cart'       => 20,
		'remove_from_cart'  => 30,
		'view_cart'         => 30,
		'search'            => 40,
		'view_item'         => 40,
		'view_item_list'    => 40,
		'page_view'         => 50,
	);

	/**
	 * Priority of custom:<name> events: behavioural, below the funnel.
	 */
	private const CUSTOM = 30;

	/**
	 * Money events: longest retention, never evicted.
	 */
	public const MONEY = 0;

	/**
	 * Highest priority number that is still a conversion or funnel event (7-day retention);
	 * anything above is behavioural.
	 */
	public const LAST_FUNNEL = 20;

	/**
	 * Every priority in use, lowest (most important) first.
	 */
	public const ALL = array( 0, 10, 20, 30, 40, 50 );

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
		if ( $priority <= self::MONEY ) {
			return 30 * 86400;
		}
		if ( $priority <= self::LAST_FUNNEL ) {
			return 7 * 86400;
		}
		return 86400;
	}

	/**
	 * The retention rules of undelivered events, grouped by how long they are kept (longest
	 * first), for the admin app: which standard events each group holds, whether custom:<name>
	 * events belong to it, and whether the outbox size cap may remove its events.
	 *
	 * @return list<array{seconds: int, events: list<string>, custom: bool, evictable: bool}>
	 */
	public static function retention_tiers(): array {
		$tiers = array();
		foreach ( array_unique( array_map( array( self::class, 'retention_seconds' ), self::ALL ) ) as $seconds ) {
			$events    = array();
			$custom    = false;
			$evictable = false;
			foreach ( self::ALL as $priority ) {
				if ( self::retention_seconds( $priority ) !== $seconds ) {
					continue;
				}
				$evictable = $evictable || $priority > self::MONEY;
				$custom    = $custom || self::CUSTOM === $priority;
				foreach ( self::BY_NAME as $name => $event_priority ) {
					if ( $event_priority === $priority ) {
						$events[] = $name;
					}
				}
			}
			$tiers[] = array(
				'seconds'   => $seconds,
				'events'    => $events,
				'custom'    => $custom,
				'evictable' => $evictable,
			);
		}//end foreach
		usort( $tiers, static fn( array $a, array $b ): int => $b['seconds'] <=> $a['seconds'] );
		return $tiers;
	}

	/**
	 * How long an undelivered event with this name is kept.
	 *
	 * @param string $event_name Standard or custom:<name>.
	 * @return int Seconds.
	 */
	public static function retention_for_event( string $event_name ): int {
		return self::retention_seconds( self::for_event( $event_name ) );
	}
}
