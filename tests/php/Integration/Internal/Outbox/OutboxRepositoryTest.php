<?php
/**
 * Outbox storage against MariaDB.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Integration\Internal\Outbox;

use LayerSync\Internal\Outbox\OutboxRepository;
use LayerSync\Internal\Outbox\OutboxTable;
use LayerSync\Tests\Integration\IntegrationTestCase;

final class OutboxRepositoryTest extends IntegrationTestCase {

	private OutboxRepository $outbox;

	protected function setUp(): void {
		parent::setUp();
		$this->outbox = new OutboxRepository();
	}

	public function test_table_exists_with_the_current_schema_version(): void {
		global $wpdb;
		$this->assertTrue( OutboxTable::exists() );
		$this->assertSame( OutboxTable::VERSION, get_option( OutboxTable::VERSION_OPTION ) );
		$columns = $wpdb->get_col( $wpdb->prepare( 'SHOW COLUMNS FROM %i', OutboxTable::name() ) );
		$this->assertSame(
			array( 'id', 'event_id', 'event_name', 'priority', 'payload', 'status', 'attempts', 'next_attempt_at', 'last_error', 'claim_token', 'claimed_at', 'created_at', 'expires_at' ),
			$columns
		);
		$unique = $wpdb->get_results( $wpdb->prepare( "SHOW INDEX FROM %i WHERE Key_name = 'event_id'", OutboxTable::name() ), ARRAY_A );
		$this->assertSame( '0', (string) $unique[0]['Non_unique'] );
	}

	public function test_maybe_upgrade_reinstalls_when_the_version_differs(): void {
		update_option( OutboxTable::VERSION_OPTION, '2000.01.01' );
		OutboxTable::maybe_upgrade();
		$this->assertSame( OutboxTable::VERSION, get_option( OutboxTable::VERSION_OPTION ) );
		$this->assertFalse( get_option( OutboxTable::VERSION_OPTION . '_lock' ) );
		$this->assertTrue( OutboxTable::exists() );
	}

	public function test_insert_is_idempotent_by_event_id(): void {
		$now = time();
		$this->assertTrue( $this->outbox->insert( 'evt-1', 'lead', 10, '{"a":1}', $now, 3600 ) );
		$this->assertFalse( $this->outbox->insert( 'evt-1', 'lead', 10, '{"a":2}', $now, 3600 ) );

		$rows = self::outbox_rows();
		$this->assertCount( 1, $rows );
		$this->assertSame( '{"a":1}', $rows[0]['payload'], 'the first copy wins' );
		$this->assertSame( 'pending', $rows[0]['status'] );
		$this->assertSame( OutboxRepository::datetime( $now + 3600 ), $rows[0]['expires_at'] );
	}

	public function test_claim_takes_due_rows_by_priority_then_age_and_marks_them_sending(): void {
		$now = time();
		$this->outbox->insert( 'view', 'page_view', 50, '{}', $now, 3600 );
		$this->outbox->insert( 'lead', 'lead', 10, '{}', $now, 3600 );
		$this->outbox->insert( 'cart', 'add_to_cart', 30, '{}', $now, 3600 );
		$this->outbox->insert( 'later', 'lead', 10, '{}', $now, 3600 );
		$this->set_row( 'later', array( 'next_attempt_at' => OutboxRepository::datetime( $now + 600 ) ) );
		$this->outbox->insert( 'expired', 'lead', 10, '{}', $now - 7200, 3600 );

		$claim = $this->outbox->claim( 2, $now );

		$this->assertSame( array( 'lead', 'cart' ), array_column( $claim['rows'], 'event_id' ) );
		$this->assertMatchesRegularExpression( '/^[0-9a-f-]{36}$/', $claim['token'] );
		$lead = $this->outbox->find( 'lead' );
		$this->assertSame( 'sending', $lead['status'] ?? '' );
		$this->assertSame( $claim['token'], $lead['claim_token'] ?? '' );

		$next = $this->outbox->claim( 10, $now );
		$this->assertSame( array( 'view' ), array_column( $next['rows'], 'event_id' ), 'not-yet-due and expired rows stay' );
	}

	public function test_concurrent_claimers_never_get_the_same_row(): void {
		$now = time();
		for ( $i = 0; $i < 300; $i++ ) {
			$this->outbox->insert( sprintf( 'evt-%03d', $i ), 'lead', 10, '{}', $now, 3600 );
		}

		// Four real processes, each with its own database connection, claiming in small batches
		// at the same moment until nothing is left.
		$start   = microtime( true ) + 1.5;
		$workers = array();
		for ( $w = 0; $w < 4; $w++ ) {
			$process = proc_open(
				array( PHP_BINARY, dirname( __DIR__, 3 ) . '/Support/claim-worker.php', (string) $start, '7' ),
				array(
					1 => array( 'pipe', 'w' ),
					2 => array( 'pipe', 'w' ),
				),
				$pipes
			);
			$this->assertIsResource( $process );
			$workers[] = array( $process, $pipes );
		}
		$claimed = array();
		foreach ( $workers as $n => list( $process, $pipes ) ) {
			$out = (string) stream_get_contents( $pipes[1] );
			$err = (string) stream_get_contents( $pipes[2] );
			fclose( $pipes[1] );
			fclose( $pipes[2] );
			$this->assertSame( 0, proc_close( $process ), "worker $n failed: $out $err" );
			$ids = json_decode( $out, true );
			$this->assertIsArray( $ids, "worker $n printed: $out $err" );
			$claimed[ $n ] = $ids;
		}

		$all = array_merge( ...array_values( $claimed ) );
		$this->assertCount( 300, $all, 'every row was claimed' );
		$this->assertSame( count( $all ), count( array_unique( $all ) ), 'no row was claimed twice' );
		$this->assertGreaterThan( 1, count( array_filter( $claimed ) ), 'the claimers really ran concurrently' );
	}

	public function test_updates_need_the_current_claim_token(): void {
		$now = time();
		$this->outbox->insert( 'evt', 'lead', 10, '{}', $now, 3600 );
		$claim = $this->outbox->claim( 10, $now );
		$id    = $claim['rows'][0]['id'];

		$this->assertSame( 0, $this->outbox->mark_sent( array( $id ), 'another-drains-token' ) );
		$this->assertSame( 'sending', $this->outbox->find( 'evt' )['status'] ?? '' );
		$this->assertSame( 1, $this->outbox->mark_sent( array( $id ), $claim['token'] ) );

		$row = $this->outbox->find( 'evt' );
		$this->assertSame( 'sent', $row['status'] ?? '' );
		$this->assertArrayHasKey( 'claim_token', (array) $row );
		$this->assertNull( $row['claim_token'] ?? null );
		$this->assertSame( '1', $row['attempts'] ?? '' );
	}

	public function test_retry_later_and_mark_failed_record_the_error(): void {
		$now = time();
		$this->outbox->insert( 'a', 'lead', 10, '{}', $now, 3600 );
		$this->outbox->insert( 'b', 'lead', 10, '{}', $now, 3600 );
		$claim         = $this->outbox->claim( 10, $now );
		list( $a, $b ) = array_column( $claim['rows'], 'id' );

		$this->outbox->retry_later( array( $a ), $claim['token'], $now + 90, 'Relay answered HTTP 503' );
		$this->outbox->mark_failed( $b, $claim['token'], 'Rejected by the relay: event_time: too old' );

		$row_a = $this->outbox->find( 'a' );
		$this->assertSame( 'pending', $row_a['status'] ?? '' );
		$this->assertSame( OutboxRepository::datetime( $now + 90 ), $row_a['next_attempt_at'] ?? '' );
		$this->assertSame( 'Relay answered HTTP 503', $row_a['last_error'] ?? '' );
		$this->assertSame( '1', $row_a['attempts'] ?? '' );
		$row_b = $this->outbox->find( 'b' );
		$this->assertSame( 'failed', $row_b['status'] ?? '' );
		$this->assertSame( 'Rejected by the relay: event_time: too old', $row_b['last_error'] ?? '' );
		$this->assertSame( $now + 90, $this->outbox->next_attempt_time() );
		$this->assertFalse( $this->outbox->has_due( $now ) );
		$this->assertTrue( $this->outbox->has_due( $now + 90 ) );
	}

	public function test_stale_claims_are_released_and_counted_as_an_attempt(): void {
		$now = time();
		$this->outbox->insert( 'stale', 'lead', 10, '{}', $now, 3600 );
		$this->outbox->insert( 'fresh', 'lead', 10, '{}', $now, 3600 );
		$this->outbox->claim( 10, $now );
		$this->set_row( 'stale', array( 'claimed_at' => OutboxRepository::datetime( $now - 600 ) ) );

		$this->assertSame( 1, $this->outbox->release_stale( $now - 300 ) );

		$stale = $this->outbox->find( 'stale' );
		$this->assertSame( 'pending', $stale['status'] ?? '' );
		$this->assertArrayHasKey( 'claim_token', (array) $stale );
		$this->assertNull( $stale['claim_token'] ?? null );
		$this->assertSame( '1', $stale['attempts'] ?? '' );
		$this->assertStringContainsString( 'stopped before finishing', (string) ( $stale['last_error'] ?? '' ) );
		$this->assertSame( 'sending', $this->outbox->find( 'fresh' )['status'] ?? '' );
	}

	public function test_expire_fails_overdue_pending_rows_and_purge_deletes_old_finished_rows(): void {
		$now = time();
		$this->outbox->insert( 'overdue', 'page_view', 50, '{}', $now - 4000, 3600 );
		$this->outbox->insert( 'old-sent', 'lead', 10, '{}', $now - 10 * 86400, 30 * 86400 );
		$this->outbox->insert( 'new-sent', 'lead', 10, '{}', $now, 3600 );
		$this->set_row( 'overdue', array( 'last_error' => 'Relay unreachable: connection refused' ) );
		$this->set_row( 'old-sent', array( 'status' => 'sent' ) );
		$this->set_row( 'new-sent', array( 'status' => 'sent' ) );

		$this->assertSame( 1, $this->outbox->expire( $now ) );
		$overdue = $this->outbox->find( 'overdue' );
		$this->assertSame( 'failed', $overdue['status'] ?? '' );
		$this->assertSame( 'Expired before it could be delivered. Last error: Relay unreachable: connection refused', $overdue['last_error'] ?? '' );

		$this->assertSame( 1, $this->outbox->purge( $now - 3 * 86400, $now - 30 * 86400 ) );
		$this->assertNull( $this->outbox->find( 'old-sent' ) );
		$this->assertNotNull( $this->outbox->find( 'new-sent' ) );
		$this->assertNotNull( $this->outbox->find( 'overdue' ), 'failed rows are kept longer' );
		$this->assertSame(
			array(
				'pending' => 0,
				'sending' => 0,
				'sent'    => 1,
				'failed'  => 1,
			),
			$this->outbox->count_by_status()
		);
	}

	/**
	 * Sets columns of a row directly (test set-up only).
	 *
	 * @param string                $event_id Event id.
	 * @param array<string, string> $columns  Column => value.
	 */
	private function set_row( string $event_id, array $columns ): void {
		global $wpdb;
		$wpdb->update( OutboxTable::name(), $columns, array( 'event_id' => $event_id ) );
	}
}
