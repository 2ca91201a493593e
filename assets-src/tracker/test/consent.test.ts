/**
 * Consent: the state, each CMP source with its real event/global shapes (TCF through the real
 * @iabtcf/cmpapi), default-denied mode, consent-exempt events and revocation.
 */
import { CmpApi } from '@iabtcf/cmpapi';
import { GVL, TCModel, TCString } from '@iabtcf/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createConsentState } from '../src/consent';
import { QUEUE_KEY } from '../src/queue';
import { ENDPOINT, loadTracker, mockFetch, settle, sha256, storedQueue, unloadTrackers, useFakeClock } from './helpers';

type Bag = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const w = window as unknown as Bag;

const GRANTED = { ad_storage: 'granted', analytics_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted', do_not_sell: false };
const DENIED = { ad_storage: 'denied', analytics_storage: 'denied', ad_user_data: 'denied', ad_personalization: 'denied', do_not_sell: false };
const CMP_GLOBALS = ['dataLayer', 'gtag', '__tcfapi', 'wp_has_consent', 'cmplz_has_consent', 'Cookiebot', 'getCkyConsent', 'OnetrustActiveGroups', 'BorlabsCookie'];

beforeEach(() => {
  vi.spyOn(console, 'warn').mockImplementation(() => {});
  useFakeClock();
  for (const g of CMP_GLOBALS) delete w[g];
});
afterEach(() => {
  unloadTrackers();
  vi.useRealTimers();
  for (const g of CMP_GLOBALS) delete w[g];
});

const loadDenied = (extra: object = {}) => loadTracker({ config: { endpoint: ENDPOINT, consent: DENIED, ...extra } });

describe('consent state', () => {
  it('merges updates, reports changes once with before/after, and ignores what it does not understand', () => {
    const c = createConsentState({ ad_storage: 'granted' });
    const seen: unknown[] = [];
    c.on((now, before) => seen.push([now.analytics_storage, before.analytics_storage]));
    c.set({ analytics_storage: 'granted', bogus: 'yes', ad_user_data: 'maybe' });
    c.set({ analytics_storage: 'granted' }); // no change, no call
    expect(seen).toEqual([['granted', 'denied']]);
    expect(c.snapshot()).toEqual({ ...DENIED, ad_storage: 'granted', analytics_storage: 'granted' });
    expect(vi.mocked(console.warn).mock.calls.map((x) => String(x[1]))).toEqual([
      expect.stringContaining('"bogus"'),
      expect.stringContaining('"ad_user_data"'),
    ]);
  });
});

describe('Google Consent Mode v2', () => {
  it('reads default and update entries already in dataLayer, then ones pushed later', () => {
    w.dataLayer = [];
    w.gtag = function () {
      // eslint-disable-next-line prefer-rest-params
      w.dataLayer.push(arguments);
    };
    w.gtag('consent', 'default', { ad_storage: 'denied', analytics_storage: 'denied', ad_user_data: 'denied', ad_personalization: 'denied', wait_for_update: 500 });
    w.gtag('consent', 'update', { analytics_storage: 'granted' });
    const api = loadTracker({ config: { endpoint: ENDPOINT } });
    expect(api.getConsent()).toEqual({ ...DENIED, analytics_storage: 'granted' });
    w.gtag('consent', 'update', { ad_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted' });
    expect(api.getConsent()).toEqual(GRANTED);
    w.gtag('event', 'page_view'); // other commands are ignored
    expect(api.getConsent()).toEqual(GRANTED);
  });

  it('forwards setConsent() to gtag in Consent Mode v2 shape when gtag exists', () => {
    const gtag = vi.fn();
    w.gtag = gtag;
    const api = loadDenied();
    api.setConsent({ ad_storage: 'granted', ad_user_data: 'granted', do_not_sell: false });
    expect(gtag).toHaveBeenCalledWith('consent', 'update', { ad_storage: 'granted', ad_user_data: 'granted' });
  });

  it('still hears pushes after a tag manager wraps dataLayer.push again', () => {
    w.dataLayer = [];
    const api = loadDenied();
    const ours = w.dataLayer.push;
    w.dataLayer.push = function (...a: unknown[]) {
      return ours.apply(w.dataLayer, a);
    };
    w.dataLayer.push(['consent', 'update', { ad_storage: 'granted' }]);
    expect(api.getConsent().ad_storage).toBe('granted');
  });
});

/** A real TC string from @iabtcf/core with the given purpose consents. */
function tcString(purposes: number[]): string {
  const defs: Bag = {};
  for (let i = 1; i <= 11; i++) defs[i] = { id: i, name: `P${i}`, description: '', illustrations: [] };
  const gvl = new GVL({
    gvlSpecificationVersion: 3,
    vendorListVersion: 100,
    tcfPolicyVersion: 5,
    lastUpdated: '2025-01-01T00:00:00Z',
    purposes: defs,
    specialPurposes: {},
    features: {},
    specialFeatures: {},
    stacks: {},
    dataCategories: {},
    vendors: { 755: { id: 755, name: 'Google', purposes: [1, 3, 4, 7, 8], legIntPurposes: [], flexiblePurposes: [], specialPurposes: [], features: [], specialFeatures: [] } },
  } as never);
  const model = new TCModel(gvl);
  model.cmpId = 10;
  model.cmpVersion = 1;
  model.isServiceSpecific = true;
  model.purposeConsents.set(purposes);
  return TCString.encode(model);
}

describe('IAB TCF v2.2 (real @iabtcf/cmpapi)', () => {
  it('maps purposes 1, 3, 4, 7 and 8 to the four signals, on load and on every later decision', async () => {
    const cmp = new CmpApi(10, 1, true);
    const api = loadDenied();
    cmp.update(tcString([1, 3, 4, 7, 8]), false);
    await settle();
    expect(api.getConsent()).toEqual(GRANTED);
    cmp.update(tcString([1, 7]), false); // revisited: personalization and analytics withdrawn
    await settle();
    expect(api.getConsent()).toEqual({ ...DENIED, ad_storage: 'granted', ad_user_data: 'granted' });
    cmp.update(tcString([3, 4, 7, 8]), false); // no purpose 1: nothing may be stored
    await settle();
    expect(api.getConsent()).toEqual({ ...DENIED, ad_personalization: 'granted' });
  });

  it('leaves the site default alone while GDPR does not apply', async () => {
    // CmpApi keeps its model in static state: the previous test's TC string would still be served.
    const cmp = new CmpApi(10, 1, true);
    cmp.update(null, false);
    const api = loadTracker({ config: { endpoint: ENDPOINT, consent: GRANTED } });
    cmp.update(null, false);
    await settle();
    expect(api.getConsent()).toEqual(GRANTED);
  });
});

describe('WordPress and CMP plugins', () => {
  it('WP Consent API: wp_has_consent at load, then wp_listen_for_consent_change events', () => {
    const given: Bag = { marketing: false, statistics: true };
    w.wp_has_consent = (category: string) => !!given[category];
    const api = loadDenied();
    expect(api.getConsent()).toEqual({ ...DENIED, analytics_storage: 'granted' });
    // wp_set_consent('marketing', 'allow') dispatches this on document.
    document.dispatchEvent(new CustomEvent('wp_listen_for_consent_change', { detail: { marketing: 'allow' } }));
    expect(api.getConsent()).toEqual(GRANTED);
    document.dispatchEvent(new CustomEvent('wp_listen_for_consent_change', { detail: { statistics: 'deny' } }));
    expect(api.getConsent()).toEqual({ ...GRANTED, analytics_storage: 'denied' });
  });

  it('Cookiebot: Cookiebot.consent once answered, and CookiebotOnAccept / CookiebotOnDecline', () => {
    w.Cookiebot = { hasResponse: false, consent: { necessary: true, preferences: false, statistics: false, marketing: false } };
    const api = loadTracker({ config: { endpoint: ENDPOINT, consent: GRANTED } });
    expect(api.getConsent()).toEqual(GRANTED); // no answer yet: the site default stands
    Object.assign(w.Cookiebot, { hasResponse: true, consent: { necessary: true, preferences: true, statistics: true, marketing: false } });
    window.dispatchEvent(new Event('CookiebotOnAccept'));
    expect(api.getConsent()).toEqual({ ...DENIED, analytics_storage: 'granted' });
    w.Cookiebot.consent = { necessary: true, preferences: false, statistics: false, marketing: false };
    window.dispatchEvent(new Event('CookiebotOnDecline'));
    expect(api.getConsent()).toEqual(DENIED);
  });

  it('CookieYes: getCkyConsent() after a decision, and cookieyes_consent_update', () => {
    w.getCkyConsent = () => ({
      activeLaw: 'gdpr',
      categories: { necessary: true, functional: false, analytics: true, performance: false, advertisement: false },
      isUserActionCompleted: true,
      consentID: 'abc',
      languageCode: 'en',
    });
    const api = loadDenied();
    expect(api.getConsent()).toEqual({ ...DENIED, analytics_storage: 'granted' });
    document.dispatchEvent(new CustomEvent('cookieyes_consent_update', { detail: { accepted: ['necessary', 'advertisement'], rejected: ['analytics'] } }));
    expect(api.getConsent()).toEqual({ ...GRANTED, analytics_storage: 'denied' });
  });

  it('OneTrust: OnetrustActiveGroups (C0002 performance, C0004 targeting) and OneTrustGroupsUpdated', () => {
    w.OnetrustActiveGroups = ',C0001,C0002,';
    const api = loadDenied();
    expect(api.getConsent()).toEqual({ ...DENIED, analytics_storage: 'granted' });
    window.dispatchEvent(new CustomEvent('OneTrustGroupsUpdated', { detail: ['C0001', 'C0004'] }));
    expect(api.getConsent()).toEqual({ ...GRANTED, analytics_storage: 'denied' });
  });

  it('Borlabs Cookie 3: BorlabsCookie.Consents after borlabs-cookie-consent-saved', () => {
    const groups: Bag = {};
    w.BorlabsCookie = { Consents: { hasConsentForServiceGroup: (g: string) => !!groups[g], hasConsent: () => false } };
    const api = loadTracker({ config: { endpoint: ENDPOINT, consent: GRANTED } });
    expect(api.getConsent()).toEqual(DENIED); // Borlabs present, nothing consented yet
    groups.marketing = groups.statistics = true;
    window.dispatchEvent(new CustomEvent('borlabs-cookie-consent-saved'));
    expect(api.getConsent()).toEqual(GRANTED);
    // Versions without service groups: a service named "layersync".
    w.BorlabsCookie = { Consents: { hasConsent: (s: string) => s !== 'layersync' } };
    document.dispatchEvent(new CustomEvent('borlabs-cookie-consent-saved'));
    expect(api.getConsent()).toEqual(DENIED);
  });

  it('Complianz: cmplz_has_consent at load, then cmplz_status_change per category', () => {
    w.cmplz_has_consent = (category: string) => category === 'statistics';
    const api = loadDenied();
    expect(api.getConsent()).toEqual({ ...DENIED, analytics_storage: 'granted' });
    document.dispatchEvent(new CustomEvent('cmplz_status_change', { detail: { category: 'marketing', value: 'allow' } }));
    expect(api.getConsent()).toEqual(GRANTED);
    document.dispatchEvent(new CustomEvent('cmplz_status_change', { detail: { category: 'statistics', value: 'deny' } }));
    expect(api.getConsent()).toEqual({ ...GRANTED, analytics_storage: 'denied' });
  });

  it('reads a CMP that loads after the tracker on window load', () => {
    const api = loadDenied();
    w.OnetrustActiveGroups = ',C0001,C0002,C0004,';
    window.dispatchEvent(new Event('load'));
    expect(api.getConsent()).toEqual(GRANTED);
  });
});

describe('default-denied mode', () => {
  it('stores and sends nothing before consent, then records the held events with the consent given', async () => {
    const { calls } = mockFetch();
    const setItem = vi.spyOn(localStorage, 'setItem');
    const api = loadDenied({ require_consent: true });
    const id = await api.track('lead', { email: 'jane@example.com' });
    await settle();
    expect(calls).toHaveLength(0);
    expect(setItem).not.toHaveBeenCalled();
    expect(document.cookie).not.toContain('_fbp=');
    api.setConsent({ analytics_storage: 'granted', ad_storage: 'granted' });
    await settle();
    expect(calls.flatMap((c) => c.events.map((e) => [e.event_id, e.consent!.analytics_storage]))).toEqual([[id, 'granted']]);
    expect(calls[0]!.events[0]!.identity.fbp).toMatch(/^fb\.1\./); // ids allowed now ride along
  });

  it('drops held events when consent is refused', async () => {
    const { calls } = mockFetch();
    const api = loadDenied({ require_consent: true });
    await api.track('lead');
    api.setConsent({ ad_personalization: 'denied' }); // a decision that still allows no storage
    await settle();
    api.setConsent({ analytics_storage: 'granted' });
    await settle();
    expect(calls.flatMap((c) => c.events)).toHaveLength(1); // kept in memory until consent: still one
  });

  it('sends consent-exempt events without consent, in memory only and with the denied snapshot', async () => {
    const { calls } = mockFetch();
    const setItem = vi.spyOn(localStorage, 'setItem');
    const api = loadDenied({ require_consent: true, consent_exempt: ['lead'] });
    const lead = await api.track('lead', { email: 'a@b.co' });
    await api.track('page_view');
    await settle();
    expect(calls.flatMap((c) => c.events.map((e) => e.event_id))).toEqual([lead]);
    expect(calls[0]!.events[0]!.consent).toEqual(DENIED);
    expect(calls[0]!.events[0]!.identity.em).toBe(sha256('a@b.co'));
    expect(setItem.mock.calls.filter(([k]) => k === QUEUE_KEY)).toEqual([]);
  });
});

describe('revocation', () => {
  it('narrows the consent of queued events and strips ids no longer allowed', async () => {
    history.replaceState(null, '', '/product/blue-mug?gclid=abc');
    const { calls } = mockFetch(() => new TypeError('offline'));
    const api = loadTracker({ config: { endpoint: ENDPOINT, consent: GRANTED } });
    document.cookie = '_ga=GA1.1.111.222; path=/';
    await api.track('add_to_cart');
    await settle();
    expect(storedQueue()[0]!.identity).toMatchObject({ gclid: 'abc', ga_client_id: '111.222', fbp: expect.any(String) });
    api.setConsent({ ad_storage: 'denied' });
    const [queued] = storedQueue();
    expect(queued!.consent).toEqual({ ...GRANTED, ad_storage: 'denied' });
    expect(queued!.identity).toEqual({ ga_client_id: '111.222' });
    expect(document.cookie).not.toContain('_fbp=');
    expect(localStorage.getItem('layersync:cid')).toBeNull();
    expect(calls.length).toBeGreaterThan(0);
    history.replaceState(null, '', '/product/blue-mug?ref=ad');
  });

  it('in default-denied mode drops queued events that may no longer be kept, and clears storage', async () => {
    mockFetch(() => new TypeError('offline'));
    const api = loadTracker({ config: { endpoint: ENDPOINT, consent: GRANTED, require_consent: true, consent_exempt: ['lead'] } });
    await api.track('page_view');
    const lead = await api.track('lead');
    await settle();
    expect(storedQueue()).toHaveLength(2);
    api.setConsent({ ad_storage: 'denied', analytics_storage: 'denied' });
    expect(localStorage.getItem(QUEUE_KEY)).toBeNull();
    mockFetch();
    await api.flush();
    await settle();
    expect(vi.mocked(fetch).mock.calls.map((c) => JSON.parse(String(c[1]!.body)).events.map((e: Bag) => e.event_id))).toEqual([[lead]]);
  });
});
