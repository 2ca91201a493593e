/**
 * The Snapchat destination: token redaction, the pure mapper with exact expected events, then the
 * destination end to end against the local fake Snap API with the real undici client on 127.0.0.1.
 */
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { canonicalEventSchema, type CanonicalEvent, type CanonicalEventInput } from '../src/contract/event.js';
import { createHttpClient, type HttpClient, type HttpRequest, type HttpResponse } from '../src/delivery/http.js';
import { redactText } from '../src/logging.js';
import { redactSnapToken, SNAP_MAX_EVENT_AGE_SECONDS, SNAP_MAX_EVENTS_PER_REQUEST, snapEventsUrl } from '../src/destinations/snapchat/api.js';
import { createSnapchatDestination, snapchat, SNAPCHAT_DEFAULT_EVENT_MAP } from '../src/destinations/snapchat/index.js';
import { mapSnapchatEvent, snapActionSource, SNAP_EVENT_NAMES, type SnapEvent } from '../src/destinations/snapchat/map.js';
import { snapchatSettings, type SnapchatSettings } from '../src/destinations/snapchat/settings.js';
import { secretValues } from '../src/destinations/secrets.js';
import type { DeliveryOutcome, MapContext, MapResult, SendContext } from '../src/destinations/types.js';
import { FAKE_SNAP_PIXEL_ID, FAKE_SNAP_TOKEN, sampleSnapEvent, startFakeSnapchat, type FakeSnapchat } from './fakes/snapchat-server.js';
import { closedPort } from './destinations/support.js';

/** normalized value → SHA-256 hex; em and ph are Snap's own documented examples (S2). */
const HASHED = {
  em: ['person@example.com', '542d240129883c019e106e3b1b2d3f3cb3537c43c425364de8e951d5a3083345'],
  ph: ['448444124653', 'dc008fda46e2e64002cf2f82a4906236282d431c4f75e5b60bfe79fc48546383'],
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
const SCCID = '7c4b2a9e-1f3d-4b8a-9c6e-2d1f0a3b5c7e';
const SCID_COOKIE = 'a1b2c3d4-e5f6-4789-abcd-ef0123456789';
const SETTINGS: SnapchatSettings = { pixel_id: FAKE_SNAP_PIXEL_ID, access_token: FAKE_SNAP_TOKEN, test_mode: false };
const NOW = 1_795_400_000;

const canonical = (input: CanonicalEventInput): CanonicalEvent => canonicalEventSchema.parse(input);

function requiredOnlyEvent(now: number): CanonicalEvent {
  return canonical({
    event_id: '0192f5c4-7a1b-7c3d-8e4f-000000000001',
    event_name: 'page_view',
    event_time: now - 30,
    source: 'browser',
    context: { url: 'https://shop.example/', user_agent: UA, ip: '203.0.113.7' },
  });
}

function requiredOnlyExpected(now: number): SnapEvent {
  return {
    event_name: 'PAGE_VIEW',
    event_time: now - 30,
    action_source: 'WEB',
    event_id: '0192f5c4-7a1b-7c3d-8e4f-000000000001',
    event_source_url: 'https://shop.example/',
    user_data: { client_ip_address: '203.0.113.7', client_user_agent: UA },
  };
}

/** Every contract field, plus the `_scid` cookie in the variant field the contract does not declare yet. */
function everyFieldEvent(now: number): CanonicalEvent {
  const event = canonical({
    event_id: 'order-1001',
    event_name: 'purchase',
    event_time: now - 120,
    source: 'server',
    context: { url: 'https://shop.example/checkout/order-received/1001/', referrer: 'https://shop.example/checkout/', user_agent: UA, ip: '2001:db8::1', locale: 'en-GB' },
    identity: {
      em: h('em'), ph: h('ph'), fn: h('fn'), ln: h('ln'), ge: h('ge'), db: h('db'), ct: h('ct'), st: h('st'), zp: h('zp'),
      country: h('country'), external_id: h('external_id'), scid: SCCID, epik: 'not-for-snap',
    },
    commerce: {
      order_id: '1001',
      value: 59.9,
      currency: 'GBP',
      tax: 9.56,
      items: [
        { id: 'SKU-1', name: 'Mug', price: 12.5, quantity: 2, category: 'Kitchen' },
        { id: 'SKU-2', price: 0.1 + 0.2 },
      ],
    },
    consent: { ad_storage: 'granted', analytics_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted' },
  });
  return { ...event, identity: { ...event.identity, sc_cookie1: SCID_COOKIE } as CanonicalEvent['identity'] };
}

function everyFieldExpected(now: number): SnapEvent {
  return {
    event_name: 'PURCHASE',
    event_time: now - 120,
    action_source: 'WEB',
    event_id: 'order-1001',
    event_source_url: 'https://shop.example/checkout/order-received/1001/',
    user_data: {
      em: [h('em')], ph: [h('ph')], fn: [h('fn')], ln: [h('ln')], ge: [h('ge')], ct: [h('ct')], st: [h('st')], zp: [h('zp')],
      country: [h('country')], external_id: [h('external_id')],
      client_ip_address: '2001:db8::1',
      client_user_agent: UA,
      sc_click_id: SCCID,
      sc_cookie1: SCID_COOKIE,
    },
    custom_data: {
      currency: 'GBP',
      value: 59.9,
      order_id: '1001',
      content_ids: ['SKU-1', 'SKU-2'],
      contents: [
        { id: 'SKU-1', quantity: '2', item_price: '12.5' },
        { id: 'SKU-2', item_price: '0.3' },
      ],
      num_items: 3,
    },
  };
}

const mapCtx = (name: string, extra: Partial<MapContext<SnapchatSettings>> = {}): MapContext<SnapchatSettings> => ({
  settings: SETTINGS,
  platformEventName: name,
  now: NOW,
  ...extra,
});

function payload(result: MapResult): SnapEvent {
  if (!result.ok) throw new Error(`expected ok, got: ${result.reason}`);
  return result.payload as SnapEvent;
}

function refusal(result: MapResult): string {
  if (result.ok) throw new Error('expected a refusal');
  expect(result.skip).toBe(false);
  return result.reason;
}

describe('redactSnapToken', () => {
  it('removes the exact token, its URL-encoded form, and any access_token value', () => {
    const token = 'tok/with+odd=chars-0123456789';
    const url = snapEventsUrl('https://tr.snapchat.com', FAKE_SNAP_PIXEL_ID, token);
    expect(url).toBe(`https://tr.snapchat.com/v3/${FAKE_SNAP_PIXEL_ID}/events?access_token=tok%2Fwith%2Bodd%3Dchars-0123456789`);
    expect(redactSnapToken(`POST ${url} failed`, token)).toBe(`POST https://tr.snapchat.com/v3/${FAKE_SNAP_PIXEL_ID}/events?access_token=[redacted] failed`);
    expect(redactSnapToken(`raw ${token} and encoded ${encodeURIComponent(token)}`, token)).toBe('raw [redacted] and encoded [redacted]');
    expect(redactSnapToken('old url ?access_token=some-older-token&x=1', token)).toBe('old url ?access_token=[redacted]&x=1');
    expect(redactSnapToken('{"access_token": "abc"} Bearer xyz.123', token)).toBe('{"access_token": "[redacted]"} Bearer [redacted]');
    expect(redactSnapToken('access_token%3Dleaked', token)).toBe('access_token%3D[redacted]');
    expect(redactSnapToken('nothing to hide', token)).toBe('nothing to hide');
  });

  it('the settings schema marks the token secret, so the worker censors it too', () => {
    expect(snapchatSettings.shape.access_token.meta()).toMatchObject({ secret: true });
    expect(secretValues(snapchatSettings, SETTINGS)).toStrictEqual([FAKE_SNAP_TOKEN]);
    expect(redactText(`x ${FAKE_SNAP_TOKEN} y`, secretValues(snapchatSettings, SETTINGS))).toBe('x [redacted] y');
  });
});

describe('Snapchat fixtures', () => {
  it.each(Object.entries(HASHED))('%s hash is SHA-256 of the normalized value', (_key, [plain, hex]) => {
    expect(createHash('sha256').update(plain, 'utf8').digest('hex')).toBe(hex);
  });
});

describe('mapSnapchatEvent', () => {
  it('maps a required-fields-only event exactly', () => {
    expect(payload(mapSnapchatEvent(requiredOnlyEvent(NOW), mapCtx('PAGE_VIEW')))).toStrictEqual(requiredOnlyExpected(NOW));
  });

  it('maps an every-field event exactly: hashed lists, ScCid as sc_click_id, the _scid cookie as sc_cookie1, no db', () => {
    expect(payload(mapSnapchatEvent(everyFieldEvent(NOW), mapCtx('PURCHASE')))).toStrictEqual(everyFieldExpected(NOW));
  });

  it('chooses WEB for storefront events and OFFLINE without a site visit', () => {
    const base = { event_id: 'e1', event_name: 'purchase', event_time: NOW } as const;
    expect(snapActionSource(canonical({ ...base, source: 'browser' }))).toBe('WEB');
    expect(snapActionSource(canonical({ ...base, source: 'webhook' }))).toBe('OFFLINE');
    expect(snapActionSource(canonical({ ...base, source: 'sdk', context: { url: 'https://shop.example/', user_agent: UA } }))).toBe('WEB');
    const renewal = canonical({ ...base, source: 'webhook', identity: { em: h('em') }, commerce: { value: 9, currency: 'USD' } });
    expect(payload(mapSnapchatEvent(renewal, mapCtx('PURCHASE')))).toStrictEqual({
      event_name: 'PURCHASE',
      event_time: NOW,
      action_source: 'OFFLINE',
      event_id: 'e1',
      user_data: { em: [h('em')] },
      custom_data: { currency: 'USD', value: 9 },
    });
  });

  it('refuses a web event without a page URL', () => {
    const e = canonical({ ...requiredOnlyEvent(NOW), context: { user_agent: UA, ip: '203.0.113.7' } });
    expect(refusal(mapSnapchatEvent(e, mapCtx('PAGE_VIEW')))).toMatch(/page URL \(event_source_url\).*context\.url/);
  });

  it('refuses too little PII and accepts a phone alone', () => {
    const none = canonical({ ...requiredOnlyEvent(NOW), context: { url: 'https://shop.example/', user_agent: UA } });
    expect(refusal(mapSnapchatEvent(none, mapCtx('PAGE_VIEW')))).toMatch(/hashed email or phone/);
    const phone = canonical({ ...requiredOnlyEvent(NOW), context: { url: 'https://shop.example/' }, identity: { ph: h('ph') } });
    expect(payload(mapSnapchatEvent(phone, mapCtx('PAGE_VIEW'))).user_data).toStrictEqual({ ph: [h('ph')] });
  });

  it('refuses a PURCHASE without price and currency', () => {
    const e = canonical({ ...requiredOnlyEvent(NOW), event_name: 'purchase' });
    expect(refusal(mapSnapchatEvent(e, mapCtx('PURCHASE')))).toMatch(/price and currency on PURCHASE/);
  });

  it('refuses an event name Snap does not know', () => {
    expect(refusal(mapSnapchatEvent(requiredOnlyEvent(NOW), mapCtx('Purchase')))).toMatch(/"Purchase" is not a Snapchat event name/);
  });

  it('refuses events at the 37-day limit and clamps future times to now', () => {
    expect(SNAP_MAX_EVENT_AGE_SECONDS).toBe(37 * 86_400);
    expect(snapchat.maxEventAgeSeconds).toBe(37 * 86_400);
    const old = canonical({ ...requiredOnlyEvent(NOW), event_time: NOW - 37 * 86_400 });
    expect(refusal(mapSnapchatEvent(old, mapCtx('PAGE_VIEW')))).toMatch(/37 d 0 h ago; Snapchat refuses events older than 37 days/);
    expect(mapSnapchatEvent(canonical({ ...requiredOnlyEvent(NOW), event_time: NOW - 36 * 86_400 }), mapCtx('PAGE_VIEW')).ok).toBe(true);
    expect(payload(mapSnapchatEvent(canonical({ ...requiredOnlyEvent(NOW), event_time: NOW + 999 }), mapCtx('PAGE_VIEW'))).event_time).toBe(NOW);
  });

  it('sets data_processing_options LMU from the site policy or the visitor\'s do-not-sell choice', () => {
    expect(payload(mapSnapchatEvent(requiredOnlyEvent(NOW), mapCtx('PAGE_VIEW', { privacy: { limitedDataUse: true } }))).data_processing_options).toStrictEqual(['LMU']);
    const dns = canonical({
      ...requiredOnlyEvent(NOW),
      consent: { ad_storage: 'granted', analytics_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted', do_not_sell: true },
    });
    expect(payload(mapSnapchatEvent(dns, mapCtx('PAGE_VIEW'))).data_processing_options).toStrictEqual(['LMU']);
    expect(payload(mapSnapchatEvent(requiredOnlyEvent(NOW), mapCtx('PAGE_VIEW')))).not.toHaveProperty('data_processing_options');
  });

  it('adds search_string to SEARCH only, and ignores an over-long _scid cookie value', () => {
    const search = canonical({ ...requiredOnlyEvent(NOW), event_name: 'search', properties: { search_term: 'mug' } });
    expect(payload(mapSnapchatEvent(search, mapCtx('SEARCH'))).custom_data).toStrictEqual({ search_string: 'mug' });
    const e = requiredOnlyEvent(NOW);
    const long = { ...e, identity: { ...e.identity, sc_cookie1: 'x'.repeat(513) } as CanonicalEvent['identity'] };
    expect(payload(mapSnapchatEvent(long, mapCtx('PAGE_VIEW'))).user_data).not.toHaveProperty('sc_cookie1');
  });
});

describe('snapchat destination definition and settings', () => {
  it('batches at 2,000, rejects all-or-nothing, and names its slug', () => {
    expect(SNAP_MAX_EVENTS_PER_REQUEST).toBe(2000);
    expect(snapchat.maxBatchSize).toBe(2000);
    expect(snapchat.batchRejection).toBe('all-or-nothing');
    expect(snapchat.slug).toBe('snapchat');
    expect(snapchat.defaultBaseUrl).toBe('https://tr.snapchat.com');
  });

  it('maps canonical names to Snap standard events only', () => {
    for (const name of Object.values(SNAPCHAT_DEFAULT_EVENT_MAP)) expect(SNAP_EVENT_NAMES).toContain(name);
    expect(SNAPCHAT_DEFAULT_EVENT_MAP.add_to_cart).toBe('ADD_CART');
    expect(snapchat.defaultEventMap.lead).toBeUndefined();
  });

  it('normalizes the pixel id and explains each mistake', () => {
    expect(snapchatSettings.parse({ pixel_id: ` ${FAKE_SNAP_PIXEL_ID.toUpperCase()} `, access_token: FAKE_SNAP_TOKEN })).toStrictEqual(SETTINGS);
    const bad = snapchatSettings.safeParse({ pixel_id: '12345', access_token: 'short' });
    const messages = bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
    expect(messages).toMatch(/pixel_id: must be the Snap Pixel ID/);
    expect(messages).toMatch(/access_token: must be the Conversions API token/);
  });
});

// ---------------------------------------------------------------------------------------------
// Against the fake Snap API.

let fake: FakeSnapchat;
let http: HttpClient;
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  fake = await startFakeSnapchat({ pixels: [FAKE_SNAP_PIXEL_ID] });
  http = createHttpClient({ defaultTimeoutMs: 5_000 });
});
afterAll(async () => {
  await http.close();
  await fake.close();
});
afterEach(() => fake.reset());

function sendCtx(settings: Partial<SnapchatSettings> = {}, extra: Partial<SendContext<SnapchatSettings>> = {}): SendContext<SnapchatSettings> {
  return { settings: { ...SETTINGS, ...settings }, http, baseUrl: fake.url, ...extra };
}

const mapped = (event: CanonicalEvent, name: string): SnapEvent => payload(snapchat.map(event, { settings: SETTINGS, platformEventName: name, now: now() }));

function only(outcomes: DeliveryOutcome[]): DeliveryOutcome {
  expect(outcomes).toHaveLength(1);
  return outcomes[0]!;
}

function errorOf(o: DeliveryOutcome): string {
  if (!('error' in o)) throw new Error(`no error on ${o.kind}`);
  return o.error;
}

describe('snapchat.send — outbound request', () => {
  it('sends a required-fields-only event with exactly this URL, body and headers (token in the query only)', async () => {
    const t = now();
    const o = only(await snapchat.send([mapped(requiredOnlyEvent(t), 'PAGE_VIEW')], sendCtx()));
    expect(o).toStrictEqual({ kind: 'delivered', status: 200, response: '{"status":"VALID","reason":"Events received"}' });
    const req = fake.received[0]!;
    expect(req.path).toBe(`/v3/${FAKE_SNAP_PIXEL_ID}/events`);
    expect(req.query).toStrictEqual({ access_token: FAKE_SNAP_TOKEN });
    expect(req.validate).toBe(false);
    expect(req.body).toStrictEqual({ data: [requiredOnlyExpected(t)] });
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers.authorization).toBeUndefined();
  });

  it('sends an every-field event exactly, hashed values included', async () => {
    const t = now();
    expect(only(await snapchat.send([mapped(everyFieldEvent(t), 'PURCHASE')], sendCtx())).kind).toBe('delivered');
    expect(fake.received[0]!.body).toStrictEqual({ data: [everyFieldExpected(t)] });
  });

  it('splits more than 2,000 events into requests of at most 2,000', async () => {
    const one = sampleSnapEvent(now());
    const outcomes = await snapchat.send(Array.from({ length: 2001 }, (_, i) => ({ ...one, event_id: `e${i}` })), sendCtx());
    expect(outcomes).toHaveLength(2001);
    expect(outcomes.every((o) => o.kind === 'delivered')).toBe(true);
    expect(fake.received.map((r) => (r.body as { data: unknown[] }).data.length)).toStrictEqual([2000, 1]);
  });

  it('test mode goes to /events/validate and answers per event', async () => {
    const t = now();
    const outcomes = await snapchat.send(
      [sampleSnapEvent(t, { event_id: undefined }), sampleSnapEvent(t, { user_data: { em: ['person@example.com'] } })],
      sendCtx({ test_mode: true }),
    );
    expect(fake.requests[0]).toMatchObject({ path: `/v3/${FAKE_SNAP_PIXEL_ID}/events/validate`, validate: true });
    expect(outcomes[0]).toStrictEqual({
      kind: 'delivered',
      status: 400,
      response: '{"status":"VALID","test_event":true,"warnings":["event_id is recommended for deduplication with the Snap Pixel"]}',
    });
    expect(outcomes[1]).toStrictEqual({
      kind: 'drop',
      status: 400,
      error: "Snapchat's validation refused the event: user_data.em must be SHA-256 hashed (64 lowercase hex characters). [UNHASHED_PII]",
    });
  });
});

describe('snapchat.send — Snap\'s answers', () => {
  it('INVALID (400) refuses the whole request: every event is dropped, the culprit named', async () => {
    const t = now();
    const outcomes = await snapchat.send([sampleSnapEvent(t), sampleSnapEvent(t, { event_time: t - 40 * 86_400 }), sampleSnapEvent(t)], sendCtx());
    expect(outcomes.map((o) => o.kind)).toStrictEqual(['drop', 'drop', 'drop']);
    expect(errorOf(outcomes[1]!)).toBe(
      'Snapchat refused the event (HTTP 400: event_time is more than 37 days in the past. [TIMESTAMP_OUT_OF_RANGE]).',
    );
    expect(errorOf(outcomes[0]!)).toMatch(/^Snapchat refused the whole request because event #2 of it is invalid \(/);
    expect(fake.received).toHaveLength(0);
  });

  it('an unknown token → auth, and neither message nor outcome holds the token', async () => {
    const token = 'someone-elses-snap-token-0123456789';
    const o = only(await snapchat.send([sampleSnapEvent(now())], sendCtx({ access_token: token })));
    expect(o).toMatchObject({ kind: 'auth', status: 401 });
    expect(errorOf(o)).toBe(
      'Snapchat rejected the Conversions API token (HTTP 401: Invalid access token) — generate a new Conversions API token in Snapchat Ads Manager with the organization that owns the pixel, and save it in LayerSync.',
    );
    expect(JSON.stringify(o)).not.toContain(token);
  });

  it('a pixel the token may not use → auth (403), naming the pixel', async () => {
    const other = '00000000-0000-4000-8000-000000000000';
    const o = only(await snapchat.send([sampleSnapEvent(now())], sendCtx({ pixel_id: other })));
    expect(o).toMatchObject({ kind: 'auth', status: 403 });
    expect(errorOf(o)).toMatch(new RegExp(`^Snapchat does not let this token send events for pixel ${other} \\(HTTP 403: `));
  });

  it('429 with Retry-After → retry; 500 and 503 → retry; then the next request goes through', async () => {
    fake.failNext(1, 429);
    fake.failNext(1, 503);
    fake.failNext(1, 500);
    expect(only(await snapchat.send([sampleSnapEvent(now())], sendCtx()))).toMatchObject({ kind: 'retry', status: 429, retryAfterMs: 13_000 });
    expect(only(await snapchat.send([sampleSnapEvent(now())], sendCtx()))).toMatchObject({ kind: 'retry', status: 503 });
    expect(only(await snapchat.send([sampleSnapEvent(now())], sendCtx()))).toMatchObject({ kind: 'retry', status: 500 });
    expect(only(await snapchat.send([sampleSnapEvent(now())], sendCtx())).kind).toBe('delivered');
  });

  it('no answer in time → retry; nothing listening → retry', async () => {
    fake.failNext(1, 'timeout');
    const quick = createSnapchatDestination({ timeoutMs: 300 });
    expect(only(await quick.send([sampleSnapEvent(now())], sendCtx()))).toStrictEqual({
      kind: 'retry',
      error: 'Snapchat did not answer within 300 ms; LayerSync will retry.',
    });
    const port = await closedPort();
    const o = only(await snapchat.send([sampleSnapEvent(now())], sendCtx({}, { baseUrl: `http://127.0.0.1:${port}` })));
    expect(errorOf(o)).toMatch(/^Could not reach Snapchat \(ECONNREFUSED: .*\); LayerSync will retry\.$/);
  });
});

describe('the token never leaves in an outcome (stub transport)', () => {
  const token = 'tok+with/chars=AND-0123456789abcdef';
  const settings: SnapchatSettings = { ...SETTINGS, access_token: token };
  const nowMs = Date.parse('2026-11-23T12:00:00Z');

  function echoing(status: number, body: (req: HttpRequest) => string, headers: Record<string, string> = {}): HttpClient {
    return { request: async (req) => ({ status, headers, body: body(req) }) as HttpResponse, close: async () => undefined };
  }

  const cases: Array<[string, HttpClient]> = [
    ['a 2xx proxy page quoting the URL', echoing(200, (r) => `<html>cached ${r.url}</html>`)],
    ['a 400 whose reason quotes the URL', echoing(400, (r) => JSON.stringify({ status: 'INVALID', reason: `bad request ${r.url}` }))],
    ['a 401 quoting the token', echoing(401, () => JSON.stringify({ status: 'INVALID', reason: `token ${token} expired` }))],
    ['a 403 quoting the encoded token', echoing(403, () => `forbidden for ${encodeURIComponent(token)}`)],
    ['a 429 quoting the URL', echoing(429, (r) => `slow down ${r.url}`, { 'retry-after': '5' })],
    ['a 502 quoting the URL', echoing(502, (r) => `upstream ${r.url} failed`)],
    ['a validate answer quoting the token in a warning', echoing(200, () => JSON.stringify({ status: 'VALID', test_event: true, event_logs: [{ event: 0, status: 'VALID', warnings: [`saw ${token}`] }] }))],
    [
      'a transport error whose message holds the URL',
      {
        request: async (req) => {
          throw Object.assign(new Error(`request to ${req.url} failed`), { code: 'ECONNRESET' });
        },
        close: async () => undefined,
      },
    ],
  ];

  it.each(cases)('%s', async (_name, client) => {
    for (const test_mode of [false, true]) {
      const outcomes = await snapchat.send([sampleSnapEvent(now())], { settings: { ...settings, test_mode }, http: client, nowMs });
      const text = JSON.stringify(outcomes);
      expect(text).not.toContain(token);
      expect(text).not.toContain(encodeURIComponent(token));
      expect(outcomes[0]!.kind).not.toBe(undefined);
    }
    const d = await snapchat.testConnection!({ settings, http: client, nowMs });
    expect(JSON.stringify(d)).not.toContain(token);
    expect(JSON.stringify(d)).not.toContain(encodeURIComponent(token));
  });
});

describe('snapchat.testConnection', () => {
  it('validates a synthetic event on /events/validate and says which pixel it reached', async () => {
    expect(await snapchat.testConnection!(sendCtx())).toStrictEqual({
      ok: true,
      code: 'ok',
      message: `Connected to Snap Pixel ${FAKE_SNAP_PIXEL_ID}: Snap validated a test event (nothing was recorded).`,
    });
    expect(fake.requests[0]).toMatchObject({ path: `/v3/${FAKE_SNAP_PIXEL_ID}/events/validate`, status: 200 });
    expect(fake.received).toHaveLength(1);
  });

  it('mentions test mode; unknown token → invalid_credentials; foreign pixel → permission_denied; nothing listening → unreachable', async () => {
    expect((await snapchat.testConnection!(sendCtx({ test_mode: true }))).message).toMatch(/Test mode is on/);
    const bad = await snapchat.testConnection!(sendCtx({ access_token: 'unknown-snap-token-0123456789' }));
    expect(bad).toMatchObject({ ok: false, code: 'invalid_credentials' });
    expect(bad.message).not.toContain('unknown-snap-token-0123456789');
    expect(await snapchat.testConnection!(sendCtx({ pixel_id: '00000000-0000-4000-8000-000000000000' }))).toMatchObject({ ok: false, code: 'permission_denied' });
    const port = await closedPort();
    expect(await snapchat.testConnection!(sendCtx({}, { baseUrl: `http://127.0.0.1:${port}` }))).toMatchObject({ ok: false, code: 'unreachable' });
  });
});

