/**
 * The consent gate and the event map, decided per destination at send time: what is skipped
 * (with which reason on the delivery row), what is sent, and with which privacy flags.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DESTINATION_SLUGS } from '../../src/destinations/types.js';
import { consentGate, DESTINATION_PRIVACY } from '../../src/pipeline/consent.js';
import { eventMapOverridesSchema, resolveEventName } from '../../src/pipeline/event-map.js';
import { DEFAULT_SITE_POLICY, parseSitePolicy } from '../../src/pipeline/policy.js';
import { makeEvent, SITE } from '../helpers.js';
import { createEchoDestination, GRANTED, harness, T0, T0_S, type Harness } from './fixtures.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** meta (ads, LDU), ga4 (analytics), linkedin (ads without LDU), webhook (no purposes by default). */
async function setup() {
  const d = {
    meta: createEchoDestination('meta'),
    ga4: createEchoDestination('ga4'),
    linkedin: createEchoDestination('linkedin'),
    webhook: createEchoDestination('webhook'),
  };
  h = await harness(d, { mergeWindowSeconds: 0 });
  for (const slug of Object.keys(d)) await h.addDestination(slug);
  return d;
}

const lead = (o: Parameters<typeof makeEvent>[0] = {}) => makeEvent({ event_time: T0_S, source: 'browser', ...o });

describe('consent gate at send time', () => {
  it('per destination: ads need ad_storage + ad_user_data, GA4 analytics_storage, webhooks nothing by default', async () => {
    const d = await setup();
    const e = lead({ consent: { ...GRANTED, ad_storage: 'denied', do_not_sell: false } });
    const ok = lead({ consent: { ...GRANTED, do_not_sell: false } });
    const noUserData = lead({ consent: { ...GRANTED, ad_user_data: 'denied', analytics_storage: 'denied' } });
    await h!.post([e, ok, noUserData]);
    await h!.worker().runUntilIdle();

    const rows = await h!.deliveries(e.event_id);
    expect(rows.meta).toMatchObject({ status: 'skipped', lastError: 'consent: ad_storage denied', attempts: 0, payload: null });
    expect(rows.linkedin).toMatchObject({ status: 'skipped', lastError: 'consent: ad_storage denied' });
    expect(rows.ga4).toMatchObject({ status: 'delivered' });
    expect(rows.webhook).toMatchObject({ status: 'delivered' });

    const ok2 = await h!.deliveries(ok.event_id);
    expect(Object.values(ok2).map((r) => r.status)).toEqual(['delivered', 'delivered', 'delivered', 'delivered']);
    expect(d.meta.payloads().find((p) => p.id === ok.event_id)!.privacy).toEqual({ limitedDataUse: false });

    const third = await h!.deliveries(noUserData.event_id);
    expect(third.meta!.lastError).toBe('consent: ad_user_data denied');
    expect(third.ga4!.lastError).toBe('consent: analytics_storage denied');
    expect(third.webhook!.status).toBe('delivered');
    // Only consented events reached each platform.
    expect(d.meta.payloads().map((p) => p.id)).toEqual([ok.event_id]);
    expect(d.ga4.payloads().map((p) => p.id).sort()).toEqual([e.event_id, ok.event_id].sort());
  });

  it('missing consent: sent by default, denied when the site policy says default_denied', async () => {
    await setup();
    const before = lead();
    await h!.post([before]);
    await h!.worker().runUntilIdle();
    expect(Object.values(await h!.deliveries(before.event_id)).map((r) => r.status)).toEqual(['delivered', 'delivered', 'delivered', 'delivered']);

    await h!.store.setSitePolicy(SITE, parseSitePolicy({ default_denied: true }));
    const after = lead();
    await h!.post([after]);
    await h!.worker().runUntilIdle();
    const rows = await h!.deliveries(after.event_id);
    expect(rows.meta).toMatchObject({
      status: 'skipped',
      lastError: 'consent: the event has no consent snapshot and the site policy treats missing consent as denied (default_denied); Echo meta needs ad_storage and ad_user_data',
    });
    expect(rows.ga4!.lastError).toMatch(/^consent: the event has no consent snapshot .* Echo ga4 needs analytics_storage$/);
    // A webhook needs no purpose unless the policy names some.
    expect(rows.webhook!.status).toBe('delivered');
  });

  it('webhook purposes are configurable per site', async () => {
    const d = await setup();
    await h!.store.setSitePolicy(SITE, parseSitePolicy({ purposes: { webhook: ['analytics_storage'] } }));
    const denied = lead({ consent: { ...GRANTED, analytics_storage: 'denied' } });
    await h!.post([denied]);
    await h!.worker().runUntilIdle();
    expect((await h!.deliveries(denied.event_id)).webhook).toMatchObject({ status: 'skipped', lastError: 'consent: analytics_storage denied' });
    expect(d.webhook.payloads()).toEqual([]);
  });

  it('LDU site policy: flags platforms that support it, with the event region first, then the policy region', async () => {
    const d = await setup();
    await h!.store.setSitePolicy(SITE, parseSitePolicy({ ldu: { enabled: true, country: 'US', state: 'CA' } }));
    const plain = lead({ consent: { ...GRANTED } });
    const regional = lead({ consent: { ...GRANTED, ldu: { country: 'US', state: 'CO' } } });
    await h!.post([plain, regional]);
    await h!.worker().runUntilIdle();
    const meta = Object.fromEntries(d.meta.payloads().map((p) => [p.id, p.privacy]));
    expect(meta[plain.event_id]).toEqual({ limitedDataUse: true, lduCountry: 'US', lduState: 'CA' });
    expect(meta[regional.event_id]).toEqual({ limitedDataUse: true, lduCountry: 'US', lduState: 'CO' });
    // GA4 is analytics: no LDU flag. LinkedIn has no LDU mode, but site-wide LDU alone does not drop it.
    expect(d.ga4.payloads().every((p) => p.privacy?.limitedDataUse === false)).toBe(true);
    expect(d.linkedin.payloads().every((p) => p.privacy?.limitedDataUse === false)).toBe(true);
  });

  it('do_not_sell: drop mode skips ads platforms; limited mode sends with LDU where supported and drops elsewhere', async () => {
    const d = await setup();
    const optedOut = () => lead({ consent: { ...GRANTED, do_not_sell: true, ldu: { country: 'US', state: 'CA' } } });

    await h!.store.setSitePolicy(SITE, parseSitePolicy({ do_not_sell_mode: 'drop' }));
    const dropped = optedOut();
    await h!.post([dropped]);
    await h!.worker().runUntilIdle();
    let rows = await h!.deliveries(dropped.event_id);
    expect(rows.meta).toMatchObject({ status: 'skipped', lastError: 'consent: do_not_sell is set and the site policy drops such events (do_not_sell_mode: drop)' });
    expect(rows.linkedin!.status).toBe('skipped');
    expect(rows.ga4!.status).toBe('delivered');
    expect(rows.webhook!.status).toBe('delivered');

    await h!.store.setSitePolicy(SITE, parseSitePolicy({ do_not_sell_mode: 'limited' }));
    const limited = optedOut();
    await h!.post([limited]);
    await h!.worker().runUntilIdle();
    rows = await h!.deliveries(limited.event_id);
    expect(rows.meta!.status).toBe('delivered');
    expect(d.meta.payloads().find((p) => p.id === limited.event_id)!.privacy).toEqual({ limitedDataUse: true, lduCountry: 'US', lduState: 'CA' });
    expect(rows.linkedin).toMatchObject({
      status: 'skipped',
      lastError: 'consent: do_not_sell is set and Echo linkedin has no limited-data-use flag, so the event is not sent (do_not_sell_mode: limited)',
    });
    expect(d.ga4.payloads().find((p) => p.id === limited.event_id)!.privacy).toEqual({ limitedDataUse: false });
  });

  it('a server event arriving later carries the browser consent snapshot and is gated by it', async () => {
    const d = await setup();
    // The visitor refused ad cookies at checkout; the order is paid an hour later (server hook).
    const snapshot = { ...GRANTED, ad_storage: 'denied' as const, ad_user_data: 'denied' as const };
    const checkout = lead({ event_name: 'begin_checkout', consent: snapshot });
    await h!.post([checkout]);
    h!.at(T0 + 3_600_000);
    const paid = makeEvent({
      event_name: 'purchase',
      source: 'server',
      event_time: T0_S + 3600,
      commerce: { order_id: '5001', value: 40, currency: 'EUR' },
      consent: snapshot,
    });
    await h!.post([paid]);
    await h!.worker().runUntilIdle();
    const rows = await h!.deliveries(paid.event_id);
    expect(rows.meta).toMatchObject({ status: 'skipped', lastError: 'consent: ad_storage and ad_user_data denied' });
    expect(rows.ga4!.status).toBe('delivered');
    expect(d.meta.payloads()).toEqual([]);
  });

  it('merged halves: a server half without consent is gated by the browser half’s snapshot', async () => {
    const meta = createEchoDestination('meta');
    h = await harness({ meta }, { mergeWindowSeconds: 5 });
    await h.addDestination('meta');
    await h.store.setSitePolicy(SITE, parseSitePolicy({ default_denied: false }));
    const browser = lead({ event_id: 'half-1', event_name: 'add_to_cart', consent: { ...GRANTED, ad_storage: 'denied' } });
    await h.post([browser]);
    h.at(T0 + 1000);
    await h.post([{ ...browser, source: 'server', consent: undefined, identity: { em: 'f'.repeat(64) } }]);
    h.at(T0 + 5000);
    await h.worker().runUntilIdle();
    expect((await h.deliveries('half-1')).meta).toMatchObject({ status: 'skipped', lastError: 'consent: ad_storage denied' });
    expect(meta.payloads()).toEqual([]);
  });

  it('is decided at send time: a policy changed after ingest applies to deliveries not yet sent', async () => {
    const meta = createEchoDestination('meta');
    h = await harness({ meta }, { mergeWindowSeconds: 5 });
    await h.addDestination('meta');
    const e = lead();
    await h.post([e]);
    await h.store.setSitePolicy(SITE, parseSitePolicy({ default_denied: true }));
    h.at(T0 + 5000);
    await h.worker().runUntilIdle();
    expect((await h.deliveries(e.event_id)).meta!.status).toBe('skipped');
  });

  it('stores and reads site policies with defaults', async () => {
    await setup();
    expect(await h!.store.getSitePolicy(SITE)).toEqual(DEFAULT_SITE_POLICY);
    expect(DEFAULT_SITE_POLICY).toEqual({ default_denied: false, ldu: { enabled: false }, do_not_sell_mode: 'limited', purposes: {} });
    const p = parseSitePolicy({ default_denied: true, ldu: { enabled: true, country: 'US' }, do_not_sell_mode: 'drop', purposes: { webhook: ['ad_user_data'] } });
    await h!.store.setSitePolicy(SITE, p, T0);
    expect(await h!.store.getSitePolicy(SITE)).toEqual(p);
    expect(() => parseSitePolicy({ do_not_sell_mode: 'sell' })).toThrow();
    expect(() => parseSitePolicy({ ldu: { enabled: true, country: 'usa' } })).toThrow(/ISO 3166-1/);
  });
});

describe('consentGate (pure)', () => {
  const policy = DEFAULT_SITE_POLICY;
  it('knows every destination the relay ships (add a line to src/pipeline/consent.ts for a new one)', () => {
    for (const slug of DESTINATION_SLUGS) expect(DESTINATION_PRIVACY[slug], slug).toBeDefined();
  });
  it('treats an unknown destination as an ads platform without LDU', () => {
    const e = { consent: { ...GRANTED, ad_user_data: 'denied' as const, do_not_sell: false } };
    expect(consentGate(e, 'brand-new', 'New', policy)).toEqual({ send: false, reason: 'consent: ad_user_data denied' });
  });
  it('ad_personalization alone does not block sending', () => {
    const e = { consent: { ...GRANTED, ad_personalization: 'denied' as const, do_not_sell: false } };
    expect(consentGate(e, 'meta', 'Meta', policy)).toEqual({ send: true, privacy: { limitedDataUse: false } });
  });
});

describe('event map', () => {
  it('per-site overrides take precedence; null stops forwarding; unmapped names are stored and skipped', async () => {
    const meta = createEchoDestination('meta');
    h = await harness({ meta }, { mergeWindowSeconds: 0 });
    const dest = await h.addDestination('meta');
    expect(await h.store.setEventMap(dest.id, { 'custom:quote_request': 'Lead', page_view: null, lead: 'Contact' })).toBe(true);
    expect(await h.store.setEventMap(9999, {})).toBe(false);
    expect((await h.store.getDestination(dest.id))!.eventMap).toEqual({ 'custom:quote_request': 'Lead', page_view: null, lead: 'Contact' });

    const quote = lead({ event_name: 'custom:quote_request' });
    const view = lead({ event_name: 'page_view' });
    const search = lead({ event_name: 'search' });
    const plainLead = lead();
    const cart = lead({ event_name: 'add_to_cart' });
    await h.post([quote, view, search, plainLead, cart]);
    // Decided at ingest already, so the merchant sees it at once.
    expect((await h.deliveries(view.event_id)).meta).toMatchObject({
      status: 'skipped',
      platformEventName: null,
      lastError: 'the site\'s event map for Echo meta does not forward "page_view"; the event is stored but not sent',
    });
    expect((await h.deliveries(search.event_id)).meta).toMatchObject({
      status: 'skipped',
      lastError: 'Echo meta has no mapping for "search"; the event is stored but not forwarded',
    });
    await h.worker().runUntilIdle();
    expect(meta.payloads().map((p) => [p.id, p.name])).toEqual([
      [quote.event_id, 'Lead'],
      [plainLead.event_id, 'Contact'],
      [cart.event_id, 'AddToCart'],
    ]);
    expect((await h.deliveries(quote.event_id)).meta).toMatchObject({ status: 'delivered', platformEventName: 'Lead' });
    expect((await h.store.listEvents({ limit: 10 })).map((e) => e.eventId)).toContain(search.event_id);
  });

  it('is applied again at send time: an override changed after ingest renames or stops a pending delivery', async () => {
    const meta = createEchoDestination('meta');
    h = await harness({ meta }, { mergeWindowSeconds: 5 });
    const dest = await h.addDestination('meta');
    const a = lead();
    const b = lead({ event_name: 'add_to_cart' });
    await h.post([a, b]);
    await h.store.setEventMap(dest.id, { lead: 'SubmitApplication', add_to_cart: null });
    h.at(T0 + 5000);
    await h.worker().runUntilIdle();
    expect(meta.payloads().map((p) => p.name)).toEqual(['SubmitApplication']);
    expect((await h.deliveries(a.event_id)).meta).toMatchObject({ status: 'delivered', platformEventName: 'SubmitApplication' });
    expect((await h.deliveries(b.event_id)).meta).toMatchObject({ status: 'skipped', platformEventName: null, lastError: expect.stringMatching(/does not forward "add_to_cart"/) });
    // Removing the overrides restores the defaults.
    await h.store.setEventMap(dest.id, null);
    expect((await h.store.getDestination(dest.id))!.eventMap).toBeNull();
  });

  it('validates overrides', () => {
    expect(eventMapOverridesSchema.safeParse({ 'custom:quote_request': 'Lead', page_view: null }).success).toBe(true);
    expect(eventMapOverridesSchema.safeParse({ pageview: 'PageView' }).success).toBe(false);
    expect(eventMapOverridesSchema.safeParse({ lead: '' }).success).toBe(false);
    const impl = { label: 'X', defaultEventMap: { lead: 'Lead' } };
    expect(resolveEventName('lead', impl, undefined)).toEqual({ ok: true, name: 'Lead', overridden: false });
    expect(resolveEventName('lead', impl, { lead: 'Other' })).toEqual({ ok: true, name: 'Other', overridden: true });
    expect(resolveEventName('toString', impl, {})).toMatchObject({ ok: false });
  });
});
