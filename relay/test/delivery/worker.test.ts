import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canonicalEventSchema, type CanonicalEventInput } from '../../src/contract/event.js';
import { retryDelayMs } from '../../src/delivery/backoff.js';
import { createHttpClient, type HttpClient } from '../../src/delivery/http.js';
import { DeliveryWorker, formatDuration, planDeliveries, type WorkerOptions } from '../../src/delivery/worker.js';
import type { DeliveryOutcome } from '../../src/destinations/types.js';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite.js';
import type { DestinationRecord, EventView } from '../../src/store/types.js';
import { createTestDestination, EMAIL_HASH, makeEvent, type TestDestinationOptions } from '../helpers.js';

const T0 = 1_764_000_000_000;
const T0_S = T0 / 1000;
const TOKEN = 'tok_live_ABCDEFGHIJKLMNOP';

interface Recorded {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A tiny platform on loopback: records requests and answers with `handler`. */
async function startPlatform(handler: (req: Recorded, res: ServerResponse) => void | Promise<void>) {
  const received: Recorded[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const r = { path: req.url ?? '', headers: req.headers, body };
      received.push(r);
      void handler(r, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => (_req: Recorded, res: ServerResponse) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
};

const silentLogger = { info() {}, warn() {}, error() {}, debug() {} };

describe('delivery worker', () => {
  let store: SqliteStore;
  let http: HttpClient;
  let now: number;
  let seq = 0;
  const closers: Array<() => Promise<void>> = [];

  beforeEach(async () => {
    now = T0;
    store = openSqliteStore(':memory:');
    http = createHttpClient({ defaultTimeoutMs: 5_000 });
    await store.upsertSite({ siteId: 's1', secrets: ['k'.repeat(32)] });
  });
  afterEach(async () => {
    for (const c of closers.splice(0)) await c();
    await http.close();
    await store.close();
  });

  async function setup(o: {
    mode?: 'live' | 'dry_run';
    settings?: Record<string, unknown>;
    dest?: TestDestinationOptions;
    worker?: Partial<WorkerOptions>;
    siteId?: string;
    baseUrl?: string;
  } = {}) {
    const td = createTestDestination(o.dest);
    const dest = await store.upsertDestination({
      siteId: o.siteId ?? 's1',
      slug: 'meta',
      enabled: true,
      mode: o.mode ?? 'live',
      settings: o.settings ?? { api_token: TOKEN },
    });
    const worker = new DeliveryWorker({
      store,
      registry: td.registry,
      http,
      logger: silentLogger,
      intervalMs: 20,
      concurrency: 4,
      baseUrls: o.baseUrl ? { meta: o.baseUrl } : {},
      now: () => now,
      random: () => 0.5,
      ...o.worker,
    });
    closers.push(() => worker.stop(1000));
    return { td, dest, worker };
  }

  async function ingest(dest: DestinationRecord, input: Partial<CanonicalEventInput> = {}, siteId = 's1') {
    const event = canonicalEventSchema.parse(makeEvent({ event_time: T0_S - 60, ...input }));
    const plans = planDeliveries(event, [dest], createTestDestination().registry);
    await store.ingest({
      siteId,
      requestId: `request-${++seq}-0000`,
      requestIdExpiresAt: now + 300_000,
      receivedAt: now,
      events: [{ event, deliveries: plans }],
    });
    return event;
  }

  async function delivery(eventId: string) {
    const all: EventView[] = await store.listEvents({ limit: 500 });
    return all.find((e) => e.eventId === eventId)!.deliveries[0]!;
  }

  it('dry_run stores the exact payload and makes no network call', async () => {
    const platform = await startPlatform(reply(200, {}));
    closers.push(platform.close);
    const { td, dest, worker } = await setup({ mode: 'dry_run', baseUrl: platform.url });
    const e = await ingest(dest, { commerce: { value: 42, currency: 'EUR' } });
    await worker.runUntilIdle();
    expect(await delivery(e.event_id)).toMatchObject({
      status: 'dry_run',
      mode: 'dry_run',
      attempts: 0,
      lastError: null,
      payload: { name: 'Lead', id: e.event_id, time: T0_S - 60, em: EMAIL_HASH, value: 42 },
    });
    expect(td.sends).toEqual([]);
    expect(platform.received).toEqual([]);
  });

  it('live sends through the shared client and records delivered with status, attempt and latency', async () => {
    const platform = await startPlatform(reply(200, { events_received: 2 }));
    closers.push(platform.close);
    const { dest, worker } = await setup({ baseUrl: platform.url });
    const a = await ingest(dest);
    const b = await ingest(dest);
    await worker.runUntilIdle();
    expect(platform.received).toHaveLength(1); // one batch
    const req = platform.received[0]!;
    expect(req.path).toBe('/collect');
    expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(JSON.parse(req.body)).toEqual({
      events: [
        { name: 'Lead', id: a.event_id, time: T0_S - 60, em: EMAIL_HASH, value: null },
        { name: 'Lead', id: b.event_id, time: T0_S - 60, em: EMAIL_HASH, value: null },
      ],
    });
    for (const id of [a.event_id, b.event_id]) {
      const d = await delivery(id);
      expect(d).toMatchObject({ status: 'delivered', attempts: 1, lastStatus: 200, lastError: null, payload: { id } });
      expect(d.latencyMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('splits claims into batches of maxBatchSize', async () => {
    const platform = await startPlatform(reply(200, {}));
    closers.push(platform.close);
    const { dest, worker } = await setup({ baseUrl: platform.url, dest: { maxBatchSize: 2 } });
    for (let i = 0; i < 5; i++) await ingest(dest);
    await worker.runUntilIdle();
    expect(platform.received.map((r) => (JSON.parse(r.body) as { events: unknown[] }).events.length)).toEqual([2, 2, 1]);
  });

  it('retries a 5xx with exponential backoff and full jitter, then delivers', async () => {
    let calls = 0;
    const platform = await startPlatform((r, res) => (++calls <= 2 ? reply(503, 'upstream busy')(r, res) : reply(200, {})(r, res)));
    closers.push(platform.close);
    const { dest, worker } = await setup({ baseUrl: platform.url, worker: { backoff: { baseMs: 1000, capMs: 60_000 } } });
    const e = await ingest(dest);

    await worker.runUntilIdle();
    let d = await delivery(e.event_id);
    // attempt 1: random 0.5 × min(cap, 1000 × 2^0)
    expect(d).toMatchObject({ status: 'retry', attempts: 1, lastStatus: 503, lastError: 'upstream busy', nextAttemptAt: T0 + 500 });

    now = T0 + 499;
    await worker.runUntilIdle();
    expect((await delivery(e.event_id)).attempts).toBe(1); // not due yet

    now = T0 + 500;
    await worker.runUntilIdle();
    d = await delivery(e.event_id);
    expect(d).toMatchObject({ status: 'retry', attempts: 2, nextAttemptAt: now + 1000 }); // 0.5 × 2000

    now += 1000;
    await worker.runUntilIdle();
    expect(await delivery(e.event_id)).toMatchObject({ status: 'delivered', attempts: 3, lastStatus: 200, lastError: null });
  });

  it('honours Retry-After as a floor on the delay', async () => {
    const platform = await startPlatform(reply(429, 'slow down', { 'retry-after': '120' }));
    closers.push(platform.close);
    const { dest, worker } = await setup({ baseUrl: platform.url });
    const e = await ingest(dest);
    await worker.runUntilIdle();
    expect(await delivery(e.event_id)).toMatchObject({ status: 'retry', lastStatus: 429, nextAttemptAt: T0 + 120_000 });
  });

  it('a refused payload becomes failed with the platform reason; it is not retried', async () => {
    const platform = await startPlatform(reply(400, '{"error":"event_time is required"}'));
    closers.push(platform.close);
    const { dest, worker } = await setup({ baseUrl: platform.url });
    const e = await ingest(dest);
    await worker.runUntilIdle();
    now += 3_600_000;
    await worker.runUntilIdle();
    expect(platform.received).toHaveLength(1);
    expect(await delivery(e.event_id)).toMatchObject({ status: 'failed', attempts: 1, lastStatus: 400, lastError: '{"error":"event_time is required"}' });
  });

  it('refused credentials fail the batch and park the destination until it is connected again', async () => {
    let ok = false;
    const platform = await startPlatform((r, res) => (ok ? reply(200, {})(r, res) : reply(401, 'invalid token')(r, res)));
    closers.push(platform.close);
    const { dest, worker } = await setup({ baseUrl: platform.url });
    const first = await ingest(dest);
    await worker.runUntilIdle();
    expect(await delivery(first.event_id)).toMatchObject({ status: 'failed', lastStatus: 401, lastError: 'invalid token' });
    const parked = await store.getDestination(dest.id);
    expect(parked!.parkedAt).toBe(T0);
    expect(parked!.parkedReason).toBe('Test Platform refused the credentials: invalid token. Connect meta again with valid credentials.');

    const second = await ingest(dest);
    await worker.runUntilIdle();
    expect(platform.received).toHaveLength(1);
    expect(await delivery(second.event_id)).toMatchObject({ status: 'pending', attempts: 0 });

    ok = true;
    await store.upsertDestination({ siteId: 's1', slug: 'meta', enabled: true, mode: 'live', settings: { api_token: 'tok_new_ABCDEFGHIJ' } });
    await worker.runUntilIdle();
    expect(await delivery(second.event_id)).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(platform.received[1]!.headers.authorization).toBe('Bearer tok_new_ABCDEFGHIJ');
  });

  it('events older than maxEventAgeSeconds become dead letters and are never sent', async () => {
    const platform = await startPlatform(reply(200, {}));
    closers.push(platform.close);
    const { td, dest, worker } = await setup({ baseUrl: platform.url, dest: { maxEventAgeSeconds: 7 * 86_400 } });
    const old = await ingest(dest, { event_time: T0_S - 7 * 86_400 - 3600 });
    const edge = await ingest(dest, { event_time: T0_S - 7 * 86_400 });
    await worker.runUntilIdle();
    expect(await delivery(old.event_id)).toMatchObject({
      status: 'dead',
      attempts: 0,
      lastError: 'event is 7 d 1 h old; Test Platform accepts events up to 7 d old, so it was not sent',
      payload: { id: old.event_id },
    });
    expect(await delivery(edge.event_id)).toMatchObject({ status: 'delivered' });
    expect(td.sends.flat()).toEqual([expect.objectContaining({ id: edge.event_id })]);
  });

  it('a retry that outlives the platform window becomes dead, not sent', async () => {
    const platform = await startPlatform(reply(503, 'down'));
    closers.push(platform.close);
    const { dest, worker } = await setup({ baseUrl: platform.url, dest: { maxEventAgeSeconds: 3600 } });
    const e = await ingest(dest, { event_time: T0_S - 3000 });
    await worker.runUntilIdle();
    expect((await delivery(e.event_id)).status).toBe('retry');
    now = T0 + 700_000;
    await worker.runUntilIdle();
    expect(await delivery(e.event_id)).toMatchObject({ status: 'dead', attempts: 1, lastError: expect.stringMatching(/^event is 1 h 1 min old/) });
    expect(platform.received).toHaveLength(1);
  });

  it('gives up after maxAttempts retryable failures', async () => {
    const { dest, worker } = await setup({
      worker: { maxAttempts: 2 },
      dest: { script: [(p) => p.map(() => ({ kind: 'retry', error: 'timeout' })), (p) => p.map(() => ({ kind: 'retry', error: 'timeout' }))] },
    });
    const e = await ingest(dest);
    await worker.runUntilIdle();
    now += 3_600_000;
    await worker.runUntilIdle();
    expect(await delivery(e.event_id)).toMatchObject({ status: 'dead', attempts: 2, lastError: 'gave up after 2 attempts; last error: timeout', nextAttemptAt: null });
  });

  it('redacts tokens and emails from stored errors and caps them at 2 KB', async () => {
    const echo = `invalid request for token ${TOKEN} from jane.doe@example.com ` + 'x'.repeat(5000);
    const platform = await startPlatform(reply(500, echo));
    closers.push(platform.close);
    const { dest, worker } = await setup({ baseUrl: platform.url });
    const e = await ingest(dest);
    await worker.runUntilIdle();
    const d = await delivery(e.event_id);
    expect(d.status).toBe('retry');
    expect(d.lastError).not.toContain(TOKEN);
    expect(d.lastError).not.toContain('jane.doe@example.com');
    expect(d.lastError).toMatch(/^invalid request for token \[redacted\] from \[email\] x+…\[truncated\]$/);
    expect(Buffer.byteLength(d.lastError!, 'utf8')).toBeLessThanOrEqual(2048);
  });

  it('isolates a bad event on an all-or-nothing platform by bisecting the batch', async () => {
    const bad = 'bad-event-id-1';
    const judge = (p: unknown[]): DeliveryOutcome[] =>
      p.some((x) => (x as { id: string }).id === bad)
        ? p.map(() => ({ kind: 'drop', status: 400, error: 'invalid parameter' }))
        : p.map(() => ({ kind: 'delivered', status: 200 }));
    const { td, dest, worker } = await setup({ dest: { batchRejection: 'all-or-nothing', script: Array.from({ length: 10 }, () => judge) } });
    const ids = [await ingest(dest), await ingest(dest, { event_id: bad }), await ingest(dest), await ingest(dest)].map((e) => e.event_id);
    await worker.runUntilIdle();
    const statuses = await Promise.all(ids.map(async (id) => (await delivery(id)).status));
    expect(statuses).toEqual(['delivered', 'failed', 'delivered', 'delivered']);
    expect(td.sends.map((s) => s.length)).toEqual([4, 2, 1, 1, 2]);
  });

  it('defer keeps the row open until the platform wants it, without counting an attempt', async () => {
    const { dest, worker } = await setup({ dest: { script: [(p) => p.map(() => ({ kind: 'defer', untilMs: T0 + 6 * 3_600_000, reason: 'conversion too recent' }))] } });
    const e = await ingest(dest);
    await worker.runUntilIdle();
    expect(await delivery(e.event_id)).toMatchObject({ status: 'pending', attempts: 0, nextAttemptAt: T0 + 6 * 3_600_000, lastError: 'waiting: conversion too recent' });
  });

  it('mapping failures are recorded as failed with the reason; send exceptions become retries', async () => {
    const { dest, worker } = await setup({ dest: { script: [() => { throw new Error('socket hang up'); }] } });
    const noValue = await ingest(dest, { event_name: 'purchase', commerce: { currency: 'EUR' } });
    const lead = await ingest(dest);
    await worker.runUntilIdle();
    expect(await delivery(noValue.event_id)).toMatchObject({ status: 'failed', attempts: 0, lastError: 'could not build the Test Platform payload: purchase needs commerce.value' });
    expect(await delivery(lead.event_id)).toMatchObject({ status: 'retry', attempts: 1, lastError: 'sending to Test Platform failed: socket hang up' });
  });

  it('invalid stored settings park the destination and leave its rows pending', async () => {
    const { dest, worker } = await setup({ settings: { api_token: 'short' } });
    const e = await ingest(dest);
    await worker.runUntilIdle();
    expect(await delivery(e.event_id)).toMatchObject({ status: 'pending', attempts: 0 });
    expect((await store.getDestination(dest.id))!.parkedReason).toMatch(/^Test Platform settings are invalid \(api_token: .*\); connect meta again/);
  });

  it('a slow destination does not hold up another', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    closers.push(async () => release());
    await store.upsertSite({ siteId: 's2', secrets: ['k'.repeat(32)] });
    const td = createTestDestination();
    const slowDest = await store.upsertDestination({ siteId: 's1', slug: 'meta', enabled: true, mode: 'live', settings: { api_token: TOKEN, endpoint: '/slow' } });
    const fastDest = await store.upsertDestination({ siteId: 's2', slug: 'meta', enabled: true, mode: 'live', settings: { api_token: TOKEN, endpoint: '/fast' } });
    // One platform origin; the two destinations post to different paths, one of which hangs.
    const router = await startPlatform(async (r, res) => {
      if (r.path === '/slow') await gate;
      reply(200, {})(r, res);
    });
    closers.push(router.close);
    const worker = new DeliveryWorker({ store, registry: td.registry, http, logger: silentLogger, intervalMs: 20, concurrency: 4, baseUrls: { meta: router.url }, now: () => now });
    closers.unshift(() => worker.stop(1000));
    const s = await ingest(slowDest);
    const f = await ingest(fastDest, {}, 's2');
    worker.start();
    await expect.poll(async () => (await delivery(f.event_id)).status, { timeout: 5000 }).toBe('delivered');
    expect((await delivery(s.event_id)).status).toBe('pending'); // still in flight
    release();
    await expect.poll(async () => (await delivery(s.event_id)).status, { timeout: 5000 }).toBe('delivered');
  });

  it('stop() waits for an in-flight batch to finish and record its outcome', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const platform = await startPlatform(async (r, res) => {
      await gate;
      reply(200, {})(r, res);
    });
    closers.push(platform.close);
    const { dest, worker } = await setup({ baseUrl: platform.url });
    const e = await ingest(dest);
    worker.start();
    await expect.poll(() => platform.received.length, { timeout: 5000 }).toBe(1);
    const stopped = worker.stop(5000);
    setTimeout(release, 100);
    await stopped;
    expect((await delivery(e.event_id)).status).toBe('delivered');
  });
});

describe('planDeliveries', () => {
  const td = createTestDestination();
  const dest = (o: Partial<DestinationRecord>): DestinationRecord => ({
    id: 1, siteId: 's1', slug: 'meta', enabled: true, mode: 'live', settings: {}, parkedAt: null, parkedReason: null, createdAt: 0, updatedAt: 0, ...o,
  });
  it('maps by the default event map, skips unmapped names and disabled destinations', () => {
    expect(planDeliveries({ event_name: 'lead' }, [dest({})], td.registry)).toEqual([{ destinationId: 1, status: 'pending', platformEventName: 'Lead' }]);
    expect(planDeliveries({ event_name: 'custom:quiz_done' }, [dest({})], td.registry)).toEqual([
      { destinationId: 1, status: 'skipped', platformEventName: null, reason: 'Test Platform has no mapping for "custom:quiz_done"; the event is stored but not forwarded' },
    ]);
    expect(planDeliveries({ event_name: 'lead' }, [dest({ enabled: false })], td.registry)).toEqual([]);
    expect(planDeliveries({ event_name: 'lead' }, [dest({})], {})[0]).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/no destination named "meta"/) });
  });
});

describe('backoff', () => {
  it('grows exponentially up to the cap, with full jitter', () => {
    const o = { baseMs: 1000, capMs: 10_000 };
    expect(retryDelayMs(1, undefined, o, () => 0.999)).toBe(999);
    expect(retryDelayMs(3, undefined, o, () => 0.5)).toBe(2000);
    expect(retryDelayMs(10, undefined, o, () => 0.5)).toBe(5000);
    expect(retryDelayMs(10, undefined, o, () => 0)).toBe(0);
    expect(retryDelayMs(1, 30_000, o, () => 0.1)).toBe(30_000);
  });
  it('formats durations for reasons', () => {
    expect([formatDuration(40), formatDuration(3660), formatDuration(7 * 86_400), formatDuration(90_000)]).toEqual(['40 s', '1 h 1 min', '7 d', '1 d 1 h']);
  });
});
