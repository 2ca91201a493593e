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
	public const OPTION_REQUIRE_CONSENT = 'layersync_require_consent';
	public const OPTION_DO_NOT_SELL     = 'layersync_do_not_sell';
	public const OPTION_LDU             = 'layersync_ldu';
	public const OPTION_LDU_REGION      = 'layersync_ldu_region';
	public const OPTION_RATE_LIMIT      = 'layersync_rate_limit';
	public const OPTION_RATE_WINDOW     = 'layersync_rate_window';
	public const OPTION_OUTBOX_MAX_ROWS = 'layersync_outbox_max_rows';

	// WooCommerce (read and validated by Commerce\CommerceSettings).
	public const OPTION_COMMERCE_EVENTS = 'layersync_commerce_events';
	public const OPTION_PURCHASE_TIMING = 'layersync_purchase_timing';

	// Events of any site that can be switched off (read and validated by Event\TrackedEvents).
	public const OPTION_SITE_EVENTS = 'layersync_site_events';

	/**
	 * Defaults of the events route's per-IP limit: requests per window, window in seconds.
	 * Generous on purpose: many visitors can share one address (offices, mobile carriers), and
	 * a limited tracker keeps its events queued in the browser and retries later.
	 */
	public const DEFAULT_RATE_LIMIT  = 240;
	public const DEFAULT_RATE_WINDOW = 60;

	/**
	 * Default size cap of the outbox table, in rows.
	 */
	public const DEFAULT_OUTBOX_MAX_ROWS = 50000;

	/**
	 * A Limited Data Use region: "US" or "US-CA" (ISO 3166-1 alpha-2, optional ISO 3166-2 subdivision).
	 */
	public const LDU_REGION_PATTERN = '/^([A-Z]{2})(?:-([A-Z0-9]{1,3}))?$/';

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
		self::OPTION_REQUIRE_CONSENT => array( '0', true ),
		self::OPTION_DO_NOT_SELL     => array( '0', true ),
		self::OPTION_LDU             => array( '0', true ),
		self::OPTION_LDU_REGION      => array( '', true ),
		self::OPTION_RATE_LIMIT      => array( '240', true ),
		self::OPTION_RATE_WINDOW     => array( '60', true ),
		self::OPTION_OUTBOX_MAX_ROWS => array( '50000', false ),
		self::OPTION_COMMERCE_EVENTS => array( \LayerSync\Internal\Commerce\CommerceSettings::EVENTS, true ),
		self::OPTION_PURCHASE_TIMING => array(
			array(
				'bacs'   => 'paid',
				'cheque' => 'paid',
				'cod'    => 'paid',
			),
			true,
		),
		self::OPTION_SITE_EVENTS     => array( \LayerSync\Internal\Event\TrackedEvents::SITE_EVENTS, true ),
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
	 * Strict default-denied mode: without a granted ad_storage or analytics_storage signal,
	 * nothing is recorded (the tracker queues nothing, server-side leads are not captured).
	 *
	 * @return bool
	 */
	public function require_consent(): bool {
		return (bool) get_option( self::OPTION_REQUIRE_CONSENT, '0' );
	}

	/**
	 * Site-wide Do-Not-Sell: every event carries consent.do_not_sell = true (the relay then drops
	 * it or sends it with each platform's restricted-processing flags, as its policy says).
	 *
	 * @return bool
	 */
	public function do_not_sell(): bool {
		return (bool) get_option( self::OPTION_DO_NOT_SELL, '0' );
	}

	/**
	 * Meta Limited Data Use for every event: null when off, else the region carried as
	 * consent.ldu — array() lets the platform geolocate, or country (and state) when set.
	 *
	 * @return array{country?: string, state?: string}|null
	 */
	public function ldu(): ?array {
		if ( ! (bool) get_option( self::OPTION_LDU, '0' ) ) {
			return null;
		}
		$region = (string) get_option( self::OPTION_LDU_REGION, '' );
		if ( 1 !== preg_match( self::LDU_REGION_PATTERN, $region, $m ) ) {
			return array();
		}
		$ldu = array( 'country' => $m[1] );
		if ( isset( $m[2] ) ) {
			$ldu['state'] = $m[2];
		}
		return $ldu;
	}

	/**
	 * The LDU region as saved: '', "US" or "US-CA".
	 *
	 * @return string
	 */
	public function ldu_region(): string {
		return (string) get_option( self::OPTION_LDU_REGION, '' );
	}

	/**
	 * The events route's per-IP limit. A limit of 0 turns it off.
	 *
	 * @return array{limit: int, window: int} Requests per window; window in seconds.
	 */
	public function rate_limit(): array {
		return array(
			'limit'  => max( 0, (int) get_option( self::OPTION_RATE_LIMIT, (string) self::DEFAULT_RATE_LIMIT ) ),
			'window' => max( 1, (int) get_option( self::OPTION_RATE_WINDOW, (string) self::DEFAULT_RATE_WINDOW ) ),
		);
	}

	/**
	 * Size cap of the outbox table in rows (0: no cap).
	 *
	 * @return int
	 */
	public function outbox_max_rows(): int {
		return max( 0, (int) get_option( self::OPTION_OUTBOX_MAX_ROWS, (string) self::DEFAULT_OUTBOX_MAX_ROWS ) );
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
	 * Saves the consent and privacy switches carried on events.
	 *
	 * @param bool|null   $require_consent Strict default-denied mode, or null to keep.
	 * @param bool|null   $do_not_sell     Site-wide Do-Not-Sell, or null to keep.
	 * @param bool|null   $ldu             Meta Limited Data Use, or null to keep.
	 * @param string|null $ldu_region      Valid region ('' , "US", "US-CA"; see validate_ldu_region()), or null to keep.
	 */
	public function save_privacy_switches( ?bool $require_consent, ?bool $do_not_sell, ?bool $ldu, ?string $ldu_region ): void {
		$flags = array(
			self::OPTION_REQUIRE_CONSENT => $require_consent,
			self::OPTION_DO_NOT_SELL     => $do_not_sell,
			self::OPTION_LDU             => $ldu,
		);
		foreach ( $flags as $option => $value ) {
			if ( null !== $value ) {
				update_option( $option, $value ? '1' : '0', true );
			}
		}
		if ( null !== $ldu_region ) {
			update_option( self::OPTION_LDU_REGION, $ldu_region, true );
		}
	}

	/**
	 * Saves the events route's per-IP limit and the outbox size cap.
	 *
	 * @param int|null $rate_limit      Requests per window (0 turns the limit off), or null to keep.
	 * @param int|null $rate_window     Window in seconds (>= 1), or null to keep.
	 * @param int|null $outbox_max_rows Size cap in rows (0: none), or null to keep.
	 */
	public function save_limits( ?int $rate_limit, ?int $rate_window, ?int $outbox_max_rows ): void {
		if ( null !== $rate_limit ) {
			update_option( self::OPTION_RATE_LIMIT, (string) max( 0, $rate_limit ), true );
		}
		if ( null !== $rate_window ) {
			update_option( self::OPTION_RATE_WINDOW, (string) max( 1, $rate_window ), true );
		}
		if ( null !== $outbox_max_rows ) {
			update_option( self::OPTION_OUTBOX_MAX_ROWS, (string) max( 0, $outbox_max_rows ), false );
		}
	}

	/**
	 * Checks an LDU region: '', "US" or "US-CA" (case-insensitive); returns it upper-cased.
	 *
	 * @param string $region Candidate.
	 * @return string|WP_Error
	 */
	public static function validate_ldu_region( string $region ) {
		$region = strtoupper( trim( $region ) );
		if ( '' !== $region && 1 !== preg_match( self::LDU_REGION_PATTERN, $region ) ) {
			return new WP_Error(
				'layersync_invalid_ldu_region',
				__( 'The Limited Data Use region must be empty (let the platform geolocate), a country code such as US, or a country and state such as US-CA.', 'layersync' )
			);
		}
		return $region;
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
