<?php
/**
 * The consent snapshot carried by events recorded on the server.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Privacy;

use LayerSync\Internal\Settings;

/**
 * Decides the consent snapshot of events that the server records itself (lead forms, account
 * creation, WooCommerce hooks) and applies the site's privacy switches to every event.
 *
 * A server event has no tracker to ask, so its snapshot is built from, in this order:
 * 1. the site default (`layersync_consent_default`: every signal "granted" or "denied");
 * 2. the WP Consent API when it is active (`wp_has_consent()` exists — the API plugin, or a
 *    consent manager that bundles it, reads its own cookies of the current request):
 *    `marketing` → ad_storage, ad_user_data and ad_personalization; `statistics` →
 *    analytics_storage;
 * 3. a Global Privacy Control signal (`Sec-GPC: 1`) sets do_not_sell;
 * 4. the `layersync_consent` filter;
 * 5. the site's switches, which no filter can undo: Do-Not-Sell (consent.do_not_sell = true) and
 *    Meta Limited Data Use (consent.ldu).
 *
 * @since 0.1.0
 */
final class ConsentResolver {

	public const SIGNALS = array( 'ad_storage', 'analytics_storage', 'ad_user_data', 'ad_personalization' );

	/**
	 * WP Consent API category => the signals it decides.
	 */
	public const WP_CONSENT_API_MAP = array(
		'marketing'  => array( 'ad_storage', 'ad_user_data', 'ad_personalization' ),
		'statistics' => array( 'analytics_storage' ),
	);

	/**
	 * Settings (default, switches).
	 *
	 * @var Settings
	 */
	private Settings $settings;

	/**
	 * Constructor.
	 *
	 * @param Settings $settings Settings.
	 */
	public function __construct( Settings $settings ) {
		$this->settings = $settings;
	}

	/**
	 * The snapshot for a server-side event recorded during this request.
	 *
	 * @param array<string, mixed> $context What is being recorded: `event_name` and, for
	 *                                      forms, `form_plugin` / `form_id` (passed to the filter).
	 * @return array<string, mixed> ad_storage, analytics_storage, ad_user_data, ad_personalization
	 *                              ("granted"/"denied"), do_not_sell (bool), and ldu when the site
	 *                              applies Limited Data Use.
	 */
	public function current( array $context = array() ): array {
		$state   = $this->settings->consent_default();
		$consent = array_fill_keys( self::SIGNALS, $state );
		if ( function_exists( 'wp_has_consent' ) ) {
			foreach ( self::WP_CONSENT_API_MAP as $category => $signals ) {
				$granted = (bool) wp_has_consent( $category );
				foreach ( $signals as $signal ) {
					$consent[ $signal ] = $granted ? Settings::CONSENT_GRANTED : Settings::CONSENT_DENIED;
				}
			}
		}
		$consent['do_not_sell'] = self::gpc_signal();

		/**
		 * Filters the consent snapshot of an event the server records itself (lead forms, account
		 * creation, WooCommerce order hooks), before the site's Do-Not-Sell and Limited Data Use
		 * switches are applied.
		 *
		 * The default comes from the "consent default" setting, then the WP Consent API when it is
		 * active (`marketing` decides ad_storage, ad_user_data and ad_personalization;
		 * `statistics` decides analytics_storage), then the Global Privacy Control header
		 * (do_not_sell). A consent manager that keeps its own cookie can read it here.
		 *
		 * @since 0.1.0
		 *
		 * @param array{ad_storage: string, analytics_storage: string, ad_user_data: string, ad_personalization: string, do_not_sell: bool} $consent
		 *        Each signal "granted" or "denied"; do_not_sell true or false.
		 * @param array<string, mixed> $context What is being recorded: event_name, and for forms
		 *                                      form_plugin and form_id.
		 */
		$filtered = apply_filters( 'layersync_consent', $consent, $context );
		return $this->apply_site_policy( self::sanitize( is_array( $filtered ) ? $filtered : $consent, $consent ) );
	}

	/**
	 * Applies the site's switches to a snapshot from any source: Do-Not-Sell forces
	 * do_not_sell = true; Limited Data Use adds `ldu` when the snapshot has none.
	 *
	 * @param array<string, mixed> $consent Snapshot (as validated or about to be).
	 * @return array<string, mixed>
	 */
	public function apply_site_policy( array $consent ): array {
		if ( $this->settings->do_not_sell() ) {
			$consent['do_not_sell'] = true;
		}
		$ldu = $this->settings->ldu();
		if ( null !== $ldu && ! isset( $consent['ldu'] ) ) {
			$consent['ldu'] = $ldu;
		}
		return $consent;
	}

	/**
	 * Whether a snapshot allows storing anything on the visitor's device or recording them in
	 * strict mode: ad_storage or analytics_storage granted.
	 *
	 * @param array<string, mixed> $consent Snapshot.
	 * @return bool
	 */
	public static function allows_storage( array $consent ): bool {
		return Settings::CONSENT_GRANTED === ( $consent['ad_storage'] ?? null )
			|| Settings::CONSENT_GRANTED === ( $consent['analytics_storage'] ?? null );
	}

	/**
	 * Whether an event with this snapshot may be recorded: always, unless the site runs in strict
	 * default-denied mode and the snapshot grants neither storage signal.
	 *
	 * @param array<string, mixed> $consent Snapshot.
	 * @return bool
	 */
	public function allows_recording( array $consent ): bool {
		return ! $this->settings->require_consent() || self::allows_storage( $consent );
	}

	/**
	 * Whether the request carries the Global Privacy Control opt-out (`Sec-GPC: 1`).
	 *
	 * @return bool
	 */
	private static function gpc_signal(): bool {
		return isset( $_SERVER['HTTP_SEC_GPC'] ) && '1' === trim( sanitize_text_field( wp_unslash( $_SERVER['HTTP_SEC_GPC'] ) ) );
	}

	/**
	 * Keeps a filtered snapshot well-formed: each signal "granted"/"denied" (else the unfiltered
	 * value), do_not_sell a boolean.
	 *
	 * @param array<mixed> $consent  Filtered snapshot.
	 * @param array<mixed> $fallback Snapshot before the filter.
	 * @return array{ad_storage: string, analytics_storage: string, ad_user_data: string, ad_personalization: string, do_not_sell: bool}
	 */
	private static function sanitize( array $consent, array $fallback ): array {
		$out = array();
		foreach ( self::SIGNALS as $signal ) {
			$value          = $consent[ $signal ] ?? null;
			$out[ $signal ] = in_array( $value, array( Settings::CONSENT_GRANTED, Settings::CONSENT_DENIED ), true )
				? $value
				: (string) $fallback[ $signal ];
		}
		$out['do_not_sell'] = isset( $consent['do_not_sell'] ) ? (bool) $consent['do_not_sell'] : (bool) $fallback['do_not_sell'];
		return $out;
	}
}
