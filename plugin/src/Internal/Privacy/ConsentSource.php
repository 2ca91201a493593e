<?php
/**
 * Which consent manager this site runs.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Privacy;

/**
 * Detects, on the server, the consent managers (CMPs) whose signals LayerSync reads, so the
 * admin app can say which one is in use instead of guessing:
 * - banners the tracker reads in the browser: Cookiebot, CookieYes, OneTrust (its CookiePro
 *   plugin), Borlabs Cookie and Complianz — each recognised by its plugin file being active or
 *   by the constant or class its plugin defines;
 * - the WP Consent API, which server-recorded events read (ConsentResolver) and which several
 *   banners feed.
 *
 * Without any of them, consent comes from the site default until the page calls
 * `window.LayerSync.setConsent()` or speaks Google Consent Mode v2 / IAB TCF v2.2 (loaded by a
 * tag manager, invisible from PHP): id "none". Detection is a few constant and option lookups
 * and runs only for the admin routes.
 *
 * @since 0.1.0
 *
 * @phpstan-type Source array{id: string, label: string}
 * @phpstan-type Report array{id: string, label: string, detected: list<Source>, wp_consent_api: bool}
 */
final class ConsentSource {

	public const NONE           = 'none';
	public const WP_CONSENT_API = 'wp_consent_api';

	/**
	 * Consent managers, in the order one is reported when several are active:
	 * id => [name, plugin files, constants, classes].
	 */
	private const CMPS = array(
		'cookiebot' => array( 'Cookiebot', array( 'cookiebot/cookiebot.php' ), array( 'CYBOT_COOKIEBOT_VERSION' ), array( 'cybot\\cookiebot\\lib\\Cookiebot_WP', 'Cookiebot_WP' ) ),
		'cookieyes' => array( 'CookieYes', array( 'cookie-law-info/cookie-law-info.php' ), array( 'CLI_VERSION' ), array() ),
		'onetrust'  => array( 'OneTrust', array( 'cookiepro/class-cookiepro.php' ), array(), array() ),
		'borlabs'   => array( 'Borlabs Cookie', array( 'borlabs-cookie/borlabs-cookie.php' ), array( 'BORLABS_COOKIE_VERSION' ), array() ),
		'complianz' => array( 'Complianz', array( 'complianz-gdpr/complianz-gpdr.php', 'complianz-gdpr-premium/complianz-gpdr-premium.php' ), array( 'cmplz_version', 'CMPLZ_VERSION' ), array() ),
	);

	/**
	 * The consent source in use and everything detected.
	 *
	 * @return array{id: string, label: string, detected: list<array{id: string, label: string}>, wp_consent_api: bool}
	 *         id: the first CMP found (see CMPS), else "wp_consent_api", else "none";
	 *         wp_consent_api: whether server-recorded events take consent from the WP Consent API.
	 */
	public function detect(): array {
		$active   = self::active_plugins();
		$detected = array();
		foreach ( self::CMPS as $id => list( $label, $files, $constants, $classes ) ) {
			if ( array() !== array_intersect( $files, $active ) || self::any_defined( $constants ) || self::any_class( $classes ) ) {
				$detected[] = array(
					'id'    => $id,
					'label' => $label,
				);
			}
		}
		$api = function_exists( 'wp_has_consent' );
		if ( $api ) {
			$detected[] = array(
				'id'    => self::WP_CONSENT_API,
				'label' => 'WP Consent API',
			);
		}

		/**
		 * Filters the consent managers LayerSync reports as detected on the Privacy screen, e.g. to
		 * add one loaded by a tag manager (which PHP cannot see). The first entry is shown as the
		 * consent source in use.
		 *
		 * @since 0.1.0
		 *
		 * @param list<array{id: string, label: string}> $detected Ids: cookiebot, cookieyes,
		 *        onetrust, borlabs, complianz, wp_consent_api, or your own.
		 */
		$filtered = apply_filters( 'layersync_consent_sources', $detected );
		$detected = self::sanitize( is_array( $filtered ) ? $filtered : $detected );

		$first = $detected[0] ?? array(
			'id'    => self::NONE,
			'label' => '',
		);
		return array(
			'id'             => $first['id'],
			'label'          => $first['label'],
			'detected'       => $detected,
			'wp_consent_api' => $api,
		);
	}

	/**
	 * Plugin files active on this site (and network-wide on a multisite).
	 *
	 * @return string[]
	 */
	private static function active_plugins(): array {
		$active = get_option( 'active_plugins', array() );
		$active = is_array( $active ) ? $active : array();
		if ( is_multisite() ) {
			$network = get_site_option( 'active_sitewide_plugins', array() );
			$active  = array_merge( $active, is_array( $network ) ? array_keys( $network ) : array() );
		}
		return array_values( array_filter( $active, 'is_string' ) );
	}

	/**
	 * Whether any of these constants is defined.
	 *
	 * @param string[] $constants Names.
	 * @return bool
	 */
	private static function any_defined( array $constants ): bool {
		foreach ( $constants as $constant ) {
			if ( defined( $constant ) ) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Whether any of these classes is loaded (no autoloading is triggered).
	 *
	 * @param string[] $classes Names.
	 * @return bool
	 */
	private static function any_class( array $classes ): bool {
		foreach ( $classes as $class ) {
			if ( class_exists( $class, false ) ) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Keeps well-formed, unique entries of a filtered list.
	 *
	 * @param array<mixed> $sources Candidates.
	 * @return list<array{id: string, label: string}>
	 */
	private static function sanitize( array $sources ): array {
		$out  = array();
		$seen = array();
		foreach ( $sources as $source ) {
			if ( ! is_array( $source ) || ! isset( $source['id'], $source['label'] ) || ! is_string( $source['id'] ) || ! is_string( $source['label'] ) ) {
				continue;
			}
			$id = sanitize_key( $source['id'] );
			if ( '' === $id || isset( $seen[ $id ] ) ) {
				continue;
			}
			$seen[ $id ] = true;
			$out[]       = array(
				'id'    => $id,
				'label' => sanitize_text_field( $source['label'] ),
			);
		}
		return $out;
	}
}
