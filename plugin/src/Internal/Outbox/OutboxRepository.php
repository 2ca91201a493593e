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
	 * Rows for the admin list, newest first, with every column (payloads hold only hashes).
	 *
	 * @param array{status?: string, priority?: int, event?: string} $filters  Exact matches.
	 * @param int                                                    $page     1-based page.
	 * @param int                                                    $per_page Rows per page.
	 * @return list<array<string, string|null>>
	 */
	public function list_rows( array $filters, int $page, int $per_page ): array {
		global $wpdb;
		list( $where, $values ) = self::where( $filters );
		$values[]               = max( 1, $per_page );
		$values[]               = ( max( 1, $page ) - 1 ) * max( 1, $per_page );
		$sql                    = "SELECT * FROM %i WHERE {$where} ORDER BY id DESC LIMIT %d OFFSET %d";
		// phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- $where holds only literal column names and placeholders (see where()); every value is bound here.
		$rows = $wpdb->get_results( $wpdb->prepare( $sql, array_merge( array( OutboxTable::name() ), $values ) ), ARRAY_A );
		return is_array( $rows ) ? array_values( $rows ) : array();
	}

	/**
	 * Number of rows matching the admin list filters.
	 *
	 * @param array{status?: string, priority?: int, event?: string} $filters Exact matches.
	 * @return int
	 */
	public function count( array $filters = array() ): int {
		global $wpdb;
		list( $where, $values ) = self::where( $filters );
		$sql                    = "SELECT COUNT(*) FROM %i WHERE {$where}";
		// phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- see list_rows().
		return (int) $wpdb->get_var( $wpdb->prepare( $sql, array_merge( array( OutboxTable::name() ), $values ) ) );
	}

	/**
	 * Rows matching the filters with an id above $after_id, oldest first (CSV export in batches,
	 * so memory stays flat however large the table is).
	 *
	 * @param array{status?: string, priority?: int, event?: string} $filters  Exact matches.
	 * @param int                                                    $after_id Last id already read.
	 * @param int                                                    $limit    Batch size.
	 * @return list<array<string, string|null>>
	 */
	public function batch_after( array $filters, int $after_id, int $limit ): array {
		global $wpdb;
		list( $where, $values ) = self::where( $filters );
		$values                 = array_merge( array( OutboxTable::name() ), $values, array( $after_id, max( 1, $limit ) ) );
		$sql                    = "SELECT * FROM %i WHERE {$where} AND id > %d ORDER BY id ASC LIMIT %d";
		// phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- see list_rows().
		$rows = $wpdb->get_results( $wpdb->prepare( $sql, $values ), ARRAY_A );
		return is_array( $rows ) ? array_values( $rows ) : array();
	}

	/**
	 * Puts failed or pending rows back in the queue, due now, with their retention renewed from
	 * now (a row that expired while the relay was down can be sent again). Rows being sent or
	 * already delivered are left alone.
	 *
	 * @param int[] $ids Row ids.
	 * @param int   $now Unix time.
	 * @return int[] Ids actually queued again.
	 */
	public function requeue( array $ids, int $now ): array {
		global $wpdb;
		$ids = array_values( array_unique( array_filter( array_map( 'intval', $ids ), static fn( int $id ): bool => $id > 0 ) ) );
		if ( array() === $ids ) {
			return array();
		}
		$slots = implode( ', ', array_fill( 0, count( $ids ), '%d' ) );
		$sql   = "SELECT id, priority FROM %i WHERE id IN ({$slots}) AND status IN ('failed', 'pending')";
		// phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- only %d placeholders are added; values are bound here.
		$rows   = $wpdb->get_results( $wpdb->prepare( $sql, array_merge( array( OutboxTable::name() ), $ids ) ), ARRAY_A );
		$groups = array();
		foreach ( is_array( $rows ) ? $rows : array() as $row ) {
			$groups[ (int) $row['priority'] ][] = (int) $row['id'];
		}
		$done = array();
		foreach ( $groups as $priority => $group ) {
			$slots = implode( ', ', array_fill( 0, count( $group ), '%d' ) );
			$sql   = "UPDATE %i SET status = 'pending', next_attempt_at = %s, expires_at = GREATEST(expires_at, %s), claim_token = NULL, claimed_at = NULL
				WHERE id IN ({$slots}) AND status IN ('failed', 'pending')";
			$wpdb->query(
				// phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- only %d placeholders are added; values are bound here.
				$wpdb->prepare( $sql, array_merge( array( OutboxTable::name(), self::datetime( $now ), self::datetime( $now + Priority::retention_seconds( $priority ) ) ), $group ) )
			);
			$done = array_merge( $done, $group );
		}
		sort( $done );
		return $done;
	}

	/**
	 * Deletes rows by id, except those a drain is sending right now.
	 *
	 * @param int[] $ids Row ids.
	 * @return int Rows deleted.
	 */
	public function delete( array $ids ): int {
		global $wpdb;
		$ids = array_values( array_unique( array_filter( array_map( 'intval', $ids ), static fn( int $id ): bool => $id > 0 ) ) );
		if ( array() === $ids ) {
			return 0;
		}
		$slots = implode( ', ', array_fill( 0, count( $ids ), '%d' ) );
		$sql   = "DELETE FROM %i WHERE id IN ({$slots}) AND status <> 'sending'";
		// phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- only %d placeholders are added; values are bound here.
		return (int) $wpdb->query( $wpdb->prepare( $sql, array_merge( array( OutboxTable::name() ), $ids ) ) );
	}

	/**
	 * Keeps the table within $max_rows by deleting the least valuable rows first: delivered or
	 * failed rows (oldest first), then undelivered behavioural events, then funnel events, then
	 * leads — within each priority oldest first. Purchases and refunds (priority 0) and rows
	 * being sent are never evicted, so the table may stay above the cap when they alone exceed it.
	 *
	 * @param int $max_rows Cap (0: no cap).
	 * @return int Rows deleted.
	 */
	public function evict( int $max_rows ): int {
		global $wpdb;
		if ( $max_rows <= 0 ) {
			return 0;
		}
		$excess = $this->count() - $max_rows;
		if ( $excess <= 0 ) {
			return 0;
		}
		$deleted = 0;
		$passes  = array( array( "status IN ('sent', 'failed') AND priority > %d", array( Priority::MONEY ) ) );
		foreach ( array_reverse( Priority::ALL ) as $priority ) {
			if ( $priority > Priority::MONEY ) {
				$passes[] = array( "status = 'pending' AND priority = %d", array( $priority ) );
			}
		}
		foreach ( $passes as list( $condition, $args ) ) {
			while ( $excess > 0 ) {
				$batch = min( $excess, 5000 );
				$sql   = "DELETE FROM %i WHERE {$condition} ORDER BY id ASC LIMIT %d";
				// phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- $condition is one of the literal conditions above; values are bound here.
				$gone = (int) $wpdb->query( $wpdb->prepare( $sql, array_merge( array( OutboxTable::name() ), $args, array( $batch ) ) ) );
				if ( $gone <= 0 ) {
					break;
				}
				$deleted += $gone;
				$excess  -= $gone;
			}
		}
		return $deleted;
	}

	/**
	 * Pending rows created before $created_before (the backlog Site Health reports).
	 *
	 * @param int $created_before Unix time.
	 * @return int
	 */
	public function count_pending_before( int $created_before ): int {
		global $wpdb;
		return (int) $wpdb->get_var(
			$wpdb->prepare(
				"SELECT COUNT(*) FROM %i WHERE status = 'pending' AND created_at < %s",
				OutboxTable::name(),
				self::datetime( $created_before )
			)
		);
	}

	/**
	 * Rows whose payload carries any of these identity hashes (em, ph, external_id and their
	 * variants), oldest first, one page at a time. Used by the personal-data exporter.
	 *
	 * @param array<string, string> $hashes Identity key => SHA-256 hex.
	 * @param int                   $offset Rows to skip.
	 * @param int                   $limit  Page size.
	 * @return list<array<string, string|null>>
	 */
	public function find_by_identity( array $hashes, int $offset, int $limit ): array {
		global $wpdb;
		list( $match, $values ) = self::identity_match( $hashes );
		if ( '' === $match ) {
			return array();
		}
		$sql = "SELECT * FROM %i WHERE ({$match}) ORDER BY id ASC LIMIT %d OFFSET %d";
		// phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- $match holds only literal LIKE clauses with %s placeholders; values are bound here.
		$rows = $wpdb->get_results( $wpdb->prepare( $sql, array_merge( array( OutboxTable::name() ), $values, array( max( 1, $limit ), max( 0, $offset ) ) ) ), ARRAY_A );
		return is_array( $rows ) ? array_values( $rows ) : array();
	}

	/**
	 * Deletes up to $limit rows whose payload carries any of these identity hashes.
	 *
	 * @param array<string, string> $hashes Identity key => SHA-256 hex.
	 * @param int                   $limit  Batch size.
	 * @return int Rows deleted.
	 */
	public function delete_by_identity( array $hashes, int $limit ): int {
		global $wpdb;
		list( $match, $values ) = self::identity_match( $hashes );
		if ( '' === $match ) {
			return 0;
		}
		$sql = "DELETE FROM %i WHERE ({$match}) ORDER BY id ASC LIMIT %d";
		// phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- see find_by_identity().
		return (int) $wpdb->query( $wpdb->prepare( $sql, array_merge( array( OutboxTable::name() ), $values, array( max( 1, $limit ) ) ) ) );
	}

	/**
	 * WHERE clause (with placeholders) and values for the admin filters.
	 *
	 * @param array{status?: string, priority?: int, event?: string} $filters Filters.
	 * @return array{0: string, 1: list<string|int>}
	 */
	private static function where( array $filters ): array {
		$clauses = array( '1 = 1' );
		$values  = array();
		if ( isset( $filters['status'] ) && in_array( $filters['status'], self::STATUSES, true ) ) {
			$clauses[] = 'status = %s';
			$values[]  = $filters['status'];
		}
		if ( isset( $filters['priority'] ) ) {
			$clauses[] = 'priority = %d';
			$values[]  = (int) $filters['priority'];
		}
		if ( isset( $filters['event'] ) && '' !== $filters['event'] ) {
			$clauses[] = 'event_name = %s';
			$values[]  = $filters['event'];
		}
		return array( implode( ' AND ', $clauses ), $values );
	}

	/**
	 * LIKE clauses matching `"<key>":"<hash>"` in stored payloads (the exact bytes EventJson
	 * writes), for well-formed hashes only.
	 *
	 * @param array<string, string> $hashes Identity key => SHA-256 hex.
	 * @return array{0: string, 1: list<string>}
	 */
	private static function identity_match( array $hashes ): array {
		global $wpdb;
		$clauses = array();
		$values  = array();
		foreach ( $hashes as $key => $hash ) {
			if ( 1 !== preg_match( '/^[a-z_]{2,16}$/', (string) $key ) || 1 !== preg_match( '/^[a-f0-9]{64}$/', $hash ) ) {
				continue;
			}
			$clauses[] = 'payload LIKE %s';
			$values[]  = '%' . $wpdb->esc_like( '"' . $key . '":"' . $hash . '"' ) . '%';
		}
		return array( implode( ' OR ', $clauses ), $values );
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
