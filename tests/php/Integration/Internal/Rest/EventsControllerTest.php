<?php
/**
 * POST /layersync/v1/events inside WordPress.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Integration\Internal\Rest;

use LayerSync\Internal\Outbox\DrainScheduler;
use LayerSync\Internal\Privacy\VisitorId;
use LayerSync\Internal\Rest\EventsController;
use LayerSync\Internal\Rest\RateLimiter;
use LayerSync\Internal\Settings;
use LayerSync\Tests\Integration\IntegrationTestCase;
use LayerSync\Tests\Support\JsonSchema;
use PHPUnit\Framework\Attributes\DataProvider;

final class EventsControllerTest extends IntegrationTestCase {

	private const ROUTE = '/layersync/v1/events';

	private const RAW_EMAIL = 'Jane.Doe@Example.com';

	public function test_route_is_registered_public_with_args_schema(): void {
		$routes = rest_get_server()->get_routes( 'layersync/v1' );
		$this->assertArrayHasKey( self::ROUTE, $routes );
		$handler = $routes[ self::ROUTE ][0];
		$this->assertSame( array( 'POST' => true ), $handler['methods'] );
		$this->assertSame( 50, $handler['args']['events']['maxItems'] );
		$this->assertTrue( $handler['args']['events']['required'] );
	}

	public function test_valid_event_is_queued_with_request_ip_user_agent_and_source(): void {
		$_SERVER['REMOTE_ADDR'] = '203.0.113.77';
		$event                  = self::browser_event(
			array(
				// Client-side ip / user_agent must not survive: the route sets them from the request.
				'context' => array(
					'url'        => home_url( '/shop/?utm_source=x' ),
					'ip'         => '10.9.8.7',
					'user_agent' => 'forged',
				),
			)
		);

		$response = $this->rest( 'POST', self::ROUTE, array( 'events' => array( $event ) ), array( 'user_agent' => 'Mozilla/5.0 (Test)' ) );

		$this->assertSame( 202, $response->get_status() );
		$this->assertSame(
			array(
				'queued'  => 1,
				'results' => array(
					array(
						'index'    => 0,
						'event_id' => $event['event_id'],
						'status'   => 'queued',
					),
				),
			),
			$response->get_data()
		);
		$this->assertSame( 'no-store', $response->get_headers()['Cache-Control'] );

		$rows = self::outbox_rows();
		$this->assertCount( 1, $rows );
		$this->assertSame( $event['event_id'], $rows[0]['event_id'] );
		$this->assertSame( 'lead', $rows[0]['event_name'] );
		$this->assertSame( 'pending', $rows[0]['status'] );
		$this->assertSame( '10', $rows[0]['priority'] );

		$stored = json_decode( (string) $rows[0]['payload'], true );
		$this->assertSame( 'browser', $stored['source'] );
		$this->assertSame( '203.0.113.77', $stored['context']['ip'] );
		$this->assertFalse( $stored['context']['ip_anonymized'] );
		$this->assertSame( 'Mozilla/5.0 (Test)', $stored['context']['user_agent'] );
		// With consent, the first-party visitor id (set by this request) rides along as external_id.
		$visitor_id = (string) ( $_COOKIE['layersync_uid'] ?? '' );
		$this->assertMatchesRegularExpression( '/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/', $visitor_id );
		$this->assertSame( $event['identity'] + array( 'external_id' => hash( 'sha256', $visitor_id ) ), $stored['identity'] );
		$this->assertSame( $event['consent'], $stored['consent'] );

		// What is stored is exactly what the relay's schema accepts.
		$this->assertSame( array(), JsonSchema::event_schema()->errors( json_decode( (string) $rows[0]['payload'] ) ) );

		// And a background drain is scheduled — nothing was sent during the request.
		$this->assertNotFalse( wp_next_scheduled( DrainScheduler::HOOK_ASYNC ) );
	}

	public function test_tracker_shaped_event_with_empty_identity_is_accepted(): void {
		$event = self::browser_event(
			array(
				'event_name' => 'page_view',
				'identity'   => array(),
			)
		);
		unset( $event['consent'] );
		$response = $this->rest( 'POST', self::ROUTE, null, array(), '{"events":[' . str_replace( '"identity":[]', '"identity":{}', (string) wp_json_encode( $event ) ) . ']}' );
		$this->assertSame( 202, $response->get_status() );
		$payload = (string) self::outbox_rows()[0]['payload'];
		$this->assertStringNotContainsString( '"identity"', $payload, 'an empty identity is left out, never sent as []' );
		$this->assertSame( array(), JsonSchema::event_schema()->errors( json_decode( $payload ) ) );
	}

	public function test_ip_is_anonymized_when_the_site_says_so(): void {
		$_SERVER['REMOTE_ADDR'] = '203.0.113.77';
		$this->add_test_filter( 'pre_option_' . Settings::OPTION_ANONYMIZE_IP, static fn() => '1' );

		$response = $this->rest( 'POST', self::ROUTE, array( 'events' => array( self::browser_event() ) ) );

		$this->assertSame( 202, $response->get_status() );
		$stored = json_decode( (string) self::outbox_rows()[0]['payload'], true );
		$this->assertSame( '203.0.113.0', $stored['context']['ip'] );
		$this->assertTrue( $stored['context']['ip_anonymized'] );
	}

	public function test_client_ip_filter_can_supply_the_proxy_forwarded_address(): void {
		$_SERVER['REMOTE_ADDR'] = '10.0.0.1';
		$this->add_test_filter( 'layersync_client_ip', static fn() => '198.51.100.5' );
		$this->rest( 'POST', self::ROUTE, array( 'events' => array( self::browser_event() ) ) );
		$stored = json_decode( (string) self::outbox_rows()[0]['payload'], true );
		$this->assertSame( '198.51.100.5', $stored['context']['ip'] );
	}

	public function test_raw_email_is_refused_and_never_stored_or_echoed(): void {
		$event    = self::browser_event( array( 'identity' => array( 'em' => self::RAW_EMAIL ) ) );
		$log      = $this->debug_log_size();
		$response = $this->rest( 'POST', self::ROUTE, array( 'events' => array( $event ) ) );

		$this->assertSame( 400, $response->get_status() );
		$data = $response->get_data();
		$this->assertSame( 'layersync_invalid_events', $data['code'] );
		$this->assertSame( 0, $data['queued'] );
		$this->assertSame( 'rejected', $data['results'][0]['status'] );
		$this->assertStringContainsString( 'identity.em must be a SHA-256 hash', $data['results'][0]['reason'] );
		$this->assertStringContainsString( 'raw personal data is not accepted', $data['message'] );
		$this->assertStringNotContainsStringIgnoringCase( self::RAW_EMAIL, (string) wp_json_encode( $data ) );
		$this->assertSame( array(), self::outbox_rows() );
		$this->assertStringNotContainsStringIgnoringCase( self::RAW_EMAIL, $this->debug_log_since( $log ) );
	}

	public function test_email_in_properties_is_refused(): void {
		$event    = self::browser_event( array( 'properties' => array( 'note' => 'write to ' . self::RAW_EMAIL ) ) );
		$response = $this->rest( 'POST', self::ROUTE, array( 'events' => array( $event ) ) );
		$this->assertSame( 400, $response->get_status() );
		$this->assertStringContainsString( 'properties.note looks like it contains an email address', $response->get_data()['results'][0]['reason'] );
		$this->assertSame( array(), self::outbox_rows() );
	}

	public function test_email_in_page_url_query_is_redacted(): void {
		$event = self::browser_event( array( 'context' => array( 'url' => home_url( '/thanks/?email=jane.doe%40example.com&x=1' ) ) ) );
		$this->assertSame( 202, $this->rest( 'POST', self::ROUTE, array( 'events' => array( $event ) ) )->get_status() );
		$payload = (string) self::outbox_rows()[0]['payload'];
		$this->assertStringNotContainsStringIgnoringCase( 'jane.doe', $payload );
		$this->assertStringContainsString( '/thanks/?email=redacted&x=1', $payload );
	}

	/**
	 * Purchase and refund come from the store's own hooks only.
	 *
	 * @param string $name Event name.
	 */
	#[DataProvider( 'server_only_events' )]
	public function test_server_only_events_are_refused( string $name ): void {
		$event    = self::browser_event(
			array(
				'event_name' => $name,
				'commerce'   => array(
					'order_id' => '1001',
					'value'    => 10.5,
					'currency' => 'EUR',
				),
			)
		);
		$response = $this->rest( 'POST', self::ROUTE, array( 'events' => array( $event ) ) );

		$this->assertSame( 400, $response->get_status() );
		$this->assertStringContainsString( "event_name \"$name\" is recorded by the store's own server hooks", $response->get_data()['results'][0]['reason'] );
		$this->assertSame( array(), self::outbox_rows() );
	}

	/**
	 * Data provider.
	 *
	 * @return array<string, array{string}>
	 */
	public static function server_only_events(): array {
		return array(
			'purchase' => array( 'purchase' ),
			'refund'   => array( 'refund' ),
		);
	}

	public function test_cross_origin_request_is_refused(): void {
		$response = $this->rest( 'POST', self::ROUTE, array( 'events' => array( self::browser_event() ) ), array( 'origin' => 'https://evil.example' ) );
		$this->assertSame( 403, $response->get_status() );
		$this->assertSame( 'layersync_cross_origin', $response->get_data()['code'] );
		$this->assertSame( array(), self::outbox_rows() );
	}

	public function test_sec_fetch_site_cross_site_is_refused(): void {
		$response = $this->rest( 'POST', self::ROUTE, array( 'events' => array( self::browser_event() ) ), array( 'sec_fetch_site' => 'cross-site' ) );
		$this->assertSame( 403, $response->get_status() );
		$this->assertSame( 'layersync_cross_site', $response->get_data()['code'] );
		$this->assertSame( array(), self::outbox_rows() );
	}

	public function test_same_origin_request_is_accepted(): void {
		$origin   = (string) preg_replace( '#^(https?://[^/]+).*$#', '$1', home_url( '/' ) );
		$response = $this->rest(
			'POST',
			self::ROUTE,
			array( 'events' => array( self::browser_event() ) ),
			array(
				'origin'         => $origin,
				'sec_fetch_site' => 'same-origin',
			)
		);
		$this->assertSame( 202, $response->get_status() );
	}

	public function test_the_sites_own_host_over_https_is_same_site(): void {
		$origin   = (string) preg_replace( '#^https?(://[^/]+).*$#', 'https$1', home_url( '/' ) );
		$response = $this->rest( 'POST', self::ROUTE, array( 'events' => array( self::browser_event() ) ), array( 'origin' => $origin ) );
		$this->assertSame( 202, $response->get_status() );

		$other = (string) preg_replace( '#^(https?://)[^/:]+#', '$1localhost.example', home_url() );
		$this->assertSame( 403, $this->rest( 'POST', self::ROUTE, array( 'events' => array( self::browser_event() ) ), array( 'origin' => $other ) )->get_status() );
	}

	public function test_extra_origin_can_be_allowed_by_filter(): void {
		$this->add_test_filter( 'layersync_allowed_origins', static fn() => array( 'https://shop.example.com' ) );
		$response = $this->rest( 'POST', self::ROUTE, array( 'events' => array( self::browser_event() ) ), array( 'origin' => 'https://shop.example.com:443' ) );
		$this->assertSame( 202, $response->get_status() );
	}

	public function test_oversized_body_is_refused_with_413(): void {
		$body     = '{"events":[' . (string) wp_json_encode( self::browser_event() ) . ']' . str_repeat( ' ', EventsController::MAX_BODY_BYTES ) . '}';
		$response = $this->rest( 'POST', self::ROUTE, null, array(), $body );
		$this->assertSame( 413, $response->get_status() );
		$this->assertSame( 'layersync_body_too_large', $response->get_data()['code'] );
		$this->assertStringContainsString( 'at most 262144 bytes', $response->get_data()['message'] );
		$this->assertSame( array(), self::outbox_rows() );
	}

	public function test_more_than_fifty_events_are_refused(): void {
		$events = array();
		for ( $i = 0; $i < 51; $i++ ) {
			$events[] = self::browser_event();
		}
		$response = $this->rest( 'POST', self::ROUTE, array( 'events' => $events ) );
		$this->assertSame( 400, $response->get_status() );
		$this->assertSame( 'rest_invalid_param', $response->get_data()['code'] );
		$this->assertStringContainsString( 'events must contain at most 50 items', (string) wp_json_encode( $response->get_data() ) );
		$this->assertSame( array(), self::outbox_rows() );
	}

	public function test_bad_json_is_refused(): void {
		$response = $this->rest( 'POST', self::ROUTE, null, array(), '{"events":[{"event_id":' );
		$this->assertSame( 400, $response->get_status() );
		$this->assertSame( 'rest_invalid_json', $response->get_data()['code'] );
	}

	public function test_missing_events_is_refused(): void {
		$response = $this->rest( 'POST', self::ROUTE, array( 'event' => array() ) );
		$this->assertSame( 400, $response->get_status() );
		$this->assertSame( 'rest_missing_callback_param', $response->get_data()['code'] );
	}

	public function test_same_event_twice_is_stored_once_and_reported_duplicate(): void {
		$event = self::browser_event();
		$this->assertSame( 202, $this->rest( 'POST', self::ROUTE, array( 'events' => array( $event ) ) )->get_status() );

		$again = $this->rest( 'POST', self::ROUTE, array( 'events' => array( $event, $event ) ) );

		$this->assertSame( 202, $again->get_status() );
		$this->assertSame( 0, $again->get_data()['queued'] );
		$this->assertSame( array( 'duplicate', 'duplicate' ), array_column( $again->get_data()['results'], 'status' ) );
		$this->assertCount( 1, self::outbox_rows() );
	}

	public function test_mixed_batch_queues_the_valid_events_and_explains_the_rest(): void {
		$good     = self::browser_event();
		$bad_time = self::browser_event( array( 'event_time' => time() - 30 * 86400 ) );
		$bad_name = self::browser_event( array( 'event_name' => 'Purchase Completed' ) );
		$response = $this->rest( 'POST', self::ROUTE, array( 'events' => array( $good, $bad_time, $bad_name ) ) );

		$this->assertSame( 202, $response->get_status() );
		$data = $response->get_data();
		$this->assertSame( 1, $data['queued'] );
		$this->assertSame( array( 'queued', 'rejected', 'rejected' ), array_column( $data['results'], 'status' ) );
		$this->assertSame( array( 0, 1, 2 ), array_column( $data['results'], 'index' ) );
		$this->assertStringContainsString( 'more than 7 days in the past', $data['results'][1]['reason'] );
		$this->assertStringContainsString( 'event_name must be one of', $data['results'][2]['reason'] );
		$this->assertCount( 1, self::outbox_rows() );
	}

	public function test_payload_filter_can_adjust_and_is_revalidated(): void {
		$this->add_test_filter(
			'layersync_event_payload',
			static function ( $event ) {
				$event['properties'] = array( 'plan' => 'gold' );
				return $event;
			}
		);
		$this->rest( 'POST', self::ROUTE, array( 'events' => array( self::browser_event() ) ) );
		$stored = json_decode( (string) self::outbox_rows()[0]['payload'], true );
		$this->assertSame( array( 'plan' => 'gold' ), $stored['properties'] );

		// A filter that adds raw personal data is caught by the second validation.
		$this->add_test_filter(
			'layersync_event_payload',
			static function ( $event ) {
				$event['identity'] = array( 'em' => self::RAW_EMAIL );
				return $event;
			},
			20
		);
		$response = $this->rest( 'POST', self::ROUTE, array( 'events' => array( self::browser_event() ) ) );
		$this->assertSame( 400, $response->get_status() );
		$this->assertCount( 1, self::outbox_rows() );
	}

	public function test_over_real_http_through_the_web_server(): void {
		$url   = rest_url( 'layersync/v1/events' );
		$event = self::browser_event();
		$post  = static fn( array $headers, string $body ) => wp_remote_post(
			$url,
			array(
				'headers' => array_merge( array( 'Content-Type' => 'application/json' ), $headers ),
				'body'    => $body,
				'timeout' => 20,
			)
		);

		$ok = $post( array( 'User-Agent' => 'RealBrowser/1.0' ), (string) wp_json_encode( array( 'events' => array( $event ) ) ) );
		$this->assertSame( 202, wp_remote_retrieve_response_code( $ok ), (string) wp_remote_retrieve_body( $ok ) );
		$this->assertSame( 1, json_decode( (string) wp_remote_retrieve_body( $ok ), true )['queued'] );
		$stored = json_decode( (string) ( self::outbox_rows()[0]['payload'] ?? '' ), true );
		$this->assertSame( 'RealBrowser/1.0', $stored['context']['user_agent'] );
		$this->assertSame( '127.0.0.1', $stored['context']['ip'] );

		$cross = $post( array( 'Sec-Fetch-Site' => 'cross-site' ), (string) wp_json_encode( array( 'events' => array( self::browser_event() ) ) ) );
		$this->assertSame( 403, wp_remote_retrieve_response_code( $cross ) );
		$evil = $post( array( 'Origin' => 'https://evil.example' ), (string) wp_json_encode( array( 'events' => array( self::browser_event() ) ) ) );
		$this->assertSame( 403, wp_remote_retrieve_response_code( $evil ) );
		$big = $post( array(), str_repeat( ' ', EventsController::MAX_BODY_BYTES + 1 ) );
		$this->assertSame( 413, wp_remote_retrieve_response_code( $big ) );
		$this->assertCount( 1, self::outbox_rows() );
	}

	public function test_rate_limit_answers_429_with_retry_after_and_stores_no_raw_ip(): void {
		global $wpdb;
		$ip = '203.0.113.77';
		$this->limit_to( 3 );
		$_SERVER['REMOTE_ADDR'] = $ip;
		delete_transient( RateLimiter::key( $ip ) );

		for ( $i = 0; $i < 3; $i++ ) {
			$this->assertSame( 202, $this->rest( 'POST', self::ROUTE, array( 'events' => array( self::browser_event() ) ) )->get_status() );
		}
		$limited = $this->rest( 'POST', self::ROUTE, array( 'events' => array( self::browser_event() ) ) );

		$this->assertSame( 429, $limited->get_status() );
		$this->assertSame( 'layersync_rate_limited', $limited->get_data()['code'] );
		$this->assertStringContainsString( 'at most 3 per 60 seconds', $limited->get_data()['message'] );
		$retry_after = (int) $limited->get_headers()['Retry-After'];
		$this->assertGreaterThanOrEqual( 1, $retry_after );
		$this->assertLessThanOrEqual( 60, $retry_after );
		$this->assertSame( $retry_after, $limited->get_data()['data']['retry_after'] );
		$this->assertCount( 3, self::outbox_rows(), 'the limited request stored nothing' );

		// Counters are keyed by a keyed hash: the address appears nowhere in the options table.
		$this->assertMatchesRegularExpression( '/^layersync_rl_[0-9a-f]{32}$/', RateLimiter::key( $ip ) );
		$this->assertNotFalse( get_transient( RateLimiter::key( $ip ) ) );
		$leaks = $wpdb->get_var(
			$wpdb->prepare(
				"SELECT COUNT(*) FROM {$wpdb->options} WHERE option_name LIKE %s OR option_value LIKE %s",
				'%' . $wpdb->esc_like( $ip ) . '%',
				'%' . $wpdb->esc_like( $ip ) . '%'
			)
		);
		$this->assertSame( '0', $leaks );

		// Another address has its own budget.
		$_SERVER['REMOTE_ADDR'] = '203.0.113.78';
		delete_transient( RateLimiter::key( '203.0.113.78' ) );
		$this->assertSame( 202, $this->rest( 'POST', self::ROUTE, array( 'events' => array( self::browser_event() ) ) )->get_status() );
	}

	public function test_invalid_and_oversized_requests_count_against_the_limit(): void {
		$this->limit_to( 2 );
		$_SERVER['REMOTE_ADDR'] = '203.0.113.90';
		delete_transient( RateLimiter::key( '203.0.113.90' ) );
		$this->assertSame( 400, $this->rest( 'POST', self::ROUTE, null, array(), '{"events":[{"event_id":' )->get_status() );
		$this->assertSame( 413, $this->rest( 'POST', self::ROUTE, null, array(), str_repeat( ' ', EventsController::MAX_BODY_BYTES + 1 ) )->get_status() );
		$this->assertSame( 429, $this->rest( 'POST', self::ROUTE, array( 'events' => array( self::browser_event() ) ) )->get_status() );
		$this->assertSame( array(), self::outbox_rows() );
	}

	public function test_ipv6_clients_are_limited_per_64_block(): void {
		$this->limit_to( 1 );
		$this->assertSame( RateLimiter::key( '2001:db8:1:2::1' ), RateLimiter::key( '2001:db8:1:2:ffff::9' ) );
		$this->assertNotSame( RateLimiter::key( '2001:db8:1:2::1' ), RateLimiter::key( '2001:db8:1:3::1' ) );
		$this->assertSame( RateLimiter::key( '192.0.2.1' ), RateLimiter::key( '::ffff:192.0.2.1' ) );
		delete_transient( RateLimiter::key( '2001:db8:1:2::1' ) );

		$_SERVER['REMOTE_ADDR'] = '2001:db8:1:2::1';
		$this->assertSame( 202, $this->rest( 'POST', self::ROUTE, array( 'events' => array( self::browser_event() ) ) )->get_status() );
		$_SERVER['REMOTE_ADDR'] = '2001:db8:1:2:ffff::9';
		$this->assertSame( 429, $this->rest( 'POST', self::ROUTE, array( 'events' => array( self::browser_event() ) ) )->get_status() );
	}

	public function test_the_limit_can_be_turned_off_or_lifted_per_request(): void {
		$this->limit_to( 0 );
		$_SERVER['REMOTE_ADDR'] = '203.0.113.91';
		for ( $i = 0; $i < 3; $i++ ) {
			$this->assertSame( 202, $this->rest( 'POST', self::ROUTE, array( 'events' => array( self::browser_event() ) ) )->get_status() );
		}
		$this->assertFalse( get_transient( RateLimiter::key( '203.0.113.91' ) ), 'no counter is written when the limit is off' );

		$this->limit_to( 1 );
		$this->add_test_filter(
			'layersync_rate_limit',
			static fn( array $config, \WP_REST_Request $request ) => 'monitor' === $request->get_header( 'x_monitor' ) ? array(
				'limit'  => 0,
				'window' => 60,
			) : $config,
			10,
			2
		);
		for ( $i = 0; $i < 3; $i++ ) {
			$this->assertSame( 202, $this->rest( 'POST', self::ROUTE, array( 'events' => array( self::browser_event() ) ), array( 'x_monitor' => 'monitor' ) )->get_status() );
		}
	}

	public function test_fixed_window_resets(): void {
		$now     = 1_800_000_030;
		$limiter = new RateLimiter(
			static function () use ( &$now ): int {
				return $now;
			}
		);
		delete_transient( RateLimiter::key( '192.0.2.55' ) );
		$this->assertTrue( $limiter->hit( '192.0.2.55', 2, 60 )['allowed'] );
		$this->assertTrue( $limiter->hit( '192.0.2.55', 2, 60 )['allowed'] );
		$third = $limiter->hit( '192.0.2.55', 2, 60 );
		$this->assertFalse( $third['allowed'] );
		$this->assertSame( 30, $third['retry_after'], 'until the end of the 60-second window that started at :00' );
		$now += 30;
		$this->assertSame(
			array(
				'allowed'     => true,
				'count'       => 1,
				'retry_after' => 0,
			),
			$limiter->hit( '192.0.2.55', 2, 60 )
		);
		delete_transient( RateLimiter::key( '192.0.2.55' ) );
	}

	public function test_with_a_persistent_object_cache_counters_are_atomic_increments_there(): void {
		global $wpdb;
		$previous = wp_using_ext_object_cache( true );
		try {
			$now     = 1_800_000_000;
			$limiter = new RateLimiter( static fn(): int => $now );
			$queries = $wpdb->num_queries;
			$this->assertSame( 1, $limiter->hit( '192.0.2.77', 2, 60 )['count'] );
			$this->assertSame( 2, $limiter->hit( '192.0.2.77', 2, 60 )['count'] );
			$this->assertFalse( $limiter->hit( '192.0.2.77', 2, 60 )['allowed'] );
			$this->assertSame( $queries, $wpdb->num_queries, 'no database query' );
			$this->assertSame( 3, wp_cache_get( RateLimiter::key( '192.0.2.77' ) . '_' . $now, RateLimiter::CACHE_GROUP ) );
		} finally {
			// The global starts out null, and null would leave it set: restore a boolean.
			wp_using_ext_object_cache( (bool) $previous );
		}
	}

	public function test_batch_limit_and_body_cap_are_checked_before_any_event(): void {
		$events = array();
		for ( $i = 0; $i < EventsController::MAX_EVENTS; $i++ ) {
			$events[] = self::browser_event();
		}
		$this->assertSame( 202, $this->rest( 'POST', self::ROUTE, array( 'events' => $events ) )->get_status(), 'exactly the batch limit is accepted' );
		$this->assertCount( EventsController::MAX_EVENTS, self::outbox_rows() );

		$body = '{"events":[' . (string) wp_json_encode( self::browser_event() ) . ']}';
		$body = $body . str_repeat( ' ', EventsController::MAX_BODY_BYTES - strlen( $body ) );
		$this->assertSame( 202, $this->rest( 'POST', self::ROUTE, null, array(), $body )->get_status(), 'a body of exactly the cap is accepted' );
		$this->assertSame( 413, $this->rest( 'POST', self::ROUTE, null, array(), $body . ' ' )->get_status() );
	}

	public function test_validation_errors_name_each_problem(): void {
		$event  = self::browser_event(
			array(
				'event_id'   => 'bad id with spaces',
				'event_time' => 1732390000123,
				'identity'   => array( 'ph' => '+1 650 555 1212' ),
				'extra'      => true,
			)
		);
		$reason = (string) $this->rest( 'POST', self::ROUTE, array( 'events' => array( $event ) ) )->get_data()['results'][0]['reason'];
		$this->assertStringContainsString( 'extra is not a known field', $reason );
		$this->assertStringContainsString( 'event_id must be 1-128 characters', $reason );
		$this->assertStringContainsString( 'event_time', $reason );
		$this->assertStringContainsString( 'identity.ph must be a SHA-256 hash', $reason );
		$this->assertStringNotContainsString( '650', $reason, 'answers never repeat submitted values' );
	}

	public function test_visitor_id_cookie_becomes_external_id_only_with_consent(): void {
		$uid                          = '6f1c2b9e-8d1a-4c3b-9e2f-0a1b2c3d4e5f';
		$_COOKIE[ VisitorId::COOKIE ] = $uid;

		$this->rest( 'POST', self::ROUTE, array( 'events' => array( self::browser_event() ) ) );
		$stored = json_decode( (string) self::outbox_rows()[0]['payload'], true );
		$this->assertSame( hash( 'sha256', $uid ), $stored['identity']['external_id'] );
		$this->assertSame( $uid, $_COOKIE[ VisitorId::COOKIE ], 'the same id is kept (and renewed)' );

		// A snapshot without storage consent: no external_id, and the cookie is deleted.
		$denied = self::browser_event(
			array(
				'consent' => array(
					'ad_storage'         => 'denied',
					'analytics_storage'  => 'denied',
					'ad_user_data'       => 'denied',
					'ad_personalization' => 'denied',
					'do_not_sell'        => false,
				),
			)
		);
		$this->rest( 'POST', self::ROUTE, array( 'events' => array( $denied ) ) );
		$stored = json_decode( (string) self::outbox_rows()[1]['payload'], true );
		$this->assertArrayNotHasKey( 'external_id', $stored['identity'] );
		$this->assertArrayNotHasKey( VisitorId::COOKIE, $_COOKIE );

		// An external_id the page sent itself is kept.
		$own = hash( 'sha256', 'customer-42' );
		$this->rest( 'POST', self::ROUTE, array( 'events' => array( self::browser_event( array( 'identity' => array( 'external_id' => $own ) ) ) ) ) );
		$stored = json_decode( (string) self::outbox_rows()[2]['payload'], true );
		$this->assertSame( $own, $stored['identity']['external_id'] );
	}

	public function test_site_privacy_switches_travel_on_browser_events(): void {
		$this->add_test_filter( 'pre_option_' . Settings::OPTION_DO_NOT_SELL, static fn() => '1' );
		$this->add_test_filter( 'pre_option_' . Settings::OPTION_LDU, static fn() => '1' );
		$this->add_test_filter( 'pre_option_' . Settings::OPTION_LDU_REGION, static fn() => 'US-CA' );
		$this->rest( 'POST', self::ROUTE, array( 'events' => array( self::browser_event() ) ) );
		$payload = (string) self::outbox_rows()[0]['payload'];
		$stored  = json_decode( $payload, true );
		$this->assertTrue( $stored['consent']['do_not_sell'] );
		$this->assertSame(
			array(
				'country' => 'US',
				'state'   => 'CA',
			),
			$stored['consent']['ldu']
		);
		$this->assertSame( array(), JsonSchema::event_schema()->errors( json_decode( $payload ) ) );

		// LDU without a region is an empty object ("the platform geolocates"), never [].
		$this->add_test_filter( 'pre_option_' . Settings::OPTION_LDU_REGION, static fn() => '', 20 );
		$this->rest( 'POST', self::ROUTE, array( 'events' => array( self::browser_event() ) ) );
		$payload = (string) self::outbox_rows()[1]['payload'];
		$this->assertStringContainsString( '"ldu":{}', $payload );
		$this->assertSame( array(), JsonSchema::event_schema()->errors( json_decode( $payload ) ) );
	}

	public function test_before_enqueue_filter_can_drop_an_event(): void {
		$this->add_test_filter( 'layersync_event_before_enqueue', static fn( array $event ) => 'page_view' === $event['event_name'] ? false : $event );
		$response = $this->rest(
			'POST',
			self::ROUTE,
			array( 'events' => array( self::browser_event( array( 'event_name' => 'page_view' ) ), self::browser_event() ) )
		);
		$this->assertSame( array( 'rejected', 'queued' ), array_column( $response->get_data()['results'], 'status' ) );
		$this->assertSame( 'dropped by a layersync_event_before_enqueue filter', $response->get_data()['results'][0]['reason'] );
		$this->assertSame( array( 'lead' ), array_column( self::outbox_rows(), 'event_name' ) );
	}

	public function test_rate_limit_and_visitor_cookie_over_real_http(): void {
		$url = rest_url( 'layersync/v1/events' );
		update_option( Settings::OPTION_RATE_LIMIT, '2' );
		update_option( Settings::OPTION_RATE_WINDOW, '60' );
		delete_transient( RateLimiter::key( '127.0.0.1' ) );
		$post = static fn() => wp_remote_post(
			$url,
			array(
				'headers' => array( 'Content-Type' => 'application/json' ),
				'body'    => (string) wp_json_encode( array( 'events' => array( self::browser_event() ) ) ),
				'timeout' => 20,
			)
		);
		try {
			$first = $post();
			$this->assertSame( 202, wp_remote_retrieve_response_code( $first ), (string) wp_remote_retrieve_body( $first ) );
			$cookies = (array) wp_remote_retrieve_header( $first, 'set-cookie' );
			$uid     = array_values( array_filter( $cookies, static fn( $c ) => str_starts_with( (string) $c, VisitorId::COOKIE . '=' ) ) );
			$this->assertCount( 1, $uid, 'the visitor id cookie is set on the (never cached) events answer' );
			$this->assertMatchesRegularExpression( '/^layersync_uid=[0-9a-f-]{36}; expires=[^;]+; Max-Age=63072000; path=\/; HttpOnly; SameSite=Lax$/', (string) $uid[0] );
			$this->assertSame( 202, wp_remote_retrieve_response_code( $post() ) );

			$limited = $post();
			$this->assertSame( 429, wp_remote_retrieve_response_code( $limited ) );
			$this->assertMatchesRegularExpression( '/^\d+$/', implode( ',', (array) wp_remote_retrieve_header( $limited, 'retry-after' ) ) );
			$this->assertSame( 'layersync_rate_limited', json_decode( (string) wp_remote_retrieve_body( $limited ), true )['code'] );
			$this->assertCount( 2, self::outbox_rows() );
		} finally {
			// The web server changed options (cron) behind this process's cache: read them afresh.
			wp_cache_flush();
			delete_transient( RateLimiter::key( '127.0.0.1' ) );
		}
	}

	/**
	 * Sets the per-IP limit (this process only).
	 *
	 * @param int $limit Requests per 60 s.
	 */
	private function limit_to( int $limit ): void {
		$this->add_test_filter( 'pre_option_' . Settings::OPTION_RATE_LIMIT, static fn() => (string) $limit );
		$this->add_test_filter( 'pre_option_' . Settings::OPTION_RATE_WINDOW, static fn() => '60' );
	}

	public function test_recording_never_calls_the_network(): void {
		$calls = 0;
		$this->add_test_filter(
			'pre_http_request',
			static function () use ( &$calls ) {
				++$calls;
				return new \WP_Error( 'blocked', 'no network in a visitor request' );
			}
		);
		$this->connect();
		$this->rest( 'POST', self::ROUTE, array( 'events' => array( self::browser_event() ) ) );
		$this->assertSame( 0, $calls );
	}

	/**
	 * Size of the WordPress debug log now (0 when there is none).
	 *
	 * @return int
	 */
	private function debug_log_size(): int {
		$file = $this->debug_log_file();
		clearstatcache();
		return '' !== $file && is_file( $file ) ? (int) filesize( $file ) : 0;
	}

	/**
	 * What the debug log gained since $offset.
	 *
	 * @param int $offset Earlier size.
	 * @return string
	 */
	private function debug_log_since( int $offset ): string {
		$file = $this->debug_log_file();
		if ( '' === $file || ! is_file( $file ) ) {
			return '';
		}
		return (string) file_get_contents( $file, false, null, $offset );
	}

	/**
	 * Path of the debug log.
	 *
	 * @return string
	 */
	private function debug_log_file(): string {
		return is_string( WP_DEBUG_LOG ) ? WP_DEBUG_LOG : WP_CONTENT_DIR . '/debug.log';
	}
}
