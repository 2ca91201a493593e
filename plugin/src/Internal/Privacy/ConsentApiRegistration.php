<?php
/**
 * Declares LayerSync to the WP Consent API.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Privacy;

use LayerSync\Internal\Forms\BrowserHandoff;

/**
 * When the WP Consent API plugin is active, LayerSync declares that it follows it (so the API
 * does not list it as non-compliant) and describes its two cookies for the consent manager's
 * cookie policy. Server events take their consent from the API (see ConsentResolver).
 *
 * @since 0.1.0
 */
final class ConsentApiRegistration {

	/**
	 * Plugin basename, e.g. "layersync/layersync.php".
	 *
	 * @var string
	 */
	private string $basename;

	/**
	 * Constructor.
	 *
	 * @param string $basename Plugin basename.
	 */
	public function __construct( string $basename ) {
		$this->basename = $basename;
	}

	/**
	 * Hooks (two cheap registrations; the API's functions are checked before use).
	 */
	public function register(): void {
		add_filter( 'wp_consent_api_registered_' . $this->basename, '__return_true' );
		add_action( 'init', array( $this, 'describe_cookies' ) );
	}

	/**
	 * Describes LayerSync's cookies to the WP Consent API (wp_add_cookie_info).
	 */
	public function describe_cookies(): void {
		if ( ! function_exists( 'wp_add_cookie_info' ) ) {
			return;
		}
		wp_add_cookie_info(
			VisitorId::COOKIE,
			'LayerSync',
			'marketing',
			__( '2 years, renewed on each visit', 'layersync' ),
			__( 'A random visitor id; its hash lets ad platforms and analytics tie this visitor\'s events together. Set only with consent.', 'layersync' ),
			false,
			false,
			false
		);
		wp_add_cookie_info(
			BrowserHandoff::COOKIE,
			'LayerSync',
			'marketing',
			__( '5 minutes', 'layersync' ),
			__( 'Ids of events recorded by the server (a form sent, an account created), so the browser pixels report them once, not twice. Set only with consent.', 'layersync' ),
			false,
			false,
			false
		);
	}
}
