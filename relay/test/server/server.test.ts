/**
 * The relay as a real listening server: durability of the 202, background delivery in dry-run
 * and live mode against a local platform, graceful shutdown, and what reaches the logs.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { createTestDestination, makeEvent, SECRET, signed, SITE, tempDir, testConfig } from '../helpers.js';

const ADMIN = 'admin-token-0123456789abcdef';
const API_TOKEN = 'platform-token-SECRET-0987654321';
const RAW_EMAIL = 'jane.doe@example.com';

function logSink() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  return { lines, stream };
}

async function post(url: string, body: unknown, opts: Parameters<typeof signed>[1] = {}) {
  const s = signed(body, opts);
  const res = await fetch(`${url}/v1/events`, { method: 'POST', headers: s.headers, body: s.payload });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('relay server', () => {
  let t: ReturnType<typeof tempDir>;
  let dbPath: string;
  let server: RunningServer | undefined;
  let platform: Server | undefined;
  let platformUrl = '';
  const received: string[] = [];

  beforeEach(async () => {
    t = tempDir();
    dbPath = path.join(t.dir, 'relay.sqlite');
    const store = openSqliteStore(dbPath);
    await store.upsertSite({ siteId: SITE, secrets: [SECRET] });
    await store.close();
    received.length = 0;
    platform = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push(body);
        // Echo the token back like some platforms do in errors.
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`token ${API_TOKEN} rejected for ${RAW_EMAIL}`);
      });
    });
    await new Promise<void>((r) => platform!.listen(0, '127.0.0.1', r));
    platformUrl = `http://127.0.0.1:${(platform.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    platform?.closeAllConnections();
    await new Promise<void>((r) => platform!.close(() => r()));
    t.cleanup();
  });

  async function start(o: { logLevel?: 'trace' | 'silent'; logStream?: Writable } = {}) {
    const td = createTestDestination();
    server = await startServer(
      testConfig({ dbPath, port: 0, adminToken: ADMIN, metaBaseUrl: platformUrl, logLevel: o.logLevel ?? 'silent', workerIntervalMs: 20 }),
      { registry: td.registry, logStream: o.logStream, worker: { random: () => 0.5 } },
    );
    return server;
  }

  it('commits accepted events before answering 202: a second connection sees them at once', async () => {
    const s = await start();
    const setup = new Database(dbPath);
    setup
      .prepare("INSERT INTO destinations (site_id, slug, enabled, mode, settings, created_at, updated_at) VALUES (?, 'meta', 1, 'dry_run', ?, 0, 0)")
      .run(SITE, JSON.stringify({ api_token: API_TOKEN }));
    setup.close();

    const reader = new Database(dbPath, { readonly: true });
    const count = reader.prepare<[string], { n: number }>('SELECT count(*) AS n FROM events WHERE event_id = ?');
    const deliveries = reader.prepare<[string], { n: number }>(
      'SELECT count(*) AS n FROM deliveries d JOIN events e ON e.id = d.event_pk WHERE e.event_id = ?',
    );
    const results = await Promise.all(
      Array.from({ length: 25 }, async () => {
        const e = makeEvent();
        const res = await post(s.url, { events: [e] });
        // Read the instant the 202 arrives, from another connection.
        return { status: res.status, rows: count.get(e.event_id)!.n, deliveries: deliveries.get(e.event_id)!.n };
      }),
    );
    reader.close();
    expect(results.every((r) => r.status === 202 && r.rows === 1 && r.deliveries === 1)).toBe(true);
  });

  it('delivers in the background: dry-run stores the payload, visible through the admin API', async () => {
    const s = await start();
    const store = openSqliteStore(dbPath);
    await store.upsertDestination({ siteId: SITE, slug: 'meta', enabled: true, mode: 'dry_run', settings: { api_token: API_TOKEN } });
    await store.close();
    const e = makeEvent();
    expect((await post(s.url, { events: [e] })).status).toBe(202);
    const admin = async () => {
      const res = await fetch(`${s.url}/v1/admin/events?limit=5`, { headers: { authorization: `Bearer ${ADMIN}` } });
      return ((await res.json()) as { events: Array<{ deliveries: Array<{ status: string; payload: unknown }> }> }).events[0]?.deliveries[0];
    };
    await expect.poll(async () => (await admin())?.status, { timeout: 5000 }).toBe('dry_run');
    expect((await admin())!.payload).toMatchObject({ name: 'Lead', id: e.event_id });
    expect(received).toEqual([]);
  });

  it('redacts secrets, signatures and raw emails from logs', async () => {
    const sink = logSink();
    const s = await start({ logLevel: 'trace', logStream: sink.stream });
    const store = openSqliteStore(dbPath);
    await store.upsertDestination({ siteId: SITE, slug: 'meta', enabled: true, mode: 'live', settings: { api_token: API_TOKEN } });
    await store.close();

    // A live delivery whose platform error echoes the token and an email (worker logs + ledger).
    expect((await post(s.url, { events: [makeEvent()] })).status).toBe(202);
    await expect.poll(() => received.length, { timeout: 5000 }).toBeGreaterThan(0);
    // A bad request carrying a raw email where a hash belongs.
    const bad = await post(s.url, { events: [makeEvent({ identity: { em: RAW_EMAIL } })] });
    expect(bad.status).toBe(400);
    // Our own log calls with sensitive fields at the paths the redact list covers.
    const sig = signed({ events: [] })['headers']['x-layersync-signature']!;
    s.app.log.info(
      {
        req: { headers: { authorization: `Bearer ${ADMIN}`, 'x-layersync-signature': sig } },
        secret: SECRET,
        settings: { api_token: API_TOKEN },
        event: { identity: { em: RAW_EMAIL } },
      },
      'redaction probe',
    );
    await s.close();
    server = undefined;

    const all = sink.lines.join('\n');
    expect(sink.lines.some((l) => l.includes('redaction probe'))).toBe(true);
    expect(sink.lines.some((l) => l.includes('"msg":"request"'))).toBe(true);
    for (const secret of [SECRET, API_TOKEN, ADMIN, RAW_EMAIL, sig.slice(3)]) expect(all).not.toContain(secret);
    expect(all).toContain('[redacted]');

    // The ledger row keeps the platform's error, redacted.
    const reader = new Database(dbPath, { readonly: true });
    const row = reader.prepare('SELECT status, last_error FROM deliveries').get() as { status: string; last_error: string };
    reader.close();
    expect(row).toEqual({ status: 'retry', last_error: 'token [redacted] rejected for [email]' });
  });

  it('shuts down gracefully: stops accepting, then closes the database', async () => {
    const s = await start();
    expect((await fetch(`${s.url}/readyz`)).status).toBe(200);
    await s.close();
    server = undefined;
    await expect(fetch(`${s.url}/healthz`)).rejects.toThrow();
    // The file is closed and consistent: another process can open and write it.
    const db = new Database(dbPath);
    expect((db.prepare('SELECT count(*) AS n FROM sites').get() as { n: number }).n).toBe(1);
    db.close();
  });
});
