/**
 * kill -9 of the relay under load: a real child process started from the built CLI, signed
 * requests from 16 concurrent senders in this process, the fake Meta receiving deliveries. The
 * SIGKILL is sent by the fake Meta the moment it has accepted a delivery request and before it
 * answers, so the crash always lands with a delivery in flight whose events Meta has. Then:
 *
 * 1. every event that got a 202 is in the SQLite file (the 202 is sent only after COMMIT);
 * 2. a restart on the same file delivers everything that was not leased at the crash, and the
 *    rows a dead worker had leased stay leased until their lease runs out (2 minutes by
 *    default) — the restart is not allowed to take them early, since it cannot know the other
 *    worker is dead;
 * 3. after the lease has expired (a restart with the clock shifted past it, instead of waiting
 *    two minutes) those rows are delivered too, and no row is left leased or open.
 *
 * Delivery across a crash is at-least-once: a request the dead relay had sent may have reached
 * Meta before the crash, and its rows are sent again after the lease expires. Meta deduplicates
 * on event_name + event_id, so the duplicate is absorbed there. The test therefore asserts:
 * every acknowledged event arrives at least once, and an event arrives more than once only if
 * its row was leased at the moment of the crash.
 */
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeMeta, type FakeMeta, type MetaReceived } from '../fakes/meta-server.js';
import {
  deliveryRows,
  ensureBuilt,
  freePort,
  leadEvent,
  postEvents,
  receiptCounts,
  setUpSite,
  sleep,
  startRelay,
  stopRelay,
  storedEventIds,
  tempDir,
  waitFor,
  type RelayProcess,
} from './support.js';

/** The worker's default lease (delivery/worker.ts DEFAULT_LEASE_MS); not configurable yet. */
const DEFAULT_LEASE_MS = 120_000;

describe('kill -9 during load', () => {
  let t: ReturnType<typeof tempDir>;
  let dbPath: string;
  let fake: FakeMeta;
  let relay: RelayProcess | undefined;
  let killOnNextAccept: (() => void) | undefined;

  beforeAll(() => ensureBuilt(), 120_000);

  beforeEach(async () => {
    t = tempDir();
    dbPath = path.join(t.dir, 'relay.sqlite');
    // The fake kills the relay the moment it has accepted a request, before answering it: that
    // request's events reached Meta but the relay never learns it (the at-least-once case).
    fake = await startFakeMeta({
      log: (line) => {
        if (killOnNextAccept !== undefined && line.includes('"status":200')) {
          killOnNextAccept();
          killOnNextAccept = undefined;
        }
      },
    });
    setUpSite(dbPath, true);
  });

  afterEach(async () => {
    await stopRelay(relay, 'SIGKILL');
    relay = undefined;
    await fake.close();
    t.cleanup();
  });

  it('keeps every acknowledged event and delivers it after restart', async () => {
    const port = await freePort();
    const env = { LAYERSYNC_META_BASE_URL: fake.url };
    relay = await startRelay({ dbPath, port, env });
    const url = relay.url;

    // Load: 16 senders, 5 events per request, until the process dies.
    const acked = new Set<string>();
    let statusCounts: Record<number, number> = {};
    let stop = false;
    const sender = async () => {
      while (!stop) {
        const res = await postEvents(url, Array.from({ length: 5 }, () => leadEvent()), 3_000);
        statusCounts = { ...statusCounts, [res.status]: (statusCounts[res.status] ?? 0) + 1 };
        for (const id of res.acked) acked.add(id);
        if (res.status === 0) await sleep(20); // the relay is gone: do not spin
      }
    };
    const senders = Array.from({ length: 16 }, sender);

    await waitFor('deliveries under way', () => fake.received.length >= 3 && acked.size >= 500, 10_000);
    let killedAt = 0;
    const child = relay.child;
    killOnNextAccept = () => {
      killedAt = Date.now();
      child.kill('SIGKILL');
    };
    await relay.exited;
    expect(killedAt).toBeGreaterThan(0);
    const lastAccepted = fake.received.at(-1)!;
    await sleep(300); // let in-flight requests fail
    stop = true;
    await Promise.all(senders);
    expect(statusCounts[202] ?? 0).toBeGreaterThan(100);

    // 1. Every 202-acknowledged event is on disk.
    const stored = storedEventIds(dbPath);
    const lost = [...acked].filter((id) => !stored.has(id));
    expect(lost, `${lost.length} acknowledged events missing after kill -9`).toEqual([]);
    const atCrash = deliveryRows(dbPath);
    const leased = atCrash.filter((r) => r.lease_token !== null && (r.status === 'pending' || r.status === 'retry'));
    expect(leased.length).toBeGreaterThan(0);
    for (const r of leased) expect(r.lease_until!).toBeLessThanOrEqual(killedAt + DEFAULT_LEASE_MS);
    const leasedIds = new Set(leased.map((r) => r.event_id));
    // The request Meta accepted at the moment of the crash: its rows are still leased.
    const inFlight = receiptCounts([lastAccepted]);
    for (const id of inFlight.keys()) expect(leasedIds.has(id)).toBe(true);

    // Receipts before the crash; forget the hanging requests and unused failures.
    const before: MetaReceived[] = [...fake.received];
    fake.reset();

    // 2. Restart: everything not leased by the dead worker is delivered; the leased rows wait.
    relay = await startRelay({ dbPath, port, env });
    await waitFor(
      'every unleased open row to be delivered',
      () => deliveryRows(dbPath).every((r) => r.status !== 'pending' && r.status !== 'retry' ? true : leasedIds.has(r.event_id)),
      15_000,
      100,
    );
    const waiting = deliveryRows(dbPath).filter((r) => r.status === 'pending' || r.status === 'retry');
    expect(waiting.length).toBe(leased.length);
    expect(waiting.every((r) => r.lease_token !== null && r.lease_until! > Date.now())).toBe(true);
    await stopRelay(relay, 'SIGTERM');

    // 3. A restart after the lease has expired takes the orphaned rows and delivers them.
    relay = await startRelay({ dbPath, port, env, clockOffsetMs: DEFAULT_LEASE_MS + 5_000 });
    await waitFor(
      'the orphaned rows to be delivered',
      () => deliveryRows(dbPath).every((r) => r.status === 'delivered'),
      15_000,
      100,
    );
    const final = deliveryRows(dbPath);
    expect(final.filter((r) => r.lease_token !== null)).toEqual([]);
    expect(final.length).toBe(stored.size);

    // At-least-once: each acknowledged event arrived; duplicates only for rows leased at the crash.
    const counts = receiptCounts([...before, ...fake.received]);
    const missing = [...acked].filter((id) => !counts.has(id));
    expect(missing, `${missing.length} acknowledged events never reached Meta`).toEqual([]);
    const duplicated = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
    expect(duplicated.filter((id) => !leasedIds.has(id))).toEqual([]);
    // ... and the events of the request that was accepted but never confirmed are among them.
    for (const id of inFlight.keys()) expect(counts.get(id)).toBe(2);
    for (const [, n] of counts) expect(n).toBeLessThanOrEqual(2);
    console.info(
      `kill -9: ${acked.size} events acknowledged, ${stored.size} stored, ${leased.length} rows leased at the crash, ` +
        `${counts.size} delivered, ${duplicated.length} delivered twice (all among the leased rows; Meta dedups them on event_id)`,
    );
  }, 50_000);
});
