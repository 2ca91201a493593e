<?php
/**
 * The storefront tracker.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal;

use LayerSync\Internal\Admin\RelayProxyController;
use LayerSync\Internal\Commerce\PageData;
use LayerSync\Internal\Event\TrackedEvents;
use LayerSync\Internal\Rest\EventsController;

/**
 * Enqueues build/tracker.js (deferred, in the footer) and, before it, one inline script with the
 * runtime configuration (`window.LayerSyncConfig`, one JSON object) and the stub that queues
 * calls made before the tracker loads.
 *
 * Everything printed is the same for every visitor — no nonce, no user data — so pages stay
 * cacheable for days by full-page caches and CDNs and keep tracking correctly.
 *
 * @since 0.1.0
 */
final class Frontend {

	public const SCRIPT_HANDLE = 'layersync-tracker';

	/**
	 * Stub: `window.LayerSync.q` keeps `[method, arguments]` until the tracker replays them.
	 */
	private const STUB = 'window.LayerSync=window.LayerSync||{q:[]};window.LayerSync.q=window.LayerSync.q||[];'
		. '["track","setConsent"].forEach(function(m){window.LayerSync[m]=window.LayerSync[m]||function(){'
		. 'window.LayerSync.q.push([m,Array.prototype.slice.call(arguments)]);};});';

	/**
	 * Settings (consent default).
	 *
	 * @var Settings
	 */
	private Settings $settings;

	/**
	 * Absolute path of the plugin directory, with trailing slash.
	 *
	 * @var string
	 */
	private string $plugin_dir;

	/**
	 * WooCommerce page data (product, listing, cart, thank-you purchase), when available.
	 *
	 * @var PageData|null
	 */
	private ?PageData $commerce;

	/**
	 * The events the merchant switched on (page_view, lead forms).
	 *
	 * @var TrackedEvents
	 */
	private TrackedEvents $tracked;

	/**
	 * Constructor.
	 *
	 * @param Settings           $settings   Settings.
	 * @param string             $plugin_dir Plugin directory with trailing slash.
	 * @param PageData|null      $commerce   WooCommerce page data for the tracker.
	 * @param TrackedEvents|null $tracked    The events switched on (a default one when null).
	 */
	public function __construct( Settings $settings, string $plugin_dir, ?PageData $commerce = null, ?TrackedEvents $tracked = null ) {
		$this->settings   = $settings;
		$this->plugin_dir = $plugin_dir;
		$this->commerce   = $commerce;
		$this->tracked    = $tracked ?? new TrackedEvents();
	}

	/**
	 * Hooks.
	 */
	public function register(): void {
		add_action( 'wp_enqueue_scripts', array( $this, 'enqueue_tracker' ) );
	}

	/**
	 * Enqueues the tracker with its configuration and stub.
	 */
	public function enqueue_tracker(): void {
		$file = $this->plugin_dir . 'build/tracker.js';
		if ( ! is_file( $file ) ) {
			return;
		}
		// The esbuild output has no asset.php: the file's mtime busts caches on rebuilds.
		wp_enqueue_script(
			self::SCRIPT_HANDLE,
			plugins_url( 'build/tracker.js', $this->plugin_dir . 'layersync.php' ),
			array(),
			LAYERSYNC_VERSION . '-' . (string) filemtime( $file ),
			array(
				'in_footer' => true,
				'strategy'  => 'defer',
			)
		);
		wp_add_inline_script( self::SCRIPT_HANDLE, $this->inline_script(), 'before' );
	}

	/**
	 * `window.LayerSyncConfig = {…};` followed by the stub.
	 *
	 * @return string
	 */
	public function inline_script(): string {
		return 'window.LayerSyncConfig=' . wp_json_encode( $this->config(), JSON_UNESCAPED_SLASHES ) . ';' . self::STUB;
	}

	/**
	 * The tracker's runtime configuration.
	 *
	 * @return array<string, mixed>
	 */
	public function config(): array {
		$state   = $this->settings->consent_default();
		$consent = array(
			'ad_storage'         => $state,
			'analytics_storage'  => $state,
			'ad_user_data'       => $state,
			'ad_personalization' => $state,
			'do_not_sell'        => $this->settings->do_not_sell(),
		);

		/**
		 * Filters the consent the tracker assumes until a consent manager (or
		 * `LayerSync.setConsent()`) says otherwise. The same for every visitor: pages are cached.
		 *
		 * @since 0.1.0
		 *
		 * @param array{ad_storage: string, analytics_storage: string, ad_user_data: string, ad_personalization: string, do_not_sell: bool} $consent
		 *        Each signal "granted" or "denied".
		 */
		$consent = apply_filters( 'layersync_consent_defaults', $consent );

		$config = array(
			// Path only: the page may be served from another host name or scheme (CDN, cache),
			// and the events route accepts only same-origin requests.
			'endpoint' => wp_make_link_relative( rest_url( EventsController::NAMESPACE . EventsController::ROUTE ) ),
			'consent'  => $consent,
		);
		if ( function_exists( 'get_woocommerce_currency' ) ) {
			$config['currency'] = get_woocommerce_currency();
		}
		if ( $this->settings->require_consent() ) {
			// Strict default-denied mode: the tracker records nothing until storage is granted.
			$config['require_consent'] = true;
		}
		// Switched off on the Events screen: the tracker records no page views, and does not
		// watch lead forms (the server records no lead either; see TrackedEvents).
		if ( ! $this->tracked->is_tracked( 'page_view' ) ) {
			$config['page_view'] = false;
		}
		if ( ! $this->tracked->is_tracked( 'lead' ) ) {
			$config['forms'] = false;
		}
		$calling_code = $this->settings->default_calling_code();
		if ( '' !== $calling_code ) {
			// The tracker hashes phone numbers in the browser with the same rule as the server.
			$config['default_calling_code'] = $calling_code;
		}
		if ( null !== $this->commerce ) {
			// `commerce` (and `purchase` on the thank-you page): see Commerce\PageData. Per-customer
			// only on the cart, checkout and thank-you pages, which WooCommerce keeps out of caches.
			$config = array_merge( $config, $this->commerce->config() );
			$events = self::page_events( is_array( $config['commerce'] ?? null ) ? $config['commerce'] : array() );
			if ( array() !== $events ) {
				$config['events'] = $events;
			}
		}
		$pixels = self::tracker_pixels( RelayProxyController::browser_pixels() );
		if ( array() !== $pixels ) {
			$config['pixels'] = $pixels;
		}

		/**
		 * Filters the tracker configuration printed as `window.LayerSyncConfig`.
		 *
		 * It is printed identically for every visitor (cacheable): never add per-user data —
		 * except on WooCommerce's cart, checkout and thank-you pages, which are never cached.
		 *
		 * @since 0.1.0
		 *
		 * @param array<string, mixed> $config endpoint, consent, currency (with WooCommerce),
		 *                                    default_calling_code (when known), page_view and
		 *                                    forms (false when switched off), commerce, events
		 *                                    and purchase (WooCommerce, see Commerce\PageData).
		 */
		return (array) apply_filters( 'layersync_tracker_config', $config );
	}
	/**
	 * The page-level commerce events the tracker records on this page (view_item, view_item_list,
	 * view_cart, begin_checkout), as `LayerSyncConfig.events` entries: browser-first, so the
	 * tracker creates their ids and cached pages still pair with the pixels.
	 *
	 * @param array<string, mixed> $commerce The `commerce` key of Commerce\PageData::config().
	 * @return list<array<string, mixed>>
	 */
	public static function page_events( array $commerce ): array {
		$events = array();
		foreach ( array( 'view_item', 'view_item_list', 'view_cart', 'begin_checkout' ) as $name ) {
			if ( isset( $commerce[ $name ] ) && is_array( $commerce[ $name ] ) ) {
				$events[] = array( 'event_name' => $name ) + $commerce[ $name ];
			}
		}
		return $events;
	}

	/**
	 * The browser pixels switched on in the admin app, in the tracker's `pixels` shape. Google's
	 * entry may hold several tag ids (GA4 "G-…" and Google Ads "AW-…"), separated by commas.
	 *
	 * @param array<string, array{enabled: bool, id: string}> $saved Option layersync_browser_pixels.
	 * @return array<string, array<string, mixed>>
	 */
	public static function tracker_pixels( array $saved ): array {
		$pixels = array();
		foreach ( $saved as $platform => $pixel ) {
			$id = trim( (string) ( $pixel['id'] ?? '' ) );
			if ( empty( $pixel['enabled'] ) || '' === $id ) {
				continue;
			}
			if ( 'google' === $platform ) {
				$parts = preg_split( '/[\s,]+/', $id );
				$ids   = array_values( array_filter( false === $parts ? array( $id ) : $parts ) );
				if ( array() !== $ids ) {
					$pixels['google'] = array( 'ids' => $ids );
				}
				continue;
			}
			$pixels[ $platform ] = array( 'id' => $id );
		}
		return $pixels;
	}
}
