import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite.js';
import { createTestDestination, makeEvent, postEvents, SECRET, SITE, testConfig } from '../helpers.js';

const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
const API_TOKEN = 'platform-api-token-XYZ-123';

describe('health and admin API', () => {
  let store: SqliteStore;
  let app: FastifyInstance;

  beforeEach(async () => {
    store = openSqliteStore(':memory:');
    await store.upsertSite({ siteId: SITE, secrets: [SECRET] });
    const td = createTestDestination();
    app = await buildApp({ config: testConfig({ adminToken: ADMIN_TOKEN }), registry: td.registry, store, startWorker: false });
  });
  afterEach(async () => {
    await app.close();
    await store.close().catch(() => undefined);
  });

  it('/healthz answers while the process runs; /readyz reflects the store', async () => {
    expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready' });
    await store.close();
    const down = await app.inject('/readyz');
    expect(down.statusCode).toBe(503);
    expect(down.json()).toEqual({
      status: 'unavailable',
      error: 'store_unavailable',
      message: 'the store does not answer; check the LAYERSYNC_DB file, its disk and permissions',
    });
    expect((await app.inject('/healthz')).statusCode).toBe(200);
  });

  it('is 404 when LAYERSYNC_ADMIN_TOKEN is not set', async () => {
    const off = await buildApp({ config: testConfig(), registry: {}, store, startWorker: false });
    const res = await off.inject({ url: '/v1/admin/events', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      error: 'not_found',
      message: 'the admin API is disabled; start the relay with LAYERSYNC_ADMIN_TOKEN set to enable it',
    });
    await off.close();
  });

  it('is 401 without the right bearer token', async () => {
    for (const authorization of [undefined, 'Bearer wrong-token', `Basic ${ADMIN_TOKEN}`, `Bearer ${ADMIN_TOKEN}x`, `Bearer ${ADMIN_TOKEN.slice(0, -1)}`]) {
      const res = await app.inject({ url: '/v1/admin/events', headers: authorization ? { authorization } : {} });
      expect(res.statusCode, String(authorization)).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(res.json()).toEqual({ error: 'unauthorized', message: "send Authorization: Bearer <the relay's LAYERSYNC_ADMIN_TOKEN>" });
    }
  });

  it('lists recent events with their deliveries and payloads, never secrets', async () => {
    const dest = await store.upsertDestination({ siteId: SITE, slug: 'meta', enabled: true, mode: 'dry_run', settings: { api_token: API_TOKEN } });
    const first = makeEvent();
    const second = makeEvent({ event_name: 'search' });
    expect((await postEvents(app, { events: [first, second] })).statusCode).toBe(202);
    const [claimed] = await store.claimDeliveries(dest.id, { now: Date.now(), limit: 1, leaseMs: 1000 });
    await store.completeDeliveries(
      [{ id: claimed!.id, leaseToken: claimed!.leaseToken, status: 'dry_run', attempts: 0, nextAttemptAt: null, lastStatus: null, lastError: null, payload: { name: 'Lead' }, latencyMs: null }],
      Date.now(),
    );

    const res = await app.inject({ url: '/v1/admin/events?limit=10', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.events).toHaveLength(2);
    expect(body.events[0]).toMatchObject({
      site_id: SITE,
      event_id: second.event_id,
      event_name: 'search',
      source: 'server',
      deliveries: [{ destination: 'meta', mode: 'dry_run', status: 'skipped', attempts: 0, payload: null }],
    });
    expect(body.events[1]).toMatchObject({
      event_id: first.event_id,
      event: { event_id: first.event_id, identity: first.identity },
      deliveries: [
        {
          destination: 'meta',
          mode: 'dry_run',
          platform_event_name: 'Lead',
          status: 'dry_run',
          attempts: 0,
          last_status: null,
          last_error: null,
          payload: { name: 'Lead' },
        },
      ],
    });
    expect(body.events[1].received_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(res.body).not.toContain(API_TOKEN);
    expect(res.body).not.toContain(SECRET);

    const one = await app.inject({ url: `/v1/admin/events?limit=1&site=${SITE}`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(one.json().events).toHaveLength(1);
    const other = await app.inject({ url: '/v1/admin/events?site=other', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(other.json()).toEqual({ events: [] });
  });

  it('explains a bad query', async () => {
    const res = await app.inject({ url: '/v1/admin/events?limit=0', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toBe('invalid_query');
    expect(res.json().message).toMatch(/^limit: .*; use \?limit=1-500&site=<site id>$/);
  });
});
