<?php
/**
 * Site Health tests: relay, backlog, delivery.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Integration\Internal\Health;

use LayerSync\Internal\Health\SiteHealth;
use LayerSync\Internal\Outbox\Drainer;
use LayerSync\Internal\Outbox\OutboxRepository;
use LayerSync\Internal\Outbox\OutboxTable;
use LayerSync\Internal\Relay\RelayClient;
use LayerSync\Internal\Settings;
use LayerSync\Tests\Integration\IntegrationTestCase;
use LayerSync\Tests\Support\CreatesUsers;
use LayerSync\Tests\Support\FakeRelayServer;

final class SiteHealthTest extends IntegrationTestCase {

	use CreatesUsers;

	private const SECRET = 'health-secret-0123456789abcdef0123456789abcdef';

	private SiteHealth $health;

	protected function setUp(): void {
		parent::setUp();
		$settings     = new Settings();
		$this->health = new SiteHealth( new OutboxRepository(), new RelayClient( $settings, 5 ), $settings );
		delete_option( Drainer::OPTION_STATE );
		delete_option( Drainer::OPTION_EVICTED );
	}

	protected function tearDown(): void {
		delete_option( Drainer::OPTION_STATE );
		delete_option( Drainer::OPTION_EVICTED );
		$this->delete_users();
		parent::tearDown();
	}

	public function test_tests_are_registered_with_the_relay_probe_async(): void {
		$tests = apply_filters(
			'site_status_tests',
			array(
				'direct' => array(),
				'async'  => array(),
			)
		);
		$this->assertTrue( is_callable( $tests['direct']['layersync_outbox_backlog']['test'] ) );
		$this->assertTrue( is_callable( $tests['direct']['layersync_drain']['test'] ) );
		$relay = $tests['async']['layersync_relay'];
		$this->assertSame( rest_url( 'layersync/v1/admin/health/relay' ), $relay['test'] );
		$this->assertTrue( $relay['has_rest'] );
		$this->assertTrue( is_callable( $relay['async_direct_test'] ), 'WordPress\'s scheduled check runs it directly' );
	}

	public function test_relay_probe_is_signed_and_diagnoses_the_answer(): void {
		$this->add_test_filter( 'pre_option_' . Settings::OPTION_RELAY_URL, static fn() => '' );
		$this->assertSame( 'recommended', $this->health->test_relay()['status'] );

		$relay = new FakeRelayServer( self::SECRET );
		try {
			$this->connect( $relay->url(), 'shop-health', self::SECRET );
			$good = $this->health->test_relay();
			$this->assertSame( 'good', $good['status'] );
			$this->assertSame( 'layersync_relay', $good['test'] );
			$this->assertTrue( $relay->requests()[0]['signature_ok'] );
			$this->assertSame( '{"events":[]}', $relay->requests()[0]['body'], 'the probe stores nothing' );
		} finally {
			$relay->stop();
		}

		$this->connect( 'http://127.0.0.1:' . FakeRelayServer::free_port(), 'shop-health', self::SECRET );
		$down = $this->health->test_relay();
		$this->assertSame( 'critical', $down['status'] );
		$this->assertStringContainsString( 'Could not reach the relay', $down['description'] );
	}

	public function test_relay_route_needs_the_site_health_capability(): void {
		$this->assertSame( 401, $this->rest( 'GET', '/layersync/v1/admin/health/relay' )->get_status() );
		wp_set_current_user( $this->user( 'editor' ) );
		$this->assertSame( 403, $this->rest( 'GET', '/layersync/v1/admin/health/relay' )->get_status() );
		wp_set_current_user( $this->user( 'administrator' ) );
		$this->add_test_filter( 'pre_option_' . Settings::OPTION_RELAY_URL, static fn() => '' );
		$response = $this->rest( 'GET', '/layersync/v1/admin/health/relay' );
		$this->assertSame( 200, $response->get_status() );
		$this->assertSame( 'layersync_relay', $response->get_data()['test'] );
	}

	public function test_backlog_counts_events_waiting_more_than_fifteen_minutes(): void {
		$this->assertSame( 'good', $this->health->test_backlog()['status'] );

		$this->pending( 3, time() - 20 * 60 );
		$this->pending( 2, time() - 60 );
		$result = $this->health->test_backlog();
		$this->assertSame( 'recommended', $result['status'] );
		$this->assertSame( '3 LayerSync events have waited more than 15 minutes', $result['label'] );

		update_option(
			Drainer::OPTION_EVICTED,
			array(
				'total'      => 12,
				'last_at'    => time(),
				'last_count' => 12,
			),
			false
		);
		$this->assertStringContainsString( 'removed 12 undelivered or finished events', $this->health->test_backlog()['description'] );

		$this->pending( SiteHealth::BACKLOG_CRITICAL, time() - 3600 );
		$this->assertSame( 'critical', $this->health->test_backlog()['status'] );
	}

	public function test_delivery_is_critical_when_events_wait_and_nothing_was_delivered_recently(): void {
		$this->assertSame( 'good', $this->health->test_drain()['status'], 'nothing waits' );

		$this->pending( 1, time() - 45 * 60 );
		$stalled = $this->health->test_drain();
		$this->assertSame( 'critical', $stalled['status'] );
		$this->assertStringContainsString( 'has not accepted any event from this site yet', $stalled['description'] );
		$this->assertStringContainsString( 'DISABLE_WP_CRON', $stalled['description'], 'the harness runs with DISABLE_WP_CRON' );

		update_option(
			Drainer::OPTION_STATE,
			array(
				'last_run'     => time() - 60,
				'last_success' => time() - 3 * 3600,
				'last_error'   => 'Relay answered HTTP 503 (store_unavailable)',
			),
			false
		);
		$this->assertStringContainsString( 'Last error: Relay answered HTTP 503', $this->health->test_drain()['description'] );

		update_option(
			Drainer::OPTION_STATE,
			array(
				'last_run'     => time() - 60,
				'last_success' => time() - 60,
				'last_error'   => '',
			),
			false
		);
		$good = $this->health->test_drain();
		$this->assertSame( 'good', $good['status'] );
		$this->assertStringContainsString( 'The relay last accepted events 1 min ago.', $good['description'] );
	}

	/**
	 * Inserts pending rows created at $created (one multi-row INSERT).
	 *
	 * @param int $count   Rows.
	 * @param int $created Unix time.
	 */
	private function pending( int $count, int $created ): void {
		global $wpdb;
		$values = array();
		$args   = array();
		for ( $i = 0; $i < $count; $i++ ) {
			$values[] = "(%s, 'page_view', 50, '{}', 'pending', 0, %s, %s, %s)";
			array_push( $args, 'health-' . $created . '-' . $i, OutboxRepository::datetime( $created ), OutboxRepository::datetime( $created ), OutboxRepository::datetime( time() + 86400 ) );
		}
		$sql = 'INSERT INTO %i (event_id, event_name, priority, payload, status, attempts, next_attempt_at, created_at, expires_at) VALUES ' . implode( ', ', $values );
		// phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- literal placeholders only; values are bound here.
		$wpdb->query( $wpdb->prepare( $sql, array_merge( array( OutboxTable::name() ), $args ) ) );
	}
}
