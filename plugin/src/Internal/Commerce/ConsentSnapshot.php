<?php
/**
 * The visitor's consent as the storefront tracker last knew it.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Commerce;

use LayerSync\Internal\Privacy\ConsentResolver;
use LayerSync\Internal\Settings;

/**
 * Reads the consent snapshot of the visitor making this request, for events the server records
 * on their behalf (cart changes, checkout) and for the snapshot kept on the order, which later
 * events (paid by a gateway callback, refunded by the merchant) carry although no browser is
 * present (policy 5).
 *
 * The tracker writes the snapshot into a first-party cookie on every consent change:
 *
 *     layersync_consent = encodeURIComponent(JSON.stringify({
 *       "ad_storage": "granted"|"denied", "analytics_storage": …, "ad_user_data": …,
 *       "ad_personalization": …, "do_not_sell": true|false
 *     }))   ; path=/; SameSite=Lax; max-age up to 180 days
 *
 * A cookie missing a signal, or with any other value, is ignored as a whole. Without a usable
 * cookie (tracker blocked, or never loaded) the server's own consent decides: the site default,
 * the WP Consent API, Global Privacy Control and the `layersync_consent` filter (ConsentResolver).
 *
 * @since 0.1.0
 */
final class ConsentSnapshot {

	public const COOKIE = 'layersync_consent';

	public const SIGNALS = array( 'ad_storage', 'analytics_storage', 'ad_user_data', 'ad_personalization' );

	/**
	 * Settings (site default when no resolver is given).
	 *
	 * @var Settings
	 */
	private Settings $settings;

	/**
	 * The server's consent policy, when available.
	 *
	 * @var ConsentResolver|null
	 */
	private ?ConsentResolver $resolver;

	/**
	 * Constructor.
	 *
	 * @param Settings             $settings Settings.
	 * @param ConsentResolver|null $resolver Server-side consent (site default, WP Consent API, GPC, filter).
	 */
	public function __construct( Settings $settings, ?ConsentResolver $resolver = null ) {
		$this->settings = $settings;
		$this->resolver = $resolver;
	}

	/**
	 * The snapshot for an event recorded during this request: the tracker's cookie, else the
	 * server's own answer.
	 *
	 * @param string $event_name Event being recorded (passed to the `layersync_consent` filter).
	 * @return array<string, mixed> The four signals and do_not_sell (and ldu when the site adds it).
	 */
	public function current( string $event_name ): array {
		$cookie = $this->from_cookie();
		if ( null !== $cookie ) {
			return $cookie;
		}
		if ( null !== $this->resolver ) {
			return $this->resolver->current(
				array(
					'event_name' => $event_name,
					'source'     => 'woocommerce',
				)
			);
		}
		$consent                = array_fill_keys( self::SIGNALS, $this->settings->consent_default() );
		$consent['do_not_sell'] = false;
		return $consent;
	}

	/**
	 * The snapshot in the tracker's cookie, or null when there is none or it is malformed.
	 *
	 * @return array{ad_storage: string, analytics_storage: string, ad_user_data: string, ad_personalization: string, do_not_sell: bool}|null
	 */
	public function from_cookie(): ?array {
		if ( ! isset( $_COOKIE[ self::COOKIE ] ) || ! is_string( $_COOKIE[ self::COOKIE ] ) ) {
			return null;
		}
		// Parsed as JSON and each value checked against a closed list below; sanitizing the raw
		// text first would only corrupt the JSON.
		$raw     = wp_unslash( $_COOKIE[ self::COOKIE ] ); // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized
		$decoded = strlen( $raw ) <= 1024 ? json_decode( $raw, true ) : null;
		if ( ! is_array( $decoded ) ) {
			return null;
		}
		$out = array();
		foreach ( self::SIGNALS as $signal ) {
			$state = $decoded[ $signal ] ?? null;
			if ( Settings::CONSENT_GRANTED !== $state && Settings::CONSENT_DENIED !== $state ) {
				return null;
			}
			$out[ $signal ] = $state;
		}
		$out['do_not_sell'] = true === ( $decoded['do_not_sell'] ?? false );
		return $out;
	}

	/**
	 * Whether an event with this snapshot may be recorded (the site's strict default-denied mode
	 * records nothing without ad_storage or analytics_storage).
	 *
	 * @param array<string, mixed> $consent Snapshot.
	 * @return bool
	 */
	public function allows_recording( array $consent ): bool {
		return null === $this->resolver || $this->resolver->allows_recording( $consent );
	}

	/**
	 * Whether a snapshot grants a signal.
	 *
	 * @param array<string, mixed>|null $consent Snapshot (null: none known).
	 * @param string                    $signal  Signal.
	 * @return bool
	 */
	public static function granted( ?array $consent, string $signal ): bool {
		return null !== $consent && Settings::CONSENT_GRANTED === ( $consent[ $signal ] ?? null );
	}
}
