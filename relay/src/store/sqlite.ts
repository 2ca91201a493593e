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
import { GroupCommitter } from './group-commit.js';
import { migrate } from './migrations.js';
import {
  StoreUnavailableError,
  type ClaimOptions,
  type ClaimedDelivery,
  type DeliveryStatus,
  type DeliveryUpdate,
  type DeliveryView,
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
} from './types.js';

export interface SqliteStoreOptions {
  /** Flush the group commit once this many events are queued. */
  maxBatchEvents?: number;
  /** How long a writer waits for another process's lock (the CLI, a second relay) before failing. */
  busyTimeoutMs?: number;
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
  created_at: number;
  updated_at: number;
}
interface EventRow {
  id: number;
  site_id: string;
  event_id: string;
  event_name: string;
  event_time: number;
  source: string;
  received_at: number;
  body: string;
}
interface DeliveryViewRow {
  id: number;
  event_pk: number;
  destination_id: number;
  slug: string;
  mode: string;
  platform_event_name: string | null;
  status: string;
  attempts: number;
  next_attempt_at: number | null;
  last_status: number | null;
  last_error: string | null;
  payload: string | null;
  latency_ms: number | null;
  updated_at: number;
}

// SQLite result codes that mean "the store cannot serve this now", as opposed to a bug.
const UNAVAILABLE_CODES = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|CORRUPT|NOTADB|PROTOCOL|NOMEM|INTERRUPT)/;

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
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function prepareStatements(db: Database.Database) {
  return {
    ping: db.prepare('SELECT 1'),
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
    deliveriesOf: db.prepare<[string], DeliveryViewRow>(
      `SELECT d.id, d.event_pk, d.destination_id, ds.slug, ds.mode, d.platform_event_name, d.status, d.attempts,
              d.next_attempt_at, d.last_status, d.last_error, d.payload, d.latency_ms, d.updated_at
       FROM deliveries d JOIN destinations ds ON ds.id = d.destination_id
       WHERE d.event_pk IN (SELECT value FROM json_each(?)) ORDER BY d.id`,
    ),
  };
}

type FlushResult = { ok: true; value: IngestCommitResult } | { ok: false; error: unknown };

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly committer: GroupCommitter<IngestBatch, FlushResult>;
  private closed = false;
  private readonly stmt: ReturnType<typeof prepareStatements>;

  constructor(file: string, opts: SqliteStoreOptions = {}) {
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

    const ingestOne = (b: IngestBatch): IngestCommitResult => {
      const fresh = this.stmt.rememberRequestId.run(b.siteId, b.requestId, b.requestIdExpiresAt, b.receivedAt);
      if (fresh.changes === 0) return { replayed: true };
      const results: IngestEventResult[] = [];
      for (const { event, deliveries } of b.events) {
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
          results.push('duplicate');
          continue;
        }
        results.push('accepted');
        const eventPk = Number(ins.lastInsertRowid);
        for (const d of deliveries) {
          this.stmt.insertDelivery.run(
            eventPk,
            d.destinationId,
            d.platformEventName,
            d.status,
            d.status === 'pending' ? b.receivedAt : null,
            d.reason ?? null,
            b.receivedAt,
            b.receivedAt,
          );
        }
      }
      return { replayed: false, results };
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
    this.committer = new GroupCommitter<IngestBatch, FlushResult>((batches) => flushAll.immediate(batches), {
      maxBatch: opts.maxBatchEvents ?? 2000,
      weight: (b) => b.events.length + 1,
    });
  }

  /** Runs a synchronous operation, turning "store cannot answer" errors into StoreUnavailableError. */
  private run<T>(fn: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new StoreUnavailableError('the store is closed'));
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(mapError(err));
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
      return this.db
        .transaction(() => {
          const existed = this.stmt.getSite.get(site.siteId) !== undefined;
          this.stmt.upsertSite.run({ siteId: site.siteId, secret: site.secrets[0], previous: site.secrets[1] ?? null, now });
          return { created: !existed };
        })
        .immediate();
    });
  }

  getSite(siteId: string): Promise<SiteRecord | undefined> {
    return this.run(() => {
      const r = this.stmt.getSite.get(siteId);
      if (!r) return undefined;
      return {
        siteId: r.site_id,
        secrets: r.secret_previous === null ? [r.secret] : [r.secret, r.secret_previous],
        createdAt: r.created_at,
        updatedAt: r.updated_at,
      };
    });
  }

  listSites(): Promise<Array<Pick<SiteRecord, 'siteId' | 'createdAt'>>> {
    return this.run(() => this.stmt.listSites.all().map((r) => ({ siteId: r.site_id, createdAt: r.created_at })));
  }

  upsertDestination(input: DestinationInput, now = Date.now()): Promise<DestinationRecord> {
    return this.run(() => {
      const row = this.stmt.upsertDestination.get({
        siteId: input.siteId,
        slug: input.slug,
        enabled: input.enabled ? 1 : 0,
        mode: input.mode,
        settings: JSON.stringify(input.settings),
        now,
      });
      if (!row) throw new Error('upsert returned no row');
      return toDestination(row);
    });
  }

  getDestination(id: number): Promise<DestinationRecord | undefined> {
    return this.run(() => {
      const r = this.stmt.getDestination.get(id);
      return r ? toDestination(r) : undefined;
    });
  }

  listDestinations(filter: { siteId?: string; enabledOnly?: boolean } = {}): Promise<DestinationRecord[]> {
    return this.run(() =>
      this.stmt.listDestinations
        .all({ siteId: filter.siteId ?? null, enabledOnly: filter.enabledOnly ? 1 : 0 })
        .map(toDestination),
    );
  }

  parkDestination(id: number, reason: string, now: number): Promise<void> {
    return this.run(() => {
      this.stmt.parkDestination.run(now, reason, now, id);
    });
  }

  isRequestIdSeen(siteId: string, requestId: string, now: number): Promise<boolean> {
    return this.run(() => this.stmt.requestIdSeen.get(siteId, requestId, now) !== undefined);
  }

  async ingest(batch: IngestBatch): Promise<IngestCommitResult> {
    if (this.closed) throw new StoreUnavailableError('the store is closed');
    let r: FlushResult;
    try {
      r = await this.committer.submit(batch);
    } catch (err) {
      throw mapError(err);
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
      const byEvent = new Map<number, DeliveryView[]>();
      for (const d of this.stmt.deliveriesOf.all(JSON.stringify(rows.map((r) => r.id)))) {
        const list = byEvent.get(d.event_pk) ?? [];
        list.push({
          id: d.id,
          destinationId: d.destination_id,
          destination: d.slug as DestinationSlug,
          mode: d.mode as DestinationMode,
          platformEventName: d.platform_event_name,
          status: d.status as DeliveryStatus,
          attempts: d.attempts,
          nextAttemptAt: d.next_attempt_at,
          lastStatus: d.last_status,
          lastError: d.last_error,
          payload: d.payload === null ? null : (JSON.parse(d.payload) as unknown),
          latencyMs: d.latency_ms,
          updatedAt: d.updated_at,
        });
        byEvent.set(d.event_pk, list);
      }
      return rows.map((r) => ({
        id: r.id,
        siteId: r.site_id,
        eventId: r.event_id,
        eventName: r.event_name,
        eventTime: r.event_time,
        source: r.source,
        receivedAt: r.received_at,
        event: JSON.parse(r.body) as CanonicalEvent,
        deliveries: byEvent.get(r.id) ?? [],
      }));
    });
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

function mapError(err: unknown): unknown {
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
