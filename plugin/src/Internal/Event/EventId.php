<?php
/**
 * Ids created by the plugin: event ids, and the request ids it signs relay requests with.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Event;

/**
 * UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Time-ordered ids keep the
 * relay's and the outbox's indexes append-mostly (random event ids cost ~3× ingest throughput,
 * ENVIRONMENT.md; random request ids a third of single-event throughput, bench/README.md). Pure PHP.
 *
 * @since 0.1.0
 */
final class EventId {

	public const UUID7_PATTERN = '/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/';

	/**
	 * A new UUIDv7.
	 *
	 * @param float|null $now Unix time in seconds (with fractions); microtime(true) by default.
	 * @return string Lowercase, hyphenated.
	 */
	public static function uuid7( ?float $now = null ): string {
		$ms       = (int) floor( ( $now ?? microtime( true ) ) * 1000 );
		$bytes    = substr( pack( 'J', $ms ), 2, 6 ) . random_bytes( 10 );
		$bytes[6] = chr( ( ord( $bytes[6] ) & 0x0f ) | 0x70 );
		$bytes[8] = chr( ( ord( $bytes[8] ) & 0x3f ) | 0x80 );
		$hex      = bin2hex( $bytes );
		return substr( $hex, 0, 8 ) . '-' . substr( $hex, 8, 4 ) . '-' . substr( $hex, 12, 4 ) . '-' . substr( $hex, 16, 4 ) . '-' . substr( $hex, 20, 12 );
	}

	/**
	 * Milliseconds encoded in a UUIDv7 (tests, diagnostics).
	 *
	 * @param string $uuid UUIDv7.
	 * @return int|null
	 */
	public static function uuid7_time_ms( string $uuid ): ?int {
		if ( 1 !== preg_match( self::UUID7_PATTERN, $uuid ) ) {
			return null;
		}
		return (int) hexdec( substr( str_replace( '-', '', $uuid ), 0, 12 ) );
	}
}
