/**
 * The relay goes down while a Node app sends events with the SDK (LayerSyncClient).
 *
 * What the SDK promises (src/sdk/index.ts): track() never throws; each call retries 429, 5xx,
 * timeouts and connection errors up to `maxRetries` times with capped, jittered backoff (at most
 * 2 s between attempts, so 10 retries wait ~6.5 s on average and at least a few hundred ms), then
 * resolves `{ ok: false }`. It keeps nothing on disk: an event whose retries run out while the
 * relay is down is gone unless the caller keeps it. Durable retry across long outages belongs to
 * the WordPress plugin's outbox, not to the SDK. Every retry is signed with a fresh request id and
 * carries the same event_id, so an attempt that was stored but whose 202 was lost comes back as
 * `duplicate` and is stored once.
 *
 * 1. kill -9 and an immediate restart (a real process from the built CLI, ~1 s down): every
 *    call succeeds within its retry budget and every acknowledged event is stored exactly once.
 * 2. The relay stays down: calls resolve `{ ok: false, status: 'network_error' }` within the
 *    bound given by maxRetries, and nothing is stored.
 */
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LayerSyncClient, type TrackResult } from '../../src/sdk/index.js';
import { ensureBuilt, freePort, openDb, SECRET, setUpSite, SITE, sleep, startRelay, stopRelay, tempDir, type RelayProcess } from './support.js';

function eventRows(dbPath: string): Map<string, number> {
  const db = openDb(dbPath);
  try {
    const rows = db.prepare<[], { event_id: string; n: number }>('SELECT event_id, count(*) AS n FROM events GROUP BY event_id').all();
    return new Map(rows.map((r) => [r.event_id, r.n]));
  } finally {
    db.close();
  }
}

describe('SDK while the relay is down', () => {
  let t: ReturnType<typeof tempDir>;
  let dbPath: string;
  let relay: RelayProcess | undefined;

  beforeAll(() => ensureBuilt(), 120_000);

  beforeEach(() => {
    t = tempDir();
    dbPath = path.join(t.dir, 'relay.sqlite');
    setUpSite(dbPath, false);
  });

  afterEach(async () => {
    await stopRelay(relay, 'SIGKILL');
    relay = undefined;
    t.cleanup();
  });

  it('loses no event across a kill -9 and restart within the retry budget', async () => {
    const port = await freePort();
    relay = await startRelay({ dbPath, port });
    const client = new LayerSyncClient({ siteId: SITE, secretKey: SECRET, apiUrl: relay.url, maxRetries: 10, timeoutMs: 2_000 });

    const results: Array<TrackResult & { ms: number }> = [];
    let stop = false;
    // Four request handlers of an app, each tracking one lead after another.
    const app = async (n: number) => {
      for (let i = 0; !stop; i++) {
        const started = Date.now();
        const r = await client.trackWithIdentity('lead', { email: `buyer${n}-${i}@example.com` }, {}, { source: 'server' });
        results.push({ ...r, ms: Date.now() - started });
        await sleep(10);
      }
    };
    const apps = [0, 1, 2, 3].map(app);

    await sleep(800);
    relay.child.kill('SIGKILL');
    await relay.exited;
    const downAt = Date.now();
    relay = await startRelay({ dbPath, port });
    const downMs = Date.now() - downAt;
    await sleep(800);
    stop = true;
    await Promise.all(apps);

    const failed = results.filter((r) => !r.ok);
    expect(failed, `calls that gave up (relay was down ${downMs} ms)`).toEqual([]);
    const stored = eventRows(dbPath);
    for (const r of results) expect(stored.get(r.eventId), r.eventId).toBe(1);
    // Some calls really did ride out the outage.
    const slowest = Math.max(...results.map((r) => r.ms));
    expect(slowest).toBeGreaterThan(Math.min(500, downMs));
    console.info(`SDK: ${results.length} calls, relay down ${downMs} ms, all stored once, slowest call ${slowest} ms`);
  }, 45_000);

  it('gives up within its bounded budget when the relay stays down, and says so', async () => {
    const port = await freePort(); // nothing listens here
    const client = new LayerSyncClient({ siteId: SITE, secretKey: SECRET, apiUrl: `http://127.0.0.1:${port}`, maxRetries: 2, timeoutMs: 500 });
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 5 }, () => client.track('lead', {}, { source: 'server', identity: {} })));
    const elapsed = Date.now() - started;
    for (const r of results) {
      expect(r.ok).toBe(false);
      expect(r.status).toBe('network_error');
      expect(r.error).toMatch(/relay unreachable/);
    }
    // 3 attempts, backoff below 100 + 200 ms between them: well under a second.
    expect(elapsed).toBeLessThan(2_000);
    expect(eventRows(dbPath).size).toBe(0);
  });
});
