<?php
/**
 * When drains are scheduled.
 *
 * @package LayerSync\Tests
 */

declare( strict_types = 1 );

namespace LayerSync\Tests\Integration\Internal\Outbox;

use LayerSync\Internal\Outbox\DrainScheduler;
use LayerSync\Tests\Integration\IntegrationTestCase;
use PHPUnit\Framework\Attributes\PreserveGlobalState;
use PHPUnit\Framework\Attributes\RunInSeparateProcess;

final class DrainSchedulerTest extends IntegrationTestCase {

	public function test_enqueueing_schedules_one_single_event_per_request(): void {
		$scheduled = array();
		$this->add_test_filter(
			'schedule_event',
			static function ( $event ) use ( &$scheduled ) {
				$scheduled[] = $event->hook;
				return $event;
			}
		);
		$scheduler = new DrainScheduler();

		$scheduler->schedule_soon();
		$scheduler->schedule_soon();
		$scheduler->schedule_soon();

		$this->assertSame( array( DrainScheduler::HOOK_ASYNC ), $scheduled );
		$this->assertLessThanOrEqual( time(), wp_next_scheduled( DrainScheduler::HOOK_ASYNC ) );
		$this->assertTrue( $scheduler->is_scheduled() );
	}

	public function test_an_earlier_time_brings_a_scheduled_drain_forward_and_a_later_one_does_not(): void {
		$scheduler = new DrainScheduler();
		$later     = time() + 600;
		$scheduler->schedule_at( $later );
		$this->assertSame( $later, $this->next_drain() );

		$scheduler->schedule_at( $later + 300 );
		$this->assertSame( $later, $this->next_drain() );

		$sooner = time() + 60;
		$scheduler->schedule_at( $sooner );
		$this->assertSame( $sooner, $this->next_drain() );
		$this->assertCount( 1, array_filter( _get_cron_array(), static fn( $hooks ) => isset( $hooks[ DrainScheduler::HOOK_ASYNC ] ) ) );
	}

	public function test_recurring_safety_net_every_five_minutes(): void {
		$scheduler = new DrainScheduler();
		$this->assertSame( 300, wp_get_schedules()[ DrainScheduler::RECURRENCE ]['interval'] ?? null );

		wp_clear_scheduled_hook( DrainScheduler::HOOK_RECURRING );
		$scheduler->ensure_recurring();
		$event = wp_get_scheduled_event( DrainScheduler::HOOK_RECURRING );
		$this->assertNotFalse( $event );
		$this->assertSame( DrainScheduler::RECURRENCE, $event->schedule );
		$this->assertGreaterThan( time(), $event->timestamp, 'the first run is one interval away, not now' );
	}

	public function test_kick_spawns_wp_cron_at_shutdown_only_when_this_request_queued_a_due_drain(): void {
		$spawned   = 0;
		$spawn     = static function () use ( &$spawned ): bool {
			++$spawned;
			return true;
		};
		$scheduler = new DrainScheduler( $spawn );
		// The harness defines DISABLE_WP_CRON (its cron ticker stands in for the system cron).
		$this->assertTrue( defined( 'DISABLE_WP_CRON' ) && DISABLE_WP_CRON );

		$scheduler->schedule_soon();
		$this->assertFalse( $scheduler->kick(), 'with DISABLE_WP_CRON the system cron drives the drain' );
		$this->assertSame( 0, $spawned );

		$this->add_test_filter( 'layersync_loopback_kick', '__return_true' );
		$this->assertTrue( $scheduler->kick() );
		$this->assertSame( 1, $spawned );

		// Nothing queued in this request: no kick.
		$idle = new DrainScheduler( $spawn );
		$this->assertFalse( $idle->kick() );

		// Queued, but the drain is not due yet (backoff): no kick.
		$later = new DrainScheduler( $spawn );
		$later->schedule_soon();
		wp_clear_scheduled_hook( DrainScheduler::HOOK_ASYNC );
		$later->schedule_at( time() + 600 );
		$this->assertFalse( $later->kick() );
		$this->assertSame( 1, $spawned );
	}

	public function test_the_plugin_kicks_from_shutdown(): void {
		global $wp_filter;
		$callbacks = array();
		foreach ( $wp_filter['shutdown']->callbacks ?? array() as $priority => $hooks ) {
			foreach ( $hooks as $hook ) {
				if ( is_array( $hook['function'] ) && $hook['function'][0] instanceof DrainScheduler ) {
					$callbacks[] = $hook['function'][1];
				}
			}
		}
		$this->assertSame( array( 'kick' ), $callbacks );
	}

	#[RunInSeparateProcess]
	#[PreserveGlobalState( false )]
	public function test_action_scheduler_is_used_when_present(): void {
		require dirname( __DIR__, 3 ) . '/Support/stubs/action-scheduler.php';
		$scheduler = new DrainScheduler();

		$scheduler->schedule_soon();
		$scheduler->schedule_at( time() + 120 );
		$scheduler->unschedule_all();

		$this->assertSame(
			array(
				array( 'async', 'layersync_drain', array(), 'layersync', true ),
				array( 'single', 'layersync_drain', array(), 'layersync', true ),
				array( 'unschedule', 'layersync_drain', array(), 'layersync' ),
			),
			$GLOBALS['layersync_test_as_calls']
		);
		$this->assertFalse( wp_next_scheduled( DrainScheduler::HOOK_ASYNC ), 'no WP-Cron event besides Action Scheduler' );
	}

	/**
	 * When the next single drain is scheduled (read fresh each time).
	 *
	 * @return int|false
	 */
	private function next_drain() {
		return wp_next_scheduled( DrainScheduler::HOOK_ASYNC );
	}
}
