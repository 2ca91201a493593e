<?php
/**
 * What the current storefront request says about the visitor and the page.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Commerce;

use LayerSync\Internal\Event\EventValidator;
use LayerSync\Internal\Settings;

/**
 * Builds an event's `context` (page URL, user agent, IP, locale) from the request a customer
 * made: an add-to-cart form, an AJAX or Store API cart call, the checkout. Only hooks that run on
 * the customer's own request use it — never a payment gateway's callback or an admin screen,
 * whose user agent and address are not the customer's.
 *
 * @since 0.1.0
 */
final class RequestContext {

	/**
	 * Settings (IP anonymization).
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
	 * The event context of this request.
	 *
	 * @param string|null $url Page URL to use instead of the one the request names.
	 * @return array<string, string|bool>
	 */
	public function context( ?string $url = null ): array {
		$context = array();
		$url     = $url ?? $this->page_url();
		if ( '' !== $url ) {
			$context['url'] = EventValidator::redact_url( $url );
		}
		$user_agent = $this->user_agent();
		if ( '' !== $user_agent ) {
			$context['user_agent'] = $user_agent;
		}
		$ip = $this->client_ip();
		if ( '' !== $ip ) {
			$anonymize                = $this->settings->anonymize_ip();
			$context['ip']            = $anonymize ? (string) wp_privacy_anonymize_ip( $ip ) : $ip;
			$context['ip_anonymized'] = $anonymize;
		}
		$locale = str_replace( '_', '-', determine_locale() );
		if ( '' !== $locale && strlen( $locale ) <= 35 ) {
			$context['locale'] = $locale;
		}
		return $context;
	}

	/**
	 * The storefront page the visitor is on. For AJAX, Store API and form posts that is the
	 * page that sent the request (its Referer, when it is on this site); otherwise the requested
	 * URL. '' when unknown.
	 *
	 * @return string
	 */
	public function page_url(): string {
		$background = wp_doing_ajax() || ( defined( 'REST_REQUEST' ) && REST_REQUEST ) || isset( $_GET['wc-ajax'] ); // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- only checks which kind of request this is.
		if ( $background ) {
			$referer = wp_get_raw_referer();
			return is_string( $referer ) && self::is_own_url( $referer ) ? $referer : '';
		}
		if ( ! isset( $_SERVER['REQUEST_URI'] ) ) {
			return '';
		}
		$path = esc_url_raw( wp_unslash( $_SERVER['REQUEST_URI'] ) ); // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- esc_url_raw() sanitizes the path.
		if ( '' === $path || '/' !== $path[0] ) {
			return '';
		}
		$home = wp_parse_url( home_url() );
		$root = is_array( $home ) && isset( $home['scheme'], $home['host'] )
			? $home['scheme'] . '://' . $home['host'] . ( isset( $home['port'] ) ? ':' . $home['port'] : '' )
			: '';
		return '' === $root ? '' : $root . $path;
	}

	/**
	 * The request's user agent, at most 512 characters.
	 *
	 * @return string
	 */
	public function user_agent(): string {
		if ( ! isset( $_SERVER['HTTP_USER_AGENT'] ) || ! is_string( $_SERVER['HTTP_USER_AGENT'] ) ) {
			return '';
		}
		$user_agent = wp_check_invalid_utf8( sanitize_text_field( wp_unslash( $_SERVER['HTTP_USER_AGENT'] ) ), true );
		return mb_substr( trim( $user_agent ), 0, 512 );
	}

	/**
	 * The visitor's IP: REMOTE_ADDR, which proxies cannot forge, unless a filter knows better.
	 *
	 * @return string A valid IP, or ''.
	 */
	public function client_ip(): string {
		$remote = isset( $_SERVER['REMOTE_ADDR'] ) ? sanitize_text_field( wp_unslash( $_SERVER['REMOTE_ADDR'] ) ) : '';

		/**
		 * Filters the customer IP stored with WooCommerce events (cart changes, checkout).
		 *
		 * By default this is REMOTE_ADDR. Behind a reverse proxy or CDN, return the address from
		 * the header your proxy sets (only when the request really came through it) — the same
		 * answer as for the `layersync_client_ip` filter of the events route.
		 *
		 * @since 0.1.0
		 *
		 * @param string $ip REMOTE_ADDR.
		 */
		$ip = apply_filters( 'layersync_commerce_client_ip', $remote );
		$ip = is_string( $ip ) ? filter_var( trim( $ip ), FILTER_VALIDATE_IP ) : false;
		return false === $ip ? '' : $ip;
	}

	/**
	 * Whether a URL is on this site (home URL host), so a Referer can stand for the page.
	 *
	 * @param string $url URL.
	 * @return bool
	 */
	private static function is_own_url( string $url ): bool {
		$host = wp_parse_url( $url, PHP_URL_HOST );
		$home = wp_parse_url( home_url(), PHP_URL_HOST );
		return is_string( $host ) && is_string( $home ) && strtolower( $host ) === strtolower( $home )
			&& 1 === preg_match( '#^https?://#i', $url ) && 1 !== preg_match( '/\s/', $url );
	}
}
