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
 * WP-Cron only runs when a later request spawns it, and WordPress checks for due events early
 * in each request — before a REST call or a form submission records anything. So when this
 * request scheduled a drain that is due, a loopback "kick" at `shutdown` does what core does:
 * `spawn_cron()`, a non-blocking POST to wp-cron.php (0.01 s timeout, no waiting for the
 * answer), after the page has been generated. It never blocks the visitor on the drain itself.
 * No kick happens with DISABLE_WP_CRON (the site's system cron calls wp-cron.php and drives the
 * drain, within a minute on a usual crontab), with ALTERNATE_WP_CRON (its redirect cannot run at
 * shutdown), inside a cron run, or with Action Scheduler (it runs its own queue).
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
	 * Spawns WP-Cron without waiting: fn(): bool.
	 *
	 * @var callable(): bool
	 */
	private $spawn;

	/**
	 * Constructor.
	 *
	 * @param (callable(): bool)|null $spawn Starts a WP-Cron run in the background; core's
	 *                                       spawn_cron() by default.
	 */
	public function __construct( ?callable $spawn = null ) {
		$this->spawn = $spawn ?? static fn(): bool => (bool) spawn_cron();
	}

	/**
	 * Hooks.
	 */
	public function register(): void {
		add_filter( 'cron_schedules', array( $this, 'add_recurrence' ) ); // phpcs:ignore WordPress.WP.CronInterval.ChangeDetected -- 5 minutes, on purpose: the safety net for lost drains.
		add_action( 'init', array( $this, 'ensure_recurring' ) );
		add_action( 'shutdown', array( $this, 'kick' ) );
	}

	/**
	 * At shutdown: spawns WP-Cron (non-blocking loopback) when this request scheduled a drain
	 * that is due now and WP-Cron is how drains run here (see the class description).
	 *
	 * @return bool Whether a run was spawned.
	 */
	public function kick(): bool {
		if ( ! $this->scheduled_now || self::uses_action_scheduler() ) {
			return false;
		}
		$enabled = ! ( defined( 'DISABLE_WP_CRON' ) && DISABLE_WP_CRON )
			&& ! ( defined( 'ALTERNATE_WP_CRON' ) && ALTERNATE_WP_CRON )
			&& ! wp_doing_cron();

		/**
		 * Filters whether LayerSync spawns WP-Cron at the end of a request that queued events, so
		 * the outbox drains within seconds instead of at the next page view. The spawn is core's
		 * non-blocking loopback request to wp-cron.php.
		 *
		 * @since 0.1.0
		 *
		 * @param bool $enabled False with DISABLE_WP_CRON or ALTERNATE_WP_CRON and inside cron runs.
		 */
		if ( ! (bool) apply_filters( 'layersync_loopback_kick', $enabled ) ) {
			return false;
		}
		$next = wp_next_scheduled( self::HOOK_ASYNC );
		if ( false === $next || $next > time() ) {
			return false;
		}
		return ( $this->spawn )();
	}

	/**
	 * Whether drains run through Action Scheduler.
	 *
	 * @return bool
	 */
	private static function uses_action_scheduler(): bool {
		return function_exists( 'as_enqueue_async_action' ) && function_exists( 'as_has_scheduled_action' );
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
	 * Makes sure a drain runs soon; checks the schedule once per request (again only if the
	 * WP-Cron event disappeared meanwhile). Called whenever an event is enqueued.
	 */
	public function schedule_soon(): void {
		// Checked again when the WP-Cron event is gone: in a long request (a cron run, WP-CLI) the
		// drain may have run already, and events recorded after it need a new one.
		if ( $this->scheduled_now && ( self::uses_action_scheduler() || false !== wp_next_scheduled( self::HOOK_ASYNC ) ) ) {
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
		if ( self::uses_action_scheduler() ) {
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
