<?php
/**
 * WooCommerce settings: which funnel events are tracked, and when offline payments count.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Commerce;

use LayerSync\Internal\Event\EventSwitches;
use LayerSync\Internal\Rest\FieldError;
use LayerSync\Internal\Settings;
use WP_Error;

/**
 * Reads, validates and writes the two WooCommerce options (both autoloaded: the storefront reads
 * them on cart requests and product pages).
 *
 * - `layersync_commerce_events`: the funnel events LayerSync records, a list of event names
 *   (default: all of self::EVENTS). A disabled page-level event is not printed for the tracker,
 *   so it cannot be sent from the browser either.
 * - `layersync_purchase_timing`: per offline gateway (bacs, cheque, cod), whether the purchase is
 *   sent when the order is placed or when it is paid (default: paid, policy 3). Every other
 *   gateway confirms payment itself, so its purchase is always sent when paid.
 *
 * @since 0.1.0
 */
final class CommerceSettings {

	public const OPTION_EVENTS = Settings::OPTION_COMMERCE_EVENTS;
	public const OPTION_TIMING = Settings::OPTION_PURCHASE_TIMING;

	/**
	 * Every funnel event LayerSync can record for a WooCommerce store, in funnel order.
	 */
	public const EVENTS = array(
		'view_item',
		'view_item_list',
		'add_to_cart',
		'remove_from_cart',
		'view_cart',
		'begin_checkout',
		'add_shipping_info',
		'add_payment_info',
		'purchase',
		'refund',
	);

	public const TIMING_PLACED = 'placed';
	public const TIMING_PAID   = 'paid';
	public const TIMINGS       = array( self::TIMING_PLACED, self::TIMING_PAID );

	/**
	 * WooCommerce's own offline gateways: payment happens outside the store, so only the merchant
	 * knows when the money arrived (by marking the order processing or completed).
	 */
	public const OFFLINE_GATEWAYS = array( 'bacs', 'cheque', 'cod' );

	/**
	 * Default of layersync_purchase_timing.
	 *
	 * @return array<string, string>
	 */
	public static function default_timing(): array {
		return array_fill_keys( self::OFFLINE_GATEWAYS, self::TIMING_PAID );
	}

	/**
	 * What the admin route answers for a site that never changed these settings.
	 *
	 * @return array{commerce_events: string[], purchase_timing: array<string, string>}
	 */
	public static function defaults_for_admin(): array {
		return array(
			'commerce_events' => self::EVENTS,
			'purchase_timing' => self::default_timing(),
		);
	}

	/**
	 * Funnel events that are recorded.
	 *
	 * @return string[] In the order of self::EVENTS.
	 */
	public function enabled_events(): array {
		return EventSwitches::saved( self::OPTION_EVENTS, self::EVENTS );
	}

	/**
	 * Whether one funnel event is recorded.
	 *
	 * @param string $event_name Event name.
	 * @return bool
	 */
	public function is_enabled( string $event_name ): bool {
		return in_array( $event_name, $this->enabled_events(), true );
	}

	/**
	 * Offline gateways the timing setting applies to.
	 *
	 * @return string[]
	 */
	public function offline_gateways(): array {
		/**
		 * Filters the gateways whose purchases may be sent "when placed" instead of "when paid":
		 * gateways where the customer pays outside the store and the merchant confirms payment by
		 * hand. Add the id of a custom offline gateway (e.g. "invoice") to make it configurable.
		 *
		 * @since 0.1.0
		 *
		 * @param string[] $gateways Gateway ids. Default bacs, cheque, cod.
		 */
		$gateways = apply_filters( 'layersync_offline_gateways', self::OFFLINE_GATEWAYS );
		$out      = array();
		foreach ( is_array( $gateways ) ? $gateways : self::OFFLINE_GATEWAYS as $gateway ) {
			if ( is_string( $gateway ) && 1 === preg_match( '/^[A-Za-z0-9_\-]{1,64}$/', $gateway ) ) {
				$out[] = $gateway;
			}
		}
		return array_values( array_unique( $out ) );
	}

	/**
	 * Timing of every offline gateway ("placed" or "paid").
	 *
	 * @return array<string, string>
	 */
	public function purchase_timing(): array {
		$saved = get_option( self::OPTION_TIMING, self::default_timing() );
		$saved = is_array( $saved ) ? $saved : array();
		$out   = array();
		foreach ( $this->offline_gateways() as $gateway ) {
			$out[ $gateway ] = self::TIMING_PLACED === ( $saved[ $gateway ] ?? null ) ? self::TIMING_PLACED : self::TIMING_PAID;
		}
		return $out;
	}

	/**
	 * Timing for an order's gateway: the setting for offline gateways, "paid" for all others.
	 *
	 * @param string $gateway Payment method id of the order.
	 * @return string self::TIMING_PLACED or self::TIMING_PAID.
	 */
	public function timing_for( string $gateway ): string {
		return $this->purchase_timing()[ $gateway ] ?? self::TIMING_PAID;
	}

	/**
	 * Checks a list of event names.
	 *
	 * @param mixed $events Candidate (decoded JSON).
	 * @return string[]|WP_Error The events in funnel order.
	 */
	public static function validate_events( $events ) {
		return EventSwitches::validate( 'commerce_events', $events, self::EVENTS );
	}

	/**
	 * Checks a gateway => timing map. Gateways left out keep their saved timing.
	 *
	 * @param mixed $timing Candidate (decoded JSON object).
	 * @return array<string, string>|WP_Error The complete map to save.
	 */
	public function validate_purchase_timing( $timing ) {
		if ( ! is_array( $timing ) || ( array() !== $timing && array_is_list( $timing ) ) ) {
			return FieldError::invalid( 'purchase_timing', __( 'purchase_timing must be an object such as {"bacs": "paid", "cod": "placed"}.', 'layersync' ) );
		}
		$gateways = $this->offline_gateways();
		$out      = $this->purchase_timing();
		foreach ( $timing as $gateway => $value ) {
			if ( ! in_array( (string) $gateway, $gateways, true ) ) {
				return FieldError::invalid(
					'purchase_timing',
					sprintf(
						/* translators: %s: comma-separated gateway ids */
						__( 'purchase_timing applies only to the offline gateways %s: online gateways confirm payment themselves, so their purchases are always sent when paid.', 'layersync' ),
						implode( ', ', $gateways )
					)
				);
			}
			if ( ! in_array( $value, self::TIMINGS, true ) ) {
				return FieldError::invalid( 'purchase_timing', __( 'Each purchase_timing value must be "placed" (send when the order is placed) or "paid" (send when you mark it paid).', 'layersync' ) );
			}
			$out[ (string) $gateway ] = (string) $value;
		}
		return $out;
	}

	/**
	 * Saves validated values; null keeps the saved one.
	 *
	 * @param string[]|null              $events Event names (from validate_events()).
	 * @param array<string, string>|null $timing Gateway => timing (from validate_purchase_timing()).
	 */
	public function save( ?array $events, ?array $timing ): void {
		if ( null !== $events ) {
			update_option( self::OPTION_EVENTS, array_values( $events ), true );
		}
		if ( null !== $timing ) {
			update_option( self::OPTION_TIMING, $timing, true );
		}
	}

	/**
	 * What the admin app sees.
	 *
	 * @return array{commerce_events: string[], purchase_timing: array<string, string>}
	 */
	public function to_array(): array {
		return array(
			'commerce_events' => $this->enabled_events(),
			'purchase_timing' => $this->purchase_timing(),
		);
	}
}
