import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventMapTable, type IngestResponse, type VerifiedIngest } from '../../src/ingest/process.js';
import { IngestThread } from '../../src/ingest/thread.js';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite.js';
import { createTestDestination, makeEvent, tempDir } from '../helpers.js';

const SETTINGS = { mergeWindowMs: 0, dedupWindowMs: 7 * 86_400_000, rateLimit: { eventsPerSecond: 0, burst: 1000 } };

describe('ingest thread', () => {
  let t: ReturnType<typeof tempDir>;
  let file: string;
  let store: SqliteStore;
  let thread: IngestThread | undefined;
  const errors: unknown[] = [];

  const start = (settings = SETTINGS) =>
    (thread = new IngestThread({ file, settings, eventMaps: eventMapTable(createTestDestination().registry) }, (err) => errors.push(err)));
  const request = (requestId: string, siteId = 's1', events: unknown[] = [makeEvent()]): VerifiedIngest => ({
    siteId,
    requestId,
    requestIdExpiresAt: Date.now() + 300_000,
    receivedAt: Date.now(),
    body: JSON.stringify({ events }),
  });
  const countEvents = () => {
    const db = new Database(file, { readonly: true });
    try {
      return (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };

  beforeEach(async () => {
    t = tempDir();
    file = path.join(t.dir, 'relay.sqlite');
    store = openSqliteStore(file);
    await store.upsertSite({ siteId: 's1', secrets: ['k'.repeat(32)] });
    errors.length = 0;
  });
  afterEach(async () => {
    await thread?.close();
    thread = undefined;
    await store.close();
    t.cleanup();
  });

  it('requests of one turn share a commit, a failing one fails alone, and each answer waits for the commit', async () => {
    const th = start();
    // The middle request names a site the store does not have: its insert fails (foreign key).
    const answers = await Promise.all(['request-a001', 'request-b001', 'request-c001'].map((id, i) => th.process(request(id, i === 1 ? 'no-such-site' : 's1'))));
    expect(answers.map((a) => a.status)).toEqual([202, 500, 202]);
    expect(answers[1]).toMatchObject({ body: { error: 'internal_error' }, failure: { message: expect.stringMatching(/FOREIGN KEY/) } });
    expect((answers[0]!.body as IngestResponse).results).toEqual([expect.objectContaining({ status: 'accepted' })]);
    // Answered means committed: another connection sees both at once.
    expect(countEvents()).toBe(2);
    // The same request id again: refused as a replay, by the commit itself.
    expect(await th.process(request('request-a001'))).toMatchObject({ status: 409, body: { error: 'replayed_request' } });
  });

  it('validates and rate-limits on the thread, with the same answers as the main thread', async () => {
    const th = start({ ...SETTINGS, rateLimit: { eventsPerSecond: 1, burst: 2 } });
    const bad = await th.process({ ...request('request-bad1'), body: '{"events": [' });
    expect(bad).toMatchObject({ status: 400, body: { error: 'invalid_json' } });
    const mixed = await th.process(request('request-mix1', 's1', [makeEvent(), { event_name: 'lead' }]));
    expect(mixed.status).toBe(202);
    expect(mixed.body).toMatchObject({ accepted: 1, rejected: 1, results: [{ status: 'accepted' }, { status: 'rejected', reason: expect.stringMatching(/event_id/) }] });
    // The burst of 2 is spent: the next event waits.
    expect(await th.process(request('request-lim1'))).toMatchObject({ status: 429, retryAfterSeconds: 1, body: { error: 'rate_limited' } });
    expect(countEvents()).toBe(1);
  });

  it('plans deliveries with a destination added by another connection just before', async () => {
    const th = start();
    // The thread has read (and cached) the site's destinations: none, so nothing is due.
    expect(await th.process(request('request-warm'))).not.toHaveProperty('due');
    await store.upsertDestination({ siteId: 's1', slug: 'meta', enabled: true, mode: 'dry_run', settings: { api_token: 'secret-token-1' } });
    const event = makeEvent();
    // A pending delivery row: the answer says so, and the route wakes the delivery worker.
    expect(await th.process(request('request-next', 's1', [event]))).toMatchObject({ status: 202, due: true });
    // An event the destination does not map gets a skipped row only: nothing is due.
    expect(await th.process(request('request-skip', 's1', [makeEvent({ event_name: 'search' })]))).not.toHaveProperty('due');
    const stored = (await store.listEvents({ limit: 5 })).find((e) => e.eventId === event.event_id);
    expect(stored!.eventId).toBe(event.event_id);
    expect(stored!.deliveries).toMatchObject([{ destination: 'meta', status: 'pending', platformEventName: 'Lead' }]);
  });

  it('a message full of the largest bodies fits in the thread\'s heap limits', async () => {
    // 8 requests (one message) of 500 events and ~1 MB each: the most the default limits allow.
    const url = `https://shop.example.com/p/${'x'.repeat(1500)}`;
    const bodies = Array.from({ length: 8 }, () => Array.from({ length: 500 }, () => makeEvent({ context: { url, user_agent: 'u'.repeat(330) } })));
    expect(JSON.stringify({ events: bodies[0] }).length).toBeGreaterThan(950_000);
    expect(JSON.stringify({ events: bodies[0] }).length).toBeLessThan(1024 * 1024);
    const th = start();
    const answers = await Promise.all(bodies.map((events, i) => th.process(request(`request-big-${i}`, 's1', events))));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(202));
    expect(errors).toEqual([]);
    expect(countEvents()).toBe(4000);
  });

  it('close() commits what is in flight before it returns', async () => {
    const th = start();
    const pending = Array.from({ length: 20 }, (_, i) => th.process(request(`request-close-${i}`)));
    await th.close();
    expect((await Promise.all(pending)).map((a) => a.status)).toEqual(Array(20).fill(202));
    expect(countEvents()).toBe(20);
    expect(await th.process(request('request-late'))).toMatchObject({ status: 503, body: { error: 'store_unavailable' } });
  });

  it('a thread that dies answers "store unavailable" for what it held, and a new one serves the next request', async () => {
    const th = start();
    expect((await th.process(request('request-before'))).status).toBe(202);
    // Kill the thread from the outside while a request waits on it.
    const worker = (th as unknown as { worker: { terminate(): Promise<number> } }).worker;
    const held = th.process(request('request-held'));
    await new Promise((r) => setImmediate(r)); // posted: the thread holds it
    await worker.terminate();
    expect(await held).toMatchObject({ status: 503, retryAfterSeconds: 5, body: { error: 'store_unavailable' } });
    expect(errors).toHaveLength(1);
    expect((await th.process(request('request-after'))).status).toBe(202);
  });
});
