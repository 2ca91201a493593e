/**
 * The delivery worker: drains the ledger (one `deliveries` row per event and destination).
 *
 * - Ingest calls `planDeliveries` so each new event gets its rows in the same transaction that
 *   stores it: an acknowledged event can never exist without its deliveries.
 * - A scheduler tick finds destinations with due rows and starts drain loops for them: at most
 *   `perDestinationConcurrency` per destination and `concurrency` in all, every due destination
 *   getting its first loop before any gets a second. A slow or dead platform therefore holds
 *   only its own slots and never delays another platform's deliveries.
 * - A drain claims due rows with a lease (atomic in the store). At send time, per row, it
 *   resolves the event name through the site's event map, asks the consent gate (the event's
 *   consent snapshot and the site policy, src/pipeline/consent.ts), maps with the destination's
 *   pure `map` (given ctx.privacy), then either records the payload without any network call
 *   (`dry_run`: merchants preview exactly what a platform would receive) or sends it (`live`)
 *   and records each event's own outcome: only the events that failed are retried.
 * - A crash mid-send (kill -9) leaves the lease to expire and the row is claimed and sent again:
 *   delivery is at-least-once, made safe by each platform's dedup on event_id.
 * - stop() stops claiming, lets in-flight batches finish and record their outcomes, and aborts
 *   them only after its timeout (they are then retried).
 */
import type { BaseLogger } from 'pino';
import type { CanonicalEvent } from '../contract/event.js';
import type { DestinationRegistry } from '../destinations/registry.js';
import { secretValues } from '../destinations/secrets.js';
import type { DeliveryOutcome, Destination, DestinationSlug } from '../destinations/types.js';
import { describeIssues } from '../ingest/issues.js';
import { redactText } from '../logging.js';
import { consentGate } from '../pipeline/consent.js';
import { resolveEventName } from '../pipeline/event-map.js';
import type { ClaimedDelivery, DeliveryUpdate, DestinationRecord, Store } from '../store/types.js';
import { DEFAULT_BACKOFF, retryDelayMs, type BackoffOptions } from './backoff.js';
import type { HttpClient } from './http.js';
import type { DeliveryMetrics } from '../metrics/metrics.js';

/** Planning moved to the pipeline; re-exported for existing callers. */
export { planDeliveries } from '../pipeline/event-map.js';

export type WorkerLogger = Pick<BaseLogger, 'info' | 'warn' | 'error' | 'debug'>;

export interface WorkerOptions {
  store: Store;
  registry: Partial<DestinationRegistry>;
  http: HttpClient;
  logger: WorkerLogger;
  /** How often the scheduler looks for due rows when nothing kicked it. */
  intervalMs: number;
  /** Most drain loops (batches in flight) at once, over all destinations. */
  concurrency: number;
  /** Most batches one destination may have in flight at once (default 1). */
  perDestinationConcurrency?: number;
  /** How long a claim holds before another worker may retake the rows; must exceed a send's timeout. */
  leaseMs?: number;
  /** API origin overrides per destination (fake servers in tests). */
  baseUrls?: Partial<Record<DestinationSlug, string>>;
  backoff?: BackoffOptions;
  /** After this many failed attempts a retryable failure becomes `dead`. */
  maxAttempts?: number;
  now?: () => number;
  random?: () => number;
  /** Prometheus counters and latency histogram (src/metrics). */
  metrics?: DeliveryMetrics;
}

const DEFAULT_LEASE_MS = 120_000;
const DEFAULT_MAX_ATTEMPTS = 20;

export class DeliveryWorker {
  /** In-flight drain loops per destination id. */
  private readonly running = new Map<number, Set<Promise<void>>>();
  private runningCount = 0;
  /**
   * Destinations that answered with Retry-After (rate limited, overloaded): no batch of theirs
   * is sent before this time (ms), so other rows do not keep hitting a platform that asked for a
   * pause. In memory: after a restart the rows' own next_attempt_at still holds.
   */
  private readonly pausedUntil = new Map<number, number>();
  /** Per-destination memory handed to `send` (cached OAuth tokens and the like). */
  private readonly destState = new Map<number, Map<string, unknown>>();
  private readonly abort = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  /** One pending delayed kick (the earliest asked for). */
  private delayed: { timer: NodeJS.Timeout; at: number } | undefined;
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

  /**
   * Asks for a scheduler pass in `delayMs` (new events held for the merge window become due
   * then). Coalesced: only the earliest pending request keeps a timer; the interval covers the rest.
   */
  kickAfter(delayMs: number): void {
    if (this.stopping) return;
    const at = Date.now() + delayMs;
    if (this.delayed && this.delayed.at <= at) return;
    if (this.delayed) clearTimeout(this.delayed.timer);
    const timer = setTimeout(() => {
      this.delayed = undefined;
      this.kick();
    }, delayMs);
    timer.unref();
    this.delayed = { timer, at };
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
      due = await this.dueNow();
    } catch (err) {
      this.opts.logger.error({ err }, 'delivery scheduler could not read the store');
      return;
    }
    if (this.stopping) return;
    const cap = this.opts.concurrency;
    const perDestination = Math.max(1, this.opts.perDestinationConcurrency ?? 1);
    // Every due destination gets its first loop before any gets a second.
    for (const id of due) {
      if (this.runningCount >= cap) return;
      if ((this.running.get(id)?.size ?? 0) === 0) this.startDrain(id);
    }
    // Extra loops for destinations with more due work, leaving half the slots for first loops
    // of destinations that become due later, so busy or slow platforms cannot take them all.
    const extraCap = Math.max(1, Math.floor(cap / 2));
    for (const id of due) {
      while ((this.running.get(id)?.size ?? 0) < perDestination && this.runningCount < extraCap) this.startDrain(id);
    }
  }

  private startDrain(id: number): void {
    const loops = this.running.get(id) ?? new Set<Promise<void>>();
    this.running.set(id, loops);
    this.runningCount++;
    const p: Promise<void> = this.drain(id)
      .catch((err: unknown) => this.opts.logger.error({ err, destinationId: id }, 'delivery loop failed'))
      .finally(() => {
        loops.delete(p);
        if (loops.size === 0) this.running.delete(id);
        this.runningCount--;
        // A freed slot may let a destination that waited for one start now.
        this.kick();
      });
    loops.add(p);
  }

  private isPaused(destinationId: number): boolean {
    const until = this.pausedUntil.get(destinationId);
    if (until === undefined) return false;
    if (this.now() < until) return true;
    this.pausedUntil.delete(destinationId);
    return false;
  }

  /** Destinations with due rows that have not asked for a pause. */
  private async dueNow(): Promise<number[]> {
    return (await this.opts.store.dueDestinationIds(this.now())).filter((id) => !this.isPaused(id));
  }

  private inFlight(): Promise<void>[] {
    return [...this.running.values()].flatMap((loops) => [...loops]);
  }

  /**
   * Delivers everything due now, then resolves (tests and tools; the server uses start()).
   * Rows scheduled for later (retries) are left for later.
   */
  async runUntilIdle(): Promise<void> {
    for (;;) {
      await this.tick();
      if (this.runningCount === 0) {
        const due = await this.dueNow();
        if (due.length === 0) return;
      }
      await Promise.all(this.inFlight());
    }
  }

  /** Stops scheduling and waits for in-flight batches; aborts them after `timeoutMs`. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.delayed) clearTimeout(this.delayed.timer);
    this.delayed = undefined;
    await this.ticking;
    const all = Promise.all(this.inFlight());
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
    while (!this.stopping && !this.isPaused(destinationId)) {
      const dest = await this.opts.store.getDestination(destinationId);
      if (!dest || !dest.enabled || dest.parkedAt !== null) return;
      const impl = this.opts.registry[dest.slug];
      const claimed = await this.opts.store.claimDeliveries(destinationId, {
        now: this.now(),
        limit: impl?.maxBatchSize ?? 100,
        leaseMs: this.opts.leaseMs ?? DEFAULT_LEASE_MS,
      });
      if (claimed.length === 0) return;
      try {
        await this.processBatch(dest, impl, claimed);
      } catch (err) {
        // Not a platform outcome but our own failure (the store, a bug): give the rows back
        // rather than leaving them leased until the lease expires.
        await this.opts.store.releaseDeliveries(claimed).catch(() => undefined);
        throw err;
      }
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
    const final = (
      row: ClaimedDelivery,
      status: DeliveryUpdate['status'],
      lastError: string | null,
      payload?: unknown,
      platformEventName?: string | null,
    ) =>
      settle(row, { status, attempts: row.attempts, nextAttemptAt: null, lastStatus: null, lastError, payload, latencyMs: null, platformEventName });

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

    // Decided at send time, not at ingest: a policy change applies to every delivery not yet sent.
    const policy = await store.getSitePolicy(dest.siteId);

    const updates: DeliveryUpdate[] = [];
    const toSend: Array<{ row: ClaimedDelivery; payload: unknown; platformEventName: string }> = [];
    for (const row of rows) {
      // The event map again: the site's overrides may have changed since ingest.
      const named = resolveEventName(row.event.event_name, impl, dest.eventMap);
      if (!named.ok) {
        updates.push(final(row, 'skipped', named.reason, undefined, null));
        continue;
      }
      const renamed = named.name !== row.platformEventName ? named.name : undefined;
      const gate = consentGate(row.event, dest.slug, impl.label, policy);
      if (!gate.send) {
        updates.push(final(row, 'skipped', gate.reason, undefined, renamed));
        continue;
      }
      const mapped = safeMap(impl, row.event, { settings, platformEventName: named.name, now: Math.floor(now / 1000), privacy: gate.privacy });
      const ageSeconds = Math.floor(now / 1000) - row.event.event_time;
      if (ageSeconds > impl.maxEventAgeSeconds) {
        // Platforms reject (Meta: the whole batch) events older than their window, so an old
        // event is recorded as a dead letter and never sent. The payload is kept for inspection.
        const reason = `event is ${formatDuration(ageSeconds)} old; ${impl.label} accepts events up to ${formatDuration(impl.maxEventAgeSeconds)} old, so it was not sent`;
        updates.push(final(row, 'dead', reason, mapped.ok ? mapped.payload : undefined, renamed));
      } else if (!mapped.ok && mapped.skip) {
        updates.push(final(row, 'skipped', clean(mapped.reason), undefined, renamed));
      } else if (!mapped.ok) {
        updates.push(final(row, 'failed', clean(`could not build the ${impl.label} payload: ${mapped.reason}`), undefined, renamed));
      } else if (dest.mode === 'dry_run') {
        updates.push(final(row, 'dry_run', null, mapped.payload, renamed));
      } else {
        toSend.push({ row, payload: mapped.payload, platformEventName: named.name });
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
      this.opts.metrics?.observeSend(dest.slug, latencyMs / 1000);
      // Retry-After pauses the whole destination, not only the rows that got it.
      const pauseMs = Math.max(0, ...outcomes.map((o) => (o.kind === 'retry' ? (o.retryAfterMs ?? 0) : 0)));
      if (pauseMs > 0) this.pausedUntil.set(dest.id, Math.max(this.pausedUntil.get(dest.id) ?? 0, now + pauseMs));
      let parkReason: string | undefined;
      toSend.forEach(({ row, payload, platformEventName }, i) => {
        const o = outcomes[i]!;
        const renamed = platformEventName !== row.platformEventName ? platformEventName : undefined;
        updates.push(settle(row, { ...this.applyOutcome(row, o, payload, latencyMs, now, clean), platformEventName: renamed }));
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
    this.opts.metrics?.countOutcomes(dest.slug, updates.map((u) => u.status));
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
