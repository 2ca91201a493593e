import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { lazyChildLogger, loggerOptions, REDACTED } from '../../src/logging.js';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite.js';
import { createTestDestination, EMAIL_HASH, makeEvent, postEvents, SECRET, SITE, testConfig } from '../helpers.js';
import { ADMIN_TOKEN } from './support.js';

describe('GET /metrics', () => {
  let store: SqliteStore;
  afterEach(async () => {
    await store.close().catch(() => undefined);
  });

  async function relay(config: Parameters<typeof testConfig>[0] = {}) {
    store = openSqliteStore(':memory:');
    await store.upsertSite({ siteId: SITE, secrets: [SECRET] });
    const td = createTestDestination({
      script: [(p) => p.map(() => ({ kind: 'delivered', status: 200 })), (p) => p.map(() => ({ kind: 'retry', status: 503, error: 'busy' }))],
    });
    const dest = await store.upsertDestination({ siteId: SITE, slug: 'meta', enabled: true, mode: 'live', settings: { api_token: 'tok-12345678' } });
    const app = await buildApp({ config: testConfig({ adminToken: ADMIN_TOKEN, ...config }), registry: td.registry, store, startWorker: true, worker: { intervalMs: 60_000 } });
    return { app, dest };
  }

  it('exposes ingest, dedup, delivery, latency, queue depth and process series after traffic', async () => {
    const { app } = await relay();
    const event = makeEvent();
    expect((await postEvents(app, { events: [event, makeEvent()] })).statusCode).toBe(202);
    await app.worker!.runUntilIdle();
    expect((await postEvents(app, { events: [event, makeEvent(), { event_id: 'bad', event_name: 'lead' }] })).statusCode).toBe(202);
    await app.worker!.runUntilIdle();
    expect((await postEvents(app, { events: [makeEvent()] }, { secret: 'x'.repeat(64) })).statusCode).toBe(401);
    // One more event waits in the queue (the worker is not kicked for this one).
    await store.ingest({
      siteId: SITE,
      requestId: 'queued-0000000001',
      requestIdExpiresAt: Date.now() + 60_000,
      receivedAt: Date.now() + 3_600_000,
      events: [{ event: (await import('../../src/contract/event.js')).canonicalEventSchema.parse(makeEvent()), deliveries: [{ destinationId: 1, status: 'pending', platformEventName: 'Lead' }] }],
    });

    const res = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.body;
    expect(text).toContain('layersync_ingest_requests_total{status_code="202"} 2');
    expect(text).toContain('layersync_ingest_requests_total{status_code="401"} 1');
    expect(text).toContain('layersync_ingest_events_total{result="accepted"} 3');
    expect(text).toContain('layersync_ingest_events_total{result="rejected"} 1');
    expect(text).toMatch(/layersync_ingest_events_total\{result="(duplicate|merged)"\} 1/);
    expect(text).toContain('layersync_dedup_decisions_total{decision="new"} 3');
    expect(text).toMatch(/layersync_dedup_decisions_total\{decision="(duplicate|merged)"\} 1/);
    expect(text).toContain('layersync_deliveries_total{destination="meta",outcome="delivered"} 2');
    expect(text).toContain('layersync_deliveries_total{destination="meta",outcome="retry"} 1');
    expect(text).toMatch(/layersync_delivery_duration_seconds_bucket\{le="0\.025",destination="meta"\} \d/);
    expect(text).toContain('layersync_delivery_duration_seconds_bucket{le="+Inf",destination="meta"} 2');
    expect(text).toContain('layersync_delivery_duration_seconds_count{destination="meta"} 2');
    expect(text).toContain('layersync_delivery_queue_depth{destination="meta",status="retry"} 1');
    expect(text).toContain('layersync_delivery_queue_depth{destination="meta",status="pending"} 1');
    expect(text).toMatch(/^# HELP layersync_delivery_queue_depth /m);
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    // Label values are bounded: no site or event ids.
    expect(text).not.toContain(SITE);
    expect(text).not.toContain(event.event_id);

    await store.parkDestination(1, 'refused', Date.now());
    expect((await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).body).toContain('layersync_destinations_parked{destination="meta"} 1');
    await app.close();
  });

  it('needs the admin token unless LAYERSYNC_METRICS_PUBLIC is set', async () => {
    const { app } = await relay();
    expect((await app.inject('/metrics')).statusCode).toBe(401);
    expect((await app.inject({ url: '/metrics', headers: { authorization: 'Bearer nope-nope-nope-nope' } })).statusCode).toBe(401);
    await app.close();
    await store.close();

    const open = await relay({ metricsPublic: true, adminToken: undefined });
    expect((await open.app.inject('/metrics')).statusCode).toBe(200);
    await open.app.close();
    await store.close();

    const off = await relay({ adminToken: undefined });
    const res = await off.app.inject('/metrics');
    expect(res.statusCode).toBe(404);
    expect(res.json().message).toMatch(/LAYERSYNC_METRICS_PUBLIC=1/);
    await off.app.close();
  });

  it('reads LAYERSYNC_METRICS_PUBLIC', () => {
    expect(loadConfig({}).metricsPublic).toBe(false);
    expect(loadConfig({ LAYERSYNC_METRICS_PUBLIC: '1' }).metricsPublic).toBe(true);
    expect(loadConfig({ LAYERSYNC_METRICS_PUBLIC: 'yes' }).metricsPublic).toBe(true);
    expect(() => loadConfig({ LAYERSYNC_METRICS_PUBLIC: 'maybe' })).toThrow(/LAYERSYNC_METRICS_PUBLIC must be 1\/true\/yes\/on or 0\/false\/no\/off, got "maybe"/);
  });
});

describe('log redaction', () => {
  function capture() {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    return { logger: pino(loggerOptions({ logLevel: 'info' }), stream), lines };
  }

  it('censors tokens, secrets, signatures and identity hashes wherever our log calls put them', async () => {
    const { logger, lines } = capture();
    const TOKEN = 'EAAB-secret-platform-token-123';
    logger.info(
      {
        req: { headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'x-layersync-signature': 'v1=deadbeef', cookie: 'sid=1' } },
        token: TOKEN,
        access_token: TOKEN,
        api_secret: TOKEN,
        client_secret: TOKEN,
        refresh_token: TOKEN,
        developer_token: TOKEN,
        secret: SECRET,
        secrets: [SECRET],
        vaultKey: 'k'.repeat(44),
        settings: { access_token: TOKEN },
        identity: { em: EMAIL_HASH },
        event: { identity: { em: EMAIL_HASH, ph: EMAIL_HASH } },
        events: [{ identity: { em: EMAIL_HASH } }],
        em: EMAIL_HASH,
        ph: EMAIL_HASH,
        external_id: EMAIL_HASH,
        email_sha256: EMAIL_HASH,
        destination: { settings: { api_secret: TOKEN } },
      },
      'everything sensitive',
    );
    logger.flush();
    const out = lines.join('');
    for (const s of [TOKEN, ADMIN_TOKEN, SECRET, EMAIL_HASH, 'deadbeef', 'k'.repeat(44)]) expect(out).not.toContain(s);
    expect(out).toContain(REDACTED);
    expect(JSON.parse(out).msg).toBe('everything sensitive');
  });

  it('the relay logs no secret while connecting and sending', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const store = openSqliteStore(':memory:');
    await store.upsertSite({ siteId: SITE, secrets: [SECRET] });
    const TOKEN = 'platform-token-never-logged-42';
    const td = createTestDestination({ script: [(p) => p.map(() => ({ kind: 'auth', status: 401, error: `token ${TOKEN} expired` }))] });
    const app = await buildApp(
      { config: testConfig({ adminToken: ADMIN_TOKEN, logLevel: 'trace' }), registry: td.registry, store, startWorker: true, worker: { intervalMs: 60_000 } },
      { loggerInstance: pino(loggerOptions({ logLevel: 'trace' }), stream) },
    );
    const created = await app.inject({
      method: 'POST',
      url: '/v1/admin/destinations',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { site_id: SITE, slug: 'meta', settings: { api_token: TOKEN } },
    });
    expect(created.statusCode).toBe(201);
    expect((await postEvents(app, { events: [makeEvent()] })).statusCode).toBe(202);
    await app.worker!.runUntilIdle();
    await app.close();
    await store.close();
    const out = lines.join('');
    expect(out).toContain('destination parked');
    for (const s of [TOKEN, ADMIN_TOKEN, SECRET, EMAIL_HASH]) expect(out).not.toContain(s);
  });
});

describe('lazy request loggers', () => {
  it('builds a request child logger only when something logs, with the request bindings and redaction', () => {
    const lines: string[] = [];
    const parent = pino(loggerOptions({ logLevel: 'info' }), new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }));
    let built = 0;
    const counting = new Proxy(parent, {
      get: (t, p) => (p === 'child' ? (...a: Parameters<typeof parent.child>) => (built++, t.child(...a)) : Reflect.get(t, p, t)),
    });
    const marker = Symbol('fastify marker');
    const quiet = lazyChildLogger(counting, { reqId: 'req-1' });
    (quiet as unknown as Record<symbol, unknown>)[marker] = true; // fastify's own markers
    expect(typeof quiet.info).toBe('function'); // what fastify checks
    expect((quiet as unknown as Record<symbol, unknown>)[marker]).toBe(true);
    expect(built).toBe(0);

    const used = lazyChildLogger(counting, { reqId: 'req-2' });
    used.info({ token: 'tok-secret-value' }, 'request failed');
    used.warn('again');
    expect(built).toBe(1);
    expect(lines).toHaveLength(2);
    const first = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(first).toMatchObject({ reqId: 'req-2', token: REDACTED, msg: 'request failed' });
    expect(used.level).toBe('info');
  });
});
