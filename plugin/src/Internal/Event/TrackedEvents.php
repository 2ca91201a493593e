<?php
/**
 * Which events the merchant switched on.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Event;

use LayerSync\Internal\Commerce\CommerceSettings;
use LayerSync\Internal\Settings;
use WP_Error;

/**
 * The on/off list of the Events screen. Two options hold it:
 * - `layersync_commerce_events` (Commerce\CommerceSettings): the WooCommerce funnel events;
 * - `layersync_site_events` (here): the events of any site, `page_view` and `lead` (lead forms).
 *   Autoloaded: the storefront reads it on every page (tracker configuration).
 *
 * A switched-off event is not recorded, whoever sends it: the tracker is told not to record
 * it (`page_view: false`, `forms: false` in LayerSyncConfig, page events left out), the
 * server-side hooks skip it, and EventRecorder refuses it — pages cached before the switch
 * was turned off may still send it from the browser. Event names outside both lists (custom
 * events, sign_up, search…) are always recorded.
 *
 * @since 0.1.0
 */
final class TrackedEvents {

	public const OPTION_SITE_EVENTS = Settings::OPTION_SITE_EVENTS;

	/**
	 * Events of every site that can be switched off (besides the WooCommerce funnel).
	 */
	public const SITE_EVENTS = array( 'page_view', 'lead' );

	/**
	 * The WooCommerce settings (funnel events).
	 *
	 * @var CommerceSettings
	 */
	private CommerceSettings $commerce;

	/**
	 * Constructor.
	 *
	 * @param CommerceSettings|null $commerce WooCommerce settings (a default one when null).
	 */
	public function __construct( ?CommerceSettings $commerce = null ) {
		$this->commerce = $commerce ?? new CommerceSettings();
	}

	/**
	 * Site events that are recorded.
	 *
	 * @return string[] In the order of self::SITE_EVENTS.
	 */
	public function site_events(): array {
		return EventSwitches::saved( self::OPTION_SITE_EVENTS, self::SITE_EVENTS );
	}

	/**
	 * Whether events with this name may be recorded.
	 *
	 * @param string $event_name Event name.
	 * @return bool False only for a switchable event that is switched off.
	 */
	public function is_tracked( string $event_name ): bool {
		if ( in_array( $event_name, self::SITE_EVENTS, true ) ) {
			return in_array( $event_name, $this->site_events(), true );
		}
		if ( in_array( $event_name, CommerceSettings::EVENTS, true ) ) {
			return $this->commerce->is_enabled( $event_name );
		}
		return true;
	}

	/**
	 * Checks a list of site event names.
	 *
	 * @param mixed $events Candidate (decoded JSON).
	 * @return string[]|WP_Error The events in the order of self::SITE_EVENTS.
	 */
	public static function validate_site_events( $events ) {
		return EventSwitches::validate( 'site_events', $events, self::SITE_EVENTS );
	}

	/**
	 * Saves a validated list of site events; null keeps the saved one.
	 *
	 * @param string[]|null $events From validate_site_events().
	 */
	public function save_site_events( ?array $events ): void {
		if ( null !== $events ) {
			update_option( self::OPTION_SITE_EVENTS, array_values( $events ), true );
		}
	}
}
