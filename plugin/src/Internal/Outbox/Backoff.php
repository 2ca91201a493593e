<?php
/**
 * Retry delays.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Outbox;

/**
 * Exponential backoff with "equal jitter": the delay doubles with each attempt up to a cap, and
 * a random half of it spreads retries so many sites (or rows) do not hit a recovering relay at
 * the same second. A Retry-After from the relay is a floor.
 *
 * @since 0.1.0
 */
final class Backoff {

	public const BASE_SECONDS = 15;
	public const CAP_SECONDS  = 3600;

	/**
	 * Longest Retry-After honoured; a larger value is treated as this.
	 */
	public const MAX_RETRY_AFTER = 86400;

	/**
	 * Seconds to wait before the next attempt.
	 *
	 * @param int                       $attempts    Attempts made so far, including the one that just failed (>= 1).
	 * @param int|null                  $retry_after Retry-After seconds from the relay, if any.
	 * @param (callable(int): int)|null $random   Returns an integer in [0, $max]; random_int by default.
	 * @return int
	 */
	public static function delay( int $attempts, ?int $retry_after = null, ?callable $random = null ): int {
		$exponent = min( max( $attempts, 1 ) - 1, 20 );
		$ceiling  = (int) min( self::CAP_SECONDS, self::BASE_SECONDS * ( 2 ** $exponent ) );
		$half     = intdiv( $ceiling, 2 );
		$jitter   = null === $random ? random_int( 0, $ceiling - $half ) : $random( $ceiling - $half );
		$delay    = $half + max( 0, min( $ceiling - $half, $jitter ) );
		if ( null !== $retry_after && $retry_after > 0 ) {
			$delay = max( $delay, min( $retry_after, self::MAX_RETRY_AFTER ) );
		}
		return $delay;
	}
}
