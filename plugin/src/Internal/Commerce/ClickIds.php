<?php
/**
 * Click and browser ids from the visitor's first-party cookies.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Commerce;

use LayerSync\Internal\Privacy\VisitorId;

/**
 * Reads the ids ad platforms match conversions with, from the cookies the checkout (or cart)
 * request carries, so that an order keeps them for events sent later without a browser.
 *
 * Only what consent allows is read — ad ids with ad_storage, the GA ids with analytics_storage —
 * the same rule as the tracker's.
 *
 * Sources, first found wins:
 * 1. `layersync_cid`, written by the tracker: the click ids of landing URLs it keeps in
 *    localStorage (`layersync:cid`), mirrored into a cookie so the server sees them. URL-encoded
 *    JSON object keyed by contract identity key; each value is the id, or `[id, expiry in ms]`
 *    exactly as localStorage keeps it (expired ones are skipped):
 *    `{"gclid":["Cj0K…",1740000000000],"ttclid":"E.C.P.…","scid":"…"}`.
 * 2. The platforms' own cookies: `_fbp`, `_fbc`, `_gcl_aw` (GCL.<time>.<gclid>), `ttclid`,
 *    `_ttp`, `_epik`, `_rdt_cid`, `_rdt_uuid`, `_twclid` (plain, or X's JSON with a "twclid"
 *    member), `li_fat_id`; `_ga` (GA1.1.<client id>) and `_ga_<stream>` (GS1.1.<session>… or
 *    GS2.1.s<session>$…).
 *
 * `_scid` (the Snap Pixel's browser cookie) is not read: the contract's `scid` is Snapchat's
 * click id (the ScCid landing parameter, via `layersync_cid`), a different value.
 *
 * @since 0.1.0
 */
final class ClickIds {

	public const COOKIE = 'layersync_cid';

	/**
	 * Keys `layersync_cid` may carry (the landing-URL click ids of the tracker's CLICK_IDS).
	 */
	public const LANDING_KEYS = array( 'gclid', 'gbraid', 'wbraid', 'ttclid', 'epik', 'scid', 'rdt_cid', 'twclid', 'li_fat_id' );

	/**
	 * Platform cookie => identity key, read as they are (ad_storage).
	 */
	private const AD_COOKIES = array(
		'_fbp'      => 'fbp',
		'_fbc'      => 'fbc',
		'ttclid'    => 'ttclid',
		'_ttp'      => 'ttp',
		'_epik'     => 'epik',
		'_rdt_cid'  => 'rdt_cid',
		'_rdt_uuid' => 'rdt_uuid',
		'_twclid'   => 'twclid',
		'li_fat_id' => 'li_fat_id',
	);

	/**
	 * The ids consent allows, plus identity.external_id of the first-party visitor id
	 * (`layersync_uid`) when consent allows storage.
	 *
	 * @param array<string, mixed> $consent Snapshot of this request.
	 * @return array<string, string> Identity key => value.
	 */
	public function read( array $consent ): array {
		$ids = array();
		if ( ConsentSnapshot::granted( $consent, 'ad_storage' ) ) {
			foreach ( $this->landing_ids() as $key => $value ) {
				$ids[ $key ] = $value;
			}
			foreach ( self::AD_COOKIES as $cookie => $key ) {
				$value = self::cookie( $cookie );
				if ( '_twclid' === $cookie && str_starts_with( $value, '{' ) ) {
					$json  = json_decode( $value, true );
					$value = is_array( $json ) && isset( $json['twclid'] ) && is_string( $json['twclid'] ) ? $json['twclid'] : '';
				}
				self::put( $ids, $key, $value );
			}
			// GCL.<time>.<gclid> — what Google's own tag kept.
			$gcl = explode( '.', self::cookie( '_gcl_aw' ), 3 );
			self::put( $ids, 'gclid', $gcl[2] ?? '' );
		}
		if ( ConsentSnapshot::granted( $consent, 'analytics_storage' ) ) {
			if ( 1 === preg_match( '/(\d+\.\d+)$/', self::cookie( '_ga' ), $m ) ) {
				self::put( $ids, 'ga_client_id', $m[1] );
			}
			foreach ( array_keys( $_COOKIE ) as $name ) {
				if ( is_string( $name ) && 1 === preg_match( '/^_ga_[A-Za-z0-9]+$/', $name )
					&& 1 === preg_match( '/^GS\d\.\d\.s?(\d+)/', self::cookie( $name ), $m ) ) {
					self::put( $ids, 'ga_session_id', $m[1] );
					break;
				}
			}
		}
		if ( ConsentSnapshot::granted( $consent, 'ad_storage' ) || ConsentSnapshot::granted( $consent, 'analytics_storage' ) ) {
			$visitor = ( new VisitorId() )->read();
			if ( '' !== $visitor ) {
				$ids['external_id'] = VisitorId::external_id( $visitor );
			}
		}
		return $ids;
	}

	/**
	 * Unexpired click ids from `layersync_cid`.
	 *
	 * @return array<string, string>
	 */
	private function landing_ids(): array {
		$raw     = self::cookie( self::COOKIE, 4096 );
		$decoded = '' === $raw ? null : json_decode( $raw, true );
		if ( ! is_array( $decoded ) ) {
			return array();
		}
		$ids = array();
		$now = microtime( true ) * 1000;
		foreach ( self::LANDING_KEYS as $key ) {
			$entry = $decoded[ $key ] ?? null;
			if ( is_array( $entry ) && isset( $entry[0] ) && is_string( $entry[0] ) ) {
				if ( isset( $entry[1] ) && is_numeric( $entry[1] ) && (float) $entry[1] < $now ) {
					continue;
				}
				$entry = $entry[0];
			}
			if ( is_string( $entry ) ) {
				self::put( $ids, $key, $entry );
			}
		}
		return $ids;
	}

	/**
	 * Adds an id unless one is there already or the value is unusable (empty, too long,
	 * control characters).
	 *
	 * @param array<string, string> $ids   Ids so far.
	 * @param string                $key   Identity key.
	 * @param string                $value Candidate.
	 */
	private static function put( array &$ids, string $key, string $value ): void {
		$value = trim( $value );
		if ( isset( $ids[ $key ] ) || '' === $value || strlen( $value ) > 512 || 1 === preg_match( '/[\x00-\x1F\x7F]/', $value ) ) {
			return;
		}
		$ids[ $key ] = $value;
	}

	/**
	 * A cookie of this request, unslashed ('' when absent or too long). Values are opaque ids,
	 * checked by put() and by the event validator; sanitize_text_field() would alter some of
	 * them (it strips percent-encoded octets).
	 *
	 * @param string $name       Cookie name.
	 * @param int    $max_length Longest value read.
	 * @return string
	 */
	private static function cookie( string $name, int $max_length = 1024 ): string {
		if ( ! isset( $_COOKIE[ $name ] ) || ! is_string( $_COOKIE[ $name ] ) ) {
			return '';
		}
		$value = wp_unslash( $_COOKIE[ $name ] ); // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- validated by the callers (pattern, length, no control characters).
		return strlen( $value ) <= $max_length ? $value : '';
	}
}
