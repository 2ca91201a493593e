<?php
/**
 * Without WooCommerce the plugin runs in pixel-only + lead-form mode, silently.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Integration;

use LayerSync\Internal\Outbox\DrainScheduler;
use LayerSync\Tests\Support\CreatesUsers;

final class NoWooCommerceTest extends IntegrationTestCase {

	use CreatesUsers;

	protected function tearDown(): void {
		$this->delete_users();
		parent::tearDown();
	}

	public function test_the_harness_runs_without_woocommerce_and_with_wp_debug(): void {
		$this->assertFalse( class_exists( 'WooCommerce' ), 'this suite checks the no-WooCommerce mode' );
		$this->assertTrue( defined( 'WP_DEBUG' ) && constant( 'WP_DEBUG' ) );
		$this->assertNotEmpty( WP_DEBUG_LOG );
	}

	public function test_visitor_and_admin_requests_log_no_php_warnings_or_notices(): void {
		$log    = $this->debug_log();
		$before = is_file( $log ) ? (int) filesize( $log ) : 0;

		// A visitor: home page, a post, the events route, a lead-form page.
		foreach ( array( home_url( '/' ), home_url( '/?p=1' ), home_url( '/layersync-demo/' ), home_url( '/?s=shoes' ) ) as $url ) {
			$page = wp_remote_get( $url, array( 'timeout' => 20 ) );
			$this->assertSame( 200, wp_remote_retrieve_response_code( $page ), $url );
		}
		$home = (string) wp_remote_retrieve_body( wp_remote_get( home_url( '/' ), array( 'timeout' => 20 ) ) );
		$this->assertStringContainsString( 'window.LayerSyncConfig=', $home, 'the tracker is configured without WooCommerce' );
		$this->assertStringNotContainsString( '"currency"', $home );
		$events = wp_remote_post(
			rest_url( 'layersync/v1/events' ),
			array(
				'headers' => array( 'Content-Type' => 'application/json' ),
				'body'    => (string) wp_json_encode( array( 'events' => array( self::browser_event(), self::browser_event( array( 'event_name' => 'page_view' ) ) ) ) ),
				'timeout' => 20,
			)
		);
		$this->assertSame( 202, wp_remote_retrieve_response_code( $events ) );

		// An administrator: the LayerSync screen, Site Health, the queue routes.
		$session = $this->admin_http_session();
		foreach ( array( admin_url( 'admin.php?page=layersync' ), admin_url( 'site-health.php' ), admin_url( 'plugins.php' ) ) as $url ) {
			$page = wp_remote_get(
				$url,
				array(
					'cookies' => $session['cookies'],
					'timeout' => 20,
				)
			);
			$this->assertSame( 200, wp_remote_retrieve_response_code( $page ), $url );
			// No LayerSync admin notice (requirements, WooCommerce version) without WooCommerce.
			$this->assertStringNotContainsString( '<strong>LayerSync</strong> —', (string) wp_remote_retrieve_body( $page ), $url );
			$this->assertStringNotContainsString( 'LayerSync supports WooCommerce', (string) wp_remote_retrieve_body( $page ), $url );
		}
		foreach ( array( 'admin/outbox', 'admin/forms', 'admin/status', 'admin/health/relay' ) as $route ) {
			$response = wp_remote_get(
				rest_url( 'layersync/v1/' . $route ),
				array(
					'cookies' => $session['cookies'],
					'headers' => array( 'X-WP-Nonce' => $session['nonce'] ),
					'timeout' => 20,
				)
			);
			$this->assertSame( 200, wp_remote_retrieve_response_code( $response ), $route );
		}

		// The web server wrote options (cron, transients) behind this process's cache.
		wp_cache_flush();

		// Background work: a drain and the maintenance run (the relay may be unconfigured).
		do_action( DrainScheduler::HOOK_RECURRING );

		clearstatcache();
		$new      = is_file( $log ) ? (string) file_get_contents( $log, false, null, $before ) : '';
		$problems = array_filter(
			explode( "\n", $new ),
			static fn( string $line ): bool => 1 === preg_match( '/PHP (Warning|Notice|Deprecated|Fatal error|Parse error)|doing_it_wrong|called <strong>incorrectly/i', $line )
				// Core's own update checks cannot reach wordpress.org from this closed network.
				&& ! str_contains( $line, 'wp-includes/update.php' )
		);
		$this->assertSame( array(), array_values( $problems ), 'PHP warnings or notices were logged' );
	}

	/**
	 * Path of the debug log.
	 *
	 * @return string
	 */
	private function debug_log(): string {
		return is_string( WP_DEBUG_LOG ) ? WP_DEBUG_LOG : WP_CONTENT_DIR . '/debug.log';
	}
}
