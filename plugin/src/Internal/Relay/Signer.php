<?php
/**
 * Request signing for plugin → relay calls.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Relay;

/**
 * Signs a request body as docs/CONTRACT.md specifies: `v1=` + lowercase hex
 * HMAC-SHA256(secret, "{request_id}.{timestamp}.{raw body bytes}"). The relay verifies over the
 * exact bytes it receives, so the body signed here must be the body sent, byte for byte.
 *
 * @since 0.1.0
 */
final class Signer {

	public const HEADER_SITE       = 'X-LayerSync-Site';
	public const HEADER_REQUEST_ID = 'X-LayerSync-Request-Id';
	public const HEADER_TIMESTAMP  = 'X-LayerSync-Timestamp';
	public const HEADER_SIGNATURE  = 'X-LayerSync-Signature';

	/**
	 * The signature header value for one request.
	 *
	 * @param string $secret     Shared secret of the site.
	 * @param string $request_id Fresh UUID for this request (replay protection).
	 * @param int    $timestamp  Unix seconds when signed.
	 * @param string $body       Exact body bytes that will be sent.
	 * @return string `v1=<64 hex>`
	 */
	public static function signature( string $secret, string $request_id, int $timestamp, string $body ): string {
		return 'v1=' . hash_hmac( 'sha256', $request_id . '.' . $timestamp . '.' . $body, $secret );
	}

	/**
	 * All LayerSync headers for one signed request.
	 *
	 * @param string $site_id    Site id registered at the relay.
	 * @param string $secret     Shared secret of the site.
	 * @param string $request_id Fresh UUID for this request.
	 * @param int    $timestamp  Unix seconds when signed.
	 * @param string $body       Exact body bytes that will be sent.
	 * @return array<string, string>
	 */
	public static function headers( string $site_id, string $secret, string $request_id, int $timestamp, string $body ): array {
		return array(
			'Content-Type'          => 'application/json',
			self::HEADER_SITE       => $site_id,
			self::HEADER_REQUEST_ID => $request_id,
			self::HEADER_TIMESTAMP  => (string) $timestamp,
			self::HEADER_SIGNATURE  => self::signature( $secret, $request_id, $timestamp, $body ),
		);
	}
}
