/**
 * The embedded store: one SQLite file through better-sqlite3, WAL mode.
 *
 * better-sqlite3 is synchronous, which is what makes group commit simple and correct here: a
 * flush runs start to COMMIT without yielding, so no request can join a half-written batch.
 * Every query is short (indexed, bounded by LIMIT), so blocking the event loop for it is cheaper
 * than a thread hop.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import type { CanonicalEvent } from '../contract/event.js';
import type { DestinationSlug } from '../destinations/types.js';
import type { EventMapOverrides } from '../pipeline/event-map.js';
import { judgeCopy, orderDedupKey, orderDuplicateReason } from '../pipeline/merge.js';
import { DEFAULT_SITE_POLICY, parseSitePolicy, type SitePolicy } from '../pipeline/policy.js';
import type { StoreVault } from '../vault/store-vault.js';
import { GroupCommitter, requestWeight, type FlushResult } from './group-commit.js';
import { migrate } from './migrations.js';
import { SqliteOperatorQueries } from './sqlite-operator.js';
import { DELIVERIES_OF_EVENTS_SQL, toEventViews, type DeliveryViewRow, type EventRow } from './sqlite-rows.js';
import {
  StoreUnavailableError,
  type DecisionAction,
  type DecisionView,
  type IngestEventDetail,
  type ListDecisionsOptions,
  type ClaimOptions,
  type ClaimedDelivery,
  type DeliveryUpdate,
  type DestinationInput,
  type DestinationMode,
  type DestinationRecord,
  type EventView,
  type IngestBatch,
  type IngestCommitResult,
  type IngestEventResult,
  type ListEventsOptions,
  type SiteRecord,
  type Store,
  type DeliveryRow,
  type DeliverySearch,
  type DeliveryStats,
  type DeliveryStatsQuery,
  type DestinationPatch,
  type EventSearch,
  type PrivacyDeleteCounts,
  type RetentionCounts,
  type PrivacyMatch,
  type QueueDepth,
  type ReplayCandidate,
  type ReplayCandidateQuery,
  type ReplayRecord,
  type ReplayRequest,
} from './types.js';

export interface SqliteStoreOptions {
  /** Flush the group commit once this many events are queued. */
  maxBatchEvents?: number;
  /** How long a writer waits for another process's lock (the CLI, a second relay) before failing. */
  busyTimeoutMs?: number;
  /** Seals site secrets and destination credentials at rest (src/vault); see also attachVault. */
  vault?: StoreVault;
  /**
   * How long cached sites and destination lists may miss another connection's change (ms,
   * default 250). The ingest thread sets Infinity and calls checkOtherWrites() before each
   * commit instead, so a destination added through the admin API plans the very next event.
   */
  configRecheckMs?: number;
}

interface SiteRow {
  site_id: string;
  secret: string;
  secret_previous: string | null;
  created_at: number;
  updated_at: number;
}
interface DestinationRow {
  id: number;
  site_id: string;
  slug: string;
  enabled: number;
  mode: string;
  settings: string;
  parked_at: number | null;
  parked_reason: string | null;
  event_map?: string | null;
  created_at: number;
  updated_at: number;
}
interface DecisionRow {
  id: number;
  site_id: string;
  event_id: string;
  kept_event_id: string;
  event_name: string;
  order_id: string | null;
  source: string;
  received_at: number;
  action: string;
  merged_fields: string | null;
  reason: string;
}

/** Order dedup window when a batch does not say (the configuration's default). */
const DEFAULT_DEDUP_WINDOW_MS = 7 * 86_400_000;

// SQLite result codes that mean "the store cannot serve this now", as opposed to a bug.
const UNAVAILABLE_CODES = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|CORRUPT|NOTADB|PROTOCOL|NOMEM|INTERRUPT)/;

/** How long a site or destination changed by another process (the CLI) may go unseen by ingest. */
const CONFIG_RECHECK_MS = 250;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function toDestination(r: DestinationRow): DestinationRecord {
  return {
    id: r.id,
    siteId: r.site_id,
    slug: r.slug as DestinationSlug,
    enabled: r.enabled === 1,
    mode: r.mode as DestinationMode,
    settings: JSON.parse(r.settings) as unknown,
    parkedAt: r.parked_at,
    parkedReason: r.parked_reason,
    eventMap: r.event_map ? (JSON.parse(r.event_map) as EventMapOverrides) : null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function prepareStatements(db: Database.Database) {
  return {
    ping: db.prepare('SELECT 1'),
    // Changes whenever another connection (the CLI, a second relay) commits to the file.
    dataVersion: db.prepare<[], number>('PRAGMA data_version').pluck(),
    getSite: db.prepare<[string], SiteRow>('SELECT * FROM sites WHERE site_id = ?'),
    listSites: db.prepare<[], Pick<SiteRow, 'site_id' | 'created_at'>>('SELECT site_id, created_at FROM sites ORDER BY site_id'),
    upsertSite: db.prepare(
      `INSERT INTO sites (site_id, secret, secret_previous, created_at, updated_at) VALUES (@siteId, @secret, @previous, @now, @now)
       ON CONFLICT (site_id) DO UPDATE SET secret = excluded.secret, secret_previous = excluded.secret_previous, updated_at = excluded.updated_at`,
    ),
    upsertDestination: db.prepare<unknown[], DestinationRow>(
      `INSERT INTO destinations (site_id, slug, enabled, mode, settings, created_at, updated_at)
       VALUES (@siteId, @slug, @enabled, @mode, @settings, @now, @now)
       ON CONFLICT (site_id, slug) DO UPDATE SET enabled = excluded.enabled, mode = excluded.mode,
         settings = excluded.settings, parked_at = NULL, parked_reason = NULL, updated_at = excluded.updated_at
       RETURNING *`,
    ),
    getDestination: db.prepare<[number], DestinationRow>('SELECT * FROM destinations WHERE id = ?'),
    listDestinations: db.prepare<unknown[], DestinationRow>(
      `SELECT * FROM destinations WHERE (@siteId IS NULL OR site_id = @siteId) AND (@enabledOnly = 0 OR enabled = 1) ORDER BY id`,
    ),
    parkDestination: db.prepare('UPDATE destinations SET parked_at = ?, parked_reason = ?, updated_at = ? WHERE id = ?'),
    requestIdSeen: db.prepare<[string, string, number], { one: number }>(
      'SELECT 1 AS one FROM request_ids WHERE site_id = ? AND request_id = ? AND expires_at >= ?',
    ),
    // A leftover row whose window has passed (not pruned yet) is reused, not a replay.
    rememberRequestId: db.prepare(
      `INSERT INTO request_ids (site_id, request_id, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (site_id, request_id) DO UPDATE SET expires_at = excluded.expires_at WHERE request_ids.expires_at < ?`,
    ),
    pruneRequestIds: db.prepare('DELETE FROM request_ids WHERE expires_at < ?'),
    insertEvent: db.prepare(
      `INSERT INTO events (site_id, event_id, event_name, event_time, source, received_at, request_id, body)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (site_id, event_id) DO NOTHING`,
    ),
    insertDelivery: db.prepare(
      `INSERT INTO deliveries (event_pk, destination_id, platform_event_name, status, next_attempt_at, last_error, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    dueDestinations: db.prepare<[{ now: number }], { id: number }>(
      `SELECT ds.id FROM destinations ds
       WHERE ds.enabled = 1 AND ds.parked_at IS NULL AND EXISTS (
         SELECT 1 FROM deliveries d WHERE d.destination_id = ds.id AND d.status IN ('pending', 'retry')
           AND d.next_attempt_at <= @now AND (d.lease_until IS NULL OR d.lease_until <= @now))
       ORDER BY ds.id`,
    ),
    claim: db.prepare<unknown[], { id: number }>(
      `UPDATE deliveries SET lease_token = @token, lease_until = @until
       WHERE id IN (
         SELECT id FROM deliveries
         WHERE destination_id = @destinationId AND status IN ('pending', 'retry') AND next_attempt_at <= @now
           AND (lease_until IS NULL OR lease_until <= @now)
         ORDER BY next_attempt_at, id LIMIT @limit)
       RETURNING id`,
    ),
    claimed: db.prepare<[string], { id: number; status: string; attempts: number; platform_event_name: string | null; event_pk: number; body: string }>(
      `SELECT d.id, d.status, d.attempts, d.platform_event_name, d.event_pk, e.body
       FROM deliveries d JOIN events e ON e.id = d.event_pk
       WHERE d.id IN (SELECT value FROM json_each(?)) ORDER BY d.next_attempt_at, d.id`,
    ),
    complete: db.prepare(
      `UPDATE deliveries SET status = @status, attempts = @attempts, next_attempt_at = @nextAttemptAt,
         last_status = @lastStatus, last_error = @lastError,
         payload = CASE WHEN @setPayload = 1 THEN @payload ELSE payload END,
         platform_event_name = CASE WHEN @setName = 1 THEN @platformEventName ELSE platform_event_name END,
         latency_ms = @latencyMs, lease_token = NULL, lease_until = NULL, updated_at = @now
       WHERE id = @id AND lease_token = @leaseToken`,
    ),
    release: db.prepare('UPDATE deliveries SET lease_token = NULL, lease_until = NULL WHERE id = ? AND lease_token = ?'),
    eventsRecent: db.prepare<unknown[], EventRow>(
      `SELECT id, site_id, event_id, event_name, event_time, source, received_at, body FROM events
       WHERE (@siteId IS NULL OR site_id = @siteId) ORDER BY id DESC LIMIT @limit`,
    ),
    eventsAfter: db.prepare<unknown[], EventRow>(
      `SELECT id, site_id, event_id, event_name, event_time, source, received_at, body FROM events
       WHERE id > @afterId AND (@siteId IS NULL OR site_id = @siteId) ORDER BY id ASC LIMIT @limit`,
    ),
    // Dedup and merge (src/pipeline/merge.ts).
    storedCopy: db.prepare<[string, string], { id: number; source: string; received_at: number; body: string }>(
      'SELECT id, source, received_at, body FROM events WHERE site_id = ? AND event_id = ?',
    ),
    mergedSources: db.prepare<[number], { source: string }>(
      "SELECT DISTINCT source FROM decisions WHERE event_pk = ? AND action IN ('accepted', 'merged')",
    ),
    updateEventBody: db.prepare('UPDATE events SET body = ?, event_time = ? WHERE id = ?'),
    findOrderKey: db.prepare<[string, string, string, number], { event_pk: number; event_id: string }>(
      'SELECT event_pk, event_id FROM order_keys WHERE site_id = ? AND order_id = ? AND dedup_key = ? AND received_at >= ?',
    ),
    putOrderKey: db.prepare(
      `INSERT INTO order_keys (site_id, order_id, dedup_key, event_pk, event_id, received_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (site_id, order_id, dedup_key) DO UPDATE SET event_pk = excluded.event_pk, event_id = excluded.event_id,
         received_at = excluded.received_at`,
    ),
    addOrderKey: db.prepare(
      `INSERT INTO order_keys (site_id, order_id, dedup_key, event_pk, event_id, received_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (site_id, order_id, dedup_key) DO NOTHING`,
    ),
    pruneOrderKeys: db.prepare('DELETE FROM order_keys WHERE received_at < ?'),
    // The kept event's own "accepted" row, written when its first extra copy arrives.
    recordFirstCopy: db.prepare(
      `INSERT INTO decisions (site_id, event_id, event_pk, kept_event_id, event_name, order_id, source, received_at, action, merged_fields, reason)
       SELECT e.site_id, e.event_id, e.id, e.event_id, e.event_name, json_extract(e.body, '$.commerce.order_id'), e.source, e.received_at,
              'accepted', NULL, 'first copy, from ' || e.source || ': kept'
       FROM events e WHERE e.id = @eventPk
         AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.event_pk = @eventPk AND d.action = 'accepted')`,
    ),
    insertDecision: db.prepare(
      `INSERT INTO decisions (site_id, event_id, event_pk, kept_event_id, event_name, order_id, source, received_at, action, merged_fields, reason)
       VALUES (@siteId, @eventId, @eventPk, @keptEventId, @eventName, @orderId, @source, @receivedAt, @action, @mergedFields, @reason)`,
    ),
    decisionsOfEvent: db.prepare<[string, string, string], DecisionRow>(
      `SELECT * FROM decisions WHERE site_id = ? AND (event_id = ? OR kept_event_id = ?) ORDER BY received_at, id`,
    ),
    decisionsOfOrder: db.prepare<[string, string], DecisionRow>(
      'SELECT * FROM decisions WHERE site_id = ? AND order_id = ? ORDER BY received_at, id',
    ),
    decisionsOfSite: db.prepare<[string, number], DecisionRow>('SELECT * FROM decisions WHERE site_id = ? ORDER BY id DESC LIMIT ?'),
    eventsOfOrder: db.prepare<[string, string], EventRow>(
      `SELECT e.id, e.site_id, e.event_id, e.event_name, e.event_time, e.source, e.received_at, e.body
       FROM order_keys k JOIN events e ON e.id = k.event_pk WHERE k.site_id = ? AND k.order_id = ? ORDER BY e.received_at, e.id`,
    ),
    eventByKey: db.prepare<[string, string], EventRow>(
      'SELECT id, site_id, event_id, event_name, event_time, source, received_at, body FROM events WHERE site_id = ? AND event_id = ?',
    ),
    getPolicy: db.prepare<[string], { policy: string }>('SELECT policy FROM site_policies WHERE site_id = ?'),
    setPolicy: db.prepare(
      `INSERT INTO site_policies (site_id, policy, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (site_id) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at`,
    ),
    setEventMap: db.prepare('UPDATE destinations SET event_map = ?, updated_at = ? WHERE id = ?'),
    deliveriesOf: db.prepare<[string], DeliveryViewRow>(DELIVERIES_OF_EVENTS_SQL),
  };
}


export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly committer: GroupCommitter<IngestBatch, FlushResult>;
  /** Commits every ingest request's rows in one transaction (the group commit's unit). */
  private readonly flushAll: (batches: IngestBatch[]) => FlushResult[];
  private closed = false;
  private readonly stmt: ReturnType<typeof prepareStatements>;
  private vault: StoreVault | undefined;
  private readonly ops: SqliteOperatorQueries;
  /**
   * Sites (with their opened secrets) and destination lists, read on every ingest request.
   * Emptied when this connection changes them, and when another connection has committed
   * anything (PRAGMA data_version), so a `sites add` or `connect` from the CLI is seen at once.
   * Entries are deep-frozen: a caller mutating one would otherwise change it for everyone.
   */
  private readonly config = new Map<string, unknown>();
  private configVersion = -1;
  private configCheckedAt = -Infinity;

  constructor(
    private readonly file: string,
    private readonly opts: SqliteStoreOptions = {},
  ) {
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // FULL: a COMMIT reaches the disk before the 202 goes out, surviving power loss, not just a
    // crash. Measured here at no cost over NORMAL (ENVIRONMENT.md).
    this.db.pragma('synchronous = FULL');
    this.db.pragma(`busy_timeout = ${Math.trunc(opts.busyTimeoutMs ?? 5000)}`);
    this.db.pragma('foreign_keys = ON');
    migrate(this.db);

    this.stmt = prepareStatements(this.db);
    this.vault = opts.vault;
    this.ops = new SqliteOperatorQueries(this.db);

    const ingestOne = (b: IngestBatch): IngestCommitResult => {
      const fresh = this.stmt.rememberRequestId.run(b.siteId, b.requestId, b.requestIdExpiresAt, b.receivedAt);
      if (fresh.changes === 0) return { replayed: true };
      const mergeWindowMs = Math.max(0, b.mergeWindowMs ?? 0);
      const dedupWindowMs = b.dedupWindowMs ?? DEFAULT_DEDUP_WINDOW_MS;
      const results: IngestEventResult[] = [];
      const details: IngestEventDetail[] = [];
      for (const { event, deliveries } of b.events) {
        // A purchase/refund for an order already recorded under another event_id.
        const orderDup = this.orderDuplicate(b, event, dedupWindowMs);
        if (orderDup) {
          results.push(orderDup.result);
          details.push(orderDup.detail);
          continue;
        }
        const ins = this.stmt.insertEvent.run(
          b.siteId,
          event.event_id,
          event.event_name,
          event.event_time,
          event.source,
          b.receivedAt,
          b.requestId,
          JSON.stringify(event),
        );
        if (ins.changes === 0) {
          // Checked only on a conflict, so a new event costs no extra read.
          const copy = this.judgeStoredCopy(b, event, mergeWindowMs);
          results.push(copy.result);
          details.push(copy.detail);
          continue;
        }
        results.push('accepted');
        details.push({});
        const eventPk = Number(ins.lastInsertRowid);
        const orderKey = orderDedupKey(event);
        if (orderKey) this.stmt.putOrderKey.run(b.siteId, orderKey.orderId, orderKey.key, eventPk, event.event_id, b.receivedAt);
        for (const d of deliveries) {
          this.stmt.insertDelivery.run(
            eventPk,
            d.destinationId,
            d.platformEventName,
            d.status,
            // Held until the merge window has passed, so a second half can still join.
            d.status === 'pending' ? b.receivedAt + mergeWindowMs : null,
            d.reason ?? null,
            b.receivedAt,
            b.receivedAt,
          );
        }
      }
      return { replayed: false, results, details };
    };
    // Each request runs in its own savepoint inside the shared transaction, so one bad request
    // fails alone instead of taking its neighbours' events down with it.
    const ingestSavepoint = this.db.transaction(ingestOne);
    const flushAll = this.db.transaction((batches: IngestBatch[]): FlushResult[] =>
      batches.map((b) => {
        try {
          return { ok: true, value: ingestSavepoint(b) };
        } catch (error) {
          if (isUnavailable(error)) throw error; // the whole transaction is gone
          return { ok: false, error };
        }
      }),
    );
    // The common case first: every request of the batch in one transaction with no savepoints
    // (two statements fewer per request). Only if one of them fails is the transaction rolled
    // back and done again with a savepoint per request, so that one fails alone.
    const optimistic = this.db.transaction((batches: IngestBatch[]): FlushResult[] => batches.map((b) => ({ ok: true, value: ingestOne(b) })));
    this.flushAll = (batches) => {
      if (batches.length === 1) return flushAll.immediate(batches);
      try {
        return optimistic.immediate(batches);
      } catch (error) {
        if (isUnavailable(error)) throw error;
        return flushAll.immediate(batches);
      }
    };
    this.committer = new GroupCommitter<IngestBatch, FlushResult>(this.flushAll, {
      maxBatch: opts.maxBatchEvents ?? 2000,
      weight: requestWeight,
    });
  }

  /** Runs a synchronous operation, turning "store cannot answer" errors into StoreUnavailableError. */
  private run<T>(fn: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new StoreUnavailableError('the store is closed'));
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(mapStoreError(err));
    }
  }

  private cachedConfig<T>(key: string, load: () => T): T {
    // The pragma reads the WAL index (~5 µs): asked at most every configRecheckMs, which
    // bounds how long a change made by another process goes unseen.
    const now = performance.now();
    if (now - this.configCheckedAt >= (this.opts.configRecheckMs ?? CONFIG_RECHECK_MS)) this.checkOtherWrites(now);
    if (this.config.has(key)) return this.config.get(key) as T;
    const value = deepFreeze(load());
    // Unknown site ids come from unauthenticated requests: never cached, so they cannot grow it.
    if (value !== undefined) {
      if (this.config.size >= 10_000) this.config.clear();
      this.config.set(key, value);
    }
    return value;
  }

  /**
   * Drops cached sites and destinations if another connection has committed since the last
   * check (PRAGMA data_version). The ingest thread calls it once per commit.
   */
  checkOtherWrites(now = performance.now()): void {
    this.configCheckedAt = now;
    const version = this.stmt.dataVersion.get()!;
    if (version !== this.configVersion) {
      this.config.clear();
      this.configVersion = version;
    }
  }

  /** Wraps a write to sites, destinations or their secrets: cached copies are stale after it. */
  private changingConfig<T>(fn: () => T): T {
    try {
      return fn();
    } finally {
      this.config.clear();
    }
  }

  ping(): Promise<void> {
    return this.run(() => {
      this.stmt.ping.get();
    });
  }

  upsertSite(site: { siteId: string; secrets: string[] }, now = Date.now()): Promise<{ created: boolean }> {
    return this.run(() => {
      if (site.secrets.length < 1 || site.secrets.length > 2) throw new RangeError('a site has one or two active secrets');
      return this.changingConfig(() => this.db
        .transaction(() => {
          const existed = this.stmt.getSite.get(site.siteId) !== undefined;
          const seal = (secret: string) => this.vault?.sealSiteSecret(site.siteId, secret) ?? secret;
          this.stmt.upsertSite.run({ siteId: site.siteId, secret: seal(site.secrets[0]!), previous: site.secrets[1] === undefined ? null : seal(site.secrets[1]), now });
          return { created: !existed };
        })
        .immediate());
    });
  }

  getSite(siteId: string): Promise<SiteRecord | undefined> {
    return this.run(() => this.cachedConfig(`site\u0000${siteId}`, () => this.loadSite(siteId)));
  }

  private loadSite(siteId: string): SiteRecord | undefined {
    const r = this.stmt.getSite.get(siteId);
    if (!r) return undefined;
    return {
      siteId: r.site_id,
      secrets: (r.secret_previous === null ? [r.secret] : [r.secret, r.secret_previous]).map(
        (stored) => this.vault?.openSiteSecret(r.site_id, stored) ?? stored,
      ),
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    };
  }

  listSites(): Promise<Array<Pick<SiteRecord, 'siteId' | 'createdAt'>>> {
    return this.run(() => this.stmt.listSites.all().map((r) => ({ siteId: r.site_id, createdAt: r.created_at })));
  }

  upsertDestination(input: DestinationInput, now = Date.now()): Promise<DestinationRecord> {
    return this.run(() => this.changingConfig(() => {
      const row = this.stmt.upsertDestination.get({
        siteId: input.siteId,
        slug: input.slug,
        enabled: input.enabled ? 1 : 0,
        mode: input.mode,
        settings: JSON.stringify(this.vault ? this.vault.sealSettings(input.siteId, input.slug, input.settings) : input.settings),
        now,
      });
      if (!row) throw new Error('upsert returned no row');
      return this.toDestination(row);
    }));
  }

  getDestination(id: number): Promise<DestinationRecord | undefined> {
    return this.run(() => {
      const r = this.stmt.getDestination.get(id);
      return r ? this.toDestination(r) : undefined;
    });
  }

  listDestinations(filter: { siteId?: string; enabledOnly?: boolean } = {}): Promise<DestinationRecord[]> {
    return this.run(() => this.destinations(filter.siteId ?? null, filter.enabledOnly ?? false));
  }

  /** A site's enabled destinations, synchronously (the ingest thread plans deliveries with them). */
  enabledDestinations(siteId: string): readonly DestinationRecord[] {
    return this.destinations(siteId, true);
  }

  private destinations(siteId: string | null, enabledOnly: boolean): DestinationRecord[] {
    return this.cachedConfig(`destinations\u0000${siteId ?? ''}\u0000${enabledOnly ? 1 : 0}`, () =>
      this.stmt.listDestinations.all({ siteId, enabledOnly: enabledOnly ? 1 : 0 }).map((r) => this.toDestination(r)),
    );
  }

  parkDestination(id: number, reason: string, now: number): Promise<void> {
    return this.run(() => this.changingConfig(() => {
      this.stmt.parkDestination.run(now, reason, now, id);
    }));
  }

  isRequestIdSeen(siteId: string, requestId: string, now: number): Promise<boolean> {
    return this.run(() => this.stmt.requestIdSeen.get(siteId, requestId, now) !== undefined);
  }

  /** The group commit itself: one transaction, one result per request (the ingest thread calls this). */
  commitIngest(batches: IngestBatch[]): FlushResult[] {
    return this.flushAll(batches);
  }

  async ingest(batch: IngestBatch): Promise<IngestCommitResult> {
    if (this.closed) throw new StoreUnavailableError('the store is closed');
    let r: FlushResult;
    try {
      r = await this.committer.submit(batch);
    } catch (err) {
      throw mapStoreError(err);
    }
    if (!r.ok) throw r.error;
    return r.value;
  }

  pruneRequestIds(now: number): Promise<number> {
    return this.run(() => this.stmt.pruneRequestIds.run(now).changes);
  }

  dueDestinationIds(now: number): Promise<number[]> {
    return this.run(() => this.stmt.dueDestinations.all({ now }).map((r) => r.id));
  }

  claimDeliveries(destinationId: number, opts: ClaimOptions): Promise<ClaimedDelivery[]> {
    return this.run(() =>
      this.db
        .transaction(() => {
          const token = randomUUID();
          const ids = this.stmt.claim
            .all({ token, until: opts.now + opts.leaseMs, destinationId, now: opts.now, limit: opts.limit })
            .map((r) => r.id);
          if (ids.length === 0) return [];
          return this.stmt.claimed.all(JSON.stringify(ids)).map(
            (r): ClaimedDelivery => ({
              id: r.id,
              leaseToken: token,
              status: r.status as 'pending' | 'retry',
              attempts: r.attempts,
              platformEventName: r.platform_event_name,
              eventPk: r.event_pk,
              event: JSON.parse(r.body) as CanonicalEvent,
            }),
          );
        })
        .immediate(),
    );
  }

  completeDeliveries(updates: DeliveryUpdate[], now: number): Promise<number> {
    return this.run(() =>
      this.db.transaction(() => {
        let n = 0;
        for (const u of updates) {
          n += this.stmt.complete.run({
            id: u.id,
            leaseToken: u.leaseToken,
            status: u.status,
            attempts: u.attempts,
            nextAttemptAt: u.nextAttemptAt,
            lastStatus: u.lastStatus,
            lastError: u.lastError,
            setPayload: u.payload === undefined ? 0 : 1,
            payload: u.payload === undefined ? null : JSON.stringify(u.payload),
            setName: u.platformEventName === undefined ? 0 : 1,
            platformEventName: u.platformEventName ?? null,
            latencyMs: u.latencyMs === null ? null : Math.round(u.latencyMs),
            now,
          }).changes;
        }
        return n;
      })(),
    );
  }

  releaseDeliveries(ids: Array<{ id: number; leaseToken: string }>): Promise<void> {
    return this.run(() =>
      this.db.transaction(() => {
        for (const r of ids) this.stmt.release.run(r.id, r.leaseToken);
      })(),
    );
  }

  listEvents(opts: ListEventsOptions): Promise<EventView[]> {
    return this.run(() => {
      const params = { siteId: opts.siteId ?? null, limit: opts.limit, afterId: opts.afterId ?? 0 };
      const rows = opts.afterId === undefined ? this.stmt.eventsRecent.all(params) : this.stmt.eventsAfter.all(params);
      if (rows.length === 0) return [];
      return toEventViews(rows, this.stmt.deliveriesOf.all(JSON.stringify(rows.map((r) => r.id))));
    });
  }

  /** Inside the ingest transaction: records what dedup/merge did with a further copy. */
  private recordDecision(
    b: IngestBatch,
    event: CanonicalEvent,
    d: { eventPk: number; keptEventId: string; action: DecisionAction; reason: string; mergedFields: string[] | null },
  ): void {
    this.stmt.recordFirstCopy.run({ eventPk: d.eventPk });
    this.stmt.insertDecision.run({
      siteId: b.siteId,
      eventId: event.event_id,
      eventPk: d.eventPk,
      keptEventId: d.keptEventId,
      eventName: event.event_name,
      orderId: event.commerce?.order_id ?? null,
      source: event.source,
      receivedAt: b.receivedAt,
      action: d.action,
      mergedFields: d.mergedFields ? JSON.stringify(d.mergedFields) : null,
      reason: d.reason,
    });
  }

  /** A purchase/refund whose order was recorded under another event_id within the window. */
  private orderDuplicate(
    b: IngestBatch,
    event: CanonicalEvent,
    dedupWindowMs: number,
  ): { result: IngestEventResult; detail: IngestEventDetail } | undefined {
    const orderKey = orderDedupKey(event);
    if (!orderKey) return undefined;
    const prior = this.stmt.findOrderKey.get(b.siteId, orderKey.orderId, orderKey.key, b.receivedAt - dedupWindowMs);
    // The same event_id again is the event_id rule's business (merge or duplicate).
    if (!prior || prior.event_id === event.event_id) return undefined;
    const reason = orderDuplicateReason(orderKey.orderId, event.event_name, prior.event_id, event.event_id);
    this.recordDecision(b, event, { eventPk: prior.event_pk, keptEventId: prior.event_id, action: 'duplicate', reason, mergedFields: null });
    return { result: 'duplicate', detail: { reason, keptEventId: prior.event_id } };
  }

  /** A further copy of a stored event_id: merged into it (other source, within the window) or a duplicate. */
  private judgeStoredCopy(b: IngestBatch, event: CanonicalEvent, mergeWindowMs: number): { result: IngestEventResult; detail: IngestEventDetail } {
    const stored = this.stmt.storedCopy.get(b.siteId, event.event_id);
    if (!stored) throw new Error(`event ${event.event_id} conflicted but is not stored`);
    const kept = JSON.parse(stored.body) as CanonicalEvent;
    const sources = [stored.source, ...this.stmt.mergedSources.all(stored.id).map((r) => r.source)];
    const verdict = judgeCopy(
      { event: kept, firstSource: stored.source, firstReceivedAt: stored.received_at, sources },
      event,
      b.receivedAt,
      mergeWindowMs,
    );
    const base = { eventPk: stored.id, keptEventId: event.event_id, reason: verdict.reason };
    if (verdict.kind === 'merge') {
      this.stmt.updateEventBody.run(JSON.stringify(verdict.event), verdict.event.event_time, stored.id);
      // The order id may have come with this half.
      const orderKey = orderDedupKey(verdict.event);
      if (orderKey) this.stmt.addOrderKey.run(b.siteId, orderKey.orderId, orderKey.key, stored.id, event.event_id, stored.received_at);
      this.recordDecision(b, event, { ...base, action: 'merged', mergedFields: verdict.added });
      return { result: 'merged', detail: { reason: verdict.reason, keptEventId: event.event_id } };
    }
    this.recordDecision(b, event, { ...base, action: 'duplicate', mergedFields: null });
    return { result: 'duplicate', detail: { reason: verdict.reason, keptEventId: event.event_id } };
  }

  listDecisions(opts: ListDecisionsOptions): Promise<DecisionView[]> {
    return this.run(() => {
      const toView = (r: DecisionRow): DecisionView => ({
        id: r.id,
        siteId: r.site_id,
        eventId: r.event_id,
        keptEventId: r.kept_event_id,
        eventName: r.event_name,
        orderId: r.order_id,
        source: r.source,
        receivedAt: r.received_at,
        action: r.action as DecisionAction,
        mergedFields: r.merged_fields ? (JSON.parse(r.merged_fields) as string[]) : [],
        reason: r.reason,
      });
      // An event with a single copy has no rows: describe its one arrival.
      const single = (e: EventRow): DecisionView => {
        const body = JSON.parse(e.body) as CanonicalEvent;
        return {
          id: null,
          siteId: e.site_id,
          eventId: e.event_id,
          keptEventId: e.event_id,
          eventName: e.event_name,
          orderId: body.commerce?.order_id ?? null,
          source: e.source,
          receivedAt: e.received_at,
          action: 'accepted',
          mergedFields: [],
          reason: `only copy, from ${e.source}: kept`,
        };
      };
      if (opts.eventId !== undefined) {
        const rows = this.stmt.decisionsOfEvent.all(opts.siteId, opts.eventId, opts.eventId).map(toView);
        if (rows.some((r) => r.action === 'accepted' && r.eventId === opts.eventId)) return rows;
        const e = this.stmt.eventByKey.get(opts.siteId, opts.eventId);
        return e ? [single(e), ...rows] : rows;
      }
      if (opts.orderId !== undefined) {
        const rows = this.stmt.decisionsOfOrder.all(opts.siteId, opts.orderId).map(toView);
        const known = new Set(rows.filter((r) => r.action === 'accepted').map((r) => r.eventId));
        const singles = this.stmt.eventsOfOrder.all(opts.siteId, opts.orderId).filter((e) => !known.has(e.event_id)).map(single);
        return [...singles, ...rows].sort((x, y) => x.receivedAt - y.receivedAt || (x.id ?? 0) - (y.id ?? 0));
      }
      return this.stmt.decisionsOfSite.all(opts.siteId, opts.limit ?? 100).map(toView);
    });
  }

  pruneEvents(olderThan: number, maxEvents: number): Promise<RetentionCounts> {
    return this.run(() => this.ops.pruneEvents(olderThan, maxEvents));
  }

  pruneDedupKeys(olderThan: number): Promise<number> {
    return this.run(() => this.stmt.pruneOrderKeys.run(olderThan).changes);
  }

  getSitePolicy(siteId: string): Promise<SitePolicy> {
    return this.run(() => {
      const r = this.stmt.getPolicy.get(siteId);
      return r ? parseSitePolicy(JSON.parse(r.policy)) : structuredClone(DEFAULT_SITE_POLICY);
    });
  }

  setSitePolicy(siteId: string, policy: SitePolicy, now = Date.now()): Promise<void> {
    return this.run(() => {
      this.stmt.setPolicy.run(siteId, JSON.stringify(parseSitePolicy(policy)), now);
    });
  }

  setEventMap(destinationId: number, eventMap: EventMapOverrides | null, now = Date.now()): Promise<boolean> {
    return this.run(() => {
      const json = eventMap === null || Object.keys(eventMap).length === 0 ? null : JSON.stringify(eventMap);
      return this.changingConfig(() => this.stmt.setEventMap.run(json, now, destinationId).changes > 0);
    });
  }

  /** A destination row with its settings' secrets opened by the vault. */
  private toDestination(r: DestinationRow): DestinationRecord {
    const d = toDestination(r);
    if (this.vault) d.settings = this.vault.openSettings(d.siteId, d.slug, d.settings);
    return d;
  }

  // ── Vault (src/vault): secrets sealed at rest ──

  /** Seals from now on; call resealSecrets() after to seal what is stored already. */
  attachVault(vault: StoreVault): void {
    this.vault = vault;
    this.config.clear();
  }

  /** Whether any site secret or destination setting is sealed (decides whether a lost key is an error). */
  hasSealedSecrets(): boolean {
    const sites = this.db.prepare<[], { secret: string; secret_previous: string | null }>('SELECT secret, secret_previous FROM sites').all();
    if (sites.some((r) => r.secret.startsWith('lsv1:') || r.secret_previous?.startsWith('lsv1:'))) return true;
    return this.db.prepare(`SELECT 1 FROM destinations WHERE settings LIKE '%"lsv1:%' LIMIT 1`).get() !== undefined;
  }

  /**
   * Seals every plaintext secret (rows written before the vault) and re-seals those sealed with
   * an older key, in one transaction; opening each stored value first proves the key is right.
   * Replaced plaintext is zeroed (secure_delete) and the WAL checkpointed into the database file.
   */
  resealSecrets(): { sites: number; destinations: number } {
    const vault = this.vault;
    if (!vault) throw new Error('attach a vault first');
    const sites = this.db.prepare<[], SiteRow>('SELECT * FROM sites').all();
    const dests = this.db.prepare<[], DestinationRow>('SELECT * FROM destinations').all();
    const siteUpdates: Array<{ siteId: string; secret: string; previous: string | null }> = [];
    for (const r of sites) {
      const opened = [r.secret, r.secret_previous].map((s) => (s === null ? null : vault.openSiteSecret(r.site_id, s)));
      if (vault.siteSecretNeedsReseal(r.secret) || (r.secret_previous !== null && vault.siteSecretNeedsReseal(r.secret_previous))) {
        siteUpdates.push({
          siteId: r.site_id,
          secret: vault.sealSiteSecret(r.site_id, opened[0]!),
          previous: opened[1] === null ? null : vault.sealSiteSecret(r.site_id, opened[1]!),
        });
      }
    }
    const destUpdates: Array<{ id: number; settings: string }> = [];
    for (const r of dests) {
      const stored = JSON.parse(r.settings) as unknown;
      const opened = vault.openSettings(r.site_id, r.slug, stored);
      if (vault.settingsNeedReseal(r.site_id, r.slug, stored)) {
        destUpdates.push({ id: r.id, settings: JSON.stringify(vault.sealSettings(r.site_id, r.slug, opened)) });
      }
    }
    if (siteUpdates.length + destUpdates.length === 0) return { sites: 0, destinations: 0 };
    this.config.clear();
    const previous = this.db.pragma('secure_delete', { simple: true }) as number;
    this.db.pragma('secure_delete = ON');
    try {
      this.db
        .transaction(() => {
          const us = this.db.prepare('UPDATE sites SET secret = @secret, secret_previous = @previous WHERE site_id = @siteId');
          for (const u of siteUpdates) us.run(u);
          const ud = this.db.prepare('UPDATE destinations SET settings = @settings WHERE id = @id');
          for (const u of destUpdates) ud.run(u);
        })
        .immediate();
      try {
        this.db.pragma('wal_checkpoint(TRUNCATE)');
      } catch {
        /* best effort */
      }
    } finally {
      this.db.pragma(`secure_delete = ${previous ? 'ON' : 'OFF'}`);
    }
    return { sites: siteUpdates.length, destinations: destUpdates.length };
  }

  // ── Operator surface (OperatorStore); the queries live in sqlite-operator.ts ──

  updateDestination(id: number, patch: DestinationPatch, now = Date.now()): Promise<DestinationRecord | undefined> {
    return this.run(() =>
      this.changingConfig(() => this.db
        .transaction(() => {
          const r = this.stmt.getDestination.get(id);
          if (!r) return undefined;
          const settings =
            patch.settings === undefined
              ? r.settings
              : JSON.stringify(this.vault ? this.vault.sealSettings(r.site_id, r.slug, patch.settings) : patch.settings);
          const unpark = patch.unpark === true;
          const row = this.db
            .prepare<unknown[], DestinationRow>(
              `UPDATE destinations SET enabled = @enabled, mode = @mode, settings = @settings,
                 parked_at = CASE WHEN @unpark = 1 THEN NULL ELSE parked_at END,
                 parked_reason = CASE WHEN @unpark = 1 THEN NULL ELSE parked_reason END,
                 updated_at = @now
               WHERE id = @id RETURNING *`,
            )
            .get({
              id,
              enabled: patch.enabled === undefined ? r.enabled : patch.enabled ? 1 : 0,
              mode: patch.mode ?? r.mode,
              settings,
              unpark: unpark ? 1 : 0,
              now,
            });
          return row ? this.toDestination(row) : undefined;
        })
        .immediate()),
    );
  }

  deleteDestination(id: number): Promise<{ deliveries: number } | undefined> {
    return this.run(() =>
      this.changingConfig(() => this.db
        .transaction(() => {
          if (!this.stmt.getDestination.get(id)) return undefined;
          this.db.prepare('DELETE FROM replay_items WHERE delivery_id IN (SELECT id FROM deliveries WHERE destination_id = ?)').run(id);
          const deliveries = this.db.prepare('DELETE FROM deliveries WHERE destination_id = ?').run(id).changes;
          this.db.prepare('DELETE FROM destinations WHERE id = ?').run(id);
          return { deliveries };
        })
        .immediate()),
    );
  }

  searchEvents(q: EventSearch): Promise<EventView[]> {
    return this.run(() => this.ops.searchEvents(q));
  }

  searchDeliveries(q: DeliverySearch): Promise<DeliveryRow[]> {
    return this.run(() => this.ops.searchDeliveries(q));
  }

  deliveryStats(q: DeliveryStatsQuery): Promise<DeliveryStats> {
    return this.run(() => this.ops.deliveryStats(q));
  }

  queueDepth(): Promise<QueueDepth[]> {
    return this.run(() => this.ops.queueDepth());
  }

  replayCandidates(q: ReplayCandidateQuery): Promise<ReplayCandidate[]> {
    return this.run(() => this.ops.replayCandidates(q));
  }

  requeueForReplay(req: ReplayRequest, now: number): Promise<ReplayRecord> {
    return this.run(() => this.ops.requeueForReplay(req, now));
  }

  listReplays(limit: number): Promise<ReplayRecord[]> {
    return this.run(() => this.ops.listReplays(limit));
  }

  privacyDelete(match: PrivacyMatch, opts: { dryRun: boolean; requestedBy: string; now: number }): Promise<PrivacyDeleteCounts> {
    return this.run(() => this.ops.privacyDelete(match, opts));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Commit what concurrent requests queued before closing, so their 202s stay true.
    this.committer.close();
    this.closed = true;
    this.db.close();
  }
}

function isUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && UNAVAILABLE_CODES.test(code);
}

/** A store error as callers see it: "cannot answer" SQLite codes become StoreUnavailableError. */
export function mapStoreError(err: unknown): unknown {
  if (err instanceof StoreUnavailableError) return err;
  if (isUnavailable(err)) {
    return new StoreUnavailableError(`the store cannot answer: ${(err as Error).message}`, { cause: err });
  }
  if (err instanceof TypeError && /database connection is not open/.test(err.message)) {
    return new StoreUnavailableError('the store is closed', { cause: err });
  }
  return err;
}

/** Opens (creating if needed) and migrates the SQLite store at `file`. */
export function openSqliteStore(file: string, opts?: SqliteStoreOptions): SqliteStore {
  return new SqliteStore(file, opts);
}
