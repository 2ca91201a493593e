<?php
/**
 * The storefront tracker's enqueue and inline configuration.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Integration\Internal;

use LayerSync\Internal\Admin\RelayProxyController;
use LayerSync\Internal\Frontend;
use LayerSync\Internal\Settings;
use LayerSync\Tests\Integration\IntegrationTestCase;
use LayerSync\Tests\Support\Node;

final class FrontendTest extends IntegrationTestCase {

	private Frontend $frontend;

	private ?\WP_Scripts $saved_scripts = null;

	protected function setUp(): void {
		parent::setUp();
		$this->frontend        = new Frontend( new Settings(), dirname( __DIR__, 4 ) . '/plugin/' );
		$this->saved_scripts   = $GLOBALS['wp_scripts'] ?? null;
		$GLOBALS['wp_scripts'] = new \WP_Scripts(); // phpcs:ignore WordPress.WP.GlobalVariablesOverride.Prohibited -- a fresh registry per test, restored below.
	}

	protected function tearDown(): void {
		$GLOBALS['wp_scripts'] = $this->saved_scripts; // phpcs:ignore WordPress.WP.GlobalVariablesOverride.Prohibited
		parent::tearDown();
	}

	public function test_config_is_one_cacheable_json_object(): void {
		$this->add_test_filter( 'pre_option_' . Settings::OPTION_CONSENT_DEFAULT, static fn() => 'denied' );
		$config = $this->frontend->config();

		$this->assertSame( wp_make_link_relative( rest_url( 'layersync/v1/events' ) ), $config['endpoint'] );
		$this->assertStringStartsWith( '/', $config['endpoint'] );
		$this->assertStringContainsString( 'layersync/v1/events', $config['endpoint'] );
		$this->assertSame(
			array(
				'ad_storage'         => 'denied',
				'analytics_storage'  => 'denied',
				'ad_user_data'       => 'denied',
				'ad_personalization' => 'denied',
				'do_not_sell'        => false,
			),
			$config['consent']
		);

		$inline = $this->frontend->inline_script();
		$this->assertSame( 1, substr_count( $inline, 'window.LayerSyncConfig=' ) );
		$this->assertStringNotContainsStringIgnoringCase( 'nonce', $inline );
		$this->assertStringNotContainsString( wp_create_nonce( 'wp_rest' ), $inline );
	}

	public function test_browser_pixels_switched_on_in_the_admin_reach_the_tracker_config(): void {
		$this->assertArrayNotHasKey( 'pixels', $this->frontend->config(), 'no pixel is on by default' );
		update_option(
			RelayProxyController::OPTION_BROWSER_PIXELS,
			array(
				'meta'   => array(
					'enabled' => true,
					'id'      => '1234567890',
				),
				'google' => array(
					'enabled' => true,
					'id'      => 'G-ABC123, AW-987',
				),
				'tiktok' => array(
					'enabled' => false,
					'id'      => 'CXYZ',
				),
			)
		);
		$this->assertSame(
			array(
				'meta'   => array( 'id' => '1234567890' ),
				'google' => array( 'ids' => array( 'G-ABC123', 'AW-987' ) ),
			),
			$this->frontend->config()['pixels'] ?? null
		);
		delete_option( RelayProxyController::OPTION_BROWSER_PIXELS );
	}

	public function test_page_commerce_data_becomes_browser_first_tracker_events(): void {
		$events = Frontend::page_events(
			array(
				'events'    => array( 'view_item' ),
				'view_item' => array(
					'value'    => 12.5,
					'currency' => 'EUR',
					'items'    => array( array( 'id' => 'SKU-1' ) ),
				),
			)
		);
		$this->assertSame(
			array(
				array(
					'event_name' => 'view_item',
					'value'      => 12.5,
					'currency'   => 'EUR',
					'items'      => array( array( 'id' => 'SKU-1' ) ),
				),
			),
			$events
		);
		$this->assertSame( array(), Frontend::page_events( array( 'events' => array( 'view_item' ) ) ) );
	}

	public function test_config_carries_the_calling_code_the_server_hashes_with(): void {
		if ( ! function_exists( 'WC' ) ) {
			$this->assertArrayNotHasKey( 'default_calling_code', $this->frontend->config(), 'unknown without WooCommerce' );
		}
		$this->add_test_filter( 'layersync_default_calling_code', static fn() => '+44' );
		$this->assertSame( '44', $this->frontend->config()['default_calling_code'] ?? null );
		$this->assertSame(
			hash( 'sha256', '442079460958' ),
			\LayerSync\Plugin::instance()?->hasher()->hash( 'ph', '020 7946 0958' )
		);
	}

	public function test_tracker_is_deferred_in_the_footer_with_config_and_stub_before_it(): void {
		$this->require_tracker_build();
		$this->frontend->enqueue_tracker();

		$scripts = wp_scripts();
		$this->assertTrue( wp_script_is( Frontend::SCRIPT_HANDLE, 'enqueued' ) );
		$this->assertSame( 'defer', $scripts->get_data( Frontend::SCRIPT_HANDLE, 'strategy' ) );
		$this->assertSame( 1, $scripts->get_data( Frontend::SCRIPT_HANDLE, 'group' ) );
		$registered = $scripts->registered[ Frontend::SCRIPT_HANDLE ];
		$this->assertStringEndsWith( '/build/tracker.js', (string) $registered->src );
		$this->assertSame( LAYERSYNC_VERSION . '-' . filemtime( dirname( __DIR__, 4 ) . '/plugin/build/tracker.js' ), $registered->ver );

		ob_start();
		$scripts->do_items( array( Frontend::SCRIPT_HANDLE ), 1 );
		$html = (string) ob_get_clean();
		$this->assertMatchesRegularExpression( '#<script[^>]*id="layersync-tracker-js-before"[^>]*>\s*window\.LayerSyncConfig=\{"endpoint":#', $html );
		$this->assertMatchesRegularExpression( '#<script[^>]*src="[^"]+/build/tracker\.js\?ver=[^"]+"[^>]*defer#', $html );
		$this->assertLessThan( strpos( $html, 'tracker.js?ver' ), strpos( $html, 'window.LayerSyncConfig' ) );
	}

	public function test_stub_queues_calls_made_before_the_tracker_loads(): void {
		if ( '' === Node::binary() ) {
			$this->markTestSkipped( 'node is not installed' );
		}
		$js   = 'global.window = {};' . $this->frontend->inline_script()
			. 'window.LayerSync.track("lead", {email: "x"}); window.LayerSync.setConsent({ad_storage: "granted"});'
			. 'process.stdout.write(JSON.stringify({config: window.LayerSyncConfig, q: window.LayerSync.q}));';
		$out  = Node::run( $js );
		$data = json_decode( $out, true );
		$this->assertIsArray( $data, $out );
		$this->assertSame( $this->frontend->config(), $data['config'] );
		$this->assertSame(
			array(
				array( 'track', array( 'lead', array( 'email' => 'x' ) ) ),
				array( 'setConsent', array( array( 'ad_storage' => 'granted' ) ) ),
			),
			$data['q']
		);
	}

	public function test_storefront_page_served_by_wordpress_carries_the_tracker(): void {
		$this->require_tracker_build();
		$response = wp_remote_get( home_url( '/' ), array( 'timeout' => 20 ) );
		$this->assertNotWPError( $response );
		$html = (string) wp_remote_retrieve_body( $response );
		$this->assertStringContainsString( 'window.LayerSyncConfig={"endpoint":', $html );
		$this->assertMatchesRegularExpression( '#/wp-content/plugins/layersync/build/tracker\.js\?ver=[^"\']+["\'][^>]*defer#', $html );
		$this->assertStringNotContainsString( 'wpApiSettings', $html, 'no REST nonce is printed for visitors' );
	}

	/**
	 * Asserts a value is not a WP_Error.
	 *
	 * @param mixed $value Value.
	 */
	private function assertNotWPError( $value ): void {
		$this->assertFalse( is_wp_error( $value ), is_wp_error( $value ) ? $value->get_error_message() : '' );
	}

	/**
	 * Skips when the tracker is not built (it is compiled by the asset build, not by PHP).
	 */
	private function require_tracker_build(): void {
		if ( ! is_file( dirname( __DIR__, 4 ) . '/plugin/build/tracker.js' ) ) {
			$this->markTestSkipped( 'plugin/build/tracker.js is not built; run npm run build.' );
		}
	}
}
