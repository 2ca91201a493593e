<?php
/**
 * Draining the outbox to the relay.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Integration\Internal\Outbox;

use LayerSync\Internal\Event\EventId;
use LayerSync\Internal\Event\EventRecorder;
use LayerSync\Internal\Event\EventValidator;
use LayerSync\Internal\Outbox\Backoff;
use LayerSync\Internal\Outbox\DrainScheduler;
use LayerSync\Internal\Outbox\Drainer;
use LayerSync\Internal\Outbox\OutboxRepository;
use LayerSync\Internal\Relay\RelayClient;
use LayerSync\Internal\Settings;
use LayerSync\Tests\Integration\IntegrationTestCase;
use LayerSync\Tests\Support\FakeRelayServer;
use LayerSync\Tests\Support\JsonSchema;

final class DrainerTest extends IntegrationTestCase {

	private const SECRET = 'drain-secret-0123456789abcdef0123456789abcdef';

	private OutboxRepository $outbox;

	private Drainer $drainer;

	private EventRecorder $recorder;

	/**
	 * Requests seen by pre_http_request: [url, args].
	 *
	 * @var array<int, array{url: string, args: array<string, mixed>}>
	 */
	private array $requests = array();

	/**
	 * Deliveries reported through layersync_event_after_delivery: [event_id, status, reason].
	 *
	 * @var array<int, array{0: string, 1: string, 2: string}>
	 */
	private array $deliveries = array();

	protected function setUp(): void {
		parent::setUp();
		$settings       = new Settings();
		$scheduler      = new DrainScheduler();
		$this->outbox   = new OutboxRepository();
		$this->drainer  = new Drainer( $this->outbox, new RelayClient( $settings, 5 ), $settings, $scheduler );
		$this->recorder = new EventRecorder( $this->outbox, new EventValidator(), $scheduler );
		$this->add_test_filter(
			'layersync_event_after_delivery',
			function ( $event_id, $status, $reason ): void {
				$this->deliveries[] = array( $event_id, $status, $reason );
			},
			10,
			3
		);
	}

	public function test_one_signed_batch_carries_the_stored_bytes_and_marks_rows_sent(): void {
		$this->connect( 'https://relay.example.test/base/', 'shop-1', self::SECRET );
		$ids = $this->record( array( 'page_view', 'lead', 'add_to_cart' ) );
		$this->answer( 202, fn( array $events ) => self::results( $events, 'accepted' ) );
		$before = time();

		$stats = $this->drainer->run();

		$this->assertSame(
			array(
				'batches' => 1,
				'sent'    => 3,
				'failed'  => 0,
				'retried' => 0,
			),
			$stats
		);
		$this->assertCount( 1, $this->requests );
		list( 'url' => $url, 'args' => $args ) = $this->requests[0];
		$this->assertSame( 'https://relay.example.test/base/v1/events', $url );
		$this->assertSame( 'POST', $args['method'] );
		$this->assertLessThanOrEqual( 5, $args['timeout'] );

		$headers = $args['headers'];
		$this->assertSame( 'application/json', $headers['Content-Type'] );
		$this->assertSame( 'shop-1', $headers['X-LayerSync-Site'] );
		// A time-ordered UUIDv7: the relay's replay-protection index stays append-mostly.
		$this->assertMatchesRegularExpression( EventId::UUID7_PATTERN, $headers['X-LayerSync-Request-Id'] );
		$this->assertEqualsWithDelta( $before * 1000, EventId::uuid7_time_ms( $headers['X-LayerSync-Request-Id'] ), 5000 );
		$timestamp = (int) $headers['X-LayerSync-Timestamp'];
		$this->assertSame( (string) $timestamp, $headers['X-LayerSync-Timestamp'] );
		$this->assertGreaterThanOrEqual( $before, $timestamp );
		$this->assertLessThanOrEqual( time(), $timestamp );

		// The body is the stored payloads, verbatim, most important first…
		$body     = $args['body'];
		$payloads = array();
		foreach ( array( $ids['lead'], $ids['add_to_cart'], $ids['page_view'] ) as $event_id ) {
			$payloads[] = (string) ( $this->outbox->find( $event_id )['payload'] ?? '' );
		}
		$this->assertSame( '{"events":[' . implode( ',', $payloads ) . ']}', $body );
		// …signed over exactly those bytes…
		$this->assertSame(
			'v1=' . hash_hmac( 'sha256', $headers['X-LayerSync-Request-Id'] . '.' . $timestamp . '.' . $body, self::SECRET ),
			$headers['X-LayerSync-Signature']
		);
		// …and it is a valid ingest request for the relay.
		$this->assertSame( array(), JsonSchema::event_schema()->errors( json_decode( $body ), '#/$defs/ingest_request' ) );

		foreach ( $ids as $event_id ) {
			$row = $this->outbox->find( $event_id );
			$this->assertSame( 'sent', $row['status'] ?? '' );
			$this->assertSame( '1', $row['attempts'] ?? '' );
		}
		$this->assertSame( array( 'sent', 'sent', 'sent' ), array_column( $this->deliveries, 1 ) );
	}

	public function test_per_event_results_sent_duplicate_and_rejected(): void {
		$this->connect( 'https://relay.example.test', 'shop-1', self::SECRET );
		$ids = $this->record( array( 'lead', 'sign_up', 'subscribe' ) );
		$this->answer(
			202,
			static fn( array $events ) => array(
				'accepted'  => 1,
				'duplicate' => 1,
				'rejected'  => 1,
				'results'   => array(
					array(
						'index'    => 0,
						'event_id' => $events[0]['event_id'],
						'status'   => 'accepted',
					),
					array(
						'index'    => 1,
						'event_id' => $events[1]['event_id'],
						'status'   => 'duplicate',
					),
					array(
						'index'    => 2,
						'event_id' => $events[2]['event_id'],
						'status'   => 'rejected',
						'reason'   => 'event_time: must be unix seconds',
					),
				),
			)
		);

		$stats = $this->drainer->run();

		$this->assertSame( 2, $stats['sent'] );
		$this->assertSame( 1, $stats['failed'] );
		$this->assertSame( 'sent', $this->outbox->find( $ids['lead'] )['status'] ?? '' );
		$this->assertSame( 'sent', $this->outbox->find( $ids['sign_up'] )['status'] ?? '' );
		$rejected = $this->outbox->find( $ids['subscribe'] );
		$this->assertSame( 'failed', $rejected['status'] ?? '' );
		$this->assertSame( 'Rejected by the relay: event_time: must be unix seconds', $rejected['last_error'] ?? '' );
		$this->assertContains( array( $ids['subscribe'], 'failed', 'Rejected by the relay: event_time: must be unix seconds' ), $this->deliveries );

		// Rejected events are not retried.
		$this->assertSame( 0, $this->drainer->run()['batches'] );
		$this->assertCount( 1, $this->requests );
	}

	public function test_merged_and_unknown_statuses_count_as_sent_and_are_not_retried(): void {
		$this->connect( 'https://relay.example.test', 'shop-1', self::SECRET );
		$ids = $this->record( array( 'lead', 'sign_up' ) );
		$this->answer(
			202,
			static fn( array $events ) => array(
				'accepted' => 0,
				'merged'   => 1,
				'results'  => array(
					array(
						'index'    => 0,
						'event_id' => $events[0]['event_id'],
						'status'   => 'merged',
						'reason'   => 'merged with the browser half',
					),
					array(
						'index'    => 1,
						'event_id' => $events[1]['event_id'],
						'status'   => 'stored_for_later',
					),
				),
			)
		);

		$stats = $this->drainer->run();

		$this->assertSame( 2, $stats['sent'] );
		$this->assertSame( 'sent', $this->outbox->find( $ids['lead'] )['status'] ?? '' );
		$this->assertSame( 'sent', $this->outbox->find( $ids['sign_up'] )['status'] ?? '' );
		$this->assertSame( 0, $this->drainer->run()['batches'] );
		$this->assertCount( 1, $this->requests );
	}

	public function test_server_error_backs_off_records_the_error_and_schedules_the_retry(): void {
		$this->connect();
		$ids = $this->record( array( 'lead', 'page_view' ) );
		$this->answer(
			500,
			static fn() => array(
				'error'   => 'internal_error',
				'message' => 'the relay failed to process the request; retry it later',
			)
		);
		$before = time();

		$stats = $this->drainer->run();

		$this->assertSame( 2, $stats['retried'] );
		$this->assertCount( 1, $this->requests, 'a failing relay stops the run' );
		foreach ( $ids as $event_id ) {
			$row  = $this->outbox->find( $event_id );
			$next = OutboxRepository::timestamp( (string) ( $row['next_attempt_at'] ?? '' ) );
			$this->assertSame( 'pending', $row['status'] ?? '' );
			$this->assertSame( '1', $row['attempts'] ?? '' );
			$this->assertGreaterThanOrEqual( $before + intdiv( Backoff::BASE_SECONDS, 2 ), $next );
			$this->assertLessThanOrEqual( time() + Backoff::BASE_SECONDS, $next );
			$this->assertSame( 'Relay answered HTTP 500 (internal_error): the relay failed to process the request; retry it later', $row['last_error'] ?? '' );
		}
		$this->assertSame( array( 'retry', 'retry' ), array_column( $this->deliveries, 1 ) );

		// Nothing is due now; the follow-up drain is scheduled for the earliest retry.
		wp_clear_scheduled_hook( DrainScheduler::HOOK_ASYNC );
		$this->assertSame( 0, $this->drainer->run()['batches'] );
		$scheduled = wp_next_scheduled( DrainScheduler::HOOK_ASYNC );
		$this->assertGreaterThan( time(), $scheduled );
		$this->assertSame( $this->outbox->next_attempt_time(), $scheduled );
	}

	public function test_second_failure_waits_longer(): void {
		$this->connect();
		$ids = $this->record( array( 'lead' ) );
		$this->answer( 503, static fn() => array( 'error' => 'store_unavailable' ) );
		$this->drainer->run();
		$this->make_due( $ids['lead'] );
		$before = time();

		$this->drainer->run();

		$row = $this->outbox->find( $ids['lead'] );
		$this->assertSame( '2', $row['attempts'] ?? '' );
		$this->assertGreaterThanOrEqual( $before + Backoff::BASE_SECONDS, OutboxRepository::timestamp( (string) ( $row['next_attempt_at'] ?? '' ) ) );
	}

	public function test_rate_limit_respects_retry_after(): void {
		$this->connect();
		$ids = $this->record( array( 'lead' ) );
		$this->answer( 429, static fn() => array( 'error' => 'rate_limited' ), array( 'retry-after' => '120' ) );
		$before = time();

		$this->drainer->run();

		$row = $this->outbox->find( $ids['lead'] );
		$this->assertSame( 'pending', $row['status'] ?? '' );
		$this->assertGreaterThanOrEqual( $before + 120, OutboxRepository::timestamp( (string) ( $row['next_attempt_at'] ?? '' ) ) );
	}

	public function test_unreachable_relay_is_retried_later(): void {
		// A real connection to a closed local port: refused by the operating system.
		$this->connect( 'http://127.0.0.1:' . FakeRelayServer::free_port() );
		$ids = $this->record( array( 'lead' ) );

		$stats = $this->drainer->run();

		$this->assertSame( 1, $stats['retried'] );
		$row = $this->outbox->find( $ids['lead'] );
		$this->assertSame( 'pending', $row['status'] ?? '' );
		$this->assertSame( '1', $row['attempts'] ?? '' );
		$this->assertStringStartsWith( 'Relay unreachable: ', (string) ( $row['last_error'] ?? '' ) );
		$this->assertGreaterThan( time(), OutboxRepository::timestamp( (string) ( $row['next_attempt_at'] ?? '' ) ) );
	}

	public function test_bad_signature_is_retried_with_a_hint_for_the_admin(): void {
		$this->connect();
		$ids = $this->record( array( 'lead' ) );
		$this->answer(
			401,
			static fn() => array(
				'error'   => 'bad_signature',
				'message' => 'the signature does not match',
			)
		);

		$this->drainer->run();

		$row = $this->outbox->find( $ids['lead'] );
		$this->assertSame( 'pending', $row['status'] ?? '' );
		$this->assertSame( 'Relay answered HTTP 401 (bad_signature): the signature does not match — check the secret in LayerSync settings.', $row['last_error'] ?? '' );
		$this->assertStringNotContainsString( self::SECRET, (string) $row['last_error'] );
	}

	public function test_body_too_large_halves_the_batch(): void {
		$this->connect();
		$ids   = $this->record( array( 'lead', 'lead', 'lead', 'lead' ) );
		$sizes = array();
		$this->add_test_filter(
			'pre_http_request',
			function ( $preempt, $args, $url ) use ( &$sizes ) {
				$events  = json_decode( $args['body'], true )['events'];
				$sizes[] = count( $events );
				return count( $events ) > 2
					? self::response( 413, array( 'error' => 'body_too_large' ) )
					: self::response( 202, self::results( $events, 'accepted' ) );
			},
			10,
			3
		);

		$stats = $this->drainer->run();

		$this->assertSame( array( 4, 2, 2 ), $sizes );
		$this->assertSame( 4, $stats['sent'] );
		foreach ( $ids as $event_id ) {
			$row = $this->outbox->find( $event_id );
			$this->assertSame( 'sent', $row['status'] ?? '' );
			$this->assertSame( '1', $row['attempts'] ?? '', 'the refused oversized batch did not count as an attempt' );
		}
	}

	public function test_nothing_is_claimed_or_sent_without_a_connection(): void {
		$this->add_test_filter( 'pre_option_' . Settings::OPTION_SECRET, static fn() => '' );
		$ids   = $this->record( array( 'lead' ) );
		$calls = 0;
		$this->add_test_filter(
			'pre_http_request',
			static function () use ( &$calls ) {
				++$calls;
				return new \WP_Error( 'unexpected', 'no request expected' );
			}
		);

		$this->assertSame( 0, $this->drainer->run()['batches'] );
		$this->assertSame( 0, $calls );
		$this->assertSame( 'pending', $this->outbox->find( $ids['lead'] )['status'] ?? '' );
	}

	public function test_maintenance_releases_stale_claims_and_then_drains(): void {
		global $wpdb;
		$this->connect();
		$ids = $this->record( array( 'lead' ) );
		$this->outbox->claim( 10, time() );
		$wpdb->update(
			\LayerSync\Internal\Outbox\OutboxTable::name(),
			array( 'claimed_at' => OutboxRepository::datetime( time() - Drainer::STALE_CLAIM_SECONDS - 60 ) ),
			array( 'event_id' => $ids['lead'] )
		);
		$this->answer( 202, static fn( array $events ) => self::results( $events, 'accepted' ) );

		$this->drainer->run_maintenance();

		$row = $this->outbox->find( $ids['lead'] );
		$this->assertSame( 'sent', $row['status'] ?? '' );
		$this->assertSame( '2', $row['attempts'] ?? '', 'the crashed attempt and the successful one' );
	}

	public function test_drain_against_a_real_http_relay(): void {
		$relay = new FakeRelayServer( self::SECRET );
		try {
			$this->connect( $relay->url(), 'shop-http', self::SECRET );
			$ids = $this->record( array( 'lead', 'view_item' ) );

			$stats = $this->drainer->run();

			$this->assertSame( 2, $stats['sent'] );
			$requests = $relay->requests();
			$this->assertCount( 1, $requests );
			$this->assertSame( 'POST', $requests[0]['method'] );
			$this->assertSame( '/v1/events', $requests[0]['path'] );
			$this->assertSame( 'shop-http', $requests[0]['site'] );
			$this->assertStringStartsWith( 'application/json', (string) $requests[0]['content_type'] );
			$this->assertTrue( $requests[0]['signature_ok'], 'the relay verified the signature over the bytes it received' );
			$this->assertSame( array( $ids['lead'], $ids['view_item'] ), array_column( json_decode( (string) $requests[0]['body'], true )['events'], 'event_id' ) );
			foreach ( $ids as $event_id ) {
				$this->assertSame( 'sent', $this->outbox->find( $event_id )['status'] ?? '' );
			}

			// The connection test reads the same relay: a wrong secret and a right one.
			$client = new RelayClient( new Settings(), 5 );
			$this->assertSame( 'bad_signature', $client->test_connection( $relay->url(), 'shop-http', str_repeat( 'x', 40 ) )['diagnosis'] );
			$this->assertSame( 'ok', $client->test_connection( $relay->url(), 'shop-http', self::SECRET )['diagnosis'] );
		} finally {
			$relay->stop();
		}
	}

	public function test_relay_down_keeps_rows_with_the_error_and_backoff_then_drains_when_it_returns(): void {
		delete_option( Drainer::OPTION_STATE );
		$port = FakeRelayServer::free_port();
		$this->connect( 'http://127.0.0.1:' . $port, 'shop-outage', self::SECRET );
		$ids = $this->record( array( 'lead', 'page_view' ) );
		wp_clear_scheduled_hook( DrainScheduler::HOOK_ASYNC );

		// Down: nothing listens on the port.
		$stats = $this->drainer->run();

		$this->assertSame( 2, $stats['retried'] );
		foreach ( $ids as $event_id ) {
			$row = $this->outbox->find( $event_id );
			$this->assertSame( 'pending', $row['status'] ?? '' );
			$this->assertSame( '1', $row['attempts'] ?? '' );
			$this->assertStringStartsWith( 'Relay unreachable: ', (string) ( $row['last_error'] ?? '' ) );
			$this->assertGreaterThan( time(), OutboxRepository::timestamp( (string) ( $row['next_attempt_at'] ?? '' ) ), 'backed off' );
		}
		$state = Drainer::state();
		$this->assertSame( 0, $state['last_success'] );
		$this->assertStringStartsWith( 'Relay unreachable: ', $state['last_error'] );
		// The follow-up drain waits for the backoff; nothing is attempted before it.
		$scheduled = wp_next_scheduled( DrainScheduler::HOOK_ASYNC );
		$this->assertSame( $this->outbox->next_attempt_time(), $scheduled );
		$this->assertSame( 0, $this->drainer->run()['batches'], 'no attempt before the backoff ends' );

		// Back: the relay listens on the same address; the backoff has passed when the
		// scheduled drain fires.
		$relay = new FakeRelayServer( self::SECRET, $port );
		try {
			foreach ( $ids as $event_id ) {
				$this->make_due( $event_id );
			}
			do_action( DrainScheduler::HOOK_ASYNC );

			foreach ( $ids as $event_id ) {
				$row = $this->outbox->find( $event_id );
				$this->assertSame( 'sent', $row['status'] ?? '' );
				$this->assertSame( '2', $row['attempts'] ?? '' );
				$this->assertNull( $row['last_error'] ?? null );
			}
			$this->assertCount( 1, $relay->requests() );
			$this->assertTrue( $relay->requests()[0]['signature_ok'] );
			$state = Drainer::state();
			$this->assertGreaterThanOrEqual( time() - 5, $state['last_success'] );
			$this->assertSame( '', $state['last_error'] );
		} finally {
			$relay->stop();
			delete_option( Drainer::OPTION_STATE );
		}
	}

	public function test_records_nothing_about_runs_that_had_nothing_to_send(): void {
		delete_option( Drainer::OPTION_STATE );
		$this->connect();
		$this->assertSame( 0, $this->drainer->run()['batches'] );
		$this->assertFalse( get_option( Drainer::OPTION_STATE ) );
	}

	public function test_after_delivery_action_reports_each_event(): void {
		$this->connect();
		$ids = $this->record( array( 'lead' ) );
		$this->answer( 202, fn( array $events ) => self::results( $events, 'accepted' ) );
		$this->drainer->run();
		$this->assertSame( array( array( $ids['lead'], 'sent', '' ) ), $this->deliveries );
	}

	/**
	 * Records one server event per name; returns event ids keyed by name.
	 *
	 * @param string[] $names Event names.
	 * @return array<string, string>
	 */
	private function record( array $names ): array {
		$ids = array();
		foreach ( $names as $i => $name ) {
			$id     = self::uuid7();
			$result = $this->recorder->record(
				array(
					'event_id'   => $id,
					'event_name' => $name,
					'event_time' => time(),
					'source'     => 'server',
					'context'    => array( 'url' => home_url( '/' ) ),
					'identity'   => array( 'em' => hash( 'sha256', "person$i@example.com" ) ),
				)
			);
			$this->assertSame( 'queued', $result['status'], $result['reason'] );
			$ids[ isset( $ids[ $name ] ) ? "$name#$i" : $name ] = $id;
		}
		return $ids;
	}

	/**
	 * Answers every relay request with $status and the body built from the sent events.
	 *
	 * @param int                   $status  HTTP status.
	 * @param callable              $body    fn( array $events ): array.
	 * @param array<string, string> $headers Response headers.
	 */
	private function answer( int $status, callable $body, array $headers = array() ): void {
		$this->add_test_filter(
			'pre_http_request',
			function ( $preempt, $args, $url ) use ( $status, $body, $headers ) {
				$this->requests[] = array(
					'url'  => $url,
					'args' => $args,
				);
				$events           = json_decode( (string) $args['body'], true )['events'] ?? array();
				return self::response( $status, $body( $events ), $headers );
			},
			10,
			3
		);
	}

	/**
	 * An HTTP API response array.
	 *
	 * @param int                   $status  Status.
	 * @param array<string, mixed>  $body    JSON body.
	 * @param array<string, string> $headers Headers (lowercase names).
	 * @return array<string, mixed>
	 */
	private static function response( int $status, array $body, array $headers = array() ): array {
		return array(
			'headers'  => $headers,
			'body'     => (string) wp_json_encode( $body ),
			'response' => array(
				'code'    => $status,
				'message' => get_status_header_desc( $status ),
			),
			'cookies'  => array(),
			'filename' => null,
		);
	}

	/**
	 * A 202 body with the same status for every event.
	 *
	 * @param array<int, array<string, mixed>> $events Events sent.
	 * @param string                           $status Status.
	 * @return array<string, mixed>
	 */
	private static function results( array $events, string $status ): array {
		$results = array();
		foreach ( $events as $index => $event ) {
			$results[] = array(
				'index'    => $index,
				'event_id' => $event['event_id'],
				'status'   => $status,
			);
		}
		return array(
			'accepted' => count( $results ),
			'results'  => $results,
		);
	}

	/**
	 * Makes a pending row due now.
	 *
	 * @param string $event_id Event id.
	 */
	private function make_due( string $event_id ): void {
		global $wpdb;
		$wpdb->update(
			\LayerSync\Internal\Outbox\OutboxTable::name(),
			array( 'next_attempt_at' => OutboxRepository::datetime( time() - 1 ) ),
			array( 'event_id' => $event_id )
		);
	}
}
