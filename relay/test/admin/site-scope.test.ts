/**
 * Site-signed admin access (docs/CONTRACT.md, "Admin API for a site"): a request signed with a
 * site's secret like ingest sees and changes only that site's data; bad signatures, stale clocks
 * and replays are refused with ingest's error codes.
 */
import { readFileSync } from 'node:fs';
import type { InjectOptions } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signRequest } from '../../src/sign.js';
import { RELAY_VERSION } from '../../src/version.js';
import { createTestDestination, makeEvent, SECRET, SITE } from '../helpers.js';
import { adminFixture, seedEvents, settleAll, T0, type AdminFixture } from './support.js';

const OTHER = 'other-site';
const OTHER_SECRET = 'o'.repeat(40);
const T0S = Math.floor(T0 / 1000);

describe('admin API: site-signed access', () => {
  let fx: AdminFixture;
  let own: number;
  let foreign: number;

  /** A request signed by a site over exactly the bytes sent (nothing for GET). */
  const signedCall = (
    method: InjectOptions['method'],
    url: string,
    body?: unknown,
    opts: { site?: string; secret?: string; timestamp?: number; requestId?: string; headers?: Record<string, string> } = {},
  ) => {
    const payload = body === undefined ? '' : JSON.stringify(body);
    const headers = signRequest({
      siteId: opts.site ?? SITE,
      secret: opts.secret ?? SECRET,
      body: payload,
      timestamp: opts.timestamp ?? T0S,
      requestId: opts.requestId,
    });
    if (body === undefined) delete headers['content-type'];
    return fx.app.inject({ method, url, headers: { ...headers, ...opts.headers }, ...(body === undefined ? {} : { payload }) });
  };

  beforeEach(async () => {
    fx = await adminFixture(createTestDestination().registry);
    await fx.store.upsertSite({ siteId: OTHER, secrets: [OTHER_SECRET] }, T0);
    own = (await fx.store.upsertDestination({ siteId: SITE, slug: 'meta', enabled: true, mode: 'live', settings: { api_token: 'tok-own-12345678' } }, T0)).id;
    foreign = (await fx.store.upsertDestination({ siteId: OTHER, slug: 'meta', enabled: true, mode: 'live', settings: { api_token: 'tok-other-1234567' } }, T0)).id;
    await seedEvents(fx.store, [makeEvent({ event_time: T0S - 60 })], { destinations: [own] });
    await seedEvents(fx.store, [makeEvent({ event_time: T0S - 60 }), makeEvent({ event_time: T0S - 60 })], { siteId: OTHER, destinations: [foreign] });
  });
  afterEach(() => fx.close());

  it('lists only its own site, destinations, events, deliveries and stats, with masked secrets', async () => {
    const sites = await signedCall('GET', '/v1/admin/sites');
    expect(sites.statusCode).toBe(200);
    expect(sites.headers['x-layersync-relay-version']).toBe(RELAY_VERSION);
    expect(RELAY_VERSION).toBe((JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version);
    expect(sites.json().sites.map((s: { site_id: string }) => s.site_id)).toEqual([SITE]);

    const dests = await signedCall('GET', '/v1/admin/destinations');
    expect(dests.json().destinations.map((d: { id: number }) => d.id)).toEqual([own]);
    expect(dests.json().destinations[0].settings.api_token).toBe('••••5678');
    expect(dests.body).not.toContain('tok-own');

    const events = await signedCall('GET', '/v1/admin/events?limit=50');
    expect(events.json().events).toHaveLength(1);
    expect(events.json().events[0].site_id).toBe(SITE);

    const deliveries = await signedCall('GET', '/v1/admin/deliveries?limit=50');
    expect(deliveries.json().deliveries.map((d: { destination_id: number }) => d.destination_id)).toEqual([own]);

    const stats = await signedCall('GET', '/v1/admin/stats');
    expect(stats.json().destinations.map((d: { destination_id: number }) => d.destination_id)).toEqual([own]);

    const csv = await signedCall('GET', '/v1/admin/export/events?format=csv');
    expect(csv.statusCode).toBe(200);
    expect(csv.body.trim().split('\n')).toHaveLength(2); // header + its one event
    expect(csv.body).not.toContain(OTHER);
  });

  it('refuses another site named explicitly (403) and hides other sites\' destinations (404)', async () => {
    for (const [method, url, body] of [
      ['GET', `/v1/admin/sites/${OTHER}`],
      ['GET', `/v1/admin/sites/${OTHER}/policy`],
      ['PUT', `/v1/admin/sites/${OTHER}/policy`, {}],
      ['GET', `/v1/admin/events?site=${OTHER}`],
      ['GET', `/v1/admin/deliveries?site=${OTHER}`],
      ['GET', `/v1/admin/destinations?site=${OTHER}`],
      ['GET', `/v1/admin/stats?site=${OTHER}`],
      ['GET', `/v1/admin/export/deliveries?format=csv&site=${OTHER}`],
      ['POST', '/v1/admin/destinations', { site_id: OTHER, slug: 'meta', settings: { api_token: 'x'.repeat(12) } }],
      ['POST', '/v1/admin/replays', { site_id: OTHER, since: '1d', until: '0s' }],
      ['POST', '/v1/admin/privacy/delete', { site_id: OTHER, email_sha256: 'a'.repeat(64) }],
    ] as Array<[InjectOptions['method'], string, unknown?]>) {
      const res = await signedCall(method, url, body);
      expect(res.statusCode, `${method} ${url}`).toBe(403);
      expect(res.json().error).toBe('forbidden_site');
    }
    for (const [method, url, body] of [
      ['GET', `/v1/admin/destinations/${foreign}`],
      ['PATCH', `/v1/admin/destinations/${foreign}`, { enabled: false }],
      ['DELETE', `/v1/admin/destinations/${foreign}`],
      ['POST', `/v1/admin/destinations/${foreign}/disable`],
      ['POST', `/v1/admin/destinations/${foreign}/mode`, { mode: 'dry_run' }],
      ['PUT', `/v1/admin/destinations/${foreign}/event-map`, { event_map: null }],
      ['POST', `/v1/admin/destinations/${foreign}/test`],
      ['GET', `/v1/admin/destinations/${foreign}/stats`],
      ['POST', '/v1/admin/replays', { destination_id: foreign }],
    ] as Array<[InjectOptions['method'], string, unknown?]>) {
      const res = await signedCall(method, url, body);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }
    // Nothing of the other site changed.
    const d = await fx.store.getDestination(foreign);
    expect(d).toMatchObject({ enabled: true, mode: 'live' });
  });

  it('may not create sites or rotate secrets (operator only)', async () => {
    for (const [url, body] of [
      ['/v1/admin/sites', { site_id: 'new-site' }],
      [`/v1/admin/sites/${SITE}/rotate-secret`, {}],
      [`/v1/admin/sites/${SITE}/retire-secret`, undefined],
    ] as Array<[string, unknown]>) {
      const res = await signedCall('POST', url, body);
      expect(res.statusCode, url).toBe(403);
      expect(res.json().error).toBe('operator_only');
    }
    expect(await fx.store.getSite('new-site')).toBeUndefined();
    expect((await fx.store.getSite(SITE))!.secrets).toEqual([SECRET]);
  });

  it('changes its own destination and policy, and records replays and deletions as the site', async () => {
    const patched = await signedCall('POST', `/v1/admin/destinations/${own}/mode`, { mode: 'dry_run' });
    expect(patched.statusCode).toBe(200);
    expect(patched.json().mode).toBe('dry_run');

    const policy = await signedCall('PUT', `/v1/admin/sites/${SITE}/policy`, { default_denied: true });
    expect(policy.statusCode).toBe(200);
    expect((await fx.store.getSitePolicy(SITE)).default_denied).toBe(true);

    await settleAll(fx.store, own, 'failed', { now: T0 });
    await settleAll(fx.store, foreign, 'failed', { now: T0 });
    const replay = await signedCall('POST', '/v1/admin/replays', { since: '1d', until: '0s', requested_by: 'someone-else' }, { headers: { 'x-layersync-actor': 'wp:admin' } });
    expect(replay.statusCode).toBe(201);
    expect(replay.json().requeued).toBe(1); // its own failed delivery, not the other site's two
    expect(replay.json().replay.requested_by).toBe(`site:${SITE} (wp:admin)`);
    const replays = await signedCall('GET', '/v1/admin/replays');
    expect(replays.json().replays).toHaveLength(1);

    const del = await signedCall('POST', '/v1/admin/privacy/delete', { email_sha256: 'f'.repeat(64), dry_run: true });
    expect(del.statusCode).toBe(200);
  });

  it('refuses bad signatures, unknown sites, stale timestamps, missing headers and replays with ingest\'s codes', async () => {
    const wrongSecret = await signedCall('GET', '/v1/admin/events', undefined, { secret: 'z'.repeat(64) });
    expect(wrongSecret.statusCode).toBe(401);
    expect(wrongSecret.json().error).toBe('bad_signature');

    const otherSecret = await signedCall('GET', '/v1/admin/events', undefined, { secret: OTHER_SECRET });
    expect(otherSecret.json().error).toBe('bad_signature');

    const unknown = await signedCall('GET', '/v1/admin/events', undefined, { site: 'ghost-site' });
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json().error).toBe('unknown_site');

    const stale = await signedCall('GET', '/v1/admin/events', undefined, { timestamp: T0S - 301 });
    expect(stale.statusCode).toBe(401);
    expect(stale.json()).toMatchObject({ error: 'stale_timestamp', message: expect.stringContaining('301 s in the past') });

    // The signature covers the body: a body changed after signing is refused, and nothing changes.
    const headers = signRequest({ siteId: SITE, secret: SECRET, body: JSON.stringify({ mode: 'live' }), timestamp: T0S });
    const tampered = await fx.app.inject({ method: 'POST', url: `/v1/admin/destinations/${own}/mode`, headers, payload: JSON.stringify({ mode: 'dry_run' }) });
    expect(tampered.statusCode).toBe(401);
    expect(tampered.json().error).toBe('bad_signature');
    expect((await fx.store.getDestination(own))!.mode).toBe('live');

    const partial = await fx.app.inject({ method: 'GET', url: '/v1/admin/events', headers: { 'x-layersync-site': SITE } });
    expect(partial.statusCode).toBe(401);
    expect(partial.json().error).toBe('missing_headers');

    const first = await signedCall('GET', '/v1/admin/events', undefined, { requestId: 'req-0123456789' });
    expect(first.statusCode).toBe(200);
    const again = await signedCall('GET', '/v1/admin/events', undefined, { requestId: 'req-0123456789' });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toBe('replayed_request');
  });

  it('works without LAYERSYNC_ADMIN_TOKEN, while bearer requests stay disabled', async () => {
    await fx.close();
    fx = await adminFixture(createTestDestination().registry, { config: { adminToken: undefined } });
    const res = await signedCall('GET', '/v1/admin/destinations');
    expect(res.statusCode).toBe(200);
    const bearer = await fx.call('GET', '/v1/admin/destinations');
    expect(bearer.statusCode).toBe(404);
  });
});
