/**
 * Fault injection on the platform side: the fake Meta answers 500, then 429 with Retry-After,
 * then hangs (the relay's client times out), then recovers. Every event must be delivered, and
 * exactly once at Meta: Meta accepts or refuses a request as a whole, so a refused or timed-out
 * request delivered nothing and resending it cannot duplicate anything.
 *
 * The relay runs in-process (real HTTP server, real SQLite file, real HTTP to the fake) so the
 * Meta client timeout and the retry backoff can be shortened; the crash cases that need a real
 * process are in kill9.test.ts.
 */
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { createMetaDestination } from '../../src/destinations/meta/index.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { FAKE_META_PIXEL_ID, FAKE_META_TOKEN, startFakeMeta, type FakeMeta } from '../fakes/meta-server.js';
import { deliveryRows, inProcessCli, inProcessConfig, leadEvent, postEvents, receiptCounts, SECRET, SITE, tempDir, waitFor } from './support.js';

const META_TIMEOUT_MS = 400;
const RETRY_AFTER_S = 1;

describe('platform failures: 500, 429 with Retry-After, timeouts, recovery', () => {
  let t: ReturnType<typeof tempDir>;
  let dbPath: string;
  let fake: FakeMeta;
  let server: RunningServer | undefined;
  let config: Config;
  const registry = { meta: createMetaDestination({ timeoutMs: META_TIMEOUT_MS }) };

  beforeEach(async () => {
    t = tempDir();
    dbPath = path.join(t.dir, 'relay.sqlite');
    fake = await startFakeMeta({ retryAfterSeconds: RETRY_AFTER_S, pixels: [FAKE_META_PIXEL_ID] });
    await inProcessCli(dbPath, ['sites', 'add', '--id', SITE, '--secret', SECRET]);
    await inProcessCli(dbPath, ['connect', 'meta', '--site', SITE, '--pixel', FAKE_META_PIXEL_ID, '--token', FAKE_META_TOKEN]);
    config = inProcessConfig(dbPath, {
      LAYERSYNC_META_BASE_URL: fake.url,
    });
  });

  afterEach(async () => {
    await server?.close();
    server = undefined;
    await fake.close();
    t.cleanup();
  });

  async function post(count: number, perRequest: number): Promise<string[]> {
    const ids: string[] = [];
    for (let r = 0; r < count / perRequest; r++) {
      const res = await postEvents(server!.url, Array.from({ length: perRequest }, () => leadEvent()));
      expect(res.status).toBe(202);
      ids.push(...res.acked);
    }
    return ids;
  }

  it('delivers every event exactly once after the platform recovers', async () => {
    // 200 events stored while no worker runs, so they are all due when the failures start.
    server = await startServer(config, { registry, startWorker: false });
    const first = await post(200, 10);
    await server.close();

    // Queued in this order at the fake, consumed by the relay's next sends.
    fake.failNext(2, 500);
    fake.failNext(2, 429);
    fake.failNext(3, 'timeout');
    server = await startServer(config, {
      registry,
      // Short backoff so the test is quick; Retry-After still sets the floor.
      worker: { backoff: { baseMs: 50, capMs: 300 } },
    });
    await waitFor('the 500s and 429s', () => fake.requests.length >= 4, 10_000);
    // More events arrive while the platform hangs.
    const later = await post(50, 5);
    const ids = [...first, ...later];
    expect(new Set(ids).size).toBe(250);

    await waitFor(
      'every delivery row to be delivered',
      () => {
        const rows = deliveryRows(dbPath);
        return rows.length === 250 && rows.every((r) => r.status === 'delivered');
      },
      30_000,
      100,
    );

    // Each event reached Meta in exactly one accepted request.
    const counts = receiptCounts(fake.received);
    expect(counts.size).toBe(250);
    for (const id of ids) expect(counts.get(id), id).toBe(1);

    // The failures really happened, in order, and were all consumed.
    const answered = fake.requests;
    expect(answered.slice(0, 4).map((r) => r.status)).toEqual([500, 500, 429, 429]);
    expect(answered.slice(4).every((r) => r.status === 200)).toBe(true);
    // The three hanging requests were sent too: the fake answers at once now.
    const probe = await fetch(`${fake.url}/v26.0/${FAKE_META_PIXEL_ID}`, {
      headers: { authorization: `Bearer ${FAKE_META_TOKEN}` },
      signal: AbortSignal.timeout(2_000),
    });
    expect(probe.status).toBe(200);
    // Retry-After was honoured for every event of a 429-refused request: its next attempt came
    // at least RETRY_AFTER_S later. (Per event, not per destination: the worker spreads retries
    // with per-row jitter, so other rows may be sent meanwhile; see bench/README.md.)
    const dataIds = (r: { body: unknown }) => ((r.body as { data?: Array<{ event_id: string }> }).data ?? []).map((e) => e.event_id);
    answered.forEach((r, i) => {
      if (r.status !== 429) return;
      for (const id of dataIds(r)) {
        const next = answered.slice(i + 1).find((later) => dataIds(later).includes(id));
        expect(next, `event ${id} was never sent again after a 429`).toBeDefined();
        expect(next!.at - r.at).toBeGreaterThanOrEqual(RETRY_AFTER_S * 1000 - 50);
      }
    });

    // Events went through several attempts; no row is left leased.
    const rows = deliveryRows(dbPath);
    expect(Math.max(...rows.map((r) => r.attempts))).toBeGreaterThanOrEqual(3);
    expect(rows.filter((r) => r.lease_token !== null)).toEqual([]);
  }, 45_000);
});
