<?php
/**
 * The plugin's settings, stored as options.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal;

use WP_Error;

/**
 * Reads, validates and writes LayerSync's options.
 *
 * The relay URL and site id are autoloaded (the front end needs neither, but the drain and the
 * admin read them often and they are tiny). The shared secret is NOT autoloaded: it is read only
 * when the outbox drains or the admin tests the connection, and it is never printed back in
 * full — the admin sees a masked hint such as "••••cdef".
 *
 * @since 0.1.0
 */
final class Settings {

	public const OPTION_RELAY_URL       = 'layersync_relay_url';
	public const OPTION_SITE_ID         = 'layersync_site_id';
	public const OPTION_SECRET          = 'layersync_secret';
	public const OPTION_ANONYMIZE_IP    = 'layersync_anonymize_ip';
	public const OPTION_CONSENT_DEFAULT = 'layersync_consent_default';

	public const SITE_ID_PATTERN   = '/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/';
	public const SECRET_MIN_LENGTH = 32;
	public const SECRET_MAX_LENGTH = 256;

	public const CONSENT_GRANTED = 'granted';
	public const CONSENT_DENIED  = 'denied';

	/**
	 * Option name => [default, autoload].
	 */
	private const OPTIONS = array(
		self::OPTION_RELAY_URL       => array( '', true ),
		self::OPTION_SITE_ID         => array( '', true ),
		self::OPTION_SECRET          => array( '', false ),
		self::OPTION_ANONYMIZE_IP    => array( '0', true ),
		self::OPTION_CONSENT_DEFAULT => array( self::CONSENT_GRANTED, true ),
	);

	/**
	 * Creates the options with their autoload flags (activation). Existing values are kept.
	 */
	public static function add_defaults(): void {
		foreach ( self::OPTIONS as $name => list( $default, $autoload ) ) {
			add_option( $name, $default, '', $autoload );
		}
	}

	/**
	 * Every option this class owns (uninstall removes them).
	 *
	 * @return string[]
	 */
	public static function option_names(): array {
		return array_keys( self::OPTIONS );
	}

	/**
	 * Relay base URL without a trailing slash, or ''.
	 *
	 * @return string
	 */
	public function relay_url(): string {
		return untrailingslashit( (string) get_option( self::OPTION_RELAY_URL, '' ) );
	}

	/**
	 * Site id registered at the relay, or ''.
	 *
	 * @return string
	 */
	public function site_id(): string {
		return (string) get_option( self::OPTION_SITE_ID, '' );
	}

	/**
	 * The shared secret. Callers must never print, log or return it.
	 *
	 * @return string
	 */
	public function secret(): string {
		return (string) get_option( self::OPTION_SECRET, '' );
	}

	/**
	 * Whether URL, site id and secret are all set, so the outbox can drain.
	 *
	 * @return bool
	 */
	public function is_connected(): bool {
		return '' !== $this->relay_url() && '' !== $this->site_id() && '' !== $this->secret();
	}

	/**
	 * Masked hint of the secret: its last four characters, e.g. "••••cdef" ('' when unset).
	 *
	 * @return string
	 */
	public function secret_hint(): string {
		$secret = $this->secret();
		if ( '' === $secret ) {
			return '';
		}
		// Short secrets are refused on save; should one exist, reveal nothing of it.
		return strlen( $secret ) >= 16 ? '••••' . substr( $secret, -4 ) : '••••';
	}

	/**
	 * Whether visitor IPs are anonymized (last octet / last 80 bits zeroed) before storing.
	 *
	 * @return bool
	 */
	public function anonymize_ip(): bool {
		return (bool) get_option( self::OPTION_ANONYMIZE_IP, '0' );
	}

	/**
	 * Consent assumed before a consent manager says otherwise: "granted" or "denied".
	 *
	 * @return string
	 */
	public function consent_default(): string {
		$value = get_option( self::OPTION_CONSENT_DEFAULT, self::CONSENT_GRANTED );
		return self::CONSENT_DENIED === $value ? self::CONSENT_DENIED : self::CONSENT_GRANTED;
	}

	/**
	 * Digits of the calling code prefixed to national phone numbers before hashing (server
	 * Hasher and browser tracker alike), e.g. "44"; '' when unknown.
	 *
	 * @return string
	 */
	public function default_calling_code(): string {
		$code = '';
		if ( function_exists( 'WC' ) && is_object( WC()->countries ) ) {
			$found = WC()->countries->get_country_calling_code( WC()->countries->get_base_country() );
			$code  = is_array( $found ) ? (string) reset( $found ) : (string) $found;
		}

		/**
		 * Filters the calling code (digits, e.g. "44") prefixed to national phone numbers before
		 * hashing, on the server and in the browser. Defaults to the WooCommerce store country's
		 * code; '' without WooCommerce, in which case national numbers are not sent.
		 *
		 * @since 0.1.0
		 *
		 * @param string $code Calling code.
		 */
		$code = apply_filters( 'layersync_default_calling_code', $code );
		return (string) preg_replace( '/\D+/', '', is_scalar( $code ) ? (string) $code : '' );
	}

	/**
	 * Saves the connection; the secret only when a new one is given.
	 *
	 * @param string      $relay_url Valid relay URL (see validate_relay_url()).
	 * @param string      $site_id   Valid site id.
	 * @param string|null $secret    New secret, or null to keep the current one.
	 */
	public function save_connection( string $relay_url, string $site_id, ?string $secret ): void {
		update_option( self::OPTION_RELAY_URL, untrailingslashit( $relay_url ), true );
		update_option( self::OPTION_SITE_ID, $site_id, true );
		if ( null !== $secret ) {
			// The autoload flag must be repeated: update_option() on a missing option adds it autoloaded.
			update_option( self::OPTION_SECRET, $secret, false );
		}
	}

	/**
	 * Saves the privacy switches.
	 *
	 * @param bool|null   $anonymize_ip    New value, or null to keep.
	 * @param string|null $consent_default "granted"/"denied", or null to keep.
	 */
	public function save_privacy( ?bool $anonymize_ip, ?string $consent_default ): void {
		if ( null !== $anonymize_ip ) {
			update_option( self::OPTION_ANONYMIZE_IP, $anonymize_ip ? '1' : '0', true );
		}
		if ( null !== $consent_default ) {
			update_option( self::OPTION_CONSENT_DEFAULT, self::CONSENT_DENIED === $consent_default ? self::CONSENT_DENIED : self::CONSENT_GRANTED, true );
		}
	}

	/**
	 * Checks a relay URL: https, or http only for this machine (localhost, 127.0.0.1, ::1);
	 * no credentials, query or fragment. Returns the URL without a trailing slash.
	 *
	 * @param string $url Candidate.
	 * @return string|WP_Error
	 */
	public static function validate_relay_url( string $url ) {
		$url   = trim( $url );
		$parts = wp_parse_url( $url );
		if ( '' === $url || ! is_array( $parts ) || empty( $parts['scheme'] ) || empty( $parts['host'] ) ) {
			return new WP_Error(
				'layersync_invalid_relay_url',
				__( 'Enter the relay URL including https://, for example https://relay.example.com.', 'layersync' )
			);
		}
		$scheme = strtolower( $parts['scheme'] );
		$host   = strtolower( trim( $parts['host'], '[]' ) );
		$local  = in_array( $host, array( 'localhost', '127.0.0.1', '::1' ), true );
		if ( 'https' !== $scheme && ! ( 'http' === $scheme && $local ) ) {
			return new WP_Error(
				'layersync_insecure_relay_url',
				__( 'The relay URL must start with https:// (plain http:// is allowed only for localhost or 127.0.0.1), because events and signatures travel over it.', 'layersync' )
			);
		}
		if ( isset( $parts['user'] ) || isset( $parts['pass'] ) || isset( $parts['query'] ) || isset( $parts['fragment'] ) ) {
			return new WP_Error(
				'layersync_invalid_relay_url',
				__( 'The relay URL must not contain a user name, password, query (?…) or fragment (#…): enter only its address, e.g. https://relay.example.com.', 'layersync' )
			);
		}
		return untrailingslashit( $url );
	}

	/**
	 * Checks a site id.
	 *
	 * @param string $site_id Candidate.
	 * @return string|WP_Error
	 */
	public static function validate_site_id( string $site_id ) {
		$site_id = trim( $site_id );
		if ( 1 !== preg_match( self::SITE_ID_PATTERN, $site_id ) ) {
			return new WP_Error(
				'layersync_invalid_site_id',
				__( 'The site id must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit — use the id you registered at the relay (relay CLI: sites add --id …).', 'layersync' )
			);
		}
		return $site_id;
	}

	/**
	 * Checks a secret. The message never repeats it.
	 *
	 * @param string $secret Candidate.
	 * @return string|WP_Error
	 */
	public static function validate_secret( string $secret ) {
		$secret = trim( $secret );
		$length = strlen( $secret );
		if ( $length < self::SECRET_MIN_LENGTH || $length > self::SECRET_MAX_LENGTH || 1 === preg_match( '/\s/', $secret ) ) {
			return new WP_Error(
				'layersync_invalid_secret',
				sprintf(
					/* translators: 1: minimum length, 2: maximum length */
					__( 'The secret must be %1$d to %2$d characters without spaces — paste the secret the relay generated for this site.', 'layersync' ),
					self::SECRET_MIN_LENGTH,
					self::SECRET_MAX_LENGTH
				)
			);
		}
		return $secret;
	}
}
