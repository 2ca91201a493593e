<?php
/**
 * JSON encoding of canonical events.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Event;

/**
 * Encodes a validated event so that every object of the contract is a JSON object even when
 * empty (PHP arrays would otherwise become `[]`, which the relay's strict schema rejects).
 * The outbox stores this text and the drain concatenates it verbatim into the signed body.
 *
 * @since 0.1.0
 */
final class EventJson {

	private const OBJECT_FIELDS = array( 'context', 'identity', 'commerce', 'consent', 'properties' );

	/**
	 * Encodes one event.
	 *
	 * @param array<string, mixed> $event Validated event.
	 * @return string
	 * @throws \JsonException When a value cannot be encoded (e.g. invalid UTF-8 from a filter).
	 */
	public static function encode( array $event ): string {
		foreach ( self::OBJECT_FIELDS as $field ) {
			if ( isset( $event[ $field ] ) && is_array( $event[ $field ] ) ) {
				if ( 'consent' === $field && isset( $event['consent']['ldu'] ) && is_array( $event['consent']['ldu'] ) ) {
					// An empty ldu ("Limited Data Use, region unknown") must stay `{}`.
					$event['consent']['ldu'] = (object) $event['consent']['ldu'];
				}
				if ( 'commerce' === $field && isset( $event['commerce']['items'] ) && is_array( $event['commerce']['items'] ) ) {
					$event['commerce']['items'] = array_map(
						static fn( $item ) => (object) $item,
						array_values( $event['commerce']['items'] )
					);
				}
				$event[ $field ] = (object) $event[ $field ];
			}
		}
		// Plain json_encode on purpose: these exact bytes are stored and later signed, and an
		// encoding failure must surface as an error instead of wp_json_encode's silent retries.
		return json_encode( $event, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR ); // phpcs:ignore WordPress.WP.AlternativeFunctions.json_encode_json_encode
	}
}
