/**
 * SQLite queries of the operator surface (OperatorStore in types.ts): event and delivery search,
 * statistics, queue depth, replays and privacy deletion. Kept apart from sqlite.ts, which owns
 * ingest and the delivery ledger's hot path; the SqliteStore delegates here.
 *
 * Filters are optional, so statements are built from the filters given (the planner then uses
 * the right index instead of `@x IS NULL OR …` scans) and cached by their text.
 */
import type Database from 'better-sqlite3';
import { DELIVERIES_OF_EVENTS_SQL, toDeliveryFields, toEventViews, type DeliveryViewRow, type EventRow } from './sqlite-rows.js';
import type { DestinationSlug } from '../destinations/types.js';
import {
  DELIVERY_STATUSES,
  type DeliveryRow,
  type DeliverySearch,
  type DeliveryStats,
  type DeliveryStatsQuery,
  type DeliveryStatus,
  type EventSearch,
  type EventView,
  type PrivacyDeleteCounts,
  type RetentionCounts,
  type PrivacyMatch,
  type QueueDepth,
  type ReplayCandidate,
  type ReplayCandidateQuery,
  type ReplayRecord,
  type ReplayRequest,
  type ReplayScope,
} from './types.js';

type Params = Record<string, string | number | null>;

/** A delivery with its event's columns (DELIVERY_COLUMNS). */
interface DeliveryJoinRow extends DeliveryViewRow {
  site_id: string;
  event_id: string;
  event_name: string;
  event_time: number;
  created_at: number;
}

interface ReplayDbRow {
  id: number;
  requested_at: number;
  requested_by: string;
  scope: string;
  params: string;
  requeued: number;
  refused: number;
  reason: string | null;
}

/**
 * A query's WHERE clauses and their named parameters. Each optional filter adds its clause and
 * binds its value only when the caller set it.
 */
class Filters {
  readonly clauses: string[] = [];
  constructor(readonly params: Params) {}

  /** Adds `clause` and binds `@key` to `value`, when `value` is set. */
  add(value: string | number | undefined, key: string, clause: string): boolean {
    if (value === undefined) return false;
    this.clauses.push(clause);
    this.params[key] = value;
    return true;
  }

  /** The filter by one event id; without a site, the sites are listed so the (site_id, event_id) index still serves it. */
  eventId(q: { siteId?: string; eventId?: string }): void {
    if (q.eventId === undefined) return;
    if (q.siteId === undefined) this.clauses.push('e.site_id IN (SELECT site_id FROM sites)');
    this.add(q.eventId, 'eventId', 'e.event_id = @eventId');
  }

  /** Event-time bounds (unix seconds, inclusive). */
  eventTime(q: { since?: number; until?: number }): void {
    this.add(q.since, 'since', 'e.event_time >= @since');
    this.add(q.until, 'until', 'e.event_time <= @until');
  }

  get sql(): string {
    return this.clauses.length ? `WHERE ${this.clauses.join(' AND ')}` : '';
  }
}

const EVENT_COLUMNS = 'e.id, e.site_id, e.event_id, e.event_name, e.event_time, e.source, e.received_at, e.body';
const DELIVERY_COLUMNS = `d.id, d.event_pk, e.site_id, e.event_id, e.event_name, e.event_time, d.destination_id, ds.slug, ds.mode,
  d.platform_event_name, d.status, d.attempts, d.next_attempt_at, d.last_status, d.last_error, d.latency_ms, d.created_at, d.updated_at`;

/** `IN (@p0, @p1, …)` for a list of values, adding them to `params`. */
function inList(prefix: string, values: readonly (string | number)[], params: Params): string {
  return `(${values.map((v, i) => ((params[`${prefix}${i}`] = v), `@${prefix}${i}`)).join(', ')})`;
}

export class SqliteOperatorQueries {
  private readonly cache = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  private stmt(sql: string): Database.Statement {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.cache.set(sql, s);
    }
    return s;
  }

  private all<T>(sql: string, params: Params = {}): T[] {
    return this.stmt(sql).all(params) as T[];
  }

  private tableExists(name: string): boolean {
    return this.stmt("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = @name").get({ name }) !== undefined;
  }

  searchEvents(q: EventSearch): EventView[] {
    const f = new Filters({ limit: q.limit });
    f.add(q.siteId, 'siteId', 'e.site_id = @siteId');
    f.eventId(q);
    // Matches the partial index events_order_id.
    f.add(q.orderId, 'orderId', "e.event_name IN ('purchase', 'refund') AND json_extract(e.body, '$.commerce.order_id') = @orderId");
    f.add(q.eventName, 'eventName', 'e.event_name = @eventName');
    f.eventTime(q);
    let order = 'DESC';
    if (f.add(q.afterId, 'afterId', 'e.id > @afterId')) order = 'ASC';
    else f.add(q.beforeId, 'beforeId', 'e.id < @beforeId');
    const sql = `SELECT ${EVENT_COLUMNS} FROM events e ${f.sql} ORDER BY e.id ${order} LIMIT @limit`;
    const params = f.params;
    const rows = this.all<EventRow>(sql, params);
    return this.withDeliveries(rows);
  }

  private withDeliveries(rows: EventRow[]): EventView[] {
    if (rows.length === 0) return [];
    const deliveries = this.stmt(DELIVERIES_OF_EVENTS_SQL).all(JSON.stringify(rows.map((r) => r.id))) as DeliveryViewRow[];
    return toEventViews(rows, deliveries);
  }

  searchDeliveries(q: DeliverySearch): DeliveryRow[] {
    const f = new Filters({ limit: q.limit });
    f.add(q.siteId, 'siteId', 'ds.site_id = @siteId');
    f.add(q.destinationId, 'destinationId', 'd.destination_id = @destinationId');
    f.add(q.slug, 'slug', 'ds.slug = @slug');
    if (q.statuses !== undefined && q.statuses.length > 0) f.clauses.push(`d.status IN ${inList('s', q.statuses, f.params)}`);
    f.eventTime(q);
    let order = 'd.updated_at DESC, d.id DESC';
    if (f.add(q.afterId, 'afterId', 'd.id > @afterId')) {
      order = 'd.id ASC';
    } else if (q.before !== undefined) {
      f.clauses.push('(d.updated_at < @beforeUpdatedAt OR (d.updated_at = @beforeUpdatedAt AND d.id < @beforeId))');
      f.params.beforeUpdatedAt = q.before.updatedAt;
      f.params.beforeId = q.before.id;
    }
    const params = f.params;
    const sql = `SELECT ${DELIVERY_COLUMNS}
      FROM deliveries d JOIN destinations ds ON ds.id = d.destination_id JOIN events e ON e.id = d.event_pk
      ${f.sql} ORDER BY ${order} LIMIT @limit`;
    return this.all<DeliveryJoinRow>(sql, params).map((r) => ({
      ...toDeliveryFields(r),
      siteId: r.site_id,
      eventId: r.event_id,
      eventName: r.event_name,
      eventTime: r.event_time,
      createdAt: r.created_at,
    }));
  }

  deliveryStats(q: DeliveryStatsQuery): DeliveryStats {
    const window = 'destination_id = @id AND updated_at >= @since AND updated_at < @until';
    const params: Params = { id: q.destinationId, since: q.since, until: q.until };
    const counts: Partial<Record<DeliveryStatus, number>> = {};
    for (const r of this.all<{ status: DeliveryStatus; n: number }>(
      `SELECT status, COUNT(*) AS n FROM deliveries WHERE ${window} GROUP BY status`,
      params,
    )) {
      counts[r.status] = r.n;
    }
    const bucketMs = Math.max(1, Math.trunc(q.bucketMs));
    const buckets = new Map<number, Partial<Record<DeliveryStatus, number>>>();
    for (const r of this.all<{ start: number; status: DeliveryStatus; n: number }>(
      `SELECT CAST(updated_at / @bucket AS INTEGER) * @bucket AS start, status, COUNT(*) AS n FROM deliveries WHERE ${window}
       GROUP BY start, status ORDER BY start`,
      { ...params, bucket: bucketMs },
    )) {
      const b = buckets.get(r.start) ?? {};
      b[r.status] = r.n;
      buckets.set(r.start, b);
    }
    const timed = `${window} AND latency_ms IS NOT NULL AND status IN ('delivered', 'failed', 'retry', 'dead')`;
    const samples = (this.stmt(`SELECT COUNT(*) AS n FROM deliveries WHERE ${timed}`).get(params) as { n: number }).n;
    const percentile = (p: number): number | null => {
      if (samples === 0) return null;
      const offset = Math.max(0, Math.ceil(p * samples) - 1);
      const row = this.stmt(`SELECT latency_ms AS v FROM deliveries WHERE ${timed} ORDER BY latency_ms LIMIT 1 OFFSET @offset`).get({
        ...params,
        offset,
      }) as { v: number } | undefined;
      return row?.v ?? null;
    };
    // Every bucket of the window, empty ones too, so charts need no gap filling.
    const all: DeliveryStats['buckets'] = [];
    const first = Math.floor(q.since / bucketMs) * bucketMs;
    for (let start = first; start < q.until && all.length < 10_000; start += bucketMs) {
      all.push({ start, counts: buckets.get(start) ?? {} });
    }
    return { counts, latencyMs: { p50: percentile(0.5), p95: percentile(0.95), samples }, buckets: all };
  }

  queueDepth(): QueueDepth[] {
    return this.all<{ slug: string; status: 'pending' | 'retry'; n: number }>(
      `SELECT ds.slug, d.status, COUNT(*) AS n FROM deliveries d JOIN destinations ds ON ds.id = d.destination_id
       WHERE d.status IN ('pending', 'retry') GROUP BY ds.slug, d.status ORDER BY ds.slug, d.status`,
    ).map((r) => ({ slug: r.slug as DestinationSlug, status: r.status, count: r.n }));
  }

  replayCandidates(q: ReplayCandidateQuery): ReplayCandidate[] {
    const f = new Filters({ limit: q.limit });
    f.add(q.siteId, 'siteId', 'e.site_id = @siteId');
    f.eventId(q);
    f.add(q.destinationId, 'destinationId', 'd.destination_id = @destinationId');
    f.add(q.slug, 'slug', 'ds.slug = @slug');
    f.eventTime(q);
    f.clauses.push(`d.status IN ${inList('s', q.statuses.length ? q.statuses : DELIVERY_STATUSES, f.params)}`);
    const params = f.params;
    const sql = `SELECT d.id AS delivery_id, d.destination_id, ds.slug, e.site_id, e.event_id, e.event_time, d.status
      FROM events e JOIN deliveries d ON d.event_pk = e.id JOIN destinations ds ON ds.id = d.destination_id
      ${f.sql} ORDER BY d.id LIMIT @limit`;
    return this.all<{ delivery_id: number; destination_id: number; slug: string; site_id: string; event_id: string; event_time: number; status: string }>(
      sql,
      params,
    ).map((r) => ({
      deliveryId: r.delivery_id,
      destinationId: r.destination_id,
      destination: r.slug as DestinationSlug,
      siteId: r.site_id,
      eventId: r.event_id,
      eventTime: r.event_time,
      status: r.status as DeliveryStatus,
    }));
  }

  requeueForReplay(req: ReplayRequest, now: number): ReplayRecord {
    return this.db
      .transaction((): ReplayRecord => {
        const ins = this.stmt(
          `INSERT INTO replays (requested_at, requested_by, scope, params, requeued, refused, reason)
           VALUES (@now, @by, @scope, @params, 0, @refused, @reason)`,
        ).run({ now, by: req.requestedBy, scope: req.scope, params: JSON.stringify(req.params), refused: req.refused, reason: req.reason });
        const replayId = Number(ins.lastInsertRowid);
        const note = `replay #${replayId} requested by ${req.requestedBy}: waiting to be sent again`;
        const current = this.stmt(
          "SELECT status, attempts, last_error FROM deliveries WHERE id = @id AND status NOT IN ('pending', 'retry')",
        );
        const item = this.stmt(
          `INSERT INTO replay_items (replay_id, delivery_id, previous_status, previous_attempts, previous_error)
           VALUES (@replayId, @id, @status, @attempts, @error)`,
        );
        const requeue = this.stmt(
          `UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = @now, last_status = NULL, last_error = @note,
             lease_token = NULL, lease_until = NULL, updated_at = @now WHERE id = @id`,
        );
        let requeued = 0;
        for (const id of req.deliveryIds) {
          const row = current.get({ id }) as { status: string; attempts: number; last_error: string | null } | undefined;
          if (!row) continue; // open meanwhile (or gone): the worker already has it
          item.run({ replayId, id, status: row.status, attempts: row.attempts, error: row.last_error });
          requeue.run({ id, now, note });
          requeued++;
        }
        this.stmt('UPDATE replays SET requeued = @requeued WHERE id = @id').run({ requeued, id: replayId });
        return {
          id: replayId,
          requestedAt: now,
          requestedBy: req.requestedBy,
          scope: req.scope,
          params: req.params,
          requeued,
          refused: req.refused,
          reason: req.reason,
        };
      })
      .immediate();
  }

  listReplays(limit: number): ReplayRecord[] {
    return this.all<ReplayDbRow>('SELECT * FROM replays ORDER BY id DESC LIMIT @limit', { limit }).map((r) => ({
      id: r.id,
      requestedAt: r.requested_at,
      requestedBy: r.requested_by,
      scope: r.scope as ReplayScope,
      params: JSON.parse(r.params) as Record<string, unknown>,
      requeued: r.requeued,
      refused: r.refused,
      reason: r.reason,
    }));
  }

  /**
   * Deletes events by id with every row that names them (deliveries, their replay items,
   * decisions, order keys), or only counts them (`dryRun`). Run it inside a transaction.
   */
  private deleteEvents(eventIds: number[], dryRun: boolean): Omit<PrivacyDeleteCounts, 'identities'> {
    const p = { ids: JSON.stringify(eventIds) };
    const hasDecisions = this.tableExists('decisions');
    const hasOrderKeys = this.tableExists('order_keys');
    const count = (sql: string) => (this.stmt(sql).get(p) as { n: number }).n;
    const inEvents = '(SELECT value FROM json_each(@ids))';
    const inDeliveries = `(SELECT id FROM deliveries WHERE event_pk IN ${inEvents})`;
    const counts = {
      events: count(`SELECT COUNT(*) AS n FROM events WHERE id IN ${inEvents}`),
      deliveries: count(`SELECT COUNT(*) AS n FROM deliveries WHERE event_pk IN ${inEvents}`),
      decisions: hasDecisions ? count(`SELECT COUNT(*) AS n FROM decisions WHERE event_pk IN ${inEvents}`) : 0,
      orderKeys: hasOrderKeys ? count(`SELECT COUNT(*) AS n FROM order_keys WHERE event_pk IN ${inEvents}`) : 0,
      replayItems: count(`SELECT COUNT(*) AS n FROM replay_items WHERE delivery_id IN ${inDeliveries}`),
    };
    if (dryRun) return counts;
    this.stmt(`DELETE FROM replay_items WHERE delivery_id IN ${inDeliveries}`).run(p);
    this.stmt(`DELETE FROM deliveries WHERE event_pk IN ${inEvents}`).run(p);
    if (hasDecisions) this.stmt(`DELETE FROM decisions WHERE event_pk IN ${inEvents}`).run(p);
    if (hasOrderKeys) this.stmt(`DELETE FROM order_keys WHERE event_pk IN ${inEvents}`).run(p);
    this.stmt(`DELETE FROM events WHERE id IN ${inEvents}`).run(p);
    return counts;
  }

  /**
   * Retention (Store.pruneEvents). Walks events in id order, which is arrival order, so it reads
   * only the old end of the table and needs no index on received_at (that would cost every
   * ingest an extra B-tree insert); events with a delivery still to make are stepped over.
   */
  pruneEvents(olderThan: number, maxEvents: number): RetentionCounts {
    return this.db
      .transaction((): RetentionCounts => {
        const rows = this.all<{ id: number; received_at: number }>(
          `SELECT e.id, e.received_at FROM events e
           WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_pk = e.id AND d.status IN ('pending', 'retry'))
           ORDER BY e.id LIMIT @limit`,
          { limit: maxEvents + 1 },
        );
        const old: number[] = [];
        for (const r of rows.slice(0, maxEvents)) {
          if (r.received_at >= olderThan) break;
          old.push(r.id);
        }
        const counts = old.length > 0 ? this.deleteEvents(old, false) : { events: 0, deliveries: 0 };
        const next = rows[maxEvents];
        return { events: counts.events, deliveries: counts.deliveries, more: old.length === maxEvents && next !== undefined && next.received_at < olderThan };
      })
      .immediate();
  }

  privacyDelete(match: PrivacyMatch, opts: { dryRun: boolean; requestedBy: string; now: number }): PrivacyDeleteCounts {
    const params: Params = {};
    const any: string[] = [];
    const kinds: string[] = [];
    const add = (kind: string, field: string, values: string[] | undefined) => {
      if (!values || values.length === 0) return;
      kinds.push(kind);
      params[kind] = JSON.stringify(values);
      any.push(`json_extract(e.body, '$.identity.${field}') IN (SELECT value FROM json_each(@${kind}))`);
    };
    add('external_id_sha256', 'external_id', match.externalId);
    add('email_sha256', 'em', match.email);
    add('phone_sha256', 'ph', match.phone);
    if (any.length === 0) throw new RangeError('a privacy request needs at least one identifier');
    let where = `(${any.join(' OR ')})`;
    if (match.siteId !== undefined) {
      where = `e.site_id = @siteId AND ${where}`;
      params.siteId = match.siteId;
    }
    const run = (): PrivacyDeleteCounts => {
      const ids = this.all<{ id: number }>(`SELECT e.id FROM events e WHERE ${where}`, params).map((r) => r.id);
      const counts: PrivacyDeleteCounts = { ...this.deleteEvents(ids, opts.dryRun), identities: 0 };
      if (opts.dryRun) return counts;
      this.stmt(
        `INSERT INTO privacy_deletions (requested_at, requested_by, matched_by, site_id, counts)
         VALUES (@now, @by, @kinds, @siteId, @counts)`,
      ).run({ now: opts.now, by: opts.requestedBy, kinds: JSON.stringify(kinds), siteId: match.siteId ?? null, counts: JSON.stringify(counts) });
      return counts;
    };

    if (opts.dryRun) return this.db.transaction(run)();
    // Deleted rows are overwritten with zeros, and the WAL is folded into the database file, so
    // the identifiers do not linger in free pages (best effort: a reader can delay the checkpoint).
    const previous = this.db.pragma('secure_delete', { simple: true }) as number;
    this.db.pragma('secure_delete = ON');
    try {
      const counts = this.db.transaction(run).immediate();
      try {
        this.db.pragma('wal_checkpoint(TRUNCATE)');
      } catch {
        /* a busy checkpoint is retried by SQLite's automatic checkpoints */
      }
      return counts;
    } finally {
      this.db.pragma(`secure_delete = ${previous ? 'ON' : 'OFF'}`);
    }
  }
}
