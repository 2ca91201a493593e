<?php
/**
 * Delivery of the outbox to the relay.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Outbox;

use LayerSync\Internal\Relay\RelayClient;
use LayerSync\Internal\Relay\RelayResponse;
use LayerSync\Internal\Settings;

/**
 * Drains the outbox in the background: claims due rows, posts them to the relay as one signed
 * batch, and records what happened to each event — delivered, refused for good, or to be
 * retried later with exponential backoff. Runs only from WP-Cron / Action Scheduler.
 *
 * @since 0.1.0
 *
 * @phpstan-import-type ClaimedRow from OutboxRepository
 */
final class Drainer {

	public const BATCH_SIZE = 200;

	/**
	 * Largest body sent (the relay accepts 1 MiB by default; keep a margin).
	 */
	public const MAX_BODY_BYTES = 900 * 1024;

	/**
	 * A claim older than this belongs to a drain that died.
	 */
	public const STALE_CLAIM_SECONDS = 300;

	/**
	 * Delivered rows are kept this long (support, debugging), failed ones longer (visibility, replay).
	 */
	public const SENT_RETENTION_SECONDS   = 3 * 86400;
	public const FAILED_RETENTION_SECONDS = 30 * 86400;

	/**
	 * What the last drains did, for Site Health and the admin: last_run (a batch was sent),
	 * last_success (the relay took at least one event), last_error ('' after a success).
	 */
	public const OPTION_STATE = 'layersync_drain_state';

	/**
	 * Events the size cap removed: total, last_at, last_count.
	 */
	public const OPTION_EVICTED = 'layersync_outbox_evicted';

	/**
	 * Outbox storage.
	 *
	 * @var OutboxRepository
	 */
	private OutboxRepository $outbox;

	/**
	 * Relay client.
	 *
	 * @var RelayClient
	 */
	private RelayClient $client;

	/**
	 * Settings (is the relay configured?).
	 *
	 * @var Settings
	 */
	private Settings $settings;

	/**
	 * Scheduler for follow-up drains.
	 *
	 * @var DrainScheduler
	 */
	private DrainScheduler $scheduler;

	/**
	 * Seconds one run may keep sending batches.
	 *
	 * @var int
	 */
	private int $time_budget;

	/**
	 * Constructor.
	 *
	 * @param OutboxRepository $outbox      Outbox storage.
	 * @param RelayClient      $client      Relay client.
	 * @param Settings         $settings    Settings.
	 * @param DrainScheduler   $scheduler   Scheduler.
	 * @param int              $time_budget Seconds one run may keep sending (WP-Cron requests are
	 *                                      often cut at 30 s; one more batch may start before the end).
	 */
	public function __construct( OutboxRepository $outbox, RelayClient $client, Settings $settings, DrainScheduler $scheduler, int $time_budget = 20 ) {
		$this->outbox      = $outbox;
		$this->client      = $client;
		$this->settings    = $settings;
		$this->scheduler   = $scheduler;
		$this->time_budget = $time_budget;
	}

	/**
	 * Hooks.
	 */
	public function register(): void {
		add_action( DrainScheduler::HOOK_ASYNC, array( $this, 'run' ) );
		add_action( DrainScheduler::HOOK_RECURRING, array( $this, 'run_maintenance' ) );
	}

	/**
	 * Recurring safety net: release stale claims, expire and purge old rows, keep the table
	 * within its size cap, then drain.
	 */
	public function run_maintenance(): void {
		$now = time();
		$this->outbox->release_stale( $now - self::STALE_CLAIM_SECONDS );
		$this->outbox->expire( $now );
		$this->outbox->purge( $now - self::SENT_RETENTION_SECONDS, $now - self::FAILED_RETENTION_SECONDS );
		$this->enforce_cap();
		$this->run();
	}

	/**
	 * Evicts rows above the size cap (setting layersync_outbox_max_rows), least valuable first
	 * (see OutboxRepository::evict()), and leaves a trace: a log line and a running total that
	 * Site Health shows — an eviction is data loss and must never be silent.
	 *
	 * @return int Rows evicted.
	 */
	public function enforce_cap(): int {
		$cap     = $this->settings->outbox_max_rows();
		$evicted = $this->outbox->evict( $cap );
		if ( $evicted > 0 ) {
			$previous = get_option( self::OPTION_EVICTED );
			$total    = is_array( $previous ) && isset( $previous['total'] ) ? (int) $previous['total'] : 0;
			update_option(
				self::OPTION_EVICTED,
				array(
					'total'      => $total + $evicted,
					'last_at'    => time(),
					'last_count' => $evicted,
				),
				false
			);
			// phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log -- never lose events silently; the line names no event content.
			error_log( sprintf( 'LayerSync: the outbox exceeded its cap of %d rows; %d delivered, failed or least important undelivered events were removed (purchases and refunds are never removed). Is the relay reachable?', $cap, $evicted ) );
		}
		return $evicted;
	}

	/**
	 * Sends due rows in batches until none is left, the relay fails, or the time budget is spent.
	 * Without a configured relay nothing is claimed: events wait (until they expire).
	 *
	 * @return array{batches: int, sent: int, failed: int, retried: int}
	 */
	public function run(): array {
		$stats = array(
			'batches' => 0,
			'sent'    => 0,
			'failed'  => 0,
			'retried' => 0,
		);
		if ( ! $this->settings->is_connected() ) {
			return $stats;
		}
		$deadline   = microtime( true ) + $this->time_budget;
		$batch_size = self::BATCH_SIZE;
		$failure    = '';
		do {
			$claim = $this->outbox->claim( $batch_size, time() );
			if ( array() === $claim['rows'] ) {
				break;
			}
			$token = $claim['token'];
			$rows  = $this->fit_body( $claim['rows'], $token );
			if ( array() === $rows ) {
				continue;
			}
			$body     = '{"events":[' . implode( ',', array_column( $rows, 'payload' ) ) . ']}';
			$response = $this->client->post_events( $body );
			++$stats['batches'];
			$outcome = $this->settle( $rows, $token, $response, $stats );
			if ( 'stop' === $outcome ) {
				$failure = $this->describe_failure( $response );
				break;
			}
			if ( 'shrink' === $outcome ) {
				$batch_size = max( 1, intdiv( count( $rows ), 2 ) );
			}
		} while ( microtime( true ) < $deadline );

		if ( $stats['batches'] > 0 ) {
			$this->record_state( $stats, $failure );
		}
		$this->schedule_follow_up();
		return $stats;
	}

	/**
	 * The last drains' outcome (see OPTION_STATE).
	 *
	 * @return array{last_run: int, last_success: int, last_error: string} Times are unix, 0 for never.
	 */
	public static function state(): array {
		$state = get_option( self::OPTION_STATE );
		$state = is_array( $state ) ? $state : array();
		return array(
			'last_run'     => isset( $state['last_run'] ) ? (int) $state['last_run'] : 0,
			'last_success' => isset( $state['last_success'] ) ? (int) $state['last_success'] : 0,
			'last_error'   => isset( $state['last_error'] ) && is_string( $state['last_error'] ) ? $state['last_error'] : '',
		);
	}

	/**
	 * Records a run that sent at least one batch (runs with nothing to send write nothing).
	 *
	 * @param array{batches: int, sent: int, failed: int, retried: int} $stats   Counters.
	 * @param string                                                    $failure Why the run stopped early ('' when it did not).
	 */
	private function record_state( array $stats, string $failure ): void {
		$state             = self::state();
		$state['last_run'] = time();
		if ( $stats['sent'] > 0 || $stats['failed'] > 0 ) {
			// The relay answered with per-event results: it is up, whatever it thought of the events.
			$state['last_success'] = time();
		}
		$state['last_error'] = $failure;
		update_option( self::OPTION_STATE, $state, false );
	}

	/**
	 * Keeps the leading rows whose JSON fits in one body and puts the rest back untouched.
	 * A single row too large for any body is failed (it can never be sent).
	 *
	 * @param array<int, ClaimedRow> $rows  Claimed rows.
	 * @param string                 $token Claim token.
	 * @return list<ClaimedRow>
	 */
	private function fit_body( array $rows, string $token ): array {
		$budget = self::MAX_BODY_BYTES - strlen( '{"events":[]}' );
		$keep   = array();
		$rest   = array();
		foreach ( $rows as $row ) {
			$size = strlen( $row['payload'] ) + 1;
			if ( array() === $rest && $size <= $budget ) {
				$keep[]  = $row;
				$budget -= $size;
			} elseif ( array() === $keep && array() === $rest ) {
				$reason = 'The event is larger than the relay accepts in one request; it cannot be delivered.';
				$this->outbox->mark_failed( $row['id'], $token, $reason );
				$this->after_delivery( $row, 'failed', $reason );
			} else {
				$rest[] = $row;
			}
		}
		if ( array() !== $rest ) {
			$this->outbox->release( array_column( $rest, 'id' ), $token );
		}
		return $keep;
	}

	/**
	 * Applies the relay's answer to the batch.
	 *
	 * @param array<int, ClaimedRow>                                    $rows     Rows sent, in body order.
	 * @param string                                                    $token    Claim token.
	 * @param RelayResponse                                             $response Answer.
	 * @param array{batches: int, sent: int, failed: int, retried: int} $stats    Counters.
	 * @return string "continue", "shrink" (send smaller batches) or "stop" (the relay is failing).
	 */
	private function settle( array $rows, string $token, RelayResponse $response, array &$stats ): string {
		$status  = $response->status;
		$results = $response->results();

		if ( 413 === $status ) {
			if ( count( $rows ) > 1 ) {
				$this->outbox->release( array_column( $rows, 'id' ), $token );
				return 'shrink';
			}
			$this->outbox->mark_failed( $rows[0]['id'], $token, $response->describe() );
			$this->after_delivery( $rows[0], 'failed', $response->describe() );
			++$stats['failed'];
			return 'continue';
		}

		// Per-event answers: 202 (mixed batch) or 400 with every event rejected.
		if ( ( $status >= 200 && $status < 300 ) || ( 400 === $status && array() !== $results ) ) {
			$sent  = array();
			$retry = array();
			foreach ( $rows as $index => $row ) {
				$result = $results[ $index ] ?? null;
				if ( null === $result && array() === $results ) {
					// A 2xx without per-event results: the relay took the whole batch.
					$result = array(
						'status' => 'accepted',
						'reason' => '',
					);
				}
				if ( null !== $result && 'rejected' === $result['status'] ) {
					$reason = 'Rejected by the relay: ' . ( '' !== $result['reason'] ? $result['reason'] : 'no reason given' );
					$this->outbox->mark_failed( $row['id'], $token, $reason );
					$this->after_delivery( $row, 'failed', $reason );
					++$stats['failed'];
				} elseif ( null !== $result ) {
					// accepted, duplicate, merged, or any status a newer relay adds: the relay has
					// the event (docs/CONTRACT.md), so retrying could only produce a duplicate.
					$sent[] = $row;
				} else {
					$retry[] = $row;
				}
			}//end foreach
			if ( array() !== $sent ) {
				$this->outbox->mark_sent( array_column( $sent, 'id' ), $token );
				foreach ( $sent as $row ) {
					$this->after_delivery( $row, 'sent', '' );
				}
				$stats['sent'] += count( $sent );
			}
			if ( array() !== $retry ) {
				$this->retry_later( $retry, $token, null, 'The relay answered without a result for this event.' );
				$stats['retried'] += count( $retry );
			}
			return 'continue';
		}//end if

		// Nothing was delivered for sure: network error, 408/429/5xx, or a refusal of the whole
		// request (signature, unknown site, body format) that a later attempt — after the admin
		// fixes the settings, or the relay is fixed — can get through. Rows expire eventually.
		$this->retry_later( $rows, $token, $response->retry_after, $this->describe_failure( $response ) );
		$stats['retried'] += count( $rows );
		return 'stop';
	}

	/**
	 * Puts rows back with a backoff that grows with each row's attempts.
	 *
	 * @param array<int, ClaimedRow> $rows        Rows.
	 * @param string                 $token       Claim token.
	 * @param int|null               $retry_after Retry-After seconds.
	 * @param string                 $error       What went wrong.
	 */
	private function retry_later( array $rows, string $token, ?int $retry_after, string $error ): void {
		$by_attempts = array();
		foreach ( $rows as $row ) {
			$by_attempts[ $row['attempts'] + 1 ][] = $row['id'];
		}
		foreach ( $by_attempts as $attempts => $ids ) {
			$this->outbox->retry_later( $ids, $token, time() + Backoff::delay( $attempts, $retry_after ), $error );
		}
		foreach ( $rows as $row ) {
			$this->after_delivery( $row, 'retry', $error );
		}
	}

	/**
	 * A readable error for last_error, with a hint for the failures an admin can fix.
	 *
	 * @param RelayResponse $response Answer.
	 * @return string
	 */
	private function describe_failure( RelayResponse $response ): string {
		$text  = $response->describe();
		$hints = array(
			'bad_signature'   => ' — check the secret in LayerSync settings.',
			'unknown_site'    => ' — check the site id in LayerSync settings.',
			'stale_timestamp' => ' — the clocks of this server and the relay differ.',
		);
		return $text . ( $hints[ $response->error_code() ] ?? '' );
	}

	/**
	 * Schedules the next drain: now when due rows remain (batch cap or time budget reached),
	 * else when the earliest retry becomes due.
	 */
	private function schedule_follow_up(): void {
		$now = time();
		if ( $this->outbox->has_due( $now ) ) {
			$this->scheduler->schedule_at( $now );
			return;
		}
		$next = $this->outbox->next_attempt_time();
		if ( null !== $next ) {
			$this->scheduler->schedule_at( $next );
		}
	}

	/**
	 * Tells extensions what happened to an event after a delivery attempt.
	 *
	 * @param array  $row    Row.
	 * @phpstan-param ClaimedRow $row
	 * @param string $status "sent", "failed" (permanently) or "retry".
	 * @param string $reason Error text for failed / retry.
	 */
	private function after_delivery( array $row, string $status, string $reason ): void {
		/**
		 * Fires after the relay answered (or failed to answer) for an event.
		 *
		 * "sent" means the relay holds the event (it then delivers to the platforms on its own);
		 * "failed" means it was refused for good; "retry" means another attempt is scheduled.
		 *
		 * @since 0.1.0
		 *
		 * @param string $event_id   Event id.
		 * @param string $status     "sent", "failed" or "retry".
		 * @param string $reason     Why it failed or will be retried ('' when sent).
		 * @param string $event_name Event name.
		 */
		do_action( 'layersync_event_after_delivery', $row['event_id'], $status, $reason, $row['event_name'] );
	}
}
