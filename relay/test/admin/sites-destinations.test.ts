import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canonicalEventSchema } from '../../src/contract/event.js';
import { destinations } from '../../src/destinations/registry.js';
import { FAKE_META_PIXEL_ID, FAKE_META_TOKEN, startFakeMeta, type FakeMeta } from '../fakes/meta-server.js';
import { makeEvent, postEvents, SECRET, SITE } from '../helpers.js';
import { adminFixture, T0, type AdminFixture } from './support.js';

const META_TOKEN = 'EAAB-meta-token-for-admin-tests-000111';
const GA4_SECRET = 'ga4-api-secret-XyZ987';

describe('admin API: sites', () => {
  let fx: AdminFixture;
  beforeEach(async () => {
    fx = await adminFixture(destinations);
  });
  afterEach(() => fx.close());

  it('creates a site, returns a generated secret once, and lists it masked', async () => {
    const created = await fx.call('POST', '/v1/admin/sites', { site_id: 'shop-2' });
    expect(created.statusCode).toBe(201);
    const body = created.json();
    expect(body.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(body.site).toMatchObject({ site_id: 'shop-2', rotating: false, destinations: 0, secrets: [{ role: 'current', masked: `••••${body.secret.slice(-4)}` }] });
    expect(await fx.store.getSite('shop-2')).toMatchObject({ secrets: [body.secret] });

    const list = await fx.call('GET', '/v1/admin/sites');
    expect(list.statusCode).toBe(200);
    expect(list.json().sites.map((s: { site_id: string }) => s.site_id)).toEqual(['shop-2', SITE]);
    expect(list.body).not.toContain(body.secret);
    expect(list.body).not.toContain(SECRET);

    const own = await fx.call('POST', '/v1/admin/sites', { site_id: 'shop-3', secret: 'c'.repeat(40) });
    expect(own.statusCode).toBe(201);
    expect(own.json().secret).toBeUndefined();
    expect(own.body).not.toContain('c'.repeat(40));

    const again = await fx.call('POST', '/v1/admin/sites', { site_id: 'shop-2' });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toBe('site_exists');
  });

  it('names the invalid field', async () => {
    const res = await fx.call('POST', '/v1/admin/sites', { site_id: 'bad id', secret: 'short' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toBe('invalid_body');
    expect(res.json().message).toMatch(/^site_id: must be a site id/);
    expect(res.json().issues.map((i: { path: string }) => i.path)).toEqual(['site_id', 'secret']);
    const unknown = await fx.call('POST', '/v1/admin/sites', { site_id: 'ok', extra: 1 });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().message).toMatch(/extra/);
    expect((await fx.call('GET', '/v1/admin/sites/nope')).statusCode).toBe(404);
  });

  it('rotates: two active secrets both sign, then retiring the old one refuses it', async () => {
    const rotated = await fx.call('POST', `/v1/admin/sites/${SITE}/rotate-secret`, {});
    expect(rotated.statusCode).toBe(200);
    const fresh = rotated.json().secret as string;
    expect(rotated.json().site).toMatchObject({ rotating: true, secrets: [{ role: 'current' }, { role: 'previous', masked: `••••${SECRET.slice(-4)}` }] });
    expect(await fx.store.getSite(SITE)).toMatchObject({ secrets: [fresh, SECRET] });

    fx.clock.now = Date.now();
    expect((await postEvents(fx.app, { events: [makeEvent()] }, { secret: SECRET })).statusCode).toBe(202);
    expect((await postEvents(fx.app, { events: [makeEvent()] }, { secret: fresh })).statusCode).toBe(202);

    const retired = await fx.call('POST', `/v1/admin/sites/${SITE}/retire-secret`);
    expect(retired.statusCode).toBe(200);
    expect(retired.json()).toMatchObject({ rotating: false, secrets: [{ role: 'current', masked: `••••${fresh.slice(-4)}` }] });
    const old = await postEvents(fx.app, { events: [makeEvent()] }, { secret: SECRET });
    expect(old.statusCode).toBe(401);
    expect(old.json().error).toBe('bad_signature');
    expect((await postEvents(fx.app, { events: [makeEvent()] }, { secret: fresh })).statusCode).toBe(202);

    const notRotating = await fx.call('POST', `/v1/admin/sites/${SITE}/retire-secret`);
    expect(notRotating.statusCode).toBe(409);
  });

  it('reads and replaces the site privacy policy, naming invalid fields', async () => {
    const initial = await fx.call('GET', `/v1/admin/sites/${SITE}/policy`);
    expect(initial.statusCode).toBe(200);
    expect(initial.json()).toMatchObject({ default_denied: false, ldu: { enabled: false }, do_not_sell_mode: 'limited', purposes: {} });
    const set = await fx.call('PUT', `/v1/admin/sites/${SITE}/policy`, { default_denied: true, ldu: { enabled: true, country: 'US', state: 'CA' }, purposes: { webhook: ['analytics_storage'] } });
    expect(set.statusCode).toBe(200);
    expect(set.json()).toMatchObject({ default_denied: true, ldu: { enabled: true, country: 'US', state: 'CA' }, purposes: { webhook: ['analytics_storage'] } });
    expect(await fx.store.getSitePolicy(SITE)).toMatchObject({ default_denied: true });
    const bad = await fx.call('PUT', `/v1/admin/sites/${SITE}/policy`, { ldu: { enabled: true, country: 'usa' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().issues[0].path).toBe('ldu.country');
    expect((await fx.call('GET', '/v1/admin/sites/ghost/policy')).statusCode).toBe(404);
  });

  it('reports the retention period with each site, and the sweep deletes events older than it', async () => {
    await fx.close();
    fx = await adminFixture(destinations, { config: { retentionDays: 30 } });
    expect((await fx.call('GET', `/v1/admin/sites/${SITE}`)).json()).toMatchObject({ site_id: SITE, retention_days: 30 });
    const store = fx.store;
    const day = 86_400_000;
    const event = (receivedAt: number) => ({ siteId: SITE, requestId: `retention-${receivedAt}`, requestIdExpiresAt: receivedAt + 300_000, receivedAt, events: [{ event: canonicalEventSchema.parse(makeEvent()), deliveries: [] }] });
    await store.ingest(event(fx.app.clock() - 31 * day));
    await store.ingest(event(fx.app.clock() - 29 * day));
    await fx.app.sweepRetention();
    expect(await store.listEvents({ limit: 10 })).toHaveLength(1);
  });

  it('refuses to retire a secret when the site is not rotating', async () => {
    const notRotating = await fx.call('POST', `/v1/admin/sites/${SITE}/retire-secret`);
    expect(notRotating.statusCode).toBe(409);
    expect(notRotating.json().error).toBe('not_rotating');
  });
});

describe('admin API: destinations', () => {
  let fx: AdminFixture;
  let fake: FakeMeta;
  beforeEach(async () => {
    fake = await startFakeMeta({ pixels: [FAKE_META_PIXEL_ID] });
    fx = await adminFixture(destinations, { config: { metaBaseUrl: fake.url } });
  });
  afterEach(async () => {
    await fx.close();
    await fake.close();
  });

  const createMeta = (settings: Record<string, unknown> = { pixel_id: FAKE_META_PIXEL_ID, access_token: META_TOKEN }, extra = {}) =>
    fx.call('POST', '/v1/admin/destinations', { site_id: SITE, slug: 'meta', settings, ...extra });

  it('describes every destination type with its settings schema, secret flags, titles and help', async () => {
    const res = await fx.call('GET', '/v1/admin/destination-types');
    expect(res.statusCode).toBe(200);
    const types = res.json().types as Array<Record<string, unknown> & { slug: string; fields: Array<Record<string, unknown>>; settings_schema: { properties: Record<string, Record<string, unknown>> } }>;
    expect(types.map((t) => t.slug)).toEqual(Object.keys(destinations));
    const meta = types.find((t) => t.slug === 'meta')!;
    expect(meta).toMatchObject({ label: 'Meta Conversions API', secret_fields: ['access_token'], supports_connection_test: true, max_event_age_seconds: 7 * 86_400 });
    expect(meta.settings_schema.properties.access_token).toMatchObject({ secret: true, title: 'Conversions API access token', type: 'string' });
    expect(meta.settings_schema.properties.pixel_id!.description).toMatch(/Events Manager/);
    expect(meta.fields.map((f) => [f.name, f.required, f.secret])).toEqual([
      ['pixel_id', true, false],
      ['access_token', true, true],
      ['test_event_code', false, false],
    ]);
    const ga4 = types.find((t) => t.slug === 'ga4')!;
    expect(ga4.secret_fields).toEqual(['api_secret']);
    expect(ga4.fields.find((f) => f.name === 'region')).toMatchObject({ type: 'enum', enum: ['global', 'eu'], default: 'global', required: false });
    expect(ga4.fields.find((f) => f.name === 'debug_mode')).toMatchObject({ type: 'boolean', default: false });
    for (const t of types) expect(t.settings_schema.properties, t.slug).toBeDefined();
  });

  it('creates from the settings schema, masks secrets in every answer, and names invalid fields', async () => {
    const bad = await createMeta({ pixel_id: 'px-1', access_token: 'short' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toBe('invalid_settings');
    expect(bad.json().message).toMatch(/^invalid Meta Conversions API settings: settings\.pixel_id: must be the numeric Pixel/);
    expect(bad.json().issues.map((i: { path: string }) => i.path)).toEqual(['settings.pixel_id', 'settings.access_token']);
    const unknownField = await createMeta({ pixel_id: FAKE_META_PIXEL_ID, access_token: META_TOKEN, nope: 1 });
    expect(unknownField.statusCode).toBe(400);
    expect(unknownField.json().message).toContain('nope');
    const badSlug = await fx.call('POST', '/v1/admin/destinations', { site_id: SITE, slug: 'myspace', settings: {} });
    expect(badSlug.statusCode).toBe(400);
    expect(badSlug.json().issues[0].path).toBe('slug');
    const noSite = await fx.call('POST', '/v1/admin/destinations', { site_id: 'ghost', slug: 'meta', settings: { pixel_id: FAKE_META_PIXEL_ID, access_token: META_TOKEN } });
    expect(noSite.statusCode).toBe(404);
    expect(noSite.json().error).toBe('unknown_site');

    const res = await createMeta(undefined, { mode: 'dry_run' });
    expect(res.statusCode).toBe(201);
    const d = res.json();
    expect(d).toMatchObject({
      site_id: SITE,
      slug: 'meta',
      label: 'Meta Conversions API',
      enabled: true,
      mode: 'dry_run',
      settings: { pixel_id: FAKE_META_PIXEL_ID, access_token: `••••${META_TOKEN.slice(-4)}` },
      secret_fields: ['access_token'],
      parked: null,
    });
    expect(res.body).not.toContain(META_TOKEN);
    expect(await fx.store.getDestination(d.id)).toMatchObject({ settings: { access_token: META_TOKEN } });
    expect((await createMeta()).statusCode).toBe(409);

    const ga4 = await fx.call('POST', '/v1/admin/destinations', {
      site_id: SITE,
      slug: 'ga4',
      settings: { measurement_id: 'g-abc123xyz9', api_secret: GA4_SECRET },
    });
    expect(ga4.statusCode).toBe(201);
    expect(ga4.json().settings).toEqual({ measurement_id: 'G-ABC123XYZ9', api_secret: `••••${GA4_SECRET.slice(-4)}`, debug_mode: false, region: 'global' });

    for (const url of ['/v1/admin/destinations', `/v1/admin/destinations?site=${SITE}`, `/v1/admin/destinations/${d.id}`, `/v1/admin/sites/${SITE}`, '/v1/admin/sites']) {
      const r = await fx.call('GET', url);
      expect(r.statusCode, url).toBe(200);
      expect(r.body, url).not.toContain(META_TOKEN);
      expect(r.body, url).not.toContain(GA4_SECRET);
      expect(r.body, url).not.toContain(SECRET);
    }
    const list = await fx.call('GET', `/v1/admin/destinations?destination=ga4`);
    expect(list.json().destinations.map((x: { slug: string }) => x.slug)).toEqual(['ga4']);
  });

  it('updates: a masked or omitted secret keeps the stored one; new credentials un-park; mode and enabled switch', async () => {
    const { id } = (await createMeta()).json();
    await fx.store.parkDestination(id, 'Meta refused the credentials', T0);
    expect((await fx.call('GET', `/v1/admin/destinations/${id}`)).json().parked).toEqual({ at: new Date(T0).toISOString(), reason: 'Meta refused the credentials' });

    // The admin app sends the form back as it got it: the masked token must not replace the real one.
    const same = await fx.call('PATCH', `/v1/admin/destinations/${id}`, {
      settings: { pixel_id: FAKE_META_PIXEL_ID, access_token: `••••${META_TOKEN.slice(-4)}`, test_event_code: 'TEST42' },
    });
    expect(same.statusCode).toBe(200);
    expect(same.json().settings.test_event_code).toBe('TEST42');
    expect(await fx.store.getDestination(id)).toMatchObject({ settings: { access_token: META_TOKEN, test_event_code: 'TEST42' } });
    // Changed settings get a new try.
    expect(same.json().parked).toBeNull();
    await fx.store.parkDestination(id, 'Meta refused the credentials', T0);
    // Unchanged settings (the form saved as it was) do not.
    const unchanged = await fx.call('PATCH', `/v1/admin/destinations/${id}`, { settings: { access_token: `••••${META_TOKEN.slice(-4)}` } });
    expect(unchanged.json().parked).not.toBeNull();

    const removeCode = await fx.call('PATCH', `/v1/admin/destinations/${id}`, { settings: { test_event_code: null } });
    expect(removeCode.json().settings).not.toHaveProperty('test_event_code');
    await fx.store.parkDestination(id, 'Meta refused the credentials', T0);

    const invalid = await fx.call('PATCH', `/v1/admin/destinations/${id}`, { settings: { access_token: 'has spaces in it, which is wrong' } });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().issues[0].path).toBe('settings.access_token');
    expect((await fx.store.getDestination(id))!.parkedAt).toBe(T0);

    const newToken = `${META_TOKEN}-new`;
    const fixed = await fx.call('PATCH', `/v1/admin/destinations/${id}`, { settings: { access_token: newToken } });
    expect(fixed.json()).toMatchObject({ parked: null, settings: { access_token: '••••-new' } });
    expect(fixed.body).not.toContain(newToken);

    await fx.store.parkDestination(id, 'again', T0);
    const modeOnly = await fx.call('POST', `/v1/admin/destinations/${id}/mode`, { mode: 'dry_run' });
    expect(modeOnly.json()).toMatchObject({ mode: 'dry_run', parked: { reason: 'again' } });
    expect((await fx.call('POST', `/v1/admin/destinations/${id}/mode`, { mode: 'paused' })).json().issues[0].path).toBe('mode');
    expect((await fx.call('POST', `/v1/admin/destinations/${id}/disable`)).json().enabled).toBe(false);
    expect((await fx.call('POST', `/v1/admin/destinations/${id}/enable`)).json().enabled).toBe(true);
    expect((await fx.call('PATCH', `/v1/admin/destinations/${id}`, { mode: 'live', enabled: false })).json()).toMatchObject({ mode: 'live', enabled: false });
    expect((await fx.call('PATCH', '/v1/admin/destinations/999', { mode: 'live' })).statusCode).toBe(404);
    expect((await fx.call('PATCH', '/v1/admin/destinations/abc', { mode: 'live' })).json()).toMatchObject({ error: 'invalid_params' });
  });

  it('replaces the event map overrides', async () => {
    const { id } = (await createMeta()).json();
    const set = await fx.call('PUT', `/v1/admin/destinations/${id}/event-map`, { event_map: { 'custom:quote': 'Lead', page_view: null } });
    expect(set.statusCode).toBe(200);
    expect(set.json().event_map).toEqual({ 'custom:quote': 'Lead', page_view: null });
    const bad = await fx.call('PUT', `/v1/admin/destinations/${id}/event-map`, { event_map: { 'not an event': 'Lead' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().issues[0].path).toMatch(/^event_map/);
    expect((await fx.call('PUT', `/v1/admin/destinations/${id}/event-map`, { event_map: null })).json().event_map).toBeNull();
  });

  it('deletes a destination with its deliveries', async () => {
    const { id } = (await createMeta()).json();
    fx.clock.now = Date.now();
    await postEvents(fx.app, { events: [makeEvent(), makeEvent()] });
    const res = await fx.call('DELETE', `/v1/admin/destinations/${id}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ deleted: { destination: id, deliveries: 2 } });
    expect(await fx.store.getDestination(id)).toBeUndefined();
    expect((await fx.call('DELETE', `/v1/admin/destinations/${id}`)).statusCode).toBe(404);
  });

  it('tests the connection and returns the platform diagnosis without the secret', async () => {
    const good = (await createMeta({ pixel_id: FAKE_META_PIXEL_ID, access_token: FAKE_META_TOKEN })).json();
    const ok = await fx.call('POST', `/v1/admin/destinations/${good.id}/test`);
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ destination_id: good.id, ok: true, code: 'ok' });
    expect(ok.json().message).toContain(FAKE_META_PIXEL_ID);

    await fx.call('PATCH', `/v1/admin/destinations/${good.id}`, { settings: { access_token: META_TOKEN } });
    const refused = await fx.call('POST', `/v1/admin/destinations/${good.id}/test`);
    expect(refused.statusCode).toBe(200);
    expect(refused.json().ok).toBe(false);
    expect(refused.json().code).not.toBe('ok');
    expect(refused.body).not.toContain(META_TOKEN);
    expect(fake.requests.length).toBeGreaterThanOrEqual(2);
    expect((await fx.call('POST', '/v1/admin/destinations/999/test')).statusCode).toBe(404);
  });
});
