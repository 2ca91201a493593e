<?php
/**
 * An on/off list of event names kept in one option.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Event;

use LayerSync\Internal\Rest\FieldError;
use WP_Error;

/**
 * The shared mechanics of the Events screen's two lists (Commerce\CommerceSettings::EVENTS in
 * `layersync_commerce_events`, TrackedEvents::SITE_EVENTS in `layersync_site_events`): what is
 * switched on, read from the option, and the check of a list a merchant sends.
 *
 * @since 0.1.0
 */
final class EventSwitches {

	/**
	 * The events switched on.
	 *
	 * @param string   $option The option holding them.
	 * @param string[] $all    Every event the list can hold, in order.
	 * @return string[] In the order of $all; all of them when the option was never saved.
	 */
	public static function saved( string $option, array $all ): array {
		$saved = get_option( $option, $all );
		if ( ! is_array( $saved ) ) {
			return $all;
		}
		return array_values( array_intersect( $all, $saved ) );
	}

	/**
	 * Checks a list of event names sent for `$field`.
	 *
	 * @param string   $field  Request field (named in the error).
	 * @param mixed    $events Candidate (decoded JSON).
	 * @param string[] $all    Every event the list can hold, in order.
	 * @return string[]|WP_Error The events in the order of $all, or a 400 naming the field.
	 */
	public static function validate( string $field, $events, array $all ) {
		if ( ! is_array( $events ) || ! array_is_list( $events ) ) {
			/* translators: %s: request field name such as commerce_events */
			return FieldError::invalid( $field, sprintf( __( '%s must be a list of event names.', 'layersync' ), $field ) );
		}
		foreach ( $events as $event ) {
			if ( ! is_string( $event ) || ! in_array( $event, $all, true ) ) {
				return FieldError::invalid(
					$field,
					sprintf(
						/* translators: 1: request field name such as commerce_events, 2: comma-separated event names */
						__( '%1$s may only contain: %2$s.', 'layersync' ),
						$field,
						implode( ', ', $all )
					)
				);
			}
		}
		return array_values( array_intersect( $all, $events ) );
	}
}
