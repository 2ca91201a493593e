<?php
/**
 * Reads and writes of the outbox table.
 *
 * @package LayerSync
 */

declare( strict_types = 1 );

namespace LayerSync\Internal\Outbox;

// The outbox is a custom table that changes with every request and every drain: object
// caching would only serve stale rows, so every query goes to the database on purpose.
// phpcs:disable WordPress.DB.DirectDatabaseQuery.DirectQuery, WordPress.DB.DirectDatabaseQuery.NoCaching

/**
 * All SQL against the outbox. Every query is prepared; the table name goes through `%i`.
 *
 * Row life cycle: pending → (claim) sending → sent | failed | pending again with a later
 * next_attempt_at. Claims are one atomic `UPDATE … LIMIT n` that stamps a fresh claim token, so
 * two drains running at once never take the same row; every later update of a claimed row is
 * conditioned on that token, so a drain that lost its claim (stale, released) cannot overwrite
 * the row's newer state. Times are UTC DATETIMEs computed in PHP.
 *
 * @since 0.1.0
 *
 * @phpstan-type ClaimedRow array{id: int, event_id: string, event_name: string, priority: int, payload: string, attempts: int}
 */
final class OutboxRepository {

	public const STATUS_PENDING = 'pending';
	public const STATUS_SENDING = 'sending';
	public const STATUS_SENT    = 'sent';
	public const STATUS_FAILED  = 'failed';

	public const STATUSES = array( self::STATUS_PENDING, self::STATUS_SENDING, self::STATUS_SENT, self::STATUS_FAILED );

	/**
	 * Longest stored error text (the column is varchar(1000)).
	 */
	private const MAX_ERROR_LENGTH = 1000;

	/**
	 * Inserts an event unless one with the same event_id exists (idempotent by event_id).
	 *
	 * `ON DUPLICATE KEY UPDATE id = id` rather than INSERT IGNORE: only the duplicate key is
	 * ignored, any other problem (a column too small…) still fails loudly.
	 *
	 * @param string $event_id   Dedup key.
	 * @param string $event_name Event name.
	 * @param int    $priority   See Priority.
	 * @param string $payload    Event JSON (stored and later sent byte for byte).
	 * @param int    $now        Unix time.
	 * @param int    $ttl        Seconds before an undelivered event expires.
	 * @return bool|null True when inserted, false when it already existed, null on a database error.
	 */
	public function insert( string $event_id, string $event_name, int $priority, string $payload, int $now, int $ttl ): ?bool {
		global $wpdb;
		$result = $wpdb->query(
			$wpdb->prepare(
				'INSERT INTO %i (event_id, event_name, priority, payload, status, attempts, next_attempt_at, created_at, expires_at)
				VALUES (%s, %s, %d, %s, %s, 0, %s, %s, %s)
				ON DUPLICATE KEY UPDATE id = id',
				OutboxTable::name(),
				$event_id,
				$event_name,
				$priority,
				$payload,
				self::STATUS_PENDING,
				self::datetime( $now ),
				self::datetime( $now ),
				self::datetime( $now + $ttl )
			)
		);
		if ( false === $result ) {
			return null;
		}
		return $result > 0;
	}

	/**
	 * Claims up to $limit due rows, most important first, in one atomic UPDATE, and returns them.
	 *
	 * @param int $limit Maximum rows.
	 * @param int $now   Unix time.
	 * @return array{token: string, rows: list<ClaimedRow>}
	 */
	public function claim( int $limit, int $now ): array {
		global $wpdb;
		$token = wp_generate_uuid4();
		$when  = self::datetime( $now );
		$wpdb->query(
			$wpdb->prepare(
				"UPDATE %i SET status = 'sending', claim_token = %s, claimed_at = %s
				WHERE status = 'pending' AND next_attempt_at <= %s AND expires_at > %s
				ORDER BY priority ASC, id ASC
				LIMIT %d",
				OutboxTable::name(),
				$token,
				$when,
				$when,
				$when,
				$limit
			)
		);
		$rows    = $wpdb->get_results(
			$wpdb->prepare(
				'SELECT id, event_id, event_name, priority, payload, attempts FROM %i WHERE claim_token = %s ORDER BY priority ASC, id ASC',
				OutboxTable::name(),
				$token
			),
			ARRAY_A
		);
		$claimed = array();
		foreach ( is_array( $rows ) ? $rows : array() as $row ) {
			$claimed[] = array(
				'id'         => (int) $row['id'],
				'event_id'   => (string) $row['event_id'],
				'event_name' => (string) $row['event_name'],
				'priority'   => (int) $row['priority'],
				'payload'    => (string) $row['payload'],
				'attempts'   => (int) $row['attempts'],
			);
		}
		return array(
			'token' => $token,
			'rows'  => $claimed,
		);
	}

	/**
	 * Marks claimed rows as delivered to the relay (accepted or already known there).
	 *
	 * @param int[]  $ids   Row ids.
	 * @param string $token Claim token.
	 * @return int Rows updated.
	 */
	public function mark_sent( array $ids, string $token ): int {
		return $this->update_claimed( $ids, $token, self::STATUS_SENT, null, null, 1 );
	}

	/**
	 * Marks a claimed row as permanently failed (the relay rejected it; retrying cannot help).
	 *
	 * @param int    $id     Row id.
	 * @param string $token  Claim token.
	 * @param string $reason Why, for the admin.
	 * @return int Rows updated.
	 */
	public function mark_failed( int $id, string $token, string $reason ): int {
		return $this->update_claimed( array( $id ), $token, self::STATUS_FAILED, null, $reason, 1 );
	}

	/**
	 * Puts claimed rows back for a later attempt, counting this one.
	 *
	 * @param int[]  $ids             Row ids.
	 * @param string $token           Claim token.
	 * @param int    $next_attempt_at Unix time of the next attempt.
	 * @param string $error           What went wrong, for the admin.
	 * @return int Rows updated.
	 */
	public function retry_later( array $ids, string $token, int $next_attempt_at, string $error ): int {
		return $this->update_claimed( $ids, $token, self::STATUS_PENDING, $next_attempt_at, $error, 1 );
	}

	/**
	 * Puts claimed rows back untouched (they were not sent: the batch was cut short).
	 *
	 * @param int[]  $ids   Row ids.
	 * @param string $token Claim token.
	 * @return int Rows updated.
	 */
	public function release( array $ids, string $token ): int {
		return $this->update_claimed( $ids, $token, self::STATUS_PENDING, null, null, 0, false );
	}

	/**
	 * Returns rows claimed before $claimed_before to the queue: the drain that took them died
	 * (fatal error, timeout, server restart) without reporting. The attempt counts.
	 *
	 * @param int $claimed_before Unix time.
	 * @return int Rows released.
	 */
	public function release_stale( int $claimed_before ): int {
		global $wpdb;
		return (int) $wpdb->query(
			$wpdb->prepare(
				"UPDATE %i SET status = 'pending', claim_token = NULL, claimed_at = NULL, attempts = attempts + 1,
				last_error = %s
				WHERE status = 'sending' AND claimed_at < %s",
				OutboxTable::name(),
				'The drain that claimed this event stopped before finishing; it will be sent again.',
				self::datetime( $claimed_before )
			)
		);
	}

	/**
	 * Fails pending rows whose retention ran out (the relay was unreachable for too long).
	 *
	 * @param int $now   Unix time.
	 * @param int $limit Maximum rows per call.
	 * @return int Rows expired.
	 */
	public function expire( int $now, int $limit = 1000 ): int {
		global $wpdb;
		return (int) $wpdb->query(
			$wpdb->prepare(
				"UPDATE %i SET status = 'failed', last_error = CONCAT('Expired before it could be delivered. Last error: ', COALESCE(last_error, 'none'))
				WHERE status = 'pending' AND expires_at <= %s
				LIMIT %d",
				OutboxTable::name(),
				self::datetime( $now ),
				$limit
			)
		);
	}

	/**
	 * Deletes finished rows: sent ones created before $sent_before, failed ones before $failed_before.
	 *
	 * @param int $sent_before   Unix time.
	 * @param int $failed_before Unix time.
	 * @param int $limit         Maximum rows per status and call.
	 * @return int Rows deleted.
	 */
	public function purge( int $sent_before, int $failed_before, int $limit = 1000 ): int {
		global $wpdb;
		$deleted = 0;
		foreach ( array(
			self::STATUS_SENT   => $sent_before,
			self::STATUS_FAILED => $failed_before,
		) as $status => $before ) {
			$deleted += (int) $wpdb->query(
				$wpdb->prepare(
					'DELETE FROM %i WHERE status = %s AND created_at < %s LIMIT %d',
					OutboxTable::name(),
					$status,
					self::datetime( $before ),
					$limit
				)
			);
		}
		return $deleted;
	}

	/**
	 * Whether a pending row is due now.
	 *
	 * @param int $now Unix time.
	 * @return bool
	 */
	public function has_due( int $now ): bool {
		global $wpdb;
		$when = self::datetime( $now );
		return null !== $wpdb->get_var(
			$wpdb->prepare(
				"SELECT id FROM %i WHERE status = 'pending' AND next_attempt_at <= %s AND expires_at > %s LIMIT 1",
				OutboxTable::name(),
				$when,
				$when
			)
		);
	}

	/**
	 * When the earliest pending row becomes due, or null when nothing is pending.
	 *
	 * @return int|null Unix time.
	 */
	public function next_attempt_time(): ?int {
		global $wpdb;
		$value = $wpdb->get_var(
			$wpdb->prepare( "SELECT MIN(next_attempt_at) FROM %i WHERE status = 'pending'", OutboxTable::name() )
		);
		return is_string( $value ) ? self::timestamp( $value ) : null;
	}

	/**
	 * Number of rows per status (all statuses present, zero when none).
	 *
	 * @return array<string, int>
	 */
	public function count_by_status(): array {
		global $wpdb;
		$counts = array_fill_keys( self::STATUSES, 0 );
		$rows   = $wpdb->get_results(
			$wpdb->prepare( 'SELECT status, COUNT(*) AS n FROM %i GROUP BY status', OutboxTable::name() ),
			ARRAY_A
		);
		foreach ( is_array( $rows ) ? $rows : array() as $row ) {
			$counts[ (string) $row['status'] ] = (int) $row['n'];
		}
		return $counts;
	}

	/**
	 * One row by event id, all columns (admin views and tests).
	 *
	 * @param string $event_id Event id.
	 * @return array<string, string|null>|null
	 */
	public function find( string $event_id ): ?array {
		global $wpdb;
		$row = $wpdb->get_row(
			$wpdb->prepare( 'SELECT * FROM %i WHERE event_id = %s', OutboxTable::name(), $event_id ),
			ARRAY_A
		);
		return is_array( $row ) ? $row : null;
	}

	/**
	 * UTC DATETIME for a unix time.
	 *
	 * @param int $time Unix time.
	 * @return string
	 */
	public static function datetime( int $time ): string {
		return gmdate( 'Y-m-d H:i:s', $time );
	}

	/**
	 * Unix time for a UTC DATETIME.
	 *
	 * @param string $datetime `Y-m-d H:i:s` in UTC.
	 * @return int
	 */
	public static function timestamp( string $datetime ): int {
		$date = \DateTimeImmutable::createFromFormat( 'Y-m-d H:i:s', $datetime, new \DateTimeZone( 'UTC' ) );
		return false === $date ? 0 : $date->getTimestamp();
	}

	/**
	 * One UPDATE of claimed rows, only while they still carry our claim token.
	 *
	 * @param int[]       $ids             Row ids.
	 * @param string      $token           Claim token.
	 * @param string      $status          New status.
	 * @param int|null    $next_attempt_at New next_attempt_at (unix), or null to keep it.
	 * @param string|null $error           New last_error; null clears it (when $set_error).
	 * @param int         $attempt         1 when this counts as an attempt.
	 * @param bool        $set_error       Whether to write last_error at all.
	 * @return int Rows updated.
	 */
	private function update_claimed( array $ids, string $token, string $status, ?int $next_attempt_at, ?string $error, int $attempt, bool $set_error = true ): int {
		global $wpdb;
		$ids = array_values( array_unique( array_map( 'intval', $ids ) ) );
		if ( array() === $ids ) {
			return 0;
		}
		$sets   = array( 'status = %s', 'claim_token = NULL', 'claimed_at = NULL', 'attempts = attempts + %d' );
		$values = array( OutboxTable::name(), $status, $attempt );
		if ( null !== $next_attempt_at ) {
			$sets[]   = 'next_attempt_at = %s';
			$values[] = self::datetime( $next_attempt_at );
		}
		if ( $set_error ) {
			if ( null === $error ) {
				$sets[] = 'last_error = NULL';
			} else {
				$sets[]   = 'last_error = %s';
				$values[] = mb_substr( $error, 0, self::MAX_ERROR_LENGTH );
			}
		}
		$values   = array_merge( $values, $ids, array( $token ) );
		$id_slots = implode( ', ', array_fill( 0, count( $ids ), '%d' ) );
		$sql      = 'UPDATE %i SET ' . implode( ', ', $sets ) . " WHERE id IN ({$id_slots}) AND claim_token = %s";
		// phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- $sql is built only from literal fragments and %d/%s placeholders; every value is bound by prepare().
		return (int) $wpdb->query( $wpdb->prepare( $sql, $values ) );
	}
}
