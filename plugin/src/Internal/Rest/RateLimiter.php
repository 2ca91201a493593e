<?php
/**
 * Per-client fixed-window request counting for the public events route.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Rest;

/**
 * Counts requests per client address in fixed windows (e.g. 240 per 60 s) and says when a
 * client is over its limit and for how long.
 *
 * No address is stored: counters are keyed by a keyed hash (HMAC with a secret from the site's
 * salts, so the small IPv4 space cannot be enumerated back from a key). IPv6 clients are
 * counted per /64, the block one subscriber gets, so rotating addresses within it does not
 * escape the limit.
 *
 * With a persistent object cache (Redis, Memcached…) counters live there and are incremented
 * atomically. Without one they are transients (rows in wp_options): read-increment-write is not
 * atomic, so a burst of parallel requests may count a few requests fewer — acceptable for abuse
 * protection, and no write happens on visitors' page views, only on events requests.
 *
 * @since 0.1.0
 */
final class RateLimiter {

	public const CACHE_GROUP = 'layersync_rate';

	/**
	 * Transient / cache key prefix (the hash follows).
	 */
	public const KEY_PREFIX = 'layersync_rl_';

	/**
	 * Current unix time, for tests: fn(): int.
	 *
	 * @var callable(): int
	 */
	private $clock;

	/**
	 * Constructor.
	 *
	 * @param (callable(): int)|null $clock Unix time source; time() by default.
	 */
	public function __construct( ?callable $clock = null ) {
		$this->clock = $clock ?? 'time';
	}

	/**
	 * Counts one request from $ip and says whether it is within the limit.
	 *
	 * @param string $ip     Client address (as validated by the caller).
	 * @param int    $limit  Requests allowed per window; 0 or less disables the limit.
	 * @param int    $window Window length in seconds.
	 * @return array{allowed: bool, count: int, retry_after: int} retry_after: seconds until the
	 *         window ends (0 when allowed).
	 */
	public function hit( string $ip, int $limit, int $window ): array {
		if ( $limit <= 0 || '' === $ip ) {
			return array(
				'allowed'     => true,
				'count'       => 0,
				'retry_after' => 0,
			);
		}
		$window = max( 1, $window );
		$now    = (int) ( $this->clock )();
		$start  = $now - ( $now % $window );
		$key    = self::key( $ip );
		$count  = wp_using_ext_object_cache()
			? $this->hit_object_cache( $key . '_' . $start, $window )
			: $this->hit_transient( $key, $start, $window );
		$over   = $count > $limit;
		return array(
			'allowed'     => ! $over,
			'count'       => $count,
			'retry_after' => $over ? max( 1, $start + $window - $now ) : 0,
		);
	}

	/**
	 * Counter key for an address: prefix + 32 hex characters of an HMAC — never the address.
	 *
	 * @param string $ip Client address.
	 * @return string
	 */
	public static function key( string $ip ): string {
		return self::KEY_PREFIX . substr( hash_hmac( 'sha256', self::client_block( $ip ), wp_salt( 'nonce' ) ), 0, 32 );
	}

	/**
	 * The unit a limit applies to: the IPv4 address, or the /64 of an IPv6 address.
	 *
	 * @param string $ip Client address.
	 * @return string
	 */
	public static function client_block( string $ip ): string {
		if ( false === filter_var( $ip, FILTER_VALIDATE_IP, FILTER_FLAG_IPV6 ) ) {
			return $ip;
		}
		$packed = inet_pton( $ip );
		if ( false === $packed ) {
			return $ip;
		}
		$mapped = "\0\0\0\0\0\0\0\0\0\0\xff\xff";
		if ( str_starts_with( $packed, $mapped ) ) {
			// An IPv4 client seen through an IPv6 socket.
			return (string) inet_ntop( substr( $packed, 12 ) );
		}
		return (string) inet_ntop( substr( $packed, 0, 8 ) . str_repeat( "\0", 8 ) ) . '/64';
	}

	/**
	 * Atomic count in a persistent object cache; the key carries the window start, so a new
	 * window starts at zero and old ones expire on their own.
	 *
	 * @param string $key    Key.
	 * @param int    $window Window length.
	 * @return int Requests counted in this window, this one included.
	 */
	private function hit_object_cache( string $key, int $window ): int {
		wp_cache_add( $key, 0, self::CACHE_GROUP, $window + 5 );
		$count = wp_cache_incr( $key, 1, self::CACHE_GROUP );
		if ( false === $count ) {
			// The entry was evicted between add and incr: count this request as the first.
			wp_cache_set( $key, 1, self::CACHE_GROUP, $window + 5 );
			return 1;
		}
		return (int) $count;
	}

	/**
	 * Count in a transient holding "window start:count".
	 *
	 * @param string $key    Key.
	 * @param int    $start  Window start (unix time).
	 * @param int    $window Window length.
	 * @return int Requests counted in this window, this one included.
	 */
	private function hit_transient( string $key, int $start, int $window ): int {
		$stored = get_transient( $key );
		if ( is_string( $stored ) && 1 === preg_match( '/^(\d+):(\d+)$/', $stored, $m ) && (int) $m[1] === $start ) {
			$count = (int) $m[2] + 1;
			// Same window: the expiry set when it began still holds, so only the value is
			// written (one UPDATE instead of two).
			set_transient( $key, $start . ':' . $count );
			return $count;
		}
		set_transient( $key, $start . ':1', $window );
		return 1;
	}
}
