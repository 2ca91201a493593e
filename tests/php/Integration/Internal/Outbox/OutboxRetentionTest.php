<?php
/**
 * Retention by priority and the outbox size cap.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Integration\Internal\Outbox;

use LayerSync\Internal\Event\EventRecorder;
use LayerSync\Internal\Event\EventValidator;
use LayerSync\Internal\Outbox\DrainScheduler;
use LayerSync\Internal\Outbox\Drainer;
use LayerSync\Internal\Outbox\OutboxRepository;
use LayerSync\Internal\Outbox\OutboxTable;
use LayerSync\Internal\Outbox\Priority;
use LayerSync\Internal\Relay\RelayClient;
use LayerSync\Internal\Settings;
use LayerSync\Tests\Integration\IntegrationTestCase;

final class OutboxRetentionTest extends IntegrationTestCase {

	private OutboxRepository $outbox;

	protected function setUp(): void {
		parent::setUp();
		$this->outbox = new OutboxRepository();
		delete_option( Drainer::OPTION_EVICTED );
	}

	protected function tearDown(): void {
		delete_option( Drainer::OPTION_EVICTED );
		parent::tearDown();
	}

	public function test_recorded_events_expire_after_their_priority_s_retention(): void {
		$recorder = new EventRecorder( $this->outbox, new EventValidator(), new DrainScheduler() );
		$expected = array(
			'purchase'       => 30,
			'refund'         => 30,
			'lead'           => 7,
			'add_to_cart'    => 7,
			'begin_checkout' => 7,
			'page_view'      => 1,
			'view_item'      => 1,
			'search'         => 1,
		);
		foreach ( array_keys( $expected ) as $name ) {
			$event = array(
				'event_id'   => 'ret-' . $name,
				'event_name' => $name,
				'event_time' => time(),
				'source'     => 'server',
			);
			if ( in_array( $name, array( 'purchase', 'refund' ), true ) ) {
				$event['commerce'] = array(
					'order_id' => '1',
					'value'    => 1.0,
					'currency' => 'EUR',
				);
			}
			$this->assertSame( 'queued', $recorder->record( $event )['status'] );
		}
		foreach ( $expected as $name => $days ) {
			$row = (array) $this->outbox->find( 'ret-' . $name );
			$ttl = OutboxRepository::timestamp( (string) ( $row['expires_at'] ?? '' ) ) - OutboxRepository::timestamp( (string) ( $row['created_at'] ?? '' ) );
			$this->assertSame( $days * 86400, $ttl, $name );
		}
	}

	public function test_expiry_fails_behaviour_after_a_day_but_keeps_leads_and_purchases(): void {
		$two_days_ago = time() - 2 * 86400;
		foreach ( array( 'page_view', 'lead', 'purchase' ) as $name ) {
			$priority = Priority::for_event( $name );
			$this->outbox->insert( 'old-' . $name, $name, $priority, '{}', $two_days_ago, Priority::retention_seconds( $priority ) );
		}

		$this->assertSame( 1, $this->outbox->expire( time() ) );

		$expired = $this->outbox->find( 'old-page_view' );
		$this->assertSame( 'failed', $expired['status'] ?? '' );
		$this->assertStringStartsWith( 'Expired before it could be delivered.', (string) ( $expired['last_error'] ?? '' ) );
		$this->assertSame( 'pending', $this->outbox->find( 'old-lead' )['status'] ?? '' );
		$this->assertSame( 'pending', $this->outbox->find( 'old-purchase' )['status'] ?? '' );
	}

	public function test_the_cap_evicts_finished_rows_then_behaviour_oldest_first_and_never_money(): void {
		global $wpdb;
		$t = time() - 3600;
		// id order = age order.
		$this->row( 'purchase-1', 'purchase', 'pending', $t );
		$this->row( 'sent-lead', 'lead', 'sent', $t + 1 );
		$this->row( 'page-old', 'page_view', 'pending', $t + 2 );
		$this->row( 'item-old', 'view_item', 'pending', $t + 3 );
		$this->row( 'lead-1', 'lead', 'pending', $t + 4 );
		$this->row( 'cart-1', 'add_to_cart', 'pending', $t + 5 );
		$this->row( 'page-new', 'page_view', 'pending', $t + 6 );
		$this->row( 'refund-1', 'refund', 'failed', $t + 7 );
		$this->row( 'page-sending', 'page_view', 'sending', $t + 8 );
		$this->row( 'failed-page', 'page_view', 'failed', $t + 9 );

		$this->assertSame( 3, $this->outbox->evict( 7 ) );
		$this->assertSame( array( 'purchase-1', 'item-old', 'lead-1', 'cart-1', 'page-new', 'refund-1', 'page-sending' ), $this->ids(), 'finished rows first (oldest first), then the oldest page view' );

		$this->assertSame( 2, $this->outbox->evict( 5 ) );
		$this->assertSame( array( 'purchase-1', 'lead-1', 'cart-1', 'refund-1', 'page-sending' ), $this->ids(), 'then page views, then product views' );

		$this->assertSame( 1, $this->outbox->evict( 4 ) );
		$this->assertSame( array( 'purchase-1', 'lead-1', 'refund-1', 'page-sending' ), $this->ids(), 'then the funnel' );

		$this->assertSame( 1, $this->outbox->evict( 1 ) );
		$this->assertSame( array( 'purchase-1', 'refund-1', 'page-sending' ), $this->ids(), 'purchases, refunds and rows being sent are never evicted' );
		$this->assertSame( 0, $this->outbox->evict( 0 ), 'a cap of 0 means no cap' );
		$this->assertSame( 0, $this->outbox->evict( 10 ) );
		$this->assertSame( '3', (string) $wpdb->get_var( $wpdb->prepare( 'SELECT COUNT(*) FROM %i', OutboxTable::name() ) ) );
	}

	public function test_maintenance_enforces_the_cap_and_leaves_a_trace(): void {
		$t = time() - 600;
		for ( $i = 0; $i < 6; $i++ ) {
			$this->row( "pv-$i", 'page_view', 'pending', $t + $i );
		}
		$this->row( 'buy', 'purchase', 'pending', $t + 10 );
		$this->add_test_filter( 'pre_option_' . Settings::OPTION_OUTBOX_MAX_ROWS, static fn() => '4' );
		$this->add_test_filter( 'pre_option_' . Settings::OPTION_SECRET, static fn() => '' );
		$settings = new Settings();
		$drainer  = new Drainer( $this->outbox, new RelayClient( $settings ), $settings, new DrainScheduler() );

		$drainer->run_maintenance();

		$this->assertSame( array( 'pv-3', 'pv-4', 'pv-5', 'buy' ), $this->ids() );
		$trace = get_option( Drainer::OPTION_EVICTED );
		$this->assertSame( 3, $trace['total'] ?? null );
		$this->assertSame( 3, $trace['last_count'] ?? null );
		$this->assertGreaterThanOrEqual( time() - 5, $trace['last_at'] ?? 0 );

		$this->row( 'pv-6', 'page_view', 'pending', time() );
		$drainer->enforce_cap();
		$this->assertSame( 4, get_option( Drainer::OPTION_EVICTED )['total'] ?? null, 'the total keeps counting' );
	}

	/**
	 * Inserts a row with a status and creation time.
	 *
	 * @param string $event_id Event id.
	 * @param string $name     Event name.
	 * @param string $status   Status.
	 * @param int    $created  Unix time.
	 */
	private function row( string $event_id, string $name, string $status, int $created ): void {
		global $wpdb;
		$priority = Priority::for_event( $name );
		$this->outbox->insert( $event_id, $name, $priority, '{}', $created, Priority::retention_seconds( $priority ) );
		$wpdb->update( OutboxTable::name(), array( 'status' => $status ), array( 'event_id' => $event_id ) );
	}

	/**
	 * Event ids left, oldest first.
	 *
	 * @return string[]
	 */
	private function ids(): array {
		return array_map( 'strval', array_column( self::outbox_rows(), 'event_id' ) );
	}
}
