<?php
/**
 * The first-party visitor id.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Privacy;

/**
 * `layersync_uid`: a random UUIDv4 in a first-party, HttpOnly cookie that lives two years and is
 * renewed each time it is used (sliding expiry). Its SHA-256 travels as identity.external_id, so
 * platforms can tie a visitor's events together without any personal data.
 *
 * It is set only with consent (ad_storage or analytics_storage granted in the snapshot of the
 * events being recorded) and deleted as soon as a snapshot without that consent arrives. It is
 * written only on responses that are never cached — the events route and form submissions —
 * never on a page a full-page cache could store and hand to other visitors.
 *
 * @since 0.1.0
 */
final class VisitorId {

	public const COOKIE = 'layersync_uid';

	/**
	 * Two years, renewed on use.
	 */
	public const LIFETIME = 730 * 86400;

	private const UUID4_PATTERN = '/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/';

	/**
	 * Writes a cookie: fn( string $name, string $value, int $expires ): bool (false when it
	 * could not be sent).
	 *
	 * @var callable(string, string, int): bool
	 */
	private $write_cookie;

	/**
	 * The id whose cookie this request already wrote (renewed once per request), or null.
	 *
	 * @var string|null
	 */
	private ?string $written = null;

	/**
	 * Constructor.
	 *
	 * @param (callable(string, string, int): bool)|null $write_cookie Cookie writer; by default
	 *        setcookie() with the site's cookie path and domain, HttpOnly, SameSite=Lax, and
	 *        Secure on HTTPS — skipped once output has started.
	 */
	public function __construct( ?callable $write_cookie = null ) {
		$this->write_cookie = $write_cookie ?? array( self::class, 'set_cookie' );
	}

	/**
	 * The id from the request's cookie, or '' when there is none (or it is malformed).
	 *
	 * @return string
	 */
	public function read(): string {
		$value = isset( $_COOKIE[ self::COOKIE ] ) && is_string( $_COOKIE[ self::COOKIE ] )
			? strtolower( sanitize_text_field( wp_unslash( $_COOKIE[ self::COOKIE ] ) ) )
			: '';
		return 1 === preg_match( self::UUID4_PATTERN, $value ) ? $value : '';
	}

	/**
	 * Applies a consent snapshot to the cookie: with consent the id is created or renewed (two
	 * more years) and returned; without it an existing cookie is deleted and '' returned. The
	 * cookie is renewed at most once per request.
	 *
	 * @param array<string, mixed> $consent Snapshot of the events being recorded.
	 * @return string The visitor id to use for this request, or ''.
	 */
	public function sync( array $consent ): string {
		$current = $this->read();
		if ( ! ConsentResolver::allows_storage( $consent ) ) {
			if ( '' !== $current ) {
				( $this->write_cookie )( self::COOKIE, '', time() - 365 * 86400 );
				unset( $_COOKIE[ self::COOKIE ] );
			}
			$this->written = null;
			return '';
		}
		if ( '' !== $current && $current === $this->written ) {
			return $current;
		}
		$id = '' !== $current ? $current : wp_generate_uuid4();
		if ( ! ( $this->write_cookie )( self::COOKIE, $id, time() + self::LIFETIME ) && '' === $current ) {
			// A new id the browser will never hold would tie nothing together.
			return '';
		}
		$_COOKIE[ self::COOKIE ] = $id;
		$this->written           = $id;
		return $id;
	}

	/**
	 * The identity.external_id of a visitor id: SHA-256 of the trimmed id (docs/CONTRACT.md).
	 *
	 * @param string $id Visitor id.
	 * @return string 64 hex characters, or '' for ''.
	 */
	public static function external_id( string $id ): string {
		$id = trim( $id );
		return '' === $id ? '' : hash( 'sha256', $id );
	}

	/**
	 * Default cookie writer.
	 *
	 * @param string $name    Cookie name.
	 * @param string $value   Value ('' with a past expiry deletes it).
	 * @param int    $expires Unix time.
	 * @return bool Whether the header was sent.
	 */
	public static function set_cookie( string $name, string $value, int $expires ): bool {
		if ( headers_sent() ) {
			return false;
		}
		return setcookie(
			$name,
			$value,
			array(
				'expires'  => $expires,
				'path'     => defined( 'COOKIEPATH' ) && '' !== COOKIEPATH ? COOKIEPATH : '/',
				'domain'   => defined( 'COOKIE_DOMAIN' ) && is_string( COOKIE_DOMAIN ) ? COOKIE_DOMAIN : '',
				'secure'   => is_ssl(),
				'httponly' => true,
				'samesite' => 'Lax',
			)
		);
	}
}
