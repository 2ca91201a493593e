<?php
/**
 * The Events screen's on/off list: saved through the admin route, honoured by every recorder.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Integration\Internal\Event;

use LayerSync\Internal\Commerce\CommerceSettings;
use LayerSync\Internal\Event\EventRecorder;
use LayerSync\Internal\Event\TrackedEvents;
use LayerSync\Internal\Forms\BrowserHandoff;
use LayerSync\Internal\Frontend;
use LayerSync\Internal\Privacy\VisitorId;
use LayerSync\Internal\Settings;
use LayerSync\Plugin;
use LayerSync\Tests\Integration\IntegrationTestCase;
use LayerSync\Tests\Support\CreatesUsers;

final class TrackedEventsTest extends IntegrationTestCase {

	use CreatesUsers;

	private const SETTINGS = '/layersync/v1/admin/settings';

	protected function tearDown(): void {
		$this->delete_users();
		parent::tearDown();
	}

	/**
	 * Switches events off in this process only (nothing written where the web server reads).
	 *
	 * @param string[]|null $site     Site events on, or null to keep the saved list.
	 * @param string[]|null $commerce Funnel events on, or null to keep the saved list.
	 */
	private function switch_on_only( ?array $site, ?array $commerce = null ): void {
		if ( null !== $site ) {
			$this->add_test_filter( 'pre_option_' . Settings::OPTION_SITE_EVENTS, static fn() => $site );
		}
		if ( null !== $commerce ) {
			$this->add_test_filter( 'pre_option_' . Settings::OPTION_COMMERCE_EVENTS, static fn() => $commerce );
		}
	}

	public function test_by_default_every_event_is_tracked_and_the_admin_app_sees_the_lists(): void {
		wp_set_current_user( $this->user( 'administrator' ) );
		delete_option( Settings::OPTION_SITE_EVENTS );
		delete_option( Settings::OPTION_COMMERCE_EVENTS );

		$data = $this->rest( 'GET', self::SETTINGS )->get_data();
		$this->assertSame( array( 'page_view', 'lead' ), $data['site_events'] );
		$this->assertSame( CommerceSettings::EVENTS, $data['commerce_events'] );
		$this->assertFalse( $data['woocommerce_active'], 'the harness runs without WooCommerce' );

		$tracked = new TrackedEvents();
		foreach ( array_merge( TrackedEvents::SITE_EVENTS, CommerceSettings::EVENTS, array( 'sign_up', 'search', 'custom:quote_requested' ) ) as $name ) {
			$this->assertTrue( $tracked->is_tracked( $name ), $name );
		}
	}

	public function test_admin_saves_the_lists_on_a_site_that_is_not_connected_yet(): void {
		wp_set_current_user( $this->user( 'administrator' ) );
		foreach ( array( Settings::OPTION_RELAY_URL, Settings::OPTION_SITE_ID, Settings::OPTION_SECRET ) as $option ) {
			$this->add_test_filter( 'pre_option_' . $option, static fn() => '' );
		}

		$response = $this->rest(
			'POST',
			self::SETTINGS,
			array(
				'site_events'     => array( 'lead' ),
				'commerce_events' => array( 'refund', 'purchase' ),
			)
		);

		$this->assertSame( 200, $response->get_status(), (string) wp_json_encode( $response->get_data() ) );
		$this->assertSame( array( 'lead' ), $response->get_data()['site_events'] );
		$this->assertSame( array( 'purchase', 'refund' ), $response->get_data()['commerce_events'], 'kept in funnel order' );
		$this->assertSame( array( 'lead' ), get_option( Settings::OPTION_SITE_EVENTS ) );
		$this->assertSame( '', $response->get_data()['relay_url'], 'the connection was not touched' );

		$tracked = new TrackedEvents();
		$this->assertFalse( $tracked->is_tracked( 'page_view' ) );
		$this->assertFalse( $tracked->is_tracked( 'view_item' ) );
		$this->assertTrue( $tracked->is_tracked( 'lead' ) );
		$this->assertTrue( $tracked->is_tracked( 'purchase' ) );
		$this->assertTrue( $tracked->is_tracked( 'custom:quote_requested' ), 'names outside the list are always recorded' );

		$this->assertSame( 200, $this->rest( 'POST', self::SETTINGS, array( 'site_events' => array() ) )->get_status() );
		$this->assertSame( array(), get_option( Settings::OPTION_SITE_EVENTS ), 'everything may be switched off' );
	}

	public function test_unknown_names_and_half_a_connection_are_refused_and_nothing_is_saved(): void {
		wp_set_current_user( $this->user( 'administrator' ) );
		update_option( Settings::OPTION_SITE_EVENTS, array( 'page_view', 'lead' ) );

		foreach ( array( array( 'purchase' ), array( 'page_view', 'page_view' ), array( 'lead', 42 ) ) as $bad ) {
			$response = $this->rest( 'POST', self::SETTINGS, array( 'site_events' => $bad ) );
			$this->assertSame( 400, $response->get_status(), (string) wp_json_encode( $bad ) );
			$this->assertSame( 'rest_invalid_param', $response->get_data()['code'] );
		}
		$this->assertInstanceOf( \WP_Error::class, TrackedEvents::validate_site_events( array( 'view_item' ) ) );
		$this->assertSame( array( 'page_view', 'lead' ), TrackedEvents::validate_site_events( array( 'lead', 'page_view' ) ) );

		$half = $this->rest(
			'POST',
			self::SETTINGS,
			array(
				'relay_url'   => 'https://relay.example.com',
				'site_events' => array(),
			)
		);
		$this->assertSame( 400, $half->get_status() );
		$this->assertSame( 'layersync_missing_settings', $half->get_data()['code'] );
		$this->assertSame( 'site_id', $half->get_data()['data']['field'] );
		$this->assertSame( array( 'page_view', 'lead' ), get_option( Settings::OPTION_SITE_EVENTS ), 'nothing was saved' );

		wp_set_current_user( $this->user( 'editor' ) );
		$this->assertSame( 403, $this->rest( 'POST', self::SETTINGS, array( 'site_events' => array() ) )->get_status() );
		$this->assertSame( array( 'page_view', 'lead' ), get_option( Settings::OPTION_SITE_EVENTS ) );
	}

	public function test_switched_off_events_sent_by_the_browser_are_refused_and_not_stored(): void {
		$this->switch_on_only( array( 'lead' ) );
		$page_view = self::browser_event( array( 'event_name' => 'page_view' ) );
		$lead      = self::browser_event();
		$custom    = self::browser_event( array( 'event_name' => 'custom:quote_requested' ) );

		$response = $this->rest( 'POST', '/layersync/v1/events', array( 'events' => array( $page_view, $lead, $custom ) ) );

		$this->assertSame( 202, $response->get_status() );
		$results = $response->get_data()['results'];
		$this->assertSame( 'rejected', $results[0]['status'], 'a page cached before the switch still sends page views' );
		$this->assertSame( 'page_view events are switched off on this site (LayerSync → Events)', $results[0]['reason'] );
		$this->assertSame( array( 'queued', 'queued' ), array( $results[1]['status'], $results[2]['status'] ) );
		$this->assertSame( array( 'lead', 'custom:quote_requested' ), array_column( self::outbox_rows(), 'event_name' ) );

		// A batch of switched-off events only: every event rejected, so the tracker drops them.
		$only = $this->rest( 'POST', '/layersync/v1/events', array( 'events' => array( self::browser_event( array( 'event_name' => 'page_view' ) ) ) ) );
		$this->assertSame( 400, $only->get_status() );
		$this->assertSame( 'rejected', $only->get_data()['results'][0]['status'] );
		$this->assertCount( 2, self::outbox_rows() );
	}

	public function test_switched_off_funnel_events_are_refused_whoever_records_them(): void {
		$this->switch_on_only( null, array( 'purchase' ) );
		$recorder = Plugin::instance()?->recorder();
		$this->assertInstanceOf( EventRecorder::class, $recorder );

		$view_item = $recorder->record(
			array(
				'event_id'   => self::uuid7(),
				'event_name' => 'view_item',
				'event_time' => time(),
				'source'     => 'server',
			)
		);
		$this->assertSame( EventRecorder::REJECTED, $view_item['status'] );
		$this->assertSame( 'view_item events are switched off on this site (LayerSync → Events)', $view_item['reason'] );

		$add_to_cart = $this->rest( 'POST', '/layersync/v1/events', array( 'events' => array( self::browser_event( array( 'event_name' => 'add_to_cart' ) ) ) ) );
		$this->assertStringContainsString( 'add_to_cart events are switched off', $add_to_cart->get_data()['results'][0]['reason'] ?? '' );
		$this->assertSame( array(), self::outbox_rows() );
	}

	public function test_the_tracker_is_told_what_is_switched_off(): void {
		$frontend = new Frontend( new Settings(), dirname( __DIR__, 5 ) . '/plugin/' );
		$this->switch_on_only( array( 'page_view', 'lead' ) );
		$config = $frontend->config();
		$this->assertArrayNotHasKey( 'page_view', $config, 'on by default in the tracker' );
		$this->assertArrayNotHasKey( 'forms', $config );

		$this->switch_on_only( array() );
		$config = $frontend->config();
		$this->assertFalse( $config['page_view'] );
		$this->assertFalse( $config['forms'], 'the tracker does not watch lead forms' );
		$this->assertStringContainsString( '"page_view":false', $frontend->inline_script() );
	}

	public function test_switched_off_leads_are_not_recorded_by_form_hooks(): void {
		$_SERVER['REMOTE_ADDR'] = '198.51.100.23';
		unset( $_COOKIE[ VisitorId::COOKIE ], $_COOKIE[ BrowserHandoff::COOKIE ] );
		$submit = static function ( int $entry ): void {
			do_action(
				'wpforms_process_complete',
				array(
					array(
						'name'  => 'Email',
						'value' => 'jane.doe@example.com',
						'id'    => 1,
						'type'  => 'email',
					),
				),
				array(),
				array( 'id' => 5 ),
				$entry
			);
		};

		$this->switch_on_only( array( 'page_view' ) );
		$submit( 1 );
		$this->assertSame( array(), self::outbox_rows() );
		$this->assertArrayNotHasKey( BrowserHandoff::COOKIE, $_COOKIE, 'no event id handed to the browser' );
		$this->assertArrayNotHasKey( VisitorId::COOKIE, $_COOKIE, 'no visitor cookie for an event not recorded' );

		$this->switch_on_only( array( 'page_view', 'lead' ) );
		$submit( 2 );
		$this->assertSame( array( 'lead' ), array_column( self::outbox_rows(), 'event_name' ) );
	}
}
