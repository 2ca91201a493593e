<?php
/**
 * POST /layersync/v1/events inside WordPress.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Integration\Internal\Rest;

use LayerSync\Internal\Outbox\DrainScheduler;
use LayerSync\Internal\Rest\EventsController;
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
		$this->assertSame( $event['identity'], $stored['identity'] );
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
