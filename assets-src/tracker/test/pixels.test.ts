/**
 * Pixels: each platform loaded from its own CDN with its documented bootstrap, advanced matching
 * with hashed data at init, the same event id as the server copy in each platform's dedup
 * parameter, consent gating and revocation; and the core's lazy loading of the chunk.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPixels } from '../src/pixels/index';
import type { PixelEvent, PixelsConfig, PixelsFactory } from '../src/pixels/types';
import type { Consent } from '../src/types';
import { ENDPOINT, loadTracker, mockFetch, settle, sha256, unloadTrackers, useFakeClock } from './helpers';

type Bag = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const w = window as unknown as Bag;

const GRANTED: Consent = { ad_storage: 'granted', analytics_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted', do_not_sell: false };
const DENIED: Consent = { ad_storage: 'denied', analytics_storage: 'denied', ad_user_data: 'denied', ad_personalization: 'denied', do_not_sell: false };
const GLOBALS = ['fbq', '_fbq', 'gtag', 'dataLayer', 'ttq', 'TiktokAnalyticsObject', 'pintrk', 'snaptr', 'lintrk', '_linkedin_partner_id', '_linkedin_data_partner_ids', 'rdt', 'twq', 'LayerSyncPixels'];

const CONFIG: PixelsConfig = {
  meta: { id: '1234567890' },
  google: { ids: ['G-TEST123', 'AW-999'], conversions: { purchase: 'AW-999/buyLabel' } },
  tiktok: { id: 'CTIKTOK1' },
  pinterest: { id: '2612345678901' },
  snapchat: { id: 'snap-pixel-1' },
  linkedin: { id: '5551234', conversions: { purchase: 777 } },
  reddit: { id: 'a2_reddit1' },
  x: { id: 'o8z6j', events: { purchase: 'tw-o8z6j-buy01' } },
};

const EM = sha256('jane@example.com');
const PURCHASE: PixelEvent = {
  event_name: 'purchase',
  event_id: 'wc-order-1001',
  commerce: { order_id: '1001', value: 59.8, currency: 'EUR', items: [{ id: 'SKU-1', name: 'Mug', price: 29.9, quantity: 2 }] },
  identity: { em: EM, em_google: EM, em_reddit: EM, ph: sha256('16505551212'), ph_e164: sha256('+16505551212'), external_id: sha256('42') },
};

let scripts: string[];
beforeEach(() => {
  for (const g of GLOBALS) delete w[g];
  scripts = [];
  vi.spyOn(document.head, 'appendChild').mockImplementation((node) => {
    scripts.push((node as HTMLScriptElement).src);
    return node;
  });
});
afterEach(() => {
  for (const g of GLOBALS) delete w[g];
});

const args = (queue: ArrayLike<unknown>[]) => queue.map((a) => Array.from(a));

describe('loading', () => {
  it('loads each enabled platform from its own CDN, never from our origin', () => {
    createPixels(window, CONFIG, GRANTED, {});
    expect(scripts).toEqual([
      'https://connect.facebook.net/en_US/fbevents.js',
      'https://www.googletagmanager.com/gtag/js?id=G-TEST123',
      'https://analytics.tiktok.com/i18n/pixel/events.js?sdkid=CTIKTOK1&lib=ttq',
      'https://s.pinimg.com/ct/core.js',
      'https://sc-static.net/scevent.min.js',
      'https://snap.licdn.com/li.lms-analytics/insight.min.js',
      'https://www.redditstatic.com/ads/pixel.js',
      'https://static.ads-twitter.com/uwt.js',
    ]);
  });

  it('passes hashed identifiers for advanced matching at init where the platform takes hashes', () => {
    createPixels(window, CONFIG, GRANTED, PURCHASE.identity);
    expect(args(w.fbq.queue)[0]).toEqual(['init', '1234567890', { em: EM, ph: PURCHASE.identity.ph, external_id: PURCHASE.identity.external_id }]);
    expect(args(w.dataLayer).find((a) => a[0] === 'set')).toEqual(['set', 'user_data', { sha256_email_address: EM, sha256_phone_number: PURCHASE.identity.ph_e164 }]);
    expect(w.ttq.filter((c: unknown[]) => c[0] === 'identify')).toEqual([['identify', { email: EM, phone_number: PURCHASE.identity.ph_e164, external_id: PURCHASE.identity.external_id }]]);
    expect(args(w.pintrk.queue)[0]).toEqual(['load', '2612345678901', { em: EM }]);
    expect(args(w.snaptr.queue)[0]).toEqual(['init', 'snap-pixel-1', { user_hashed_email: EM, user_hashed_phone_number: PURCHASE.identity.ph }]);
    expect(args(w.rdt.callQueue)[0]).toEqual(['init', 'a2_reddit1', { optOut: false, useDecimalCurrencyValues: true, email: EM, phoneNumber: PURCHASE.identity.ph_e164, externalId: PURCHASE.identity.external_id }]);
    expect(w._linkedin_partner_id).toBe('5551234');
    expect(args(w.twq.queue)[0]).toEqual(['config', 'o8z6j']);
  });
});

describe('dedup parameter = the server copy’s event id', () => {
  it('puts the event id where each platform deduplicates', () => {
    const px = createPixels(window, CONFIG, GRANTED, {});
    px.track(PURCHASE);
    const id = PURCHASE.event_id;
    expect(args(w.fbq.queue).find((a) => a[0] === 'track')).toEqual([
      'track',
      'Purchase',
      { value: 59.8, currency: 'EUR', content_ids: ['SKU-1'], contents: [{ id: 'SKU-1', quantity: 2, item_price: 29.9 }], content_type: 'product', num_items: 2, order_id: '1001' },
      { eventID: id },
    ]);
    const gtagEvents = args(w.dataLayer).filter((a) => a[0] === 'event');
    expect(gtagEvents[0]).toEqual(['event', 'purchase', expect.objectContaining({ event_id: id, transaction_id: '1001', value: 59.8, currency: 'EUR' })]);
    expect(gtagEvents[1]).toEqual(['event', 'conversion', { send_to: 'AW-999/buyLabel', value: 59.8, currency: 'EUR', transaction_id: '1001' }]);
    expect(w.ttq.find((c: unknown[]) => c[0] === 'track')).toEqual(['track', 'Purchase', expect.objectContaining({ value: 59.8, order_id: '1001' }), { event_id: id }]);
    expect(args(w.pintrk.queue).find((a) => a[0] === 'track')).toEqual(['track', 'checkout', expect.objectContaining({ event_id: id, order_quantity: 2 })]);
    expect(args(w.snaptr.queue).find((a) => a[0] === 'track')).toEqual(['track', 'PURCHASE', expect.objectContaining({ client_dedup_id: id, price: 59.8, transaction_id: '1001' })]);
    expect(w.lintrk.q).toEqual([['track', { conversion_id: 777, event_id: id }]]);
    expect(args(w.rdt.callQueue).find((a) => a[0] === 'track')).toEqual(['track', 'Purchase', expect.objectContaining({ conversionId: id, itemCount: 2 })]);
    expect(args(w.twq.queue).find((a) => a[0] === 'event')).toEqual(['event', 'tw-o8z6j-buy01', expect.objectContaining({ conversion_id: id, value: 59.8 })]);
  });

  it('uses the event id as the Google Ads transaction id when there is no order, and names custom events plainly', () => {
    const px = createPixels(window, { ...CONFIG, google: { ids: ['AW-999'], conversions: { lead: 'AW-999/leadLabel' } } }, GRANTED, {});
    px.track({ event_name: 'lead', event_id: 'lead-1', identity: {} });
    px.track({ event_name: 'custom:newsletter_open', event_id: 'c-1', identity: {} });
    expect(args(w.dataLayer).filter((a) => a[0] === 'event')).toEqual([
      ['event', 'generate_lead', { event_id: 'lead-1' }],
      ['event', 'conversion', { send_to: 'AW-999/leadLabel', transaction_id: 'lead-1' }],
      ['event', 'newsletter_open', { event_id: 'c-1' }],
    ]);
    expect(args(w.fbq.queue).filter((a) => a[0] !== 'init')).toEqual([
      ['track', 'Lead', {}, { eventID: 'lead-1' }],
      ['trackCustom', 'newsletter_open', {}, { eventID: 'c-1' }],
    ]);
    expect(args(w.rdt.callQueue).slice(1)).toEqual([
      ['track', 'Lead', { conversionId: 'lead-1' }],
      ['track', 'Custom', { conversionId: 'c-1', customEventName: 'newsletter_open' }],
    ]);
    expect(w.lintrk.q).toEqual([]); // no conversion rule for these events
  });
});

describe('consent', () => {
  it('loads nothing without consent, only Google with analytics alone, everything with ad_storage', () => {
    const px = createPixels(window, CONFIG, DENIED, {});
    expect(scripts).toEqual([]);
    px.consent({ ...DENIED, analytics_storage: 'granted' });
    expect(scripts).toEqual(['https://www.googletagmanager.com/gtag/js?id=G-TEST123']);
    expect(args(w.dataLayer)[0]).toEqual(['consent', 'default', { ad_storage: 'denied', analytics_storage: 'granted', ad_user_data: 'denied', ad_personalization: 'denied' }]);
    px.consent(GRANTED);
    expect(scripts).toHaveLength(8);
  });

  it('on revocation tells the platforms that have a consent API and stops calling every pixel', () => {
    const px = createPixels(window, CONFIG, GRANTED, {});
    px.consent({ ...GRANTED, ad_storage: 'denied', analytics_storage: 'denied' });
    px.track(PURCHASE);
    expect(args(w.fbq.queue).slice(-1)).toEqual([['consent', 'revoke']]);
    expect(w.ttq.slice(-1)).toEqual([['revokeConsent']]);
    expect(args(w.dataLayer).slice(-1)).toEqual([['consent', 'update', { ad_storage: 'denied', analytics_storage: 'denied', ad_user_data: 'granted', ad_personalization: 'granted' }]]);
    for (const q of [w.fbq.queue, w.pintrk.queue, w.snaptr.queue, w.rdt.callQueue, w.twq.queue]) expect(args(q).some((a) => a[0] === 'track' || a[0] === 'event')).toBe(false);
    expect(w.lintrk.q).toEqual([]);
  });

  it('loads no ad pixel for a visitor who opted out of sale/sharing', () => {
    createPixels(window, CONFIG, { ...GRANTED, do_not_sell: true }, {});
    expect(scripts).toEqual([]);
  });
});

describe('the core loads the chunk lazily', () => {
  beforeEach(() => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    useFakeClock();
  });
  afterEach(() => {
    unloadTrackers();
    vi.useRealTimers();
  });

  it('requests tracker-pixels.js only when a pixel is enabled and consented, then replays the page’s events', async () => {
    mockFetch();
    const factory = vi.fn<PixelsFactory>(() => ({ track: vi.fn(), consent: vi.fn() }));
    const api = loadTracker({ config: { endpoint: ENDPOINT, pixels: { meta: { id: '1' } }, pixels_src: '/wp-content/plugins/layersync/build/tracker-pixels.js' } });
    const id = await api.track('view_item', { email: 'jane@example.com' });
    await settle();
    expect(scripts).toEqual([]); // consent missing: nothing loaded
    api.setConsent({ ad_storage: 'granted' });
    expect(scripts).toEqual([`${location.origin}/wp-content/plugins/layersync/build/tracker-pixels.js`]);
    w.LayerSyncPixels = factory;
    const script = vi.mocked(document.head.appendChild).mock.calls[0]![0] as HTMLScriptElement;
    script.onload!(new Event('load'));
    expect(factory).toHaveBeenCalledWith(window, { meta: { id: '1' } }, expect.objectContaining({ ad_storage: 'granted' }), expect.objectContaining({ em: EM }));
    const px = factory.mock.results[0]!.value;
    expect(px.track.mock.calls[0][0]).toEqual(expect.objectContaining({ event_name: 'view_item', event_id: id }));
    api.setConsent({ ad_storage: 'denied' });
    expect(px.consent).toHaveBeenLastCalledWith(expect.objectContaining({ ad_storage: 'denied' }));
    const purchase = await api.track('purchase', { event_id: 'wc-order-7', value: 10, currency: 'EUR' });
    expect(px.track).toHaveBeenLastCalledWith(expect.objectContaining({ event_name: 'purchase', event_id: purchase }));
  });

  it('never requests the chunk when no pixel is enabled', async () => {
    mockFetch();
    const api = loadTracker({ config: { endpoint: ENDPOINT, consent: GRANTED, pixels_src: '/x/tracker-pixels.js' } });
    await api.track('page_view');
    await settle();
    expect(scripts).toEqual([]);
  });
});
