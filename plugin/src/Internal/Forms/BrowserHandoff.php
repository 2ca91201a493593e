<?php
/**
 * Hands the event id of a server-recorded event to the browser.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Forms;

use LayerSync\Internal\Privacy\ConsentResolver;

/**
 * The browser's platform pixels must fire with the same event_id as the server copy, or
 * platforms count the conversion twice. Server-recorded events reach the browser two ways:
 *
 * 1. In the form plugin's own AJAX answer, where it has a filter for it (each adapter adds
 *    `{"layersync": {"event_id", "event_name"}}` — see docs/CONTRACT.md, "Server events → browser");
 * 2. always, in a short-lived first-party cookie `layersync_events` (5 minutes, path /, not
 *    HttpOnly so the tracker can read it, SameSite=Lax): JSON, percent-encoded on the wire
 *    (read it with decodeURIComponent then JSON.parse), a list of at most five
 *    `{"event_id", "event_name", "source", "t"}` (newest last; source e.g. "cf7:12"; t = unix
 *    seconds). It covers non-AJAX submissions, redirects after submit and WooCommerce checkout.
 *    The tracker fires the pixel for each entry it has not fired yet and then deletes the cookie.
 *
 * Like the visitor id, the cookie is written only when the event's consent snapshot allows
 * storage — without it the pixels do not fire, so there is nothing to deduplicate.
 *
 * @since 0.1.0
 */
final class BrowserHandoff {

	public const COOKIE = 'layersync_events';

	public const LIFETIME = 300;

	private const MAX_ENTRIES = 5;

	/**
	 * Events recorded in this request: source => [event_id, event_name].
	 *
	 * @var array<string, array{event_id: string, event_name: string}>
	 */
	private array $recorded = array();

	/**
	 * Writes a cookie: fn( string $name, string $value, int $expires ): void.
	 *
	 * @var callable(string, string, int): void
	 */
	private $write_cookie;

	/**
	 * Constructor.
	 *
	 * @param (callable(string, string, int): void)|null $write_cookie Cookie writer (tests); by
	 *        default setcookie() readable by scripts, skipped once output has started.
	 */
	public function __construct( ?callable $write_cookie = null ) {
		$this->write_cookie = $write_cookie ?? array( self::class, 'set_cookie' );
	}

	/**
	 * Remembers an event recorded for $source and, with consent, adds it to the cookie.
	 *
	 * @param string               $source     Where it came from, e.g. "cf7:12", "woocommerce:sign_up".
	 * @param string               $event_id   Event id.
	 * @param string               $event_name Event name.
	 * @param array<string, mixed> $consent    The event's consent snapshot.
	 */
	public function add( string $source, string $event_id, string $event_name, array $consent ): void {
		$this->recorded[ $source ] = array(
			'event_id'   => $event_id,
			'event_name' => $event_name,
		);
		if ( ! ConsentResolver::allows_storage( $consent ) ) {
			return;
		}
		$entries   = self::read_cookie();
		$entries[] = array(
			'event_id'   => $event_id,
			'event_name' => $event_name,
			'source'     => $source,
			't'          => time(),
		);
		$entries   = array_slice( $entries, -self::MAX_ENTRIES );
		$value     = (string) wp_json_encode( $entries, JSON_UNESCAPED_SLASHES );
		// setcookie() URL-encodes the value on the wire; PHP decodes it into $_COOKIE.
		( $this->write_cookie )( self::COOKIE, $value, time() + self::LIFETIME );
		$_COOKIE[ self::COOKIE ] = wp_slash( $value );
	}

	/**
	 * The event recorded for $source in this request, for the form plugin's AJAX answer.
	 *
	 * @param string $source E.g. "cf7:12".
	 * @return array{event_id: string, event_name: string}|null
	 */
	public function recorded( string $source ): ?array {
		return $this->recorded[ $source ] ?? null;
	}

	/**
	 * Fresh entries of the request's cookie (the tracker may not have read them yet).
	 *
	 * @return list<array{event_id: string, event_name: string, source: string, t: int}>
	 */
	public static function read_cookie(): array {
		if ( ! isset( $_COOKIE[ self::COOKIE ] ) || ! is_string( $_COOKIE[ self::COOKIE ] ) ) {
			return array();
		}
		// JSON written by add() (PHP already URL-decoded it); every entry is re-checked below.
		$decoded = json_decode( wp_unslash( $_COOKIE[ self::COOKIE ] ), true ); // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- JSON; each field is validated below.
		$out     = array();
		foreach ( is_array( $decoded ) ? $decoded : array() as $entry ) {
			if ( ! is_array( $entry ) || ! isset( $entry['event_id'], $entry['event_name'], $entry['source'], $entry['t'] ) ) {
				continue;
			}
			if ( ! is_string( $entry['event_id'] ) || 1 !== preg_match( '/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/', $entry['event_id'] )
				|| ! is_string( $entry['event_name'] ) || 1 !== preg_match( '/^[a-z_]{1,40}$|^custom:[A-Za-z0-9_]{1,40}$/', $entry['event_name'] )
				|| ! is_string( $entry['source'] ) || 1 !== preg_match( '/^[a-z0-9_]{1,32}:[A-Za-z0-9_-]{1,64}$/', $entry['source'] )
				|| ! is_int( $entry['t'] ) || $entry['t'] < time() - self::LIFETIME ) {
				continue;
			}
			$out[] = array(
				'event_id'   => $entry['event_id'],
				'event_name' => $entry['event_name'],
				'source'     => $entry['source'],
				't'          => $entry['t'],
			);
		}
		return $out;
	}

	/**
	 * Default cookie writer: readable by the tracker (not HttpOnly), SameSite=Lax, Secure on HTTPS.
	 *
	 * @param string $name    Cookie name.
	 * @param string $value   Value.
	 * @param int    $expires Unix time.
	 */
	public static function set_cookie( string $name, string $value, int $expires ): void {
		if ( headers_sent() ) {
			return;
		}
		setcookie(
			$name,
			$value,
			array(
				'expires'  => $expires,
				'path'     => defined( 'COOKIEPATH' ) && '' !== COOKIEPATH ? COOKIEPATH : '/',
				'domain'   => defined( 'COOKIE_DOMAIN' ) && is_string( COOKIE_DOMAIN ) ? COOKIE_DOMAIN : '',
				'secure'   => is_ssl(),
				'httponly' => false,
				'samesite' => 'Lax',
			)
		);
	}
}
