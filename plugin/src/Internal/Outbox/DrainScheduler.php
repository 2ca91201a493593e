<?php
/**
 * Scheduling of outbox drains.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Outbox;

/**
 * Decides when the outbox drains — never now, in the visitor's request, but in a background
 * run: an async action in Action Scheduler when it is present (WooCommerce ships it), else a
 * single WP-Cron event. A recurring WP-Cron event every five minutes is the safety net that
 * catches anything a lost single event would leave behind and runs maintenance.
 *
 * @since 0.1.0
 */
final class DrainScheduler {

	/**
	 * Single/async drain, scheduled when events are enqueued.
	 */
	public const HOOK_ASYNC = 'layersync_drain';

	/**
	 * Recurring safety net: maintenance, then a drain.
	 */
	public const HOOK_RECURRING = 'layersync_drain_recurring';

	/**
	 * WP-Cron recurrence of HOOK_RECURRING.
	 */
	public const RECURRENCE = 'layersync_every_five_minutes';

	public const INTERVAL = 300;

	/**
	 * Action Scheduler group.
	 */
	public const GROUP = 'layersync';

	/**
	 * Whether this request already made sure a drain is coming (one check per request, however
	 * many events it enqueues).
	 *
	 * @var bool
	 */
	private bool $scheduled_now = false;

	/**
	 * Hooks.
	 */
	public function register(): void {
		add_filter( 'cron_schedules', array( $this, 'add_recurrence' ) ); // phpcs:ignore WordPress.WP.CronInterval.ChangeDetected -- 5 minutes, on purpose: the safety net for lost drains.
		add_action( 'init', array( $this, 'ensure_recurring' ) );
	}

	/**
	 * Adds the five-minute recurrence.
	 *
	 * @param array<string, array{interval: int, display: string}> $schedules Known recurrences.
	 * @return array<string, array{interval: int, display: string}>
	 */
	public function add_recurrence( $schedules ): array {
		$schedules                     = is_array( $schedules ) ? $schedules : array();
		$schedules[ self::RECURRENCE ] = array(
			'interval' => self::INTERVAL,
			'display'  => __( 'Every five minutes (LayerSync outbox)', 'layersync' ),
		);
		return $schedules;
	}

	/**
	 * Schedules the recurring safety net if it is missing (first run one interval from now).
	 */
	public function ensure_recurring(): void {
		if ( false === wp_next_scheduled( self::HOOK_RECURRING ) ) {
			wp_schedule_event( time() + self::INTERVAL, self::RECURRENCE, self::HOOK_RECURRING );
		}
	}

	/**
	 * Makes sure a drain runs soon, once per request at most. Called whenever an event is enqueued.
	 */
	public function schedule_soon(): void {
		if ( $this->scheduled_now ) {
			return;
		}
		$this->scheduled_now = true;
		$this->schedule_at( time() );
	}

	/**
	 * Makes sure a drain runs no later than $when: nothing happens when one is already scheduled
	 * by then; a later one is brought forward.
	 *
	 * @param int $when Unix time.
	 */
	public function schedule_at( int $when ): void {
		$now  = time();
		$when = max( $now, $when );
		if ( function_exists( 'as_enqueue_async_action' ) && function_exists( 'as_has_scheduled_action' ) ) {
			if ( as_has_scheduled_action( self::HOOK_ASYNC, array(), self::GROUP ) ) {
				return;
			}
			if ( $when <= $now ) {
				as_enqueue_async_action( self::HOOK_ASYNC, array(), self::GROUP, true );
			} elseif ( function_exists( 'as_schedule_single_action' ) ) {
				as_schedule_single_action( $when, self::HOOK_ASYNC, array(), self::GROUP, true );
			}
			return;
		}
		$next = wp_next_scheduled( self::HOOK_ASYNC );
		if ( false !== $next && $next <= $when ) {
			return;
		}
		if ( false !== $next ) {
			wp_unschedule_event( $next, self::HOOK_ASYNC );
		}
		wp_schedule_single_event( $when, self::HOOK_ASYNC );
	}

	/**
	 * Whether a drain is scheduled (either scheduler).
	 *
	 * @return bool
	 */
	public function is_scheduled(): bool {
		if ( function_exists( 'as_has_scheduled_action' ) && as_has_scheduled_action( self::HOOK_ASYNC, array(), self::GROUP ) ) {
			return true;
		}
		return false !== wp_next_scheduled( self::HOOK_ASYNC );
	}

	/**
	 * Removes every scheduled LayerSync event (deactivation, uninstall).
	 */
	public function unschedule_all(): void {
		wp_clear_scheduled_hook( self::HOOK_ASYNC );
		wp_clear_scheduled_hook( self::HOOK_RECURRING );
		if ( function_exists( 'as_unschedule_all_actions' ) ) {
			as_unschedule_all_actions( self::HOOK_ASYNC, array(), self::GROUP );
		}
		$this->scheduled_now = false;
	}
}
