/**
 * The Pinterest destination: the pure mapper with exact expected events, then the destination
 * end to end against the local fake Pinterest API with the real undici client on 127.0.0.1.
 */
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { canonicalEventSchema, type CanonicalEvent, type CanonicalEventInput } from '../src/contract/event.js';
import { createHttpClient, type HttpClient, type HttpResponse } from '../src/delivery/http.js';
import { PINTEREST_MAX_EVENT_AGE_SECONDS, PINTEREST_MAX_EVENTS_PER_REQUEST } from '../src/destinations/pinterest/api.js';
import { createPinterestDestination, pinterest, PINTEREST_DEFAULT_EVENT_MAP } from '../src/destinations/pinterest/index.js';
import {
  formatPinterestMoney,
  mapPinterestEvent,
  pinterestActionSource,
  PINTEREST_EVENT_NAMES,
  type PinterestEvent,
} from '../src/destinations/pinterest/map.js';
import { pinterestSettings, type PinterestSettings } from '../src/destinations/pinterest/settings.js';
import { secretValues } from '../src/destinations/secrets.js';
import type { DeliveryOutcome, MapContext, MapResult, SendContext } from '../src/destinations/types.js';
import {
  FAKE_PINTEREST_AD_ACCOUNT,
  FAKE_PINTEREST_TOKEN,
  samplePinterestEvent,
  startFakePinterest,
  type FakePinterest,
} from './fakes/pinterest-server.js';
import { closedPort } from './destinations/support.js';

/** normalized value → SHA-256 hex (docs/CONTRACT.md normalization; checked below). */
const HASHED = {
  em: ['john_smith@gmail.com', '62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f'],
  ph: ['16505551212', 'e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176'],
  fn: ['mary', '6915771be1c5aa0c886870b6951b03d7eafc121fea0e80a5ea83beb7c449f4ec'],
  ln: ['smith', '6627835f988e2c5e50533d491163072d3f4f41f5c8b04630150debb3722ca2dd'],
  ge: ['f', '252f10c83610ebca1a059c0bae8255eba2f95be4d1d7bcfa89d7248a82d9f111'],
  db: ['19970216', '01acdbf6ec7b4f478a225f1a246e5d6767eeab1a7ffa17f025265b5b94f40f0c'],
  ct: ['newyork', '350c754ba4d38897693aa077ef43072a859d23f613443133fecbbd90a3512ca5'],
  st: ['ca', '6959097001d10501ac7d54c0bdb8db61420f658f2922cc26e46d536119a31126'],
  zp: ['94035', '1794327a4d443904421f5ca1f3d72d0a62ba2f0770d80755ec2220fc0efb052e'],
  country: ['us', '79adb2a2fce5c6ba215fe5f27f532d4e7edbac4b6a5e09e1ef3a08084a904621'],
  external_id: ['customer-42', 'a045eb33f8797f35ea7d5fad7c5e0d021e2142e9c1bb6e9dc9f45b4f503b03e8'],
} as const;
const h = (k: keyof typeof HASHED): string => HASHED[k][1];

const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';
const EPIK = 'dj0yJnU9b2JDcFFHekV4SHJNcmVrbFBkUEdqakh0akdUT1VjVVUmcD0yJm49cnNBQ3F2Q2dOVDBXWWhkWklrUGxBUSZ0PUFBQUFBR1BaY3Bv';
const SETTINGS: PinterestSettings = { ad_account_id: FAKE_PINTEREST_AD_ACCOUNT, access_token: FAKE_PINTEREST_TOKEN, test_mode: false };
const NOW = 1_795_400_000;

const canonical = (input: CanonicalEventInput): CanonicalEvent => canonicalEventSchema.parse(input);

function requiredOnlyEvent(now: number): CanonicalEvent {
  return canonical({
    event_id: '0192f5c4-7a1b-7c3d-8e4f-000000000001',
    event_name: 'lead',
    event_time: now - 30,
    source: 'browser',
    context: { url: 'https://shop.example/contact', user_agent: UA, ip: '203.0.113.7' },
  });
}

function requiredOnlyExpected(now: number): PinterestEvent {
  return {
    event_name: 'lead',
    action_source: 'web',
    event_time: now - 30,
    event_id: '0192f5c4-7a1b-7c3d-8e4f-000000000001',
    event_source_url: 'https://shop.example/contact',
    user_data: { client_ip_address: '203.0.113.7', client_user_agent: UA },
  };
}

function everyFieldEvent(now: number): CanonicalEvent {
  return canonical({
    event_id: 'order-1001',
    event_name: 'purchase',
    event_time: now - 120,
    source: 'server',
    context: {
      url: 'https://shop.example/checkout/order-received/1001/',
      referrer: 'https://shop.example/checkout/',
      user_agent: UA,
      ip: '2001:db8::1',
      ip_anonymized: false,
      locale: 'en-US',
    },
    identity: {
      em: h('em'),
      ph: h('ph'),
      fn: h('fn'),
      ln: h('ln'),
      ge: h('ge'),
      db: h('db'),
      ct: h('ct'),
      st: h('st'),
      zp: h('zp'),
      country: h('country'),
      external_id: h('external_id'),
      epik: EPIK,
      fbp: 'fb.1.1558571054389.1098115397',
      gclid: 'Cj0KCQiA-not-for-pinterest',
    },
    commerce: {
      order_id: '1001',
      value: 59.9,
      currency: 'EUR',
      tax: 9.56,
      shipping: 4.9,
      coupon: 'WELCOME10',
      items: [
        { id: 'SKU-1', name: 'Mug', price: 12.5, quantity: 2, category: 'Kitchen', brand: 'Acme', variant: 'blue' },
        { id: 'SKU-2', name: 'Tea', price: 30 },
      ],
    },
    consent: { ad_storage: 'granted', analytics_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted' },
    properties: { payment_method: 'card', search_term: 'not used for checkout' },
  });
}

function everyFieldExpected(now: number): PinterestEvent {
  return {
    event_name: 'checkout',
    action_source: 'web',
    event_time: now - 120,
    event_id: 'order-1001',
    event_source_url: 'https://shop.example/checkout/order-received/1001/',
    user_data: {
      em: [h('em')],
      ph: [h('ph')],
      ge: [h('ge')],
      db: [h('db')],
      fn: [h('fn')],
      ln: [h('ln')],
      ct: [h('ct')],
      st: [h('st')],
      zp: [h('zp')],
      country: [h('country')],
      external_id: [h('external_id')],
      client_ip_address: '2001:db8::1',
      client_user_agent: UA,
      click_id: EPIK,
    },
    custom_data: {
      currency: 'EUR',
      value: '59.90',
      order_id: '1001',
      content_ids: ['SKU-1', 'SKU-2'],
      contents: [
        { id: 'SKU-1', item_price: '12.50', quantity: 2, item_name: 'Mug', item_category: 'Kitchen', item_brand: 'Acme' },
        { id: 'SKU-2', item_price: '30.00', item_name: 'Tea' },
      ],
      num_items: 3,
    },
    language: 'en',
  };
}

function mapCtx(platformEventName: string, extra: Partial<MapContext<PinterestSettings>> = {}): MapContext<PinterestSettings> {
  return { settings: SETTINGS, platformEventName, now: NOW, ...extra };
}

function payload(result: MapResult): PinterestEvent {
  if (!result.ok) throw new Error(`expected ok, got: ${result.reason}`);
  return result.payload as PinterestEvent;
}

function refusal(result: MapResult): string {
  if (result.ok) throw new Error('expected a refusal');
  expect(result.skip).toBe(false);
  return result.reason;
}

describe('Pinterest fixtures', () => {
  it.each(Object.entries(HASHED))('%s hash is SHA-256 of the normalized value', (_key, [plain, hex]) => {
    expect(createHash('sha256').update(plain, 'utf8').digest('hex')).toBe(hex);
  });
});

describe('mapPinterestEvent', () => {
  it('maps a required-fields-only event exactly', () => {
    expect(payload(mapPinterestEvent(requiredOnlyEvent(NOW), mapCtx('lead')))).toStrictEqual(requiredOnlyExpected(NOW));
  });

  it('maps an every-field event exactly: hashed lists, epik as click_id, value and prices as strings', () => {
    expect(payload(mapPinterestEvent(everyFieldEvent(NOW), mapCtx('checkout')))).toStrictEqual(everyFieldExpected(NOW));
  });

  it('chooses web for storefront events and offline when nobody was on the site', () => {
    const base = { event_id: 'e1', event_name: 'purchase', event_time: NOW } as const;
    const web = { url: 'https://shop.example/', user_agent: UA };
    expect(pinterestActionSource(canonical({ ...base, source: 'browser' }))).toBe('web');
    expect(pinterestActionSource(canonical({ ...base, source: 'server' }))).toBe('web');
    expect(pinterestActionSource(canonical({ ...base, source: 'webhook' }))).toBe('offline');
    expect(pinterestActionSource(canonical({ ...base, source: 'sdk', context: web }))).toBe('web');
    const renewal = canonical({ ...base, source: 'webhook', identity: { em: h('em') }, commerce: { value: 9, currency: 'JPY' } });
    expect(payload(mapPinterestEvent(renewal, mapCtx('checkout')))).toStrictEqual({
      event_name: 'checkout',
      action_source: 'offline',
      event_time: NOW,
      event_id: 'e1',
      user_data: { em: [h('em')] },
      custom_data: { currency: 'JPY', value: '9' },
    });
  });

  it('refuses an event without em and without IP + user agent (a phone alone does not count)', () => {
    const phoneOnly = canonical({ event_id: 'e2', event_name: 'lead', event_time: NOW, source: 'webhook', identity: { ph: h('ph') } });
    expect(refusal(mapPinterestEvent(phoneOnly, mapCtx('lead')))).toMatch(/hashed email \(identity\.em\) or both the visitor's IP address and user agent/);
    const uaOnly = canonical({ ...requiredOnlyEvent(NOW), context: { url: 'https://shop.example/', user_agent: UA } });
    expect(mapPinterestEvent(uaOnly, mapCtx('lead')).ok).toBe(false);
    const blankIp = canonical({ ...requiredOnlyEvent(NOW), context: { user_agent: UA, url: 'https://shop.example/' }, identity: { em: h('em') } });
    expect(payload(mapPinterestEvent(blankIp, mapCtx('lead'))).user_data).toStrictEqual({ em: [h('em')], client_user_agent: UA });
  });

  it('refuses an event name Pinterest does not know', () => {
    expect(refusal(mapPinterestEvent(requiredOnlyEvent(NOW), mapCtx('Purchase')))).toMatch(/"Purchase" is not a Pinterest event name/);
  });

  it('refuses events at the 7-day limit (with a 60 s margin) and clamps future times to now', () => {
    expect(PINTEREST_MAX_EVENT_AGE_SECONDS).toBe(604_800);
    expect(pinterest.maxEventAgeSeconds).toBe(604_800);
    const old = canonical({ ...requiredOnlyEvent(NOW), event_time: NOW - 604_800 - 1 });
    expect(refusal(mapPinterestEvent(old, mapCtx('lead')))).toMatch(/7 d 0 h ago; LayerSync sends Pinterest events up to 7 days old/);
    expect(mapPinterestEvent(canonical({ ...requiredOnlyEvent(NOW), event_time: NOW - 604_800 + 30 }), mapCtx('lead')).ok).toBe(false);
    expect(payload(mapPinterestEvent(canonical({ ...requiredOnlyEvent(NOW), event_time: NOW - 604_800 + 120 }), mapCtx('lead'))).event_time).toBe(
      NOW - 604_800 + 120,
    );
    expect(payload(mapPinterestEvent(canonical({ ...requiredOnlyEvent(NOW), event_time: NOW + 3_600 }), mapCtx('lead'))).event_time).toBe(NOW);
  });

  it('flags Limited Data Processing (opt_out_type LDP) from the site policy or the visitor\'s do-not-sell choice', () => {
    const ldp = payload(mapPinterestEvent(requiredOnlyEvent(NOW), mapCtx('lead', { privacy: { limitedDataUse: true } })));
    expect(ldp.custom_data).toStrictEqual({ opt_out_type: 'LDP' });
    const dns = canonical({
      ...requiredOnlyEvent(NOW),
      consent: { ad_storage: 'granted', analytics_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted', do_not_sell: true },
    });
    expect(payload(mapPinterestEvent(dns, mapCtx('lead'))).custom_data).toStrictEqual({ opt_out_type: 'LDP' });
    expect(payload(mapPinterestEvent(requiredOnlyEvent(NOW), mapCtx('lead', { privacy: { limitedDataUse: false } })))).not.toHaveProperty('custom_data');
  });

  it('adds search_string to search events only', () => {
    const search = canonical({ ...requiredOnlyEvent(NOW), event_name: 'search', properties: { search_term: 'blue mug' } });
    expect(payload(mapPinterestEvent(search, mapCtx('search'))).custom_data).toStrictEqual({ search_string: 'blue mug' });
    expect(payload(mapPinterestEvent(search, mapCtx('page_visit')))).not.toHaveProperty('custom_data');
  });

  it('formats money as a decimal string in the currency\'s minor units', () => {
    expect(formatPinterestMoney(59.9, 'EUR')).toBe('59.90');
    expect(formatPinterestMoney(0.1 + 0.2, 'USD')).toBe('0.30');
    expect(formatPinterestMoney(1500, 'JPY')).toBe('1500');
    expect(formatPinterestMoney(1.2345, 'KWD')).toBe('1.235');
    expect(formatPinterestMoney(1e21, 'USD')).toBe('1000000000000000000000.00');
    expect(formatPinterestMoney(12, undefined)).toBe('12.00');
  });

  it('sends language only as an ISO 639-1 code', () => {
    const fr = canonical({ ...requiredOnlyEvent(NOW), context: { ...requiredOnlyEvent(NOW).context, locale: 'fr_CA' } });
    expect(payload(mapPinterestEvent(fr, mapCtx('lead'))).language).toBe('fr');
    const odd = canonical({ ...requiredOnlyEvent(NOW), context: { ...requiredOnlyEvent(NOW).context, locale: 'zh-Hant-TW' } });
    expect(payload(mapPinterestEvent(odd, mapCtx('lead'))).language).toBe('zh');
    const none = canonical({ ...requiredOnlyEvent(NOW), context: { ...requiredOnlyEvent(NOW).context, locale: 'x' } });
    expect(payload(mapPinterestEvent(none, mapCtx('lead')))).not.toHaveProperty('language');
  });
});

describe('pinterest destination definition', () => {
  it('batches at 1,000, reports per-item results, and names its slug', () => {
    expect(PINTEREST_MAX_EVENTS_PER_REQUEST).toBe(1000);
    expect(pinterest.maxBatchSize).toBe(1000);
    expect(pinterest.batchRejection).toBe('per-item');
    expect(pinterest.slug).toBe('pinterest');
    expect(pinterest.defaultBaseUrl).toBe('https://api.pinterest.com');
  });

  it('maps canonical names to Pinterest event names it knows', () => {
    expect(pinterest.defaultEventMap).toStrictEqual(PINTEREST_DEFAULT_EVENT_MAP);
    expect(PINTEREST_DEFAULT_EVENT_MAP.purchase).toBe('checkout');
    expect(PINTEREST_DEFAULT_EVENT_MAP.sign_up).toBe('signup');
    for (const name of Object.values(PINTEREST_DEFAULT_EVENT_MAP)) expect(PINTEREST_EVENT_NAMES).toContain(name);
    for (const unmapped of ['remove_from_cart', 'view_cart', 'add_shipping_info', 'refund'] as const) {
      expect(pinterest.defaultEventMap[unmapped]).toBeUndefined();
    }
  });
});

describe('pinterestSettings', () => {
  it('marks the token secret, defaults test mode off, and explains each mistake', () => {
    expect(pinterestSettings.shape.access_token.meta()).toMatchObject({ secret: true });
    expect(pinterestSettings.shape.test_mode.description).toMatch(/records none/);
    const json = z.toJSONSchema(pinterestSettings, { io: 'input' }) as { properties: Record<string, { secret?: boolean }> };
    expect(json.properties.access_token?.secret).toBe(true);
    expect(pinterestSettings.parse({ ad_account_id: ' 549755885175 ', access_token: FAKE_PINTEREST_TOKEN })).toStrictEqual(SETTINGS);
    expect(secretValues(pinterestSettings, SETTINGS)).toStrictEqual([FAKE_PINTEREST_TOKEN]);
    const bad = pinterestSettings.safeParse({ ad_account_id: 'act_12', access_token: 'has spaces in it here', test_mode: 'yes' });
    const messages = bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
    expect(messages).toMatch(/ad_account_id: must be the numeric ad account ID/);
    expect(messages).toMatch(/access_token: must not contain spaces/);
    expect(messages).toMatch(/test_mode: /);
    expect(pinterestSettings.safeParse({ ad_account_id: '1'.repeat(19), access_token: FAKE_PINTEREST_TOKEN }).success).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// Against the fake Pinterest API.

let fake: FakePinterest;
let http: HttpClient;
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  fake = await startFakePinterest({ adAccounts: [FAKE_PINTEREST_AD_ACCOUNT] });
  http = createHttpClient({ defaultTimeoutMs: 5_000 });
});
afterAll(async () => {
  await http.close();
  await fake.close();
});
afterEach(() => fake.reset());

function sendCtx(settings: Partial<PinterestSettings> = {}, extra: Partial<SendContext<PinterestSettings>> = {}): SendContext<PinterestSettings> {
  return { settings: { ...SETTINGS, ...settings }, http, baseUrl: fake.url, ...extra };
}

function mapped(event: CanonicalEvent, name: string): PinterestEvent {
  return payload(pinterest.map(event, { settings: SETTINGS, platformEventName: name, now: now() }));
}

function only(outcomes: DeliveryOutcome[]): DeliveryOutcome {
  expect(outcomes).toHaveLength(1);
  return outcomes[0]!;
}

function errorOf(o: DeliveryOutcome): string {
  if (!('error' in o)) throw new Error(`no error on ${o.kind}`);
  return o.error;
}

describe('pinterest.send — outbound request', () => {
  it('sends a required-fields-only event with exactly this URL, body and headers', async () => {
    const t = now();
    const o = only(await pinterest.send([mapped(requiredOnlyEvent(t), 'lead')], sendCtx()));
    expect(o).toStrictEqual({ kind: 'delivered', status: 200, response: '{"status":"processed"}' });
    const req = fake.received[0]!;
    expect(req.path).toBe(`/v5/ad_accounts/${FAKE_PINTEREST_AD_ACCOUNT}/events`);
    expect(req.query).toStrictEqual({});
    expect(req.test).toBe(false);
    expect(req.body).toStrictEqual({ data: [requiredOnlyExpected(t)] });
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers.authorization).toBe(`Bearer ${FAKE_PINTEREST_TOKEN}`);
    expect(req.headers['user-agent']).toMatch(/^LayerSync-Relay\//);
  });

  it('sends an every-field event exactly, hashed values included', async () => {
    const t = now();
    expect(only(await pinterest.send([mapped(everyFieldEvent(t), 'checkout')], sendCtx())).kind).toBe('delivered');
    expect(fake.received[0]!.body).toStrictEqual({ data: [everyFieldExpected(t)] });
  });

  it('in test mode adds ?test=true and marks the outcome as a test', async () => {
    const o = only(await pinterest.send([mapped(requiredOnlyEvent(now()), 'lead')], sendCtx({ test_mode: true })));
    expect(o).toStrictEqual({ kind: 'delivered', status: 200, response: '{"status":"processed","test":true}' });
    expect(fake.received[0]).toMatchObject({ query: { test: 'true' }, test: true });
  });

  it('keeps Pinterest\'s warning with a delivered event', async () => {
    const o = only(await pinterest.send([samplePinterestEvent(now(), { event_source_url: undefined })], sendCtx()));
    expect(o).toMatchObject({ kind: 'delivered', response: '{"status":"processed","warning":"event_source_url is recommended for web events."}' });
  });

  it('splits more than 1,000 events into requests of at most 1,000', async () => {
    const one = samplePinterestEvent(now());
    const payloads = Array.from({ length: 1001 }, (_, i) => ({ ...one, event_id: `evt-${i}` }));
    const outcomes = await pinterest.send(payloads, sendCtx());
    expect(outcomes).toHaveLength(1001);
    expect(outcomes.every((o) => o.kind === 'delivered')).toBe(true);
    expect(fake.received.map((r) => (r.body as { data: unknown[] }).data.length)).toStrictEqual([1000, 1]);
  });

  it('sends nothing for an empty batch', async () => {
    expect(await pinterest.send([], sendCtx())).toStrictEqual([]);
    expect(fake.requests).toHaveLength(0);
  });
});

describe('pinterest.send — Pinterest\'s answers', () => {
  it('422 partial: only the failed event is dropped, with Pinterest\'s reason; the others are delivered', async () => {
    const t = now();
    const bad = samplePinterestEvent(t, { event_id: 'bad', user_data: { em: ['john_smith@gmail.com'] } });
    const outcomes = await pinterest.send([samplePinterestEvent(t), bad, samplePinterestEvent(t, { event_id: 'e3' })], sendCtx());
    expect(outcomes.map((o) => o.kind)).toStrictEqual(['delivered', 'drop', 'delivered']);
    expect(outcomes[0]).toMatchObject({ status: 422 });
    expect(outcomes[1]).toStrictEqual({
      kind: 'drop',
      status: 422,
      error: 'Pinterest refused the event: user_data.em must hold SHA-256 hashes (64 lowercase hex characters).',
    });
    expect(fake.requests).toHaveLength(1);
  });

  it('400 (schema) on a batch: splits the request until the refused event stands alone', async () => {
    const t = now();
    const bad = samplePinterestEvent(t, { event_id: 'bad', custom_data: { category_name: 'Uncategorized' } });
    const good = (id: string) => samplePinterestEvent(t, { event_id: id });
    const outcomes = await pinterest.send([good('a'), bad, good('c'), good('d')], sendCtx());
    expect(outcomes.map((o) => o.kind)).toStrictEqual(['delivered', 'drop', 'delivered', 'delivered']);
    expect(errorOf(outcomes[1]!)).toBe(
      "Pinterest refused the request (HTTP 400, code 4196: Invalid request: Additional properties are not allowed ('category_name' was unexpected) (custom_data) (data.0)).",
    );
    // [a,bad,c,d] → 400; [a,bad] → 400; [a] ok, [bad] 400; [c,d] ok.
    expect(fake.requests.map((r) => (r.body as { data: Array<{ event_id: string }> }).data.map((e) => e.event_id))).toStrictEqual([
      ['a', 'bad', 'c', 'd'],
      ['a', 'bad'],
      ['a'],
      ['bad'],
      ['c', 'd'],
    ]);
  });

  it('stops splitting when its request budget is spent', async () => {
    const t = now();
    const bad = (id: string) => samplePinterestEvent(t, { event_id: id, extra: 1 });
    const quick = createPinterestDestination({ maxSplitRequests: 2 });
    const outcomes = await quick.send([bad('a'), bad('b'), bad('c'), bad('d')], sendCtx());
    expect(outcomes.map((o) => o.kind)).toStrictEqual(['drop', 'drop', 'drop', 'drop']);
    expect(fake.requests).toHaveLength(3);
  });

  it('an unknown token → auth (401 code 2), and the token never appears in the message', async () => {
    const token = 'pina_someone-elses-token-0000000';
    const o = only(await pinterest.send([samplePinterestEvent(now())], sendCtx({ access_token: token })));
    expect(o).toMatchObject({ kind: 'auth', status: 401 });
    expect(errorOf(o)).toBe(
      'Pinterest rejected the conversion access token (HTTP 401, code 2: Authentication failed.) — generate a new conversion access token in Pinterest Ads Manager (Conversions → Conversion access token) and save it in LayerSync.',
    );
    expect(errorOf(o)).not.toContain(token);
  });

  it('an ad account the token may not use → auth (403 code 29), naming the account', async () => {
    const o = only(await pinterest.send([samplePinterestEvent(now())], sendCtx({ ad_account_id: '123' })));
    expect(o).toMatchObject({ kind: 'auth', status: 403 });
    expect(errorOf(o)).toMatch(/^Pinterest does not let this token send conversions for ad account 123 \(HTTP 403, code 29: You are not permitted/);
  });

  it('429 (code 8) with Retry-After → retry after that many seconds', async () => {
    fake.failNext(1, 429);
    const o = only(await pinterest.send([samplePinterestEvent(now())], sendCtx()));
    expect(o).toMatchObject({ kind: 'retry', status: 429, retryAfterMs: 11_000 });
    expect(errorOf(o)).toMatch(/^Pinterest is rate limiting requests \(5,000 per minute per ad account\) \(HTTP 429, code 8: .*\); LayerSync will retry in 11 s\.$/);
  });

  it('503 (code 4197) and 500 → retry; then the next request goes through', async () => {
    fake.failNext(1, 503);
    fake.failNext(1, 500);
    const first = only(await pinterest.send([samplePinterestEvent(now())], sendCtx()));
    expect(first).toMatchObject({ kind: 'retry', status: 503 });
    expect(errorOf(first)).toMatch(/^Pinterest is not accepting conversions right now \(HTTP 503, code 4197/);
    expect(only(await pinterest.send([samplePinterestEvent(now())], sendCtx()))).toMatchObject({ kind: 'retry', status: 500 });
    expect(only(await pinterest.send([samplePinterestEvent(now())], sendCtx())).kind).toBe('delivered');
  });

  it('injected auth failure → auth', async () => {
    fake.failNext(1, 'auth');
    expect(only(await pinterest.send([samplePinterestEvent(now())], sendCtx()))).toMatchObject({ kind: 'auth', status: 401 });
  });

  it('no answer in time → retry, naming the timeout', async () => {
    fake.failNext(1, 'timeout');
    const quick = createPinterestDestination({ timeoutMs: 300 });
    const o = only(await quick.send([samplePinterestEvent(now())], sendCtx()));
    expect(o).toStrictEqual({ kind: 'retry', error: 'Pinterest did not answer within 300 ms; LayerSync will retry.' });
  });

  it('nothing listening → retry', async () => {
    const port = await closedPort();
    const o = only(await pinterest.send([samplePinterestEvent(now())], sendCtx({}, { baseUrl: `http://127.0.0.1:${port}` })));
    expect(o.kind).toBe('retry');
    expect(errorOf(o)).toMatch(/^Could not reach Pinterest \(ECONNREFUSED: .*\); LayerSync will retry\.$/);
  });

  it('an event older than Pinterest\'s window is failed by the fake as well (and never sent by the relay)', async () => {
    const t = now();
    const outcomes = await pinterest.send([samplePinterestEvent(t, { event_time: t - 8 * 86_400 })], sendCtx());
    expect(only(outcomes)).toStrictEqual({ kind: 'drop', status: 422, error: 'Pinterest refused the event: event_time is too far in the past.' });
  });
});

describe('classification details (stub transport)', () => {
  function stub(res: Partial<HttpResponse>): HttpClient {
    return { request: async () => ({ status: 200, headers: {}, body: '', ...res }), close: async () => undefined };
  }
  const send = (res: Partial<HttpResponse>, n = 1) =>
    pinterest.send(
      Array.from({ length: n }, (_, i) => samplePinterestEvent(now(), { event_id: `e${i}` })),
      { settings: SETTINGS, http: stub(res), nowMs: Date.parse('2026-11-23T12:00:00Z') },
    );

  it('a 2xx without per-event statuses is not a delivery', async () => {
    const o = only(await send({ status: 200, body: '<html>proxy</html>' }));
    expect(o).toMatchObject({ kind: 'retry', status: 200 });
    expect(errorOf(o)).toMatch(/without the per-event statuses it always returns \(<html>proxy<\/html>\)/);
  });

  it('statuses at the top level of a 422 are read as well as those in details', async () => {
    const body = { num_events_received: 2, num_events_processed: 1, events: [{ status: 'failed', error_message: 'Bad' }, { status: 'processed' }] };
    expect((await send({ status: 422, body: JSON.stringify(body) }, 2)).map((o) => o.kind)).toStrictEqual(['drop', 'delivered']);
  });

  it('a 422 that does not say which events failed drops them with Pinterest\'s message', async () => {
    const outcomes = await send({ status: 422, body: JSON.stringify({ code: 1, message: 'Not all events were successfully processed.', details: {} }) }, 2);
    expect(outcomes.map((o) => o.kind)).toStrictEqual(['drop', 'drop']);
    expect(errorOf(outcomes[0]!)).toBe(
      'Pinterest did not process every event of the request (HTTP 422, code 1: Not all events were successfully processed.) and did not say which failed.',
    );
  });

  it('a failed event whose reason reads as temporary is retried', async () => {
    const body = { num_events_received: 1, num_events_processed: 0, events: [{ status: 'failed', error_message: 'Internal error, please try again' }] };
    expect(only(await send({ status: 422, body: JSON.stringify(body) })).kind).toBe('retry');
  });

  it('Retry-After as an HTTP date, and a bare 502 from a proxy', async () => {
    const o = only(await send({ status: 502, headers: { 'retry-after': 'Mon, 23 Nov 2026 12:01:30 GMT' }, body: 'Bad Gateway' }));
    expect(o).toMatchObject({ kind: 'retry', status: 502, retryAfterMs: 90_000 });
  });

  it('404 → auth not_found; other 4xx → drop', async () => {
    expect(only(await send({ status: 404, body: '{"code":3,"message":"Ad account not found."}' }))).toMatchObject({ kind: 'auth', status: 404 });
    expect(only(await send({ status: 409, body: 'Conflict' }))).toMatchObject({ kind: 'drop', status: 409 });
  });

  it('scrubs the token if Pinterest or a proxy echoes it', async () => {
    const o = only(await send({ status: 400, body: JSON.stringify({ code: 4196, message: `Invalid request near Bearer ${FAKE_PINTEREST_TOKEN} and ${FAKE_PINTEREST_TOKEN}` }) }));
    expect(errorOf(o)).not.toContain(FAKE_PINTEREST_TOKEN);
    expect(errorOf(o)).toContain('Bearer [redacted] and [redacted]');
  });
});

describe('pinterest.testConnection', () => {
  it('validates a synthetic event in test mode and says which ad account it reached', async () => {
    const d = await pinterest.testConnection!(sendCtx());
    expect(d).toStrictEqual({
      ok: true,
      code: 'ok',
      message: `Connected to Pinterest ad account ${FAKE_PINTEREST_AD_ACCOUNT}: a test event was accepted (test mode, nothing recorded).`,
    });
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]).toMatchObject({ query: { test: 'true' }, status: 200 });
    const probe = (fake.requests[0]!.body as { data: PinterestEvent[] }).data[0]!;
    expect(probe).toMatchObject({ event_name: 'page_visit', action_source: 'web', user_data: { client_ip_address: '192.0.2.1' } });
  });

  it('reminds the merchant that test mode records nothing', async () => {
    expect((await pinterest.testConnection!(sendCtx({ test_mode: true }))).message).toMatch(/Test mode is on: Pinterest checks every event but records none/);
  });

  it('unknown token → invalid_credentials; foreign ad account → permission_denied; nothing listening → unreachable', async () => {
    const bad = await pinterest.testConnection!(sendCtx({ access_token: 'pina_unknown-token-000000000' }));
    expect(bad).toMatchObject({ ok: false, code: 'invalid_credentials' });
    expect(bad.message).toMatch(/generate a new conversion access token/);
    expect(bad.message).not.toContain('pina_unknown-token-000000000');
    expect(await pinterest.testConnection!(sendCtx({ ad_account_id: '42' }))).toMatchObject({ ok: false, code: 'permission_denied' });
    const port = await closedPort();
    expect(await pinterest.testConnection!(sendCtx({}, { baseUrl: `http://127.0.0.1:${port}` }))).toMatchObject({ ok: false, code: 'unreachable' });
  });
});

/** A port nobody listens on (bound, then released). */
