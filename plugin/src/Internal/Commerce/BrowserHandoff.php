<?php
/**
 * Hands the ids of server-recorded cart events to the browser.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Commerce;

use LayerSync\Internal\Forms\BrowserHandoff as ServerEventsCookie;

/**
 * Cart changes are recorded by the server (add_to_cart, remove_from_cart): it sees every path —
 * the classic form, WooCommerce's AJAX button, the Store API of the cart and checkout blocks —
 * even when the tracker is blocked. The tracker still fires the platforms' pixels, and pixel and
 * server copy must share the event id so the platforms count one conversion.
 *
 * The response that changed the cart therefore carries the id in the cookie every
 * server-recorded event uses, `layersync_events` (Forms\BrowserHandoff, docs/CONTRACT.md
 * "Server-recorded events → browser"), whatever kind of response it is: a redirect after a form
 * post, AJAX JSON, a Store API answer. Same attributes (path, 5 minutes, not HttpOnly,
 * SameSite=Lax), same entries — `{"event_id", "event_name", "source", "t"}` with source
 * `woocommerce:add_to_cart` / `woocommerce:remove_from_cart` — plus `commerce` (value, currency,
 * items) so the pixel can carry the value and product ids:
 *
 *     [{"event_id": "0192…", "event_name": "add_to_cart", "source": "woocommerce:add_to_cart",
 *       "t": 1732390000, "commerce": {"value": 40, "currency": "EUR", "items": [{"id": "TEE-1",
 *       "name": "Tee", "price": 20, "quantity": 2, …}]}}]
 *
 * The tracker reads it on page load and after WooCommerce's cart events (`added_to_cart`,
 * `removed_from_cart`, `wc-blocks_added_to_cart`, `wc-blocks_removed_from_cart`), fires each new
 * entry's pixels with its event_id (it does not post them: the server has them already), then
 * deletes the cookie. Later requests append until it does (at most five entries, newest last).
 *
 * Written only when the visitor's consent allows storage (ad_storage or analytics_storage) —
 * without it no pixel may fire anyway — and never after output began.
 *
 * @since 0.1.0
 */
final class BrowserHandoff {

	public const COOKIE = ServerEventsCookie::COOKIE;

	public const LIFETIME = ServerEventsCookie::LIFETIME;

	public const MAX_ENTRIES = 5;

	/**
	 * Largest cookie value written, percent-encoded (browsers keep about 4 KB per cookie).
	 */
	public const MAX_BYTES = 3800;

	/**
	 * Writes the cookie: fn( string $name, string $value, int $expires ): void.
	 *
	 * @var callable(string, string, int): void
	 */
	private $write_cookie;

	/**
	 * Entries handed over by this request.
	 *
	 * @var array<int, array<string, mixed>>
	 */
	private array $handed = array();

	/**
	 * Constructor.
	 *
	 * @param (callable(string, string, int): void)|null $write_cookie Cookie writer (tests); by
	 *        default the one every server-recorded event uses.
	 */
	public function __construct( ?callable $write_cookie = null ) {
		$this->write_cookie = $write_cookie ?? array( ServerEventsCookie::class, 'set_cookie' );
	}

	/**
	 * Adds a recorded event to the cookie.
	 *
	 * @param array<string, mixed> $event Recorded event (event_id, event_name, commerce).
	 */
	public function hand_over( array $event ): void {
		$name  = (string) ( $event['event_name'] ?? '' );
		$entry = array(
			'event_id'   => (string) ( $event['event_id'] ?? '' ),
			'event_name' => $name,
			'source'     => 'woocommerce:' . $name,
			't'          => time(),
		);
		if ( isset( $event['commerce'] ) && is_array( $event['commerce'] ) ) {
			$entry['commerce'] = $event['commerce'];
		}
		$this->handed[] = $entry;

		$entries   = $this->pending();
		$entries[] = $entry;
		$entries   = array_slice( $entries, -self::MAX_ENTRIES );
		$value     = (string) wp_json_encode( $entries, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE );
		$too_big   = strlen( rawurlencode( $value ) ) > self::MAX_BYTES;
		while ( $too_big && count( $entries ) > 1 ) { // phpcs:ignore Squiz.PHP.DisallowSizeFunctionsInLoops.Found -- the list shrinks each turn.
			array_shift( $entries );
			$value   = (string) wp_json_encode( $entries, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE );
			$too_big = strlen( rawurlencode( $value ) ) > self::MAX_BYTES;
		}
		if ( $too_big ) {
			// One entry with a very long cart line: keep the id, drop the details.
			unset( $entries[0]['commerce'] );
			$value = (string) wp_json_encode( $entries, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE );
		}
		// setcookie() percent-encodes the value (RFC 3986, as decodeURIComponent() expects).
		( $this->write_cookie )( self::COOKIE, $value, time() + self::LIFETIME );
		// Later changes in this request append to what this one wrote.
		$_COOKIE[ self::COOKIE ] = wp_slash( $value );
	}

	/**
	 * Entries the tracker has not taken yet, from any writer (lead forms too), as written.
	 *
	 * @return array<int, array<string, mixed>>
	 */
	public function pending(): array {
		if ( ! isset( $_COOKIE[ self::COOKIE ] ) || ! is_string( $_COOKIE[ self::COOKIE ] ) ) {
			return array();
		}
		// Decoded and reduced to well-formed, fresh entries below.
		$raw     = wp_unslash( $_COOKIE[ self::COOKIE ] ); // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized
		$decoded = strlen( $raw ) <= 8192 ? json_decode( $raw, true ) : null;
		$entries = array();
		foreach ( is_array( $decoded ) ? $decoded : array() as $entry ) {
			if ( is_array( $entry ) && isset( $entry['event_id'], $entry['event_name'], $entry['source'], $entry['t'] )
				&& is_string( $entry['event_id'] ) && is_string( $entry['event_name'] ) && is_string( $entry['source'] )
				&& is_int( $entry['t'] ) && $entry['t'] >= time() - self::LIFETIME ) {
				$entries[] = $entry;
			}
		}
		return $entries;
	}

	/**
	 * Entries handed over during this request (tests, diagnostics).
	 *
	 * @return array<int, array<string, mixed>>
	 */
	public function handed(): array {
		return $this->handed;
	}
}
