/**
 * The Google Ads destination: settings, the pure mapper, and send / testConnection end to end
 * against the local fake (relay/test/fakes/google-ads-server.ts) with the real undici client on
 * 127.0.0.1. Google itself is never contacted.
 */
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canonicalEventSchema, type CanonicalEvent, type CanonicalEventInput } from '../src/contract/event.js';
import { createHttpClient, type HttpClient } from '../src/delivery/http.js';
import { GOOGLE_OAUTH_TOKEN_URL } from '../src/destinations/google-ads/api.js';
import {
  GOOGLE_ADS_API_VERSION,
  formatGoogleDateTime,
  googleAds,
  googleAdsSettingsSchema,
  type GoogleAdsPayload,
  type GoogleAdsSettings,
  type GoogleAdsSettingsInput,
} from '../src/destinations/google-ads/index.js';
import { TOKEN_EXPIRY_MARGIN_MS, tokenUrlFor } from '../src/destinations/google-ads/oauth.js';
import { secretValues } from '../src/destinations/secrets.js';
import type { DeliveryOutcome, SendContext } from '../src/destinations/types.js';
import { FAKE_GOOGLE_ADS as F, startFakeGoogleAds, type FakeGoogleAds } from './fakes/google-ads-server.js';
import { closedPort } from './destinations/support.js';

// ---------------------------------------------------------------------------------------------
// Fixtures

const sha = (v: string): string => createHash('sha256').update(v, 'utf8').digest('hex');

/** Fixed clock: 2026-11-23 12:00:00 UTC, for the relay and the fake alike. */
const NOW_MS = Date.UTC(2026, 10, 23, 12, 0, 0);
const NOW = NOW_MS / 1000;
const HOUR = 3600;
const DAY = 24 * HOUR;
/** 2026-11-20 12:00:00 UTC, three days before "now". */
const T = Date.UTC(2026, 10, 20, 12, 0, 0) / 1000;
const PURCHASE_ACTION = `customers/1234567890/conversionActions/${F.purchaseActionId}`;
const LEAD_ACTION = `customers/1234567890/conversionActions/${F.leadActionId}`;

function settings(over: Partial<GoogleAdsSettingsInput> = {}): GoogleAdsSettings {
  return googleAdsSettingsSchema.parse({
    customer_id: '123-456-7890',
    client_id: F.clientId,
    client_secret: F.clientSecret,
    refresh_token: F.refreshToken,
    conversion_actions: { purchase: F.purchaseActionId, lead: F.leadActionId },
    ...over,
  });
}

const GRANTED = {
  ad_storage: 'granted',
  analytics_storage: 'granted',
  ad_user_data: 'granted',
  ad_personalization: 'granted',
  do_not_sell: false,
} as const;
const DENIED = { ...GRANTED, ad_user_data: 'denied', ad_personalization: 'denied' } as const;

/** A canonical event; `extraIdentity` adds the variant fields the contract does not have yet. */
function event(input: Partial<CanonicalEventInput> = {}, extraIdentity: Record<string, string> = {}): CanonicalEvent {
  const parsed = canonicalEventSchema.parse({ event_id: 'evt-1', event_name: 'purchase', event_time: T, source: 'server', ...input });
  return { ...parsed, identity: { ...parsed.identity, ...extraIdentity } } as CanonicalEvent;
}

function mapped(e: CanonicalEvent, s: GoogleAdsSettings = settings(), platformEventName: string = e.event_name): GoogleAdsPayload {
  const r = googleAds.map(e, { settings: s, platformEventName, now: NOW });
  if (!r.ok) throw new Error(`expected a payload, got: ${r.reason}`);
  return r.payload as GoogleAdsPayload;
}

function click(conversion: Partial<Extract<GoogleAdsPayload, { kind: 'click' }>['conversion']> = {}, occurredAt = T): GoogleAdsPayload {
  return {
    kind: 'click',
    occurred_at: occurredAt,
    conversion: {
      gclid: 'Cj0KCQiA-default-gclid',
      conversionAction: PURCHASE_ACTION,
      conversionDateTime: '2026-11-20 12:00:00+00:00',
      ...conversion,
    },
  };
}

function refund(
  orderId: string,
  over: Partial<Extract<GoogleAdsPayload, { kind: 'adjustment' }>['adjustment']> = {},
  occurredAt = NOW - HOUR,
): GoogleAdsPayload {
  return {
    kind: 'adjustment',
    occurred_at: occurredAt,
    adjustment: {
      orderId,
      conversionAction: PURCHASE_ACTION,
      adjustmentType: 'RETRACTION',
      adjustmentDateTime: formatGoogleDateTime(occurredAt, 'UTC'),
      ...over,
    },
  };
}

let fake: FakeGoogleAds;
let http: HttpClient;

beforeEach(async () => {
  fake = await startFakeGoogleAds({ now: () => NOW_MS });
  http = createHttpClient({ defaultTimeoutMs: 5_000 });
});
afterEach(async () => {
  await http.close();
  await fake.close();
});

function ctx(s: GoogleAdsSettings = settings(), extra: Partial<SendContext<GoogleAdsSettings>> = {}): SendContext<GoogleAdsSettings> {
  return { settings: s, http, baseUrl: fake.url, state: new Map(), nowMs: NOW_MS, ...extra };
}

const apiRequests = () => fake.requests.filter((r) => r.path !== '/token');
const issuedTokens = () => [...fake.state.accessTokens.keys()];

function errorOf(o: DeliveryOutcome | undefined): string {
  if (!o || !('error' in o)) throw new Error(`no error on ${JSON.stringify(o)}`);
  return o.error;
}

/** A local port nothing listens on. */

// ---------------------------------------------------------------------------------------------

describe('google_ads definition and settings', () => {
  it('declares the documented limits', () => {
    expect(googleAds.slug).toBe('google_ads');
    expect(googleAds.maxBatchSize).toBe(2000);
    expect(googleAds.batchRejection).toBe('per-item');
    expect(googleAds.maxEventAgeSeconds).toBe(90 * DAY);
    expect(googleAds.defaultBaseUrl).toBe('https://googleads.googleapis.com');
    expect(GOOGLE_ADS_API_VERSION).toBe('v26');
    expect(googleAds.defaultEventMap).toMatchObject({ purchase: 'purchase', refund: 'refund', lead: 'lead' });
    expect(googleAds.defaultEventMap).not.toHaveProperty('add_to_cart');
  });

  it('strips dashes from customer IDs and applies defaults', () => {
    const s = settings({ login_customer_id: ' 987-654-3210 ' });
    expect(s.customer_id).toBe('1234567890');
    expect(s.login_customer_id).toBe('9876543210');
    expect(s.conversion_timezone).toBe('UTC');
    expect(s.validate_only).toBe(false);
    expect(s.leads_use_enhanced_conversions).toBe(false);
    expect(s.developer_token).toBeUndefined();
    // Parsing stored (already normalized) settings again changes nothing.
    expect(googleAdsSettingsSchema.parse(s)).toStrictEqual(s);
  });

  it.each([
    [{ customer_id: '123-456-789' }, 'customer_id', '10-digit'],
    [{ login_customer_id: 'abc' }, 'login_customer_id', '10-digit'],
    [{ conversion_timezone: 'Mars/Olympus' }, 'conversion_timezone', 'IANA'],
    [{ conversion_actions: { purchase: 'abc' } }, 'conversion_actions', 'conversion action ID'],
    [{ conversion_actions: { buy: '123' } }, 'conversion_actions', 'not a LayerSync event name'],
    [{ refresh_token: '' }, 'refresh_token', ''],
  ] as const)('rejects %j with a message naming %s', (over, field, text) => {
    const r = googleAdsSettingsSchema.safeParse({ ...settings(), ...over });
    expect(r.success).toBe(false);
    const issue = r.error!.issues.find((i) => i.path[0] === field);
    expect(issue, JSON.stringify(r.error!.issues)).toBeDefined();
    expect(issue!.message).toContain(text);
  });

  it('marks exactly the credentials as secret', () => {
    const s = settings({ developer_token: 'dev-token-123' });
    expect(secretValues(googleAdsSettingsSchema, s).sort()).toStrictEqual([F.clientSecret, F.refreshToken, 'dev-token-123'].sort());
  });

  it('accepts conversion action resource names and custom event keys', () => {
    const s = settings({ conversion_actions: { purchase: 'customers/1234567890/conversionActions/999', 'custom:quote': '42' } });
    expect(s.conversion_actions).toStrictEqual({ purchase: 'customers/1234567890/conversionActions/999', 'custom:quote': '42' });
  });
});

describe('formatGoogleDateTime', () => {
  it.each([
    ['UTC', T, '2026-11-20 12:00:00+00:00'],
    ['Europe/Berlin', T, '2026-11-20 13:00:00+01:00'],
    ['Europe/Berlin', Date.UTC(2026, 6, 1, 12) / 1000, '2026-07-01 14:00:00+02:00'],
    ['America/New_York', Date.UTC(2026, 6, 1, 2, 5, 9) / 1000, '2026-06-30 22:05:09-04:00'],
    ['Asia/Kolkata', T, '2026-11-20 17:30:00+05:30'],
    ['Pacific/Chatham', T, '2026-11-21 01:45:00+13:45'],
  ])('%s %i → %s', (tz, t, expected) => {
    expect(formatGoogleDateTime(t, tz)).toBe(expected);
  });
});

describe('googleAds.map', () => {
  it('maps a required-fields-only purchase', () => {
    expect(mapped(event({ identity: { gclid: 'Cj0KCQiA-required' } }))).toStrictEqual({
      kind: 'click',
      occurred_at: T,
      conversion: {
        gclid: 'Cj0KCQiA-required',
        conversionAction: PURCHASE_ACTION,
        conversionDateTime: '2026-11-20 12:00:00+00:00',
        orderId: 'evt-1',
      },
    });
  });

  it('maps every field, preferring the Google-normalized identity variants', () => {
    const s = settings({
      customer_id: '222-333-4444',
      login_customer_id: '987-654-3210',
      conversion_timezone: 'Europe/Berlin',
      leads_use_enhanced_conversions: true,
    });
    const e = event(
      {
        event_id: 'evt-full',
        context: { url: 'https://shop.example/checkout/order-received/1001/', user_agent: 'Mozilla/5.0', ip: '203.0.113.7' },
        identity: {
          em: sha('john.smith+shop@gmail.com'),
          ph: sha('4915112345678'),
          fn: sha('john'),
          ln: sha('smith'),
          ct: sha('berlin'),
          zp: sha('10115'),
          country: sha('de'),
          external_id: sha('customer-42'),
          gclid: 'Cj0KCQiA-full-gclid',
          wbraid: 'ignored-when-gclid-is-set',
          fbp: 'fb.1.1.1',
        },
        commerce: {
          order_id: 'WC-1001',
          value: 129.9,
          currency: 'EUR',
          tax: 20.74,
          shipping: 4.9,
          coupon: 'WELCOME',
          items: [{ id: 'SKU-1', name: 'Mug', price: 62.5, quantity: 2 }],
        },
        consent: GRANTED,
        properties: { payment_method: 'card' },
      },
      { em_google: sha('johnsmith@gmail.com'), ph_e164: sha('+4915112345678') },
    );
    expect(mapped(e, s)).toStrictEqual({
      kind: 'click',
      occurred_at: T,
      conversion: {
        gclid: 'Cj0KCQiA-full-gclid',
        conversionAction: 'customers/2223334444/conversionActions/111111',
        conversionDateTime: '2026-11-20 13:00:00+01:00',
        conversionValue: 129.9,
        currencyCode: 'EUR',
        orderId: 'WC-1001',
        userIdentifiers: [
          { hashedEmail: sha('johnsmith@gmail.com'), userIdentifierSource: 'FIRST_PARTY' },
          { hashedPhoneNumber: sha('+4915112345678'), userIdentifierSource: 'FIRST_PARTY' },
        ],
        consent: { adUserData: 'GRANTED' },
      },
    });
  });

  it('falls back to em but never sends the contract ph (hashed without "+")', () => {
    const s = settings({ leads_use_enhanced_conversions: true });
    const p = mapped(event({ identity: { gclid: 'Cj0KCQiA-x', em: sha('a@example.com'), ph: sha('15551234567') }, consent: GRANTED }), s);
    expect(p.kind === 'click' && p.conversion.userIdentifiers).toStrictEqual([
      { hashedEmail: sha('a@example.com'), userIdentifierSource: 'FIRST_PARTY' },
    ]);
  });

  it('ignores a variant field that is not a SHA-256 hex', () => {
    const s = settings({ leads_use_enhanced_conversions: true });
    const p = mapped(
      event({ identity: { gclid: 'Cj0KCQiA-x', em: sha('a@example.com') }, consent: GRANTED }, { em_google: 'A@EXAMPLE.COM' }),
      s,
    );
    expect(p.kind === 'click' && p.conversion.userIdentifiers?.[0]).toStrictEqual({
      hashedEmail: sha('a@example.com'),
      userIdentifierSource: 'FIRST_PARTY',
    });
  });

  it('sends no user data without ad_user_data consent, and says DENIED', () => {
    const s = settings({ leads_use_enhanced_conversions: true });
    const p = mapped(
      event({ identity: { gclid: 'Cj0KCQiA-x', em: sha('a@example.com') }, consent: DENIED }, { ph_e164: sha('+15551234567') }),
      s,
    );
    expect(p.kind === 'click' && p.conversion).toStrictEqual({
      gclid: 'Cj0KCQiA-x',
      conversionAction: PURCHASE_ACTION,
      conversionDateTime: '2026-11-20 12:00:00+00:00',
      orderId: 'evt-1',
      consent: { adUserData: 'DENIED' },
    });
  });

  it('sends neither identifiers nor a consent field when the event has no consent snapshot', () => {
    const s = settings({ leads_use_enhanced_conversions: true });
    const p = mapped(event({ identity: { gclid: 'Cj0KCQiA-x', em: sha('a@example.com') } }), s);
    expect(p.kind === 'click' && p.conversion.userIdentifiers).toBeUndefined();
    expect(p.kind === 'click' && p.conversion.consent).toBeUndefined();
  });

  it('sends no identifiers when enhanced conversions are off, even with consent', () => {
    const p = mapped(event({ identity: { gclid: 'Cj0KCQiA-x', em: sha('a@example.com') }, consent: GRANTED }));
    expect(p.kind === 'click' && p.conversion.userIdentifiers).toBeUndefined();
    expect(p.kind === 'click' && p.conversion.consent).toStrictEqual({ adUserData: 'GRANTED' });
  });

  it('uses wbraid, then gbraid, when there is no gclid', () => {
    const w = mapped(event({ identity: { wbraid: 'wbraid-value-1', gbraid: 'gbraid-value-1' } }));
    expect(w.kind === 'click' && [w.conversion.gclid, w.conversion.wbraid, w.conversion.gbraid]).toStrictEqual([
      undefined,
      'wbraid-value-1',
      undefined,
    ]);
    const g = mapped(event({ identity: { gbraid: 'gbraid-value-1' } }));
    expect(g.kind === 'click' && g.conversion.gbraid).toBe('gbraid-value-1');
  });

  it('resolves the action by canonical name, then by platform name, and passes resource names through', () => {
    const s = settings({ conversion_actions: { 'custom:quote': '42', sign_up: 'customers/1234567890/conversionActions/77' } });
    const q = mapped(event({ event_name: 'custom:quote', identity: { gclid: 'Cj0KCQiA-x' } }), s, 'lead');
    expect(q.kind === 'click' && q.conversion.conversionAction).toBe('customers/1234567890/conversionActions/42');
    const u = mapped(event({ event_name: 'sign_up', identity: { gclid: 'Cj0KCQiA-x' } }), s);
    expect(u.kind === 'click' && u.conversion.conversionAction).toBe('customers/1234567890/conversionActions/77');
  });

  it.each([
    [
      'no conversion action for the event',
      event({ event_name: 'sign_up', identity: { gclid: 'Cj0KCQiA-x' } }),
      settings(),
      'sign_up',
      'no Google Ads conversion action',
    ],
    [
      'no click id on a purchase',
      event({ identity: { em: sha('a@example.com') }, consent: GRANTED }),
      settings({ leads_use_enhanced_conversions: true }),
      'purchase',
      'no Google click id',
    ],
    [
      'no click id on a lead with ECL off',
      event({ event_name: 'lead', identity: { em: sha('a@example.com') }, consent: GRANTED }),
      settings(),
      'lead',
      'no Google click id',
    ],
    [
      'ECL lead without consent',
      event({ event_name: 'lead', identity: { em: sha('a@example.com') }, consent: DENIED }),
      settings({ leads_use_enhanced_conversions: true }),
      'lead',
      'no hashed email or phone with ad_user_data consent',
    ],
  ])('skips (not an error): %s', (_, e, s, name, reason) => {
    const r = googleAds.map(e, { settings: s, platformEventName: name, now: NOW });
    expect(r.ok).toBe(false);
    expect(r.ok === false && r.skip).toBe(true);
    expect(r.ok === false && r.reason).toContain(reason);
  });

  it('maps a lead without click id to Enhanced Conversions for Leads when enabled', () => {
    const s = settings({ leads_use_enhanced_conversions: true });
    const e = event(
      { event_name: 'lead', event_id: 'lead-7', identity: { em: sha('lead@example.com') }, consent: GRANTED },
      { ph_e164: sha('+15551234567') },
    );
    expect(mapped(e, s)).toStrictEqual({
      kind: 'click',
      occurred_at: T,
      conversion: {
        conversionAction: LEAD_ACTION,
        conversionDateTime: '2026-11-20 12:00:00+00:00',
        orderId: 'lead-7',
        userIdentifiers: [
          { hashedEmail: sha('lead@example.com'), userIdentifierSource: 'FIRST_PARTY' },
          { hashedPhoneNumber: sha('+15551234567'), userIdentifierSource: 'FIRST_PARTY' },
        ],
        consent: { adUserData: 'GRANTED' },
      },
    });
  });

  describe('refunds → conversion adjustments', () => {
    const refundEvent = (input: Partial<CanonicalEventInput> = {}) =>
      event({
        event_name: 'refund',
        event_id: 'refund-1',
        event_time: NOW - HOUR,
        commerce: { order_id: 'WC-1001', value: 129.9, currency: 'EUR' },
        ...input,
      });

    it('a full refund is a RETRACTION of the purchase action, keyed by order id', () => {
      expect(mapped(refundEvent())).toStrictEqual({
        kind: 'adjustment',
        occurred_at: NOW - HOUR,
        adjustment: {
          orderId: 'WC-1001',
          conversionAction: PURCHASE_ACTION,
          adjustmentType: 'RETRACTION',
          adjustmentDateTime: '2026-11-23 11:00:00+00:00',
        },
      });
    });

    it('a partial refund is a RESTATEMENT with the remaining value (not the refunded amount)', () => {
      const e = refundEvent({
        commerce: { order_id: 'WC-1001', value: 29.9, currency: 'EUR', items: [{ id: 'SKU-1', quantity: 1 }] },
        properties: { remaining_value: 100 },
      });
      expect(mapped(e, settings({ conversion_timezone: 'America/New_York' }))).toStrictEqual({
        kind: 'adjustment',
        occurred_at: NOW - HOUR,
        adjustment: {
          orderId: 'WC-1001',
          conversionAction: PURCHASE_ACTION,
          adjustmentType: 'RESTATEMENT',
          adjustmentDateTime: '2026-11-23 06:00:00-05:00',
          restatementValue: { adjustedValue: 100, currencyCode: 'EUR' },
        },
      });
    });

    it('remaining_value 0 is a RETRACTION; a refund action, when configured, wins over purchase', () => {
      const s = settings({ conversion_actions: { purchase: F.purchaseActionId, refund: F.webpageActionId } });
      const p = mapped(refundEvent({ properties: { remaining_value: 0 } }), s);
      expect(p.kind === 'adjustment' && [p.adjustment.adjustmentType, p.adjustment.conversionAction]).toStrictEqual([
        'RETRACTION',
        `customers/1234567890/conversionActions/${F.webpageActionId}`,
      ]);
    });

    it.each([
      ['without order id', { commerce: { value: 5, currency: 'EUR' } }, 'commerce.order_id'],
      ['older than 54 days', { event_time: NOW - 55 * DAY }, '54 days'],
      [
        'partial (items) without remaining_value',
        { commerce: { order_id: 'WC-1', value: 5, currency: 'EUR', items: [{ id: 'SKU-1' }] } },
        'remaining_value',
      ],
    ] as const)('is an error %s', (_, input, reason) => {
      const r = googleAds.map(refundEvent(input as Partial<CanonicalEventInput>), {
        settings: settings(),
        platformEventName: 'refund',
        now: NOW,
      });
      expect(r.ok === false && !r.skip && r.reason).toContain(reason);
    });
  });
});

// ---------------------------------------------------------------------------------------------

describe('googleAds.send — outbound requests', () => {
  it('sends a required-fields-only event with exactly this URL, these headers and this body', async () => {
    const outcomes = await googleAds.send([mapped(event({ identity: { gclid: 'Cj0KCQiA-required' } }))], ctx());
    expect(outcomes).toStrictEqual([
      { kind: 'delivered', status: 200, response: expect.stringMatching(/^Uploaded to Google Ads \(job \d+\)\.$/) },
    ]);

    const [tokenReq, apiReq] = fake.requests;
    expect(tokenReq!.path).toBe('/token');
    expect(tokenReq!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(tokenReq!.body as string))).toStrictEqual({
      grant_type: 'refresh_token',
      client_id: F.clientId,
      client_secret: F.clientSecret,
      refresh_token: F.refreshToken,
    });

    expect(apiReq!.path).toBe('/v26/customers/1234567890:uploadClickConversions');
    expect(apiReq!.status).toBe(200);
    expect(apiReq!.headers.authorization).toBe(`Bearer ${issuedTokens()[0]}`);
    expect(apiReq!.headers['content-type']).toBe('application/json');
    expect(apiReq!.headers['developer-token']).toBeUndefined();
    expect(apiReq!.headers['login-customer-id']).toBeUndefined();
    expect(apiReq!.body).toStrictEqual({
      conversions: [
        {
          gclid: 'Cj0KCQiA-required',
          conversionAction: PURCHASE_ACTION,
          conversionDateTime: '2026-11-20 12:00:00+00:00',
          orderId: 'evt-1',
        },
      ],
      partialFailure: true,
    });
  });

  it('sends an every-field event through a manager account with the developer token', async () => {
    await fake.close();
    fake = await startFakeGoogleAds({ now: () => NOW_MS, developerTokens: { approved: [F.developerToken] } });
    const s = settings({
      customer_id: '222-333-4444',
      login_customer_id: '987-654-3210',
      developer_token: F.developerToken,
      conversion_timezone: 'Europe/Berlin',
      leads_use_enhanced_conversions: true,
    });
    const e = event(
      {
        event_id: 'evt-full',
        identity: { em: sha('john.smith@gmail.com'), ph: sha('4915112345678'), gclid: 'Cj0KCQiA-full-gclid' },
        commerce: { order_id: 'WC-1001', value: 129.9, currency: 'EUR', items: [{ id: 'SKU-1', price: 62.5, quantity: 2 }] },
        consent: GRANTED,
      },
      { em_google: sha('johnsmith@gmail.com'), ph_e164: sha('+4915112345678') },
    );
    const outcomes = await googleAds.send([mapped(e, s)], ctx(s));
    expect(outcomes[0]!.kind).toBe('delivered');
    const [req] = apiRequests();
    expect(req!.path).toBe('/v26/customers/2223334444:uploadClickConversions');
    expect(req!.headers).toMatchObject({
      authorization: `Bearer ${issuedTokens()[0]}`,
      'developer-token': F.developerToken,
      'login-customer-id': '9876543210',
      'content-type': 'application/json',
    });
    expect(req!.body).toStrictEqual({
      conversions: [
        {
          gclid: 'Cj0KCQiA-full-gclid',
          conversionAction: 'customers/2223334444/conversionActions/111111',
          conversionDateTime: '2026-11-20 13:00:00+01:00',
          conversionValue: 129.9,
          currencyCode: 'EUR',
          orderId: 'WC-1001',
          userIdentifiers: [
            { hashedEmail: sha('johnsmith@gmail.com'), userIdentifierSource: 'FIRST_PARTY' },
            { hashedPhoneNumber: sha('+4915112345678'), userIdentifierSource: 'FIRST_PARTY' },
          ],
          consent: { adUserData: 'GRANTED' },
        },
      ],
      partialFailure: true,
    });
  });

  it('adds validateOnly and reports rows as validated, recording nothing', async () => {
    const s = settings({ validate_only: true });
    const outcomes = await googleAds.send(
      [mapped(event({ commerce: { order_id: 'WC-9' }, identity: { gclid: 'Cj0KCQiA-x' } }), s)],
      ctx(s),
    );
    expect(outcomes).toStrictEqual([{ kind: 'delivered', status: 200, response: expect.stringContaining('Validated only') }]);
    expect(apiRequests()[0]!.body).toMatchObject({ partialFailure: true, validateOnly: true });
    expect(fake.state.orders.size).toBe(0);
  });

  it('routes mixed payloads to both endpoints and returns outcomes in payload order', async () => {
    fake.addOrder(F.purchaseActionId, 'WC-OLD', NOW_MS - 3 * DAY * 1000, 50);
    const payloads = [
      click({ orderId: 'A' }),
      refund('WC-OLD'),
      click({ orderId: 'B', gclid: 'not a gclid!' }),
      refund('WC-UNKNOWN'),
      { kind: 'something-else' },
    ];
    const outcomes = await googleAds.send(payloads, ctx());
    expect(outcomes.map((o) => o.kind)).toStrictEqual(['delivered', 'delivered', 'drop', 'drop', 'drop']);
    expect(errorOf(outcomes[2])).toContain('UNPARSEABLE_GCLID');
    expect(errorOf(outcomes[3])).toContain('CONVERSION_NOT_FOUND');
    expect(errorOf(outcomes[4])).toContain('Not a Google Ads payload');
    expect(apiRequests().map((r) => r.path)).toStrictEqual([
      '/v26/customers/1234567890:uploadClickConversions',
      '/v26/customers/1234567890:uploadConversionAdjustments',
    ]);
    expect((apiRequests()[0]!.body as { conversions: unknown[] }).conversions).toHaveLength(2);
    expect(apiRequests()[1]!.body).toStrictEqual({
      conversionAdjustments: [
        {
          orderId: 'WC-OLD',
          conversionAction: PURCHASE_ACTION,
          adjustmentType: 'RETRACTION',
          adjustmentDateTime: '2026-11-23 11:00:00+00:00',
        },
        {
          orderId: 'WC-UNKNOWN',
          conversionAction: PURCHASE_ACTION,
          adjustmentType: 'RETRACTION',
          adjustmentDateTime: '2026-11-23 11:00:00+00:00',
        },
      ],
      partialFailure: true,
    });
  });

  it('splits more than 2,000 payloads into requests of at most 2,000', async () => {
    const payloads = Array.from({ length: 2001 }, (_, i) => click({ orderId: `bulk-${i}` }));
    const outcomes = await googleAds.send(payloads, ctx());
    expect(outcomes).toHaveLength(2001);
    expect(outcomes.every((o) => o.kind === 'delivered')).toBe(true);
    expect(apiRequests().map((r) => (r.body as { conversions: unknown[] }).conversions.length)).toStrictEqual([2000, 1]);
  });

  it('sends nothing (no token, no upload) for an empty or unusable batch', async () => {
    expect(await googleAds.send([], ctx())).toStrictEqual([]);
    const outcomes = await googleAds.send([null, { kind: 'click' }], ctx());
    expect(outcomes.map((o) => o.kind)).toStrictEqual(['drop', 'drop']);
    expect(fake.requests).toHaveLength(0);
  });
});

describe('googleAds.send — OAuth access token', () => {
  it('refreshes once and reuses the token for later sends', async () => {
    const c = ctx();
    for (let i = 0; i < 3; i++) {
      const [o] = await googleAds.send([click({ orderId: `o-${i}` })], { ...c, nowMs: NOW_MS + i * 60_000 });
      expect(o!.kind).toBe('delivered');
    }
    expect(fake.tokenRequests()).toBe(1);
    const tokens = new Set(apiRequests().map((r) => r.headers.authorization));
    expect(tokens.size).toBe(1);
  });

  it('shares one refresh between concurrent sends', async () => {
    const c = ctx();
    const all = await Promise.all([0, 1, 2].map((i) => googleAds.send([click({ orderId: `c-${i}` })], c)));
    expect(all.flat().map((o) => o.kind)).toStrictEqual(['delivered', 'delivered', 'delivered']);
    expect(fake.tokenRequests()).toBe(1);
  });

  it('refreshes shortly before the token expires', async () => {
    const c = ctx();
    await googleAds.send([click({ orderId: 'e-1' })], c);
    // expires_in 3599 s: at 3599 s minus the margin minus 1 s it is still used…
    await googleAds.send([click({ orderId: 'e-2' })], { ...c, nowMs: NOW_MS + 3_599_000 - TOKEN_EXPIRY_MARGIN_MS - 1000 });
    expect(fake.tokenRequests()).toBe(1);
    // …and inside the margin it is replaced.
    await googleAds.send([click({ orderId: 'e-3' })], { ...c, nowMs: NOW_MS + 3_599_000 - TOKEN_EXPIRY_MARGIN_MS + 1000 });
    expect(fake.tokenRequests()).toBe(2);
    const [a, b, d] = apiRequests().map((r) => r.headers.authorization);
    expect(a).toBe(b);
    expect(d).not.toBe(a);
  });

  it('refreshes again when the settings change (new refresh token)', async () => {
    const state = new Map<string, unknown>();
    await googleAds.send([click({ orderId: 's-1' })], ctx(settings(), { state }));
    await googleAds.send(
      [click({ orderId: 's-2' })],
      ctx(settings({ client_id: F.testOnlyClientId, refresh_token: F.testOnlyRefreshToken }), { state }),
    );
    expect(fake.tokenRequests()).toBe(2);
  });

  it('refreshes and retries once when Google refuses a cached token', async () => {
    const c = ctx();
    await googleAds.send([click({ orderId: 'r-1' })], c);
    fake.state.accessTokens.clear(); // Google revoked the access token early
    const outcomes = await googleAds.send([click({ orderId: 'r-2' })], c);
    expect(outcomes[0]!.kind).toBe('delivered');
    expect(fake.tokenRequests()).toBe(2);
    expect(apiRequests().map((r) => r.status)).toStrictEqual([200, 401, 200]);
  });

  it('parks (auth) when the refresh token was revoked, without calling the API', async () => {
    const outcomes = await googleAds.send([click(), click()], ctx(settings({ refresh_token: F.revokedRefreshToken })));
    expect(outcomes.map((o) => o.kind)).toStrictEqual(['auth', 'auth']);
    expect(errorOf(outcomes[0])).toContain('the refresh token was revoked or expired. Reconnect Google Ads.');
    expect(errorOf(outcomes[0])).not.toContain(F.revokedRefreshToken);
    expect(apiRequests()).toHaveLength(0);
  });

  it('parks (auth) when the client secret is wrong', async () => {
    const outcomes = await googleAds.send([click()], ctx(settings({ client_secret: 'wrong-secret-value' })));
    expect(outcomes[0]!.kind).toBe('auth');
    expect(errorOf(outcomes[0])).toContain('invalid_client');
  });

  it('retries when the token endpoint fails or cannot be reached', async () => {
    fake.failNext(1, 503);
    const [o] = await googleAds.send([click()], ctx());
    expect(o).toMatchObject({ kind: 'retry', status: 503 });
    const port = await closedPort();
    const [n] = await googleAds.send([click()], ctx(settings(), { baseUrl: `http://127.0.0.1:${port}` }));
    expect(n!.kind).toBe('retry');
    expect(errorOf(n)).toContain("Could not reach Google's OAuth server");
  });

  it('sends the refresh token to Google only when no base URL overrides the origin', () => {
    expect(tokenUrlFor()).toBe(GOOGLE_OAUTH_TOKEN_URL);
    expect(GOOGLE_OAUTH_TOKEN_URL).toBe('https://oauth2.googleapis.com/token');
    expect(tokenUrlFor('http://127.0.0.1:8793')).toBe('http://127.0.0.1:8793/token');
  });
});

describe('googleAds.send — per-row results (partial failure)', () => {
  it('maps partialFailureError rows back to the right events', async () => {
    const payloads = [
      click({ orderId: 'ok-1' }),
      click({ orderId: 'bad-action', conversionAction: 'customers/1234567890/conversionActions/404404' }),
      click({ orderId: 'ok-2', gclid: 'Cj0KCQiA-second' }),
      click({ orderId: 'bad-date', conversionDateTime: '2026-11-20 12:00:00' }),
    ];
    const outcomes = await googleAds.send(payloads, ctx());
    expect(outcomes.map((o) => o.kind)).toStrictEqual(['delivered', 'drop', 'delivered', 'drop']);
    expect(errorOf(outcomes[1])).toMatch(
      /^Google Ads rejected the conversion: The conversion action specified in the upload request cannot be found.*\(NO_CONVERSION_ACTION_FOUND\); check the conversion action IDs/,
    );
    expect(errorOf(outcomes[3])).toContain('INVALID_STRING_DATE_TIME_SECONDS_WITH_OFFSET');
    expect(errorOf(outcomes[3])).toMatch(/\[Google request fake-req-\w+\]$/);
    expect([...fake.state.orders.keys()].sort()).toStrictEqual([`${F.purchaseActionId}|ok-1`, `${F.purchaseActionId}|ok-2`]);
  });

  it('defers a conversion whose click is less than 6 hours old until 6 hours after the conversion', async () => {
    await fake.close();
    fake = await startFakeGoogleAds({ now: () => NOW_MS, clicks: { 'Cj0KCQiA-fresh-click': NOW_MS - HOUR * 1000 } });
    const occurred = NOW - 30 * 60;
    const outcomes = await googleAds.send(
      [click({ gclid: 'Cj0KCQiA-fresh-click', conversionDateTime: formatGoogleDateTime(occurred, 'UTC') }, occurred)],
      ctx(),
    );
    expect(outcomes).toStrictEqual([
      { kind: 'defer', untilMs: (occurred + 6 * HOUR) * 1000 + 60_000, reason: expect.stringContaining('TOO_RECENT_EVENT') },
    ]);
  });

  it('drops a conversion whose click is outside the click-through window, with the reason', async () => {
    await fake.close();
    fake = await startFakeGoogleAds({ now: () => NOW_MS, clicks: { 'Cj0KCQiA-old-click': NOW_MS - 100 * DAY * 1000 } });
    const [o] = await googleAds.send(
      [click({ gclid: 'Cj0KCQiA-old-click', conversionDateTime: formatGoogleDateTime(NOW - 5 * DAY, 'UTC') }, NOW - 5 * DAY)],
      ctx(),
    );
    expect(o!.kind).toBe('drop');
    expect(errorOf(o)).toContain("its click occurred before this conversion's click-through window");
    expect(errorOf(o)).toContain('(EXPIRED_EVENT)');
  });

  it('drops a conversion dated before its click', async () => {
    await fake.close();
    fake = await startFakeGoogleAds({ now: () => NOW_MS, clicks: { 'Cj0KCQiA-later-click': NOW_MS - DAY * 1000 } });
    const [o] = await googleAds.send(
      [click({ gclid: 'Cj0KCQiA-later-click', conversionDateTime: formatGoogleDateTime(NOW - 2 * DAY, 'UTC') })],
      ctx(),
    );
    expect(errorOf(o)).toContain('CONVERSION_PRECEDES_EVENT');
  });

  it('treats an order id Google already has as delivered (a retried upload)', async () => {
    const c = ctx();
    await googleAds.send([click({ orderId: 'WC-DUP' })], c);
    const [again] = await googleAds.send([click({ orderId: 'WC-DUP' })], c);
    expect(again).toStrictEqual({
      kind: 'delivered',
      status: 200,
      response: 'Google Ads already had this conversion (ORDER_ID_ALREADY_IN_USE).',
    });
  });

  it('keeps every reason when one row has several errors', async () => {
    const [o] = await googleAds.send([click({ gclid: 'bad gclid', currencyCode: 'eur', conversionValue: 5 })], ctx());
    expect(o!.kind).toBe('drop');
    expect(errorOf(o)).toContain('UNPARSEABLE_GCLID');
    expect(errorOf(o)).toContain('(UNSUPPORTED)');
  });
});

describe('googleAds.send — refunds', () => {
  it('retracts a purchase (full refund) and treats a repeated retraction as delivered', async () => {
    fake.addOrder(F.purchaseActionId, 'WC-1001', NOW_MS - 3 * DAY * 1000, 129.9);
    const e = event({
      event_name: 'refund',
      event_id: 'r-1',
      event_time: NOW - HOUR,
      commerce: { order_id: 'WC-1001', value: 129.9, currency: 'EUR' },
    });
    const c = ctx();
    expect((await googleAds.send([mapped(e)], c))[0]!.kind).toBe('delivered');
    expect(fake.state.orders.get(`${F.purchaseActionId}|WC-1001`)!.retracted).toBe(true);
    const [again] = await googleAds.send([mapped(e)], c);
    expect(again).toMatchObject({ kind: 'delivered', response: expect.stringContaining('CONVERSION_ALREADY_RETRACTED') });
  });

  it('restates a partially refunded purchase to the remaining value', async () => {
    fake.addOrder(F.purchaseActionId, 'WC-1002', NOW_MS - 3 * DAY * 1000, 129.9);
    const e = event({
      event_name: 'refund',
      event_time: NOW - HOUR,
      commerce: { order_id: 'WC-1002', value: 29.9, currency: 'EUR', items: [{ id: 'SKU-1', quantity: 1 }] },
      properties: { remaining_value: 100 },
    });
    const [o] = await googleAds.send([mapped(e)], ctx());
    expect(o!.kind).toBe('delivered');
    expect(apiRequests()[0]!.body).toStrictEqual({
      conversionAdjustments: [
        {
          orderId: 'WC-1002',
          conversionAction: PURCHASE_ACTION,
          adjustmentType: 'RESTATEMENT',
          adjustmentDateTime: '2026-11-23 11:00:00+00:00',
          restatementValue: { adjustedValue: 100, currencyCode: 'EUR' },
        },
      ],
      partialFailure: true,
    });
    expect(fake.state.orders.get(`${F.purchaseActionId}|WC-1002`)!.value).toBe(100);
  });

  it('defers a refund of a conversion less than 24 hours old until 24 hours after the refund', async () => {
    fake.addOrder(F.purchaseActionId, 'WC-NEW', NOW_MS - 2 * HOUR * 1000);
    const occurred = NOW - HOUR;
    const [o] = await googleAds.send([refund('WC-NEW', {}, occurred)], ctx());
    expect(o).toStrictEqual({
      kind: 'defer',
      untilMs: (occurred + 24 * HOUR) * 1000 + 60_000,
      reason: expect.stringContaining('TOO_RECENT_CONVERSION'),
    });
  });

  it('drops a refund of a conversion older than 54 days', async () => {
    fake.addOrder(F.purchaseActionId, 'WC-ANCIENT', NOW_MS - 60 * DAY * 1000);
    const [o] = await googleAds.send([refund('WC-ANCIENT')], ctx());
    expect(errorOf(o)).toContain('CONVERSION_EXPIRED');
  });
});

describe('googleAds.send — Enhanced Conversions for Leads', () => {
  const leadEvent = () =>
    event(
      { event_name: 'lead', event_id: 'lead-1', identity: { em: sha('lead@example.com') }, consent: GRANTED },
      { ph_e164: sha('+15551234567') },
    );

  it('uploads a lead without click id with hashed identifiers', async () => {
    const s = settings({ leads_use_enhanced_conversions: true });
    const [o] = await googleAds.send([mapped(leadEvent(), s)], ctx(s));
    expect(o!.kind).toBe('delivered');
    const sent = (apiRequests()[0]!.body as { conversions: Array<Record<string, unknown>> }).conversions[0]!;
    expect(sent.gclid).toBeUndefined();
    expect(sent.userIdentifiers).toHaveLength(2);
    expect(sent.conversionAction).toBe(LEAD_ACTION);
  });

  it('names the Google Ads setting to change when the account has ECL off', async () => {
    const s = settings({ customer_id: F.plainCustomerId, leads_use_enhanced_conversions: true });
    const [o] = await googleAds.send([mapped(leadEvent(), s)], ctx(s));
    expect(o!.kind).toBe('drop');
    expect(errorOf(o)).toContain('CUSTOMER_NOT_ENABLED_ENHANCED_CONVERSIONS_FOR_LEADS');
    expect(errorOf(o)).toContain('CUSTOMER_NOT_ACCEPTED_CUSTOMER_DATA_TERMS');
    expect(errorOf(o)).toContain('accept the customer data terms');
  });

  it('treats CLICK_NOT_FOUND (a lead that did not come from a Google ad) as delivered', async () => {
    fake.respondNext({
      status: 200,
      body: {
        partialFailureError: {
          code: 3,
          message: 'x',
          details: [
            {
              '@type': 'type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure',
              errors: [
                {
                  errorCode: { conversionUploadError: 'CLICK_NOT_FOUND' },
                  message: "The email address or phone number for this event can't be matched to a click.",
                  location: { fieldPathElements: [{ fieldName: 'conversions', index: 0 }] },
                },
              ],
            },
          ],
        },
        results: [{}],
      },
    });
    const s = settings({ leads_use_enhanced_conversions: true });
    const [o] = await googleAds.send([mapped(leadEvent(), s)], ctx(s));
    expect(o).toMatchObject({ kind: 'delivered', response: expect.stringContaining('CLICK_NOT_FOUND') });
  });
});

describe('googleAds.send — request-level errors', () => {
  const warm = async (c: SendContext<GoogleAdsSettings>) => {
    await googleAds.send([click({ orderId: 'warm-up' })], c);
    fake.reset();
  };

  it.each([
    [500, 'retry'],
    [503, 'retry'],
    ['auth', 'auth'],
  ] as const)('failure %s → %s', async (kind, expected) => {
    const c = ctx();
    await warm(c);
    fake.failNext(1, kind);
    const outcomes = await googleAds.send([click(), click({ orderId: 'x' })], c);
    expect(outcomes.map((o) => o.kind)).toStrictEqual([expected, expected]);
  });

  it('429 RESOURCE_EXHAUSTED retries after the quota retryDelay', async () => {
    const c = ctx();
    await warm(c);
    fake.failNext(1, 429);
    const [o] = await googleAds.send([click()], c);
    expect(o).toMatchObject({ kind: 'retry', status: 429, retryAfterMs: 30_000 });
    expect(errorOf(o)).toContain('RESOURCE_TEMPORARILY_EXHAUSTED');
  });

  it('429 honours a Retry-After header', async () => {
    const c = ctx();
    await warm(c);
    fake.respondNext({
      status: 429,
      headers: { 'retry-after': '120' },
      body: { error: { code: 429, message: 'Resource has been exhausted (e.g. check quota).', status: 'RESOURCE_EXHAUSTED' } },
    });
    const [o] = await googleAds.send([click()], c);
    expect(o).toMatchObject({ kind: 'retry', status: 429, retryAfterMs: 120_000 });
  });

  it('a timeout retries', async () => {
    const short = createHttpClient({ defaultTimeoutMs: 300 });
    try {
      const c = ctx(settings(), { http: short });
      await warm(c);
      fake.failNext(1, 'timeout');
      const [o] = await googleAds.send([click()], c);
      expect(o!.kind).toBe('retry');
      expect(errorOf(o)).toContain('Could not reach Google Ads');
    } finally {
      await short.close();
    }
  });

  it.each([
    ['an unknown customer', settings({ customer_id: '1112223333' }), 'Google Ads found no account with customer ID 111-222-3333'],
    ['a managed customer without login_customer_id', settings({ customer_id: F.managedCustomerId }), 'set the manager account ID'],
    [
      'a login customer that does not manage the account',
      settings({ customer_id: F.managedCustomerId, login_customer_id: F.customerId }),
      'does not manage account 222-333-4444',
    ],
    [
      'a Cloud project with test access only',
      settings({ client_id: F.testOnlyClientId, refresh_token: F.testOnlyRefreshToken }),
      'approved for test accounts only',
    ],
  ])('%s → auth with an actionable message', async (_, s, text) => {
    const outcomes = await googleAds.send([click(), click({ orderId: 'z' })], ctx(s));
    expect(outcomes.map((o) => o.kind)).toStrictEqual(['auth', 'auth']);
    expect(errorOf(outcomes[0])).toContain(text);
  });

  it('a developer token approved for test accounts only → auth', async () => {
    await fake.close();
    fake = await startFakeGoogleAds({
      now: () => NOW_MS,
      developerTokens: { approved: [F.developerToken], testOnly: [F.testOnlyDeveloperToken] },
    });
    const [o] = await googleAds.send([click()], ctx(settings({ developer_token: F.testOnlyDeveloperToken })));
    expect(o!.kind).toBe('auth');
    expect(errorOf(o)).toContain('developer token is approved for test accounts only');
    expect(errorOf(o)).not.toContain(F.testOnlyDeveloperToken);
  });

  it('400 INVALID_ARGUMENT drops every row with Google’s message', async () => {
    const c = ctx();
    await warm(c);
    fake.respondNext({
      status: 400,
      body: {
        error: {
          code: 400,
          message: 'Request contains an invalid argument.',
          status: 'INVALID_ARGUMENT',
          details: [
            {
              '@type': 'type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure',
              errors: [{ errorCode: { requestError: 'INVALID_ENUM_VALUE' }, message: 'Enum value is not permitted.' }],
              requestId: 'abc123',
            },
          ],
        },
      },
    });
    const outcomes = await googleAds.send([click(), click({ orderId: 'y' })], c);
    expect(outcomes).toStrictEqual([
      {
        kind: 'drop',
        status: 400,
        error: 'Google Ads rejected the request: Enum value is not permitted (INVALID_ENUM_VALUE). [Google request abc123]',
      },
      {
        kind: 'drop',
        status: 400,
        error: 'Google Ads rejected the request: Enum value is not permitted (INVALID_ENUM_VALUE). [Google request abc123]',
      },
    ]);
  });

  it('a 400 that names one row drops that row and retries the others', async () => {
    const bad = click({ orderId: 'enum' });
    (bad as unknown as { conversion: Record<string, unknown> }).conversion.consent = { adUserData: 'YES' };
    const outcomes = await googleAds.send([click({ orderId: 'fine' }), bad], ctx());
    expect(outcomes.map((o) => o.kind)).toStrictEqual(['retry', 'drop']);
    expect(errorOf(outcomes[1])).toContain("Invalid value at 'conversions[1].consent.ad_user_data'");
  });

  it('never puts a secret into an outcome, even when Google echoes one', async () => {
    const s = settings({ developer_token: 'dev-token-secret-1' });
    const c = ctx(s);
    await warm(c);
    const token = issuedTokens()[0]!;
    fake.respondNext({
      status: 400,
      body: {
        error: { code: 400, message: `bad ${F.refreshToken} ${F.clientSecret} dev-token-secret-1 ${token}`, status: 'INVALID_ARGUMENT' },
      },
    });
    const [o] = await googleAds.send([click()], c);
    const text = errorOf(o);
    for (const secret of [F.refreshToken, F.clientSecret, 'dev-token-secret-1', token]) expect(text).not.toContain(secret);
    expect(text).toContain('[redacted]');
  });
});

describe('googleAds.testConnection', () => {
  const test = (s: GoogleAdsSettings, extra: Partial<SendContext<GoogleAdsSettings>> = {}) => googleAds.testConnection!(ctx(s, extra));

  it('OK: refreshes the token, reads the account and the conversion actions, uploads nothing', async () => {
    const d = await test(settings({ leads_use_enhanced_conversions: true }));
    expect(d).toStrictEqual({
      ok: true,
      code: 'ok',
      message: 'OK: connected to Google Ads account 123-456-7890 ("LayerSync Test Store"); 2 conversion action(s) found.',
    });
    expect(apiRequests().map((r) => r.path)).toStrictEqual([
      '/v26/customers/1234567890/googleAds:search',
      '/v26/customers/1234567890/googleAds:search',
    ]);
    expect((apiRequests()[1]!.body as { query: string }).query).toContain(
      `conversion_action.id IN (${F.purchaseActionId}, ${F.leadActionId})`,
    );
    expect(fake.state.orders.size).toBe(0);
  });

  it.each([
    ['a revoked refresh token', 'token_revoked', settings({ refresh_token: F.revokedRefreshToken }), 'revoked or expired'],
    ['a wrong client secret', 'invalid_client', settings({ client_secret: 'nope-nope' }), 'client ID and client secret'],
    ['an unknown customer', 'customer_not_found', settings({ customer_id: '1112223333' }), 'no account with customer ID 111-222-3333'],
    ['a managed customer without manager ID', 'permission_denied', settings({ customer_id: F.managedCustomerId }), 'login customer ID'],
    [
      'a test-only Cloud project',
      'project_not_approved',
      settings({ client_id: F.testOnlyClientId, refresh_token: F.testOnlyRefreshToken }),
      'test accounts only',
    ],
    [
      'ECL on, terms not accepted',
      'customer_data_terms_not_accepted',
      settings({ customer_id: F.plainCustomerId, leads_use_enhanced_conversions: true }),
      'customer data terms',
    ],
    [
      'an unknown conversion action',
      'conversion_action_not_found',
      settings({ conversion_actions: { purchase: '999' } }),
      'Conversion action 999 (for "purchase")',
    ],
    [
      'a website-tag action for uploads',
      'conversion_action_wrong_type',
      settings({ conversion_actions: { purchase: F.webpageActionId } }),
      'UPLOAD_CLICKS',
    ],
    ['no conversion action at all', 'no_conversion_actions', settings({ conversion_actions: {} }), 'nothing will be uploaded'],
  ])('%s → %s', async (_, code, s, text) => {
    const d = await test(s);
    expect(d.ok).toBe(false);
    expect(d.code).toBe(code);
    expect(d.message).toContain(text);
  });

  it('a website-tag action is fine for refunds (adjustments accept WEBPAGE)', async () => {
    const d = await test(settings({ conversion_actions: { purchase: F.purchaseActionId, refund: F.webpageActionId } }));
    expect(d).toMatchObject({ ok: true, code: 'ok' });
  });

  it('developer token not approved', async () => {
    await fake.close();
    fake = await startFakeGoogleAds({
      now: () => NOW_MS,
      developerTokens: { approved: [F.developerToken], testOnly: [F.testOnlyDeveloperToken] },
    });
    const d = await test(settings({ developer_token: F.testOnlyDeveloperToken }));
    expect(d).toMatchObject({ ok: false, code: 'developer_token_not_approved' });
  });

  it('ECL on but off in the account', async () => {
    await fake.close();
    fake = await startFakeGoogleAds({
      now: () => NOW_MS,
      customers: { [F.customerId]: { name: 'Shop', acceptedCustomerDataTerms: true, enhancedConversionsForLeadsEnabled: false } },
    });
    const d = await test(settings({ leads_use_enhanced_conversions: true }));
    expect(d).toMatchObject({ ok: false, code: 'ecl_not_enabled' });
  });

  it('unreachable', async () => {
    const port = await closedPort();
    const d = await test(settings(), { baseUrl: `http://127.0.0.1:${port}` });
    expect(d).toMatchObject({ ok: false, code: 'unreachable' });
  });

  it('always refreshes, even with a cached token', async () => {
    const state = new Map<string, unknown>();
    await googleAds.send([click()], ctx(settings(), { state }));
    await test(settings(), { state });
    expect(fake.tokenRequests()).toBe(2);
  });
});
