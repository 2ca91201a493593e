/**
 * GA4 mapper (pure): canonical event → GA4 event + request-level fields. Expected values are
 * written out by hand from the Measurement Protocol documentation, not computed by the code
 * under test.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalEventSchema, type CanonicalEvent, type CanonicalEventInput } from '../src/contract/event.js';
import { secretValues } from '../src/destinations/secrets.js';
import { ga4, ga4Settings, type Ga4Payload, type Ga4Settings } from '../src/destinations/ga4/index.js';
import { parseGaClientId, parseGaSessionId } from '../src/destinations/ga4/map.js';

const NOW = 1_800_000_000;
const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const EM = sha('jane.doe@example.com');
const PH = sha('16505551212');
const PH_E164 = sha('+16505551212');
const XID = sha('customer-42');
const settings: Ga4Settings = { measurement_id: 'G-TEST123456', api_secret: 'sekrit-value-123', debug_mode: false, region: 'global' };

const ev = (input: Partial<CanonicalEventInput> & Pick<CanonicalEventInput, 'event_name'>): CanonicalEvent =>
  canonicalEventSchema.parse({ event_id: 'evt-1', event_time: NOW - 60, source: 'server', ...input });

function map(event: CanonicalEvent, name = ga4.defaultEventMap[event.event_name as keyof typeof ga4.defaultEventMap] ?? 'x', now = NOW) {
  return ga4.map(event, { settings, platformEventName: name, now });
}
function payload(event: CanonicalEvent, name?: string, now?: number): Ga4Payload {
  const r = map(event, name, now);
  if (!r.ok) throw new Error(`expected ok, got ${r.reason}`);
  return r.payload as Ga4Payload;
}
function failure(event: CanonicalEvent, name?: string, now?: number): string {
  const r = map(event, name, now);
  expect(r).toMatchObject({ ok: false, skip: false });
  return r.ok ? '' : r.reason;
}

/** gtag's client-id shape: 31-bit random "." unix seconds; ours is seeded by event_id (documented in map.ts). */
const expectedDerivedId = (eventId: string, t: number) =>
  `${createHash('sha256').update(`layersync-ga4-client:${eventId}`).digest().readUInt32BE(0) & 0x7fffffff}.${t}`;

describe('ga4 destination definition', () => {
  it('declares GA4 limits: 25 events/request, 72 h, per-item outcomes', () => {
    expect(ga4.slug).toBe('ga4');
    expect(ga4.maxBatchSize).toBe(25);
    expect(ga4.maxEventAgeSeconds).toBe(259_200);
    expect(ga4.batchRejection).toBe('per-item');
    expect(ga4.defaultBaseUrl).toBe('https://www.google-analytics.com');
  });

  it('default map uses GA4 names; lead → generate_lead; no GA4 equivalent → not forwarded', () => {
    expect(ga4.defaultEventMap).toEqual({
      page_view: 'page_view',
      view_item: 'view_item',
      view_item_list: 'view_item_list',
      search: 'search',
      add_to_cart: 'add_to_cart',
      remove_from_cart: 'remove_from_cart',
      view_cart: 'view_cart',
      begin_checkout: 'begin_checkout',
      add_shipping_info: 'add_shipping_info',
      add_payment_info: 'add_payment_info',
      purchase: 'purchase',
      refund: 'refund',
      sign_up: 'sign_up',
      lead: 'generate_lead',
    });
  });

  it('settings: measurement id pattern, upper-cased; api_secret masked as a secret', () => {
    expect(ga4Settings.parse({ measurement_id: ' g-abc123xyz9 ', api_secret: 's3cr3t' })).toEqual({
      measurement_id: 'G-ABC123XYZ9',
      api_secret: 's3cr3t',
      debug_mode: false,
      region: 'global',
    });
    const bad = ga4Settings.safeParse({ measurement_id: '123456789', api_secret: 's' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toMatch(/measurement ID, e\.g\. G-/);
    expect(ga4Settings.safeParse({ measurement_id: 'G-ABC123', api_secret: 'has space' }).success).toBe(false);
    expect(ga4Settings.safeParse({ measurement_id: 'G-ABC123', api_secret: 'x', region: 'us' }).success).toBe(false);
    // The schema mark itself (not only the name heuristic) must flag api_secret.
    const shape = (ga4Settings as unknown as { shape: Record<string, { meta(): Record<string, unknown> | undefined }> }).shape;
    expect(shape.api_secret!.meta()).toMatchObject({ secret: true });
    expect(shape.measurement_id!.meta()?.secret).toBeUndefined();
    expect(secretValues(ga4Settings, settings)).toEqual(['sekrit-value-123']);
  });
});

describe('ga4 map: required fields only', () => {
  it('page_view with no identity: derived client id, timestamp in µs, engagement time only', () => {
    expect(payload(ev({ event_name: 'page_view' }))).toEqual({
      request: { client_id: expectedDerivedId('evt-1', NOW - 60) },
      event: { name: 'page_view', timestamp_micros: (NOW - 60) * 1_000_000, params: { engagement_time_msec: 1 } },
    });
  });

  it('the derived client id is stable per event and differs between events', () => {
    const a = payload(ev({ event_name: 'page_view' })).request.client_id;
    expect(payload(ev({ event_name: 'page_view' })).request.client_id).toBe(a);
    expect(payload(ev({ event_name: 'page_view', event_id: 'evt-2' })).request.client_id).not.toBe(a);
    expect(a).toMatch(/^\d{1,10}\.\d+$/);
  });
});

describe('ga4 map: every field', () => {
  it('purchase with identity, commerce, context, consent and properties', () => {
    const e = ev({
      event_id: 'order-1001',
      event_name: 'purchase',
      context: {
        url: 'https://shop.test/checkout/order-received/1001/?utm_source=news',
        referrer: 'https://shop.test/checkout/',
        user_agent: 'Mozilla/5.0',
        ip: '203.0.113.9',
        locale: 'en-US',
      },
      identity: {
        em: EM,
        em_google: EM, // not a gmail address: Google's normalization changes nothing
        ph: PH,
        ph_e164: PH_E164,
        fn: sha('jane'),
        ln: sha('doe'),
        ct: sha('newyork'),
        country: sha('us'),
        external_id: XID,
        fbp: 'fb.1.1596403881668.1116446470',
        ga_client_id: 'GA1.1.1234567890.1699999999',
        ga_session_id: 'GS2.1.s1700000000$o3$g1$t1700000100$j0$l0$h0',
      },
      commerce: {
        order_id: '1001',
        value: 59.9,
        currency: 'EUR',
        tax: 9.56,
        shipping: 4.9,
        coupon: 'WELCOME10',
        items: [
          { id: 'SKU-1', name: 'T-shirt', price: 19.95, quantity: 2, category: 'Apparel', variant: 'Blue / M', brand: 'Acme' },
          { id: 'SKU-2', price: 20 },
        ],
      },
      consent: { ad_storage: 'granted', analytics_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted' },
      properties: { payment_type: 'card', is_first_order: true, loyalty_points: 120, empty: null },
    });
    expect(payload(e)).toEqual({
      request: {
        client_id: '1234567890.1699999999',
        user_id: XID,
        consent: { ad_user_data: 'GRANTED', ad_personalization: 'GRANTED' },
        // The phone is Google's "+digits" hash, never ph; no address (plain text needed; see map.ts).
        user_data: { sha256_email_address: [EM], sha256_phone_number: [PH_E164] },
        ip_override: '203.0.113.9',
      },
      event: {
        name: 'purchase',
        timestamp_micros: (NOW - 60) * 1_000_000,
        params: {
          currency: 'EUR',
          value: 59.9,
          transaction_id: '1001',
          tax: 9.56,
          shipping: 4.9,
          coupon: 'WELCOME10',
          items: [
            { item_id: 'SKU-1', item_name: 'T-shirt', item_brand: 'Acme', item_category: 'Apparel', item_variant: 'Blue / M', price: 19.95, quantity: 2 },
            { item_id: 'SKU-2', price: 20 },
          ],
          page_location: 'https://shop.test/checkout/order-received/1001/?utm_source=news',
          page_referrer: 'https://shop.test/checkout/',
          session_id: '1700000000',
          engagement_time_msec: 1,
          payment_type: 'card',
          is_first_order: 'true',
          loyalty_points: 120,
        },
      },
    });
  });

  it('refund carries transaction_id, value and currency; lead maps to generate_lead', () => {
    const refund = payload(ev({ event_name: 'refund', commerce: { order_id: '1001', value: 19.95, currency: 'EUR' } }));
    expect(refund.event).toMatchObject({ name: 'refund', params: { transaction_id: '1001', value: 19.95, currency: 'EUR' } });
    expect(payload(ev({ event_name: 'lead' })).event.name).toBe('generate_lead');
  });

  it('a future event_time (clock skew) is clamped to now: GA4 only takes past timestamps', () => {
    expect(payload(ev({ event_name: 'page_view', event_time: NOW + 30 })).event.timestamp_micros).toBe(NOW * 1_000_000);
  });

  it('clips descriptive text to GA4 limits but never an id', () => {
    const long = 'n'.repeat(150);
    const p = payload(ev({ event_name: 'view_item', commerce: { items: [{ id: 'A', name: long, brand: long }] } }));
    expect(p.event.params.items).toEqual([{ item_id: 'A', item_name: 'n'.repeat(100), item_brand: 'n'.repeat(100) }]);
    expect(failure(ev({ event_name: 'view_item', commerce: { items: [{ id: 'i'.repeat(101) }] } }))).toMatch(/items\[0\]\.item_id is longer than 100/);
    const url = `https://shop.test/${'p'.repeat(1200)}`;
    expect((payload(ev({ event_name: 'page_view', context: { url } })).event.params.page_location as string).length).toBe(1000);
  });
});

describe('ga4 map: client and session ids', () => {
  it('client id is the _ga cookie value\'s last two dot parts', () => {
    expect(parseGaClientId('GA1.1.1234567890.1699999999')).toBe('1234567890.1699999999');
    expect(parseGaClientId('GA1.2.99.1')).toBe('99.1');
    expect(parseGaClientId('1234567890.1699999999')).toBe('1234567890.1699999999');
    expect(parseGaClientId('not-a-client-id')).toBeUndefined();
    expect(payload(ev({ event_name: 'page_view', identity: { ga_client_id: 'garbage' } })).request.client_id).toBe(
      expectedDerivedId('evt-1', NOW - 60),
    );
  });

  it('session id from a bare number or either _ga_<id> cookie format', () => {
    expect(parseGaSessionId('1700000000')).toBe('1700000000');
    expect(parseGaSessionId('GS1.1.1700000000.3.1.1700000100.0.0.0')).toBe('1700000000');
    expect(parseGaSessionId('GS2.1.s1700000000$o3$g1$t1700000100$j0$l0$h0')).toBe('1700000000');
    expect(parseGaSessionId('session-abc')).toBeUndefined();
    expect(payload(ev({ event_name: 'page_view', identity: { ga_session_id: 'session-abc' } })).event.params).toEqual({ engagement_time_msec: 1 });
  });
});

describe('ga4 map: consent', () => {
  const identity = { em: EM, ph: PH, external_id: XID };
  const consent = (ad_user_data: 'granted' | 'denied', ad_personalization: 'granted' | 'denied', do_not_sell = false) => ({
    ad_storage: 'granted' as const,
    analytics_storage: 'granted' as const,
    ad_user_data,
    ad_personalization,
    do_not_sell,
  });

  it('no user_data when ad_user_data is denied; the consent object says DENIED', () => {
    const p = payload(ev({ event_name: 'sign_up', identity, consent: consent('denied', 'granted') }));
    expect(p.request).toEqual({
      client_id: expectedDerivedId('evt-1', NOW - 60),
      user_id: XID,
      consent: { ad_user_data: 'DENIED', ad_personalization: 'GRANTED' },
    });
  });

  it('no consent snapshot → no consent object and no user_data', () => {
    const p = payload(ev({ event_name: 'sign_up', identity }));
    expect(p.request.consent).toBeUndefined();
    expect(p.request.user_data).toBeUndefined();
  });

  it('do_not_sell denies ad personalization and withholds user_data', () => {
    const p = payload(ev({ event_name: 'sign_up', identity, consent: consent('granted', 'granted', true) }));
    expect(p.request.consent).toEqual({ ad_user_data: 'GRANTED', ad_personalization: 'DENIED' });
    expect(p.request.user_data).toBeUndefined();
  });

  it('the plain phone hash is never sent (GA4 hashes "+digits", the contract\'s ph hashes digits only)', () => {
    const p = payload(ev({ event_name: 'sign_up', identity: { ph: PH }, consent: consent('granted', 'granted') }));
    expect(p.request.user_data).toBeUndefined();
    expect(JSON.stringify(p)).not.toContain(PH);
  });
});

describe('ga4 map: Google-normalized identity variants (G5)', () => {
  // Google's own examples (notes §3.4, Data Manager formatting guide), hashed here by hand.
  const EM_RAW = sha('cloudy.sanfrancisco+shopping@gmail.com'); // contract em: trim + lowercase only
  const EM_GOOGLE = sha('cloudysanfrancisco@gmail.com'); // gmail: no dots, no +tag
  const PH_DIGITS = sha('18005550100'); // contract ph: digits without "+"
  const PH_E164 = sha('+18005550100'); // G5: digits only, "+" prefix, then hash
  const granted = { ad_storage: 'granted', analytics_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted' } as const;
  const userData = (identity: CanonicalEventInput['identity']) => payload(ev({ event_name: 'sign_up', identity, consent: granted })).request.user_data;

  it('sends em_google as sha256_email_address and ph_e164 as sha256_phone_number, not the plain hashes', () => {
    const p = payload(ev({ event_name: 'sign_up', identity: { em: EM_RAW, em_google: EM_GOOGLE, ph: PH_DIGITS, ph_e164: PH_E164 }, consent: granted }));
    expect(p.request.user_data).toStrictEqual({ sha256_email_address: [EM_GOOGLE], sha256_phone_number: [PH_E164] });
    expect(JSON.stringify(p)).not.toContain(EM_RAW);
    expect(JSON.stringify(p)).not.toContain(PH_DIGITS);
  });

  it('falls back to em without em_google; sends no phone without ph_e164', () => {
    expect(userData({ em: EM_RAW, ph: PH_DIGITS })).toStrictEqual({ sha256_email_address: [EM_RAW] });
  });

  it('a phone alone is enough for user_data; an email variant alone is enough too', () => {
    expect(userData({ ph: PH_DIGITS, ph_e164: PH_E164 })).toStrictEqual({ sha256_phone_number: [PH_E164] });
    expect(userData({ em_google: EM_GOOGLE })).toStrictEqual({ sha256_email_address: [EM_GOOGLE] });
  });

  it('variants follow the same consent rule: none without ad_user_data', () => {
    const denied = { ...granted, ad_user_data: 'denied' } as const;
    const p = payload(ev({ event_name: 'sign_up', identity: { em_google: EM_GOOGLE, ph_e164: PH_E164 }, consent: denied }));
    expect(p.request.user_data).toBeUndefined();
    expect(JSON.stringify(p)).not.toContain(EM_GOOGLE);
    expect(JSON.stringify(p)).not.toContain(PH_E164);
  });
});

describe('ga4 map: rules enforced locally (recorded, never silently dropped)', () => {
  it.each([
    ['1abc', /must start with a letter/],
    ['has-dash', /must start with a letter and contain only letters, digits and "_"/],
    ['a'.repeat(41), /longer than 40 characters/],
    ['session_start', /reserved/],
    ['user_engagement', /reserved/],
    ['notification_open', /reserved/],
    ['firebase_thing', /reserved prefix "firebase_"/],
    ['ga_thing', /reserved prefix "ga_"/],
    ['google_thing', /reserved prefix "google_"/],
    ['_private', /reserved prefix "_"/],
  ])('event name %s is rejected', (name, why) => {
    expect(failure(ev({ event_name: 'custom:anything' }), name)).toMatch(why);
  });

  it('accepts a 40-character custom name mapped by the site', () => {
    expect(payload(ev({ event_name: 'custom:x' }), 'a'.repeat(40)).event.name).toBe('a'.repeat(40));
  });

  it('rejects properties that break parameter rules', () => {
    expect(failure(ev({ event_name: 'sign_up', properties: { 'bad-name': 'x' } }))).toMatch(/properties\.bad-name/);
    expect(failure(ev({ event_name: 'sign_up', properties: { gclid: 'abc' } }))).toMatch(/"gclid" is reserved/);
    expect(failure(ev({ event_name: 'sign_up', properties: { session_id: '1' } }))).toMatch(/"session_id" is reserved/);
    // Also when the relay sets the parameter itself: the property is an error, not silently ignored.
    expect(failure(ev({ event_name: 'sign_up', properties: { engagement_time_msec: 5000 } }))).toMatch(/"engagement_time_msec" is reserved/);
    expect(failure(ev({ event_name: 'sign_up', properties: { google_x: '1' } }))).toMatch(/reserved prefix "google_"/);
    expect(failure(ev({ event_name: 'sign_up', properties: { note: 'x'.repeat(101) } }))).toMatch(/properties\.note is 101 characters; GA4 keeps at most 100/);
    expect(payload(ev({ event_name: 'sign_up', properties: { note: 'x'.repeat(100) } })).event.params.note).toHaveLength(100);
  });

  it('rejects more than 25 parameters', () => {
    const props = Object.fromEntries(Array.from({ length: 24 }, (_, i) => [`p${i}`, i]));
    expect(payload(ev({ event_name: 'sign_up', properties: props })).event.params).toHaveProperty('p23'); // 24 + engagement_time_msec = 25
    expect(failure(ev({ event_name: 'sign_up', properties: { ...props, p24: 1 } }))).toMatch(/26 parameters; GA4 keeps at most 25/);
  });

  it('structured commerce wins over a property of the same name', () => {
    const p = payload(ev({ event_name: 'add_to_cart', commerce: { value: 5, currency: 'EUR' }, properties: { value: 999 } }));
    expect(p.event.params.value).toBe(5);
  });

  it('purchase and refund need an order id (GA4 transaction_id)', () => {
    expect(failure(ev({ event_name: 'purchase', commerce: { value: 1, currency: 'EUR' } }))).toMatch(/purchase needs commerce\.order_id/);
    expect(failure(ev({ event_name: 'refund' }))).toMatch(/refund needs commerce\.order_id/);
    expect(failure(ev({ event_name: 'purchase', commerce: { order_id: 'o'.repeat(101) } }))).toMatch(/transaction_id \(order_id\) is longer than 100/);
  });

  it('72 h: an event exactly 72 h old is mapped, one second older is refused', () => {
    expect(payload(ev({ event_name: 'page_view', event_time: NOW - 72 * 3600 })).event.timestamp_micros).toBe((NOW - 72 * 3600) * 1e6);
    expect(failure(ev({ event_name: 'page_view', event_time: NOW - 72 * 3600 - 1 }))).toMatch(/at most 72 h in the past/);
  });

  it('reports every problem at once', () => {
    const reason = failure(ev({ event_name: 'purchase', properties: { 'a-b': 1 } }), 'purchase');
    expect(reason).toMatch(/purchase needs commerce\.order_id/);
    expect(reason).toMatch(/properties\.a-b/);
  });
});
