/**
 * The delivery worker: drains the ledger (one `deliveries` row per event and destination).
 *
 * - Ingest calls `planDeliveries` so each new event gets its rows in the same transaction that
 *   stores it: an acknowledged event can never exist without its deliveries.
 * - A scheduler tick finds destinations with due rows and starts one drain loop per destination,
 *   at most `concurrency` at a time, so a slow or dead platform holds one slot and never delays
 *   another platform's deliveries.
 * - A drain claims due rows with a lease (atomic in the store), maps them with the destination's
 *   pure `map`, then either records the payload without any network call (`dry_run`: merchants
 *   preview exactly what a platform would receive) or sends it (`live`) and records every
 *   outcome. A crash mid-send leaves the lease to expire and the row is sent again: delivery is
 *   at-least-once, made safe by each platform's dedup on event_id.
 */
import type { BaseLogger } from 'pino';
import type { CanonicalEvent, StandardEventName } from '../contract/event.js';
import type { DestinationRegistry } from '../destinations/registry.js';
import { secretValues } from '../destinations/secrets.js';
import type { DeliveryOutcome, Destination, DestinationSlug } from '../destinations/types.js';
import { describeIssues } from '../ingest/issues.js';
import { redactText } from '../logging.js';
import type {
  ClaimedDelivery,
  DeliveryPlan,
  DeliveryUpdate,
  DestinationRecord,
  Store,
} from '../store/types.js';
import { DEFAULT_BACKOFF, retryDelayMs, type BackoffOptions } from './backoff.js';
import type { HttpClient } from './http.js';

/**
 * Decides, at ingest, which delivery rows a new event gets: one per enabled destination of its
 * site, `pending` when the destination's event map names it, else `skipped` with the reason.
 */
export function planDeliveries(
  event: Pick<CanonicalEvent, 'event_name'>,
  siteDestinations: readonly DestinationRecord[],
  registry: Partial<DestinationRegistry>,
): DeliveryPlan[] {
  const plans: DeliveryPlan[] = [];
  for (const d of siteDestinations) {
    if (!d.enabled) continue;
    const impl = registry[d.slug];
    if (!impl) {
      plans.push({
        destinationId: d.id,
        status: 'skipped',
        platformEventName: null,
        reason: `this relay has no destination named "${d.slug}"; upgrade the relay or remove the connection`,
      });
      continue;
    }
    const name = impl.defaultEventMap[event.event_name as StandardEventName];
    if (name === undefined) {
      plans.push({
        destinationId: d.id,
        status: 'skipped',
        platformEventName: null,
        reason: `${impl.label} has no mapping for "${event.event_name}"; the event is stored but not forwarded`,
      });
    } else {
      plans.push({ destinationId: d.id, status: 'pending', platformEventName: name });
    }
  }
  return plans;
}

export type WorkerLogger = Pick<BaseLogger, 'info' | 'warn' | 'error' | 'debug'>;

export interface WorkerOptions {
  store: Store;
  registry: Partial<DestinationRegistry>;
  http: HttpClient;
  logger: WorkerLogger;
  /** How often the scheduler looks for due rows when nothing kicked it. */
  intervalMs: number;
  /** Most destinations delivering at once. */
  concurrency: number;
  /** How long a claim holds before another worker may retake the rows; must exceed a send's timeout. */
  leaseMs?: number;
  /** API origin overrides per destination (fake servers in tests). */
  baseUrls?: Partial<Record<DestinationSlug, string>>;
  backoff?: BackoffOptions;
  /** After this many failed attempts a retryable failure becomes `dead`. */
  maxAttempts?: number;
  now?: () => number;
  random?: () => number;
}

const DEFAULT_LEASE_MS = 120_000;
const DEFAULT_MAX_ATTEMPTS = 20;

export class DeliveryWorker {
  private readonly running = new Map<number, Promise<void>>();
  /** Per-destination memory handed to `send` (cached OAuth tokens and the like). */
  private readonly destState = new Map<number, Map<string, unknown>>();
  private readonly abort = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private kicked = false;
  private stopping = false;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly opts: WorkerOptions) {
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
  }

  start(): void {
    if (this.timer || this.stopping) return;
    this.timer = setInterval(() => this.kick(), this.opts.intervalMs);
    this.timer.unref();
    this.kick();
  }

  /** Asks for a scheduler pass soon (after ingest accepted events). Cheap to call often. */
  kick(): void {
    if (this.stopping || this.kicked) return;
    this.kicked = true;
    setImmediate(() => {
      this.kicked = false;
      void this.tick();
    });
  }

  /** One scheduler pass: starts a drain for each due destination without one, up to the cap. */
  tick(): Promise<void> {
    this.ticking ??= this.schedule().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  private async schedule(): Promise<void> {
    if (this.stopping) return;
    let due: number[];
    try {
      due = await this.opts.store.dueDestinationIds(this.now());
    } catch (err) {
      this.opts.logger.error({ err }, 'delivery scheduler could not read the store');
      return;
    }
    for (const id of due) {
      if (this.running.has(id)) continue;
      if (this.running.size >= this.opts.concurrency) break;
      const p = this.drain(id)
        .catch((err: unknown) => this.opts.logger.error({ err, destinationId: id }, 'delivery loop failed'))
        .finally(() => {
          this.running.delete(id);
          // A freed slot may let a destination that waited for one start now.
          this.kick();
        });
      this.running.set(id, p);
    }
  }

  /**
   * Delivers everything due now, then resolves (tests and tools; the server uses start()).
   * Rows scheduled for later (retries) are left for later.
   */
  async runUntilIdle(): Promise<void> {
    for (;;) {
      await this.tick();
      if (this.running.size === 0) {
        const due = await this.opts.store.dueDestinationIds(this.now());
        if (due.length === 0) return;
      }
      await Promise.all(this.running.values());
    }
  }

  /** Stops scheduling and waits for in-flight batches; aborts them after `timeoutMs`. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
    const all = Promise.all(this.running.values());
    let t: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      t = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    if ((await Promise.race([all, timedOut])) === 'timeout') {
      this.opts.logger.warn({ timeoutMs }, 'deliveries still running at shutdown; aborting them (they will be retried)');
      this.abort.abort();
      await all;
    }
    clearTimeout(t);
  }

  private async drain(destinationId: number): Promise<void> {
    while (!this.stopping) {
      const dest = await this.opts.store.getDestination(destinationId);
      if (!dest || !dest.enabled || dest.parkedAt !== null) return;
      const impl = this.opts.registry[dest.slug];
      const claimed = await this.opts.store.claimDeliveries(destinationId, {
        now: this.now(),
        limit: impl?.maxBatchSize ?? 100,
        leaseMs: this.opts.leaseMs ?? DEFAULT_LEASE_MS,
      });
      if (claimed.length === 0) return;
      await this.processBatch(dest, impl, claimed);
    }
  }

  private async processBatch(
    dest: DestinationRecord,
    impl: Destination<unknown> | undefined,
    rows: ClaimedDelivery[],
  ): Promise<void> {
    const { store, logger } = this.opts;
    const now = this.now();
    const settle = (row: ClaimedDelivery, u: Omit<DeliveryUpdate, 'id' | 'leaseToken'>): DeliveryUpdate => ({
      id: row.id,
      leaseToken: row.leaseToken,
      ...u,
    });
    const final = (row: ClaimedDelivery, status: DeliveryUpdate['status'], lastError: string | null, payload?: unknown) =>
      settle(row, { status, attempts: row.attempts, nextAttemptAt: null, lastStatus: null, lastError, payload, latencyMs: null });

    if (!impl) {
      const reason = `this relay has no destination named "${dest.slug}"; upgrade the relay or remove the connection`;
      await store.completeDeliveries(rows.map((r) => final(r, 'failed', reason)), now);
      return;
    }
    const parsed = impl.settings.safeParse(dest.settings);
    if (!parsed.success) {
      const reason = `${impl.label} settings are invalid (${describeIssues(parsed.error)}); connect ${dest.slug} again with correct values`;
      await store.parkDestination(dest.id, reason, now);
      await store.releaseDeliveries(rows);
      logger.warn({ destinationId: dest.id, slug: dest.slug, reason }, 'destination parked');
      return;
    }
    const settings = parsed.data;
    const secrets = secretValues(impl.settings, settings);
    const clean = (text: string) => redactText(text, secrets);

    const updates: DeliveryUpdate[] = [];
    const toSend: Array<{ row: ClaimedDelivery; payload: unknown }> = [];
    for (const row of rows) {
      const mapped = row.platformEventName
        ? safeMap(impl, row.event, { settings, platformEventName: row.platformEventName, now: Math.floor(now / 1000) })
        : ({ ok: false, skip: true, reason: `${impl.label} has no mapping for "${row.event.event_name}"` } as const);
      const ageSeconds = Math.floor(now / 1000) - row.event.event_time;
      if (ageSeconds > impl.maxEventAgeSeconds) {
        // Platforms reject (Meta: the whole batch) events older than their window, so an old
        // event is recorded as a dead letter and never sent. The payload is kept for inspection.
        const reason = `event is ${formatDuration(ageSeconds)} old; ${impl.label} accepts events up to ${formatDuration(impl.maxEventAgeSeconds)} old, so it was not sent`;
        updates.push(final(row, 'dead', reason, mapped.ok ? mapped.payload : undefined));
      } else if (!mapped.ok && mapped.skip) {
        updates.push(final(row, 'skipped', clean(mapped.reason)));
      } else if (!mapped.ok) {
        updates.push(final(row, 'failed', clean(`could not build the ${impl.label} payload: ${mapped.reason}`)));
      } else if (dest.mode === 'dry_run') {
        updates.push(final(row, 'dry_run', null, mapped.payload));
      } else {
        toSend.push({ row, payload: mapped.payload });
      }
    }

    if (toSend.length > 0) {
      const state = this.destState.get(dest.id) ?? new Map<string, unknown>();
      this.destState.set(dest.id, state);
      const started = performance.now();
      const outcomes = await this.sendBisecting(impl, toSend.map((s) => s.payload), {
        settings,
        http: this.opts.http,
        baseUrl: this.opts.baseUrls?.[dest.slug],
        signal: this.abort.signal,
        state,
        nowMs: now,
      });
      const latencyMs = performance.now() - started;
      let parkReason: string | undefined;
      toSend.forEach(({ row, payload }, i) => {
        const o = outcomes[i]!;
        updates.push(settle(row, this.applyOutcome(row, o, payload, latencyMs, now, clean)));
        if (o.kind === 'auth') parkReason ??= clean(`${impl.label} refused the credentials: ${o.error}. Connect ${dest.slug} again with valid credentials.`);
      });
      if (parkReason !== undefined) {
        await store.parkDestination(dest.id, parkReason, now);
        logger.warn({ destinationId: dest.id, slug: dest.slug, reason: parkReason }, 'destination parked');
      }
    }

    const unsent = updates.filter((u) => u.status === 'retry' || u.status === 'failed' || u.status === 'dead');
    if (unsent.length > 0) {
      // One line per batch, with one sample reason (already redacted), so an outage is visible
      // in the logs without flooding them.
      logger.warn(
        { destinationId: dest.id, slug: dest.slug, count: unsent.length, status: unsent[0]!.status, lastStatus: unsent[0]!.lastStatus, reason: unsent[0]!.lastError },
        'deliveries not accepted',
      );
    }
    const n = await store.completeDeliveries(updates, this.now());
    if (n < updates.length) {
      // Our lease ran out and another worker took the rows; its outcome wins.
      logger.warn({ destinationId: dest.id, lost: updates.length - n }, 'delivery lease expired before the outcome was recorded');
    }
    logger.debug({ destinationId: dest.id, slug: dest.slug, rows: rows.length, sent: toSend.length }, 'delivery batch done');
  }

  private applyOutcome(
    row: ClaimedDelivery,
    o: DeliveryOutcome,
    payload: unknown,
    latencyMs: number,
    now: number,
    clean: (s: string) => string,
  ): Omit<DeliveryUpdate, 'id' | 'leaseToken'> {
    const attempts = row.attempts + 1;
    const base = { attempts, payload, latencyMs, nextAttemptAt: null };
    switch (o.kind) {
      case 'delivered':
        return { ...base, status: 'delivered', lastStatus: o.status, lastError: null };
      case 'drop':
        return { ...base, status: 'failed', lastStatus: o.status ?? null, lastError: clean(o.error) };
      case 'auth':
        return { ...base, status: 'failed', lastStatus: o.status ?? null, lastError: clean(o.error) };
      case 'retry': {
        const maxAttempts = this.opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
        if (attempts >= maxAttempts) {
          return { ...base, status: 'dead', lastStatus: o.status ?? null, lastError: clean(`gave up after ${attempts} attempts; last error: ${o.error}`) };
        }
        const delay = retryDelayMs(attempts, o.retryAfterMs, this.opts.backoff ?? DEFAULT_BACKOFF, this.random);
        return { ...base, status: 'retry', nextAttemptAt: now + delay, lastStatus: o.status ?? null, lastError: clean(o.error) };
      }
      case 'defer':
        // Not an attempt: the platform wants it later. Keep the row open and its attempt count.
        return {
          status: row.status,
          attempts: row.attempts,
          nextAttemptAt: Math.max(o.untilMs, now + 1),
          lastStatus: null,
          lastError: clean(`waiting: ${o.reason}`),
          payload,
          latencyMs,
        };
    }
  }

  /**
   * Sends a batch. On an all-or-nothing platform (one bad event fails the whole request) a batch
   * refused as a whole is split in halves and resent, so the bad events are isolated and the good
   * ones still go through.
   */
  private async sendBisecting(
    impl: Destination<unknown>,
    payloads: unknown[],
    ctx: Parameters<Destination<unknown>['send']>[1],
  ): Promise<DeliveryOutcome[]> {
    const outcomes = await this.safeSend(impl, payloads, ctx);
    if (impl.batchRejection !== 'all-or-nothing' || payloads.length < 2) return outcomes;
    if (!outcomes.every((o) => o.kind === 'drop')) return outcomes;
    const mid = Math.ceil(payloads.length / 2);
    const left = await this.sendBisecting(impl, payloads.slice(0, mid), ctx);
    const right = await this.sendBisecting(impl, payloads.slice(mid), ctx);
    return [...left, ...right];
  }

  /** `send` must not throw, but if it does (a bug, an abort) every event is retried. */
  private async safeSend(
    impl: Destination<unknown>,
    payloads: unknown[],
    ctx: Parameters<Destination<unknown>['send']>[1],
  ): Promise<DeliveryOutcome[]> {
    try {
      const out = await impl.send(payloads, ctx);
      if (out.length === payloads.length) return out;
      const error = `${impl.label} returned ${out.length} outcomes for ${payloads.length} events (relay bug); retrying`;
      this.opts.logger.error({ slug: impl.slug }, error);
      return payloads.map(() => ({ kind: 'retry', error }));
    } catch (err) {
      const error = `sending to ${impl.label} failed: ${err instanceof Error ? err.message : String(err)}`;
      return payloads.map(() => ({ kind: 'retry', error }));
    }
  }
}

/** `map` is pure and must not throw; a throw is reported as a mapping failure, not a crash. */
function safeMap(
  impl: Destination<unknown>,
  event: CanonicalEvent,
  ctx: Parameters<Destination<unknown>['map']>[1],
): ReturnType<Destination<unknown>['map']> {
  try {
    return impl.map(event, ctx);
  } catch (err) {
    return { ok: false, skip: false, reason: err instanceof Error ? err.message : String(err) };
  }
}

/** "3 d 4 h", "5 h 2 min", "40 s": precise enough for a merchant reading a reason. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return h > 0 ? `${d} d ${h} h` : `${d} d`;
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  if (m > 0) return `${m} min`;
  return `${s} s`;
}
