<?php
/**
 * Shape of the events the WooCommerce hooks record.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Commerce;

/**
 * Assembles a canonical event with source "server", leaving out empty optional parts.
 *
 * @since 0.1.0
 */
final class ServerEvent {

	/**
	 * Builds one event.
	 *
	 * @param string                    $event_id   Event id.
	 * @param string                    $event_name Event name.
	 * @param int                       $event_time Unix time.
	 * @param array<string, mixed>      $context    Context.
	 * @param array<string, string>     $identity   Identity.
	 * @param array<string, mixed>|null $commerce   Commerce.
	 * @param array<string, mixed>|null $consent    Consent snapshot (null: the server's policy decides).
	 * @param array<string, mixed>      $properties Properties.
	 * @return array<string, mixed>
	 */
	public static function make( string $event_id, string $event_name, int $event_time, array $context, array $identity, ?array $commerce, ?array $consent, array $properties = array() ): array {
		$event = array(
			'event_id'   => $event_id,
			'event_name' => $event_name,
			'event_time' => $event_time,
			'source'     => 'server',
		);
		if ( array() !== $context ) {
			$event['context'] = $context;
		}
		if ( array() !== $identity ) {
			$event['identity'] = $identity;
		}
		if ( null !== $commerce && array() !== $commerce ) {
			$event['commerce'] = $commerce;
		}
		if ( null !== $consent ) {
			$event['consent'] = $consent;
		}
		$properties = array_filter( $properties, static fn( $value ): bool => null !== $value && '' !== $value );
		if ( array() !== $properties ) {
			$event['properties'] = $properties;
		}
		return $event;
	}
}
