/**
 * Delivery worker guarantees the pipeline relies on: per-item outcomes (only failed events are
 * retried), per-destination concurrency, isolation from a hanging platform, graceful shutdown,
 * and recovery of rows leased by a worker that died (kill -9) once the lease expires.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { canonicalEventSchema } from '../../src/contract/event.js';
import { createHttpClient } from '../../src/delivery/http.js';
import { DeliveryWorker } from '../../src/delivery/worker.js';
import type { DestinationRegistry } from '../../src/destinations/registry.js';
import type { DeliveryOutcome } from '../../src/destinations/types.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { makeEvent, SECRET, SITE, tempDir } from '../helpers.js';
import { createEchoDestination, harness, silentLogger, T0, T0_S, TOKEN, type Harness } from './fixtures.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const lead = () => makeEvent({ event_time: T0_S });

describe('per-item outcomes', () => {
  it('retries only the events of a batch that failed; the delivered ones are not sent again', async () => {
    const outcomes: DeliveryOutcome[] = [
      { kind: 'delivered', status: 200 },
      { kind: 'retry', status: 503, error: 'busy' },
      { kind: 'delivered', status: 200 },
      { kind: 'drop', status: 400, error: 'bad value' },
    ];
    const meta = createEchoDestination('meta', { script: [() => outcomes] });
    h = await harness({ meta }, { mergeWindowSeconds: 0 });
    await h.addDestination('meta');
    const events = [lead(), lead(), lead(), lead()];
    await h.post(events);
    const worker = h.worker({ backoff: { baseMs: 1000, capMs: 60_000 } });
    await worker.runUntilIdle();
    const status = async () => Promise.all(events.map(async (e) => (await h!.deliveries(e.event_id)).meta!));
    expect((await status()).map((d) => [d.status, d.attempts])).toEqual([
      ['delivered', 1],
      ['retry', 1],
      ['delivered', 1],
      ['failed', 1],
    ]);
    const retryAt = (await status())[1]!.nextAttemptAt!;
    expect(retryAt).toBe(T0 + 500);

    h.at(retryAt);
    await worker.runUntilIdle();
    expect(meta.sends.map((s) => s.map((p) => p.id))).toEqual([events.map((e) => e.event_id), [events[1]!.event_id]]);
    expect((await status()).map((d) => [d.status, d.attempts])).toEqual([
      ['delivered', 1],
      ['delivered', 2],
      ['delivered', 1],
      ['failed', 1],
    ]);
  });
});

describe('concurrency and isolation', () => {
  it('caps the batches one destination has in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const slow = createEchoDestination('meta', {
      maxBatchSize: 1,
      send: async (p) => {
        peak = Math.max(peak, ++inFlight);
        await new Promise((r) => setTimeout(r, 30));
        inFlight--;
        return p.map((): DeliveryOutcome => ({ kind: 'delivered', status: 200 }));
      },
    });
    h = await harness({ meta: slow }, { mergeWindowSeconds: 0 });
    await h.addDestination('meta');
    await h.post(Array.from({ length: 12 }, lead));
    await h.worker({ concurrency: 8, perDestinationConcurrency: 3 }).runUntilIdle();
    expect(slow.payloads()).toHaveLength(12);
    expect(peak).toBe(3);
  });

  it('a hanging platform never delays another: the other delivers promptly while it hangs', async () => {
    let hung = 0;
    const hanging = createEchoDestination('meta', {
      maxBatchSize: 1,
      // Never answers; only the worker's shutdown abort ends it.
      send: (p, signal) =>
        new Promise<DeliveryOutcome[]>((resolve) => {
          hung++;
          signal?.addEventListener('abort', () => resolve(p.map(() => ({ kind: 'retry', error: 'aborted at shutdown' }))));
        }),
    });
    const healthy = createEchoDestination('ga4');
    h = await harness({ meta: hanging, ga4: healthy }, { mergeWindowSeconds: 0 });
    await h.addDestination('meta');
    await h.post(Array.from({ length: 20 }, lead)); // 20 rows for the hanging platform only
    const ga4 = await h.addDestination('ga4');
    const worker = h.worker({ concurrency: 4, perDestinationConcurrency: 2, intervalMs: 10 });
    worker.start();
    await expect.poll(() => hung, { timeout: 2000 }).toBe(2); // both of its slots are stuck

    const started = Date.now();
    const e = lead();
    await h.post([e]);
    expect((await h.deliveries(e.event_id)).ga4!.destinationId).toBe(ga4.id);
    await expect.poll(async () => (await h!.deliveries(e.event_id)).ga4!.status, { timeout: 5000, interval: 10 }).toBe('delivered');
    // Promptly: well within one send timeout, while the other platform never answers at all.
    expect(Date.now() - started).toBeLessThan(3000);
    expect(hung).toBe(2); // still only its own two slots

    // Shutdown waits, then aborts the hung requests; they are recorded as retries, not lost.
    await worker.stop(100);
    const rows = (await h.store.listEvents({ limit: 100 })).flatMap((x) => x.deliveries).filter((d) => d.destination === 'meta');
    expect(rows.filter((d) => d.status === 'retry').map((d) => d.lastError)).toEqual(['aborted at shutdown', 'aborted at shutdown']);
    // 18 never claimed, plus the later event's own meta row.
    expect(rows.filter((d) => d.status === 'pending')).toHaveLength(19);
    expect(rows.every((d) => d.status === 'retry' || d.status === 'pending')).toBe(true);
  });

  it('graceful shutdown lets an in-flight batch finish and record its outcome', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let sent = 0;
    const meta = createEchoDestination('meta', {
      send: async (p) => {
        sent++;
        await gate;
        return p.map((): DeliveryOutcome => ({ kind: 'delivered', status: 200 }));
      },
    });
    h = await harness({ meta }, { mergeWindowSeconds: 0 });
    await h.addDestination('meta');
    const e = lead();
    await h.post([e]);
    const worker = h.worker();
    worker.start();
    await expect.poll(() => sent, { timeout: 2000 }).toBe(1);
    const stopping = worker.stop(5000);
    setTimeout(release, 50);
    await stopping;
    expect((await h.deliveries(e.event_id)).meta).toMatchObject({ status: 'delivered', attempts: 1 });
  });
});

describe('crash recovery', () => {
  it('rows leased by a worker that died (kill -9) are delivered once after the lease expires', async () => {
    const t = tempDir();
    const file = path.join(t.dir, 'relay.sqlite');
    try {
      // A relay process claims a batch and dies before recording any outcome.
      const before = openSqliteStore(file);
      await before.upsertSite({ siteId: SITE, secrets: [SECRET] });
      const dest = await before.upsertDestination({ siteId: SITE, slug: 'meta', enabled: true, mode: 'live', settings: { api_token: TOKEN } });
      const events = [lead(), lead()].map((e) => canonicalEventSchema.parse(e));
      await before.ingest({
        siteId: SITE,
        requestId: 'request-before-crash',
        requestIdExpiresAt: T0 + 300_000,
        receivedAt: T0,
        events: events.map((event) => ({ event, deliveries: [{ destinationId: dest.id, status: 'pending', platformEventName: 'Lead' }] })),
      });
      const leased = await before.claimDeliveries(dest.id, { now: T0, limit: 10, leaseMs: 120_000 });
      expect(leased).toHaveLength(2);
      await before.close(); // the file keeps the lease, as after kill -9

      // The restarted relay.
      const store = openSqliteStore(file);
      const meta = createEchoDestination('meta');
      const http = createHttpClient();
      let now = T0 + 1000;
      const worker = new DeliveryWorker({
        store,
        registry: { meta: meta.destination } as Partial<DestinationRegistry>,
        http,
        logger: silentLogger,
        intervalMs: 20,
        concurrency: 4,
        now: () => now,
      });
      await worker.runUntilIdle();
      expect(meta.sends).toEqual([]); // still leased: not sent twice at once

      now = T0 + 120_000;
      await worker.runUntilIdle();
      expect(meta.payloads().map((p) => p.id).sort()).toEqual(events.map((e) => e.event_id).sort());
      const rows = (await store.listEvents({ limit: 10 })).flatMap((e) => e.deliveries);
      expect(rows.map((d) => [d.status, d.attempts])).toEqual([
        ['delivered', 1],
        ['delivered', 1],
      ]);
      // The dead worker's late answer (if it ever came) cannot overwrite the outcome.
      expect(
        await store.completeDeliveries(
          leased.map((l) => ({ id: l.id, leaseToken: l.leaseToken, status: 'retry', attempts: 1, nextAttemptAt: now, lastStatus: 503, lastError: 'late', latencyMs: 1 })),
          now,
        ),
      ).toBe(0);
      await worker.stop(100);
      await http.close();
      await store.close();
    } finally {
      t.cleanup();
    }
  });
});
