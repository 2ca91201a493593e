/**
 * The Reddit destination: the pure mapper with exact expected events (millisecond timestamps,
 * Reddit's own email/phone hashes), then the destination end to end against the local fake Reddit
 * API with the real undici client on 127.0.0.1.
 */
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { canonicalEventSchema, type CanonicalEvent, type CanonicalEventInput } from '../src/contract/event.js';
import { createHttpClient, type HttpClient, type HttpResponse } from '../src/delivery/http.js';
import { REDDIT_MAX_EVENT_AGE_SECONDS, REDDIT_MAX_EVENTS_PER_REQUEST, REDDIT_USER_AGENT } from '../src/destinations/reddit/api.js';
import { createRedditDestination, reddit, REDDIT_DEFAULT_EVENT_MAP } from '../src/destinations/reddit/index.js';
import { mapRedditEvent, redditActionSource, redditEventType, type RedditEvent } from '../src/destinations/reddit/map.js';
import { redditSettings, type RedditSettings } from '../src/destinations/reddit/settings.js';
import { secretValues } from '../src/destinations/secrets.js';
import type { DeliveryOutcome, MapContext, MapResult, SendContext } from '../src/destinations/types.js';
import { FAKE_REDDIT_PIXEL_ID, FAKE_REDDIT_TOKEN, sampleRedditEvent, startFakeReddit, type FakeReddit } from './fakes/reddit-server.js';
import { closedPort } from './destinations/support.js';

/** normalized value → SHA-256 hex. em_reddit and ph_e164 are Reddit's own documented examples (R1). */
const HASHED = {
  em_reddit: ['alice@example.com', 'ff8d9819fc0e12bf0d24892e45987e249a28dce836a85cad60e28eaaa8c6d976'],
  ph: ['15554441234', '5e0e5aa7d521589a79e6de0d18a65fa43456cb4cda554fb69667691a34f3e2c0'],
  ph_e164: ['+15554441234', 'e5b124c58580eb16bd959b8d0cac12b12c952e2ceae0203d416cff94f10b994a'],
  external_id: ['customer-42', 'a045eb33f8797f35ea7d5fad7c5e0d021e2142e9c1bb6e9dc9f45b4f503b03e8'],
} as const;
const hash = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
/** The contract's normalization keeps dots and "+tags": Al.ice+Shop@Example.com → al.ice+shop@example.com. */
const CONTRACT_EMAIL = 'al.ice+shop@example.com';
const H = {
  em: hash(CONTRACT_EMAIL),
  em_reddit: HASHED.em_reddit[1],
  ph: HASHED.ph[1],
  ph_e164: HASHED.ph_e164[1],
  external_id: HASHED.external_id[1],
};

const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';
const RDT_CID = '3184742045291813272';
const RDT_UUID = '1677712978045.b8f7eb7d-b357-437b-8bd3-e1c8166c7132';
const SETTINGS: RedditSettings = { pixel_id: FAKE_REDDIT_PIXEL_ID, access_token: FAKE_REDDIT_TOKEN };
const NOW = 1_795_400_000;

const canonical = (input: CanonicalEventInput): CanonicalEvent => canonicalEventSchema.parse(input);
/** Adds identity fields the contract does not declare yet (ingest would refuse them today). */
const withVariants = (event: CanonicalEvent, extra: Record<string, string>): CanonicalEvent => ({
  ...event,
  identity: { ...event.identity, ...extra } as CanonicalEvent['identity'],
});

function requiredOnlyEvent(now: number): CanonicalEvent {
  return canonical({
    event_id: '0192f5c4-7a1b-7c3d-8e4f-000000000001',
    event_name: 'page_view',
    event_time: now - 30,
    source: 'browser',
    context: { url: 'https://shop.example/', user_agent: UA, ip: '203.0.113.7' },
  });
}

function requiredOnlyExpected(now: number): RedditEvent {
  return {
    event_at: (now - 30) * 1000,
    action_source: 'WEBSITE',
    type: { tracking_type: 'PAGE_VISIT' },
    event_source_url: 'https://shop.example/',
    metadata: { conversion_id: '0192f5c4-7a1b-7c3d-8e4f-000000000001' },
    user: { ip_address: '203.0.113.7', user_agent: UA },
  };
}

function everyFieldEvent(now: number): CanonicalEvent {
  const event = canonical({
    event_id: 'order-1001',
    event_name: 'purchase',
    event_time: now - 120,
    source: 'server',
    context: { url: `https://shop.example/checkout/order-received/1001/?rdt_cid=${RDT_CID}`, referrer: 'https://shop.example/checkout/', user_agent: UA, ip: '2001:db8::1', locale: 'en-US' },
    identity: { em: H.em, ph: H.ph, external_id: H.external_id, rdt_cid: RDT_CID, rdt_uuid: RDT_UUID, fn: hash('mary'), epik: 'not-for-reddit' },
    commerce: {
      order_id: '1001',
      value: 59.9,
      currency: 'USD',
      tax: 9.56,
      items: [
        { id: 'SKU-1', name: 'Mug', price: 12.5, quantity: 2, category: 'Kitchen', brand: 'Acme' },
        { id: 'SKU-2', price: 30 },
      ],
    },
    consent: { ad_storage: 'granted', analytics_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted' },
  });
  return withVariants(event, { em_reddit: H.em_reddit, ph_e164: H.ph_e164 });
}

function everyFieldExpected(now: number): RedditEvent {
  return {
    event_at: (now - 120) * 1000,
    action_source: 'WEBSITE',
    type: { tracking_type: 'PURCHASE' },
    event_source_url: `https://shop.example/checkout/order-received/1001/?rdt_cid=${RDT_CID}`,
    click_id: RDT_CID,
    metadata: {
      conversion_id: 'order-1001',
      currency: 'USD',
      value: 59.9,
      item_count: 3,
      products: [
        { id: 'SKU-1', name: 'Mug', category: 'Kitchen', quantity: 2, item_price: 12.5 },
        { id: 'SKU-2', item_price: 30 },
      ],
    },
    user: {
      email: H.em_reddit,
      phone_number: H.ph_e164,
      external_id: H.external_id,
      ip_address: '2001:db8::1',
      user_agent: UA,
      uuid: RDT_UUID,
    },
  };
}

const mapCtx = (name: string, extra: Partial<MapContext<RedditSettings>> = {}): MapContext<RedditSettings> => ({
  settings: SETTINGS,
  platformEventName: name,
  now: NOW,
  ...extra,
});

function payload(result: MapResult): RedditEvent {
  if (!result.ok) throw new Error(`expected ok, got: ${result.reason}`);
  return result.payload as RedditEvent;
}

function refusal(result: MapResult): string {
  if (result.ok) throw new Error('expected a refusal');
  expect(result.skip).toBe(false);
  return result.reason;
}

describe('Reddit fixtures', () => {
  it('Reddit\'s documented hashes: canonical email without dots and +tag, phone with "+"', () => {
    for (const [plain, hex] of Object.values(HASHED)) expect(hash(plain)).toBe(hex);
    // The contract's hashes of the same person differ from Reddit's: the reason for the variant fields.
    expect(H.em).not.toBe(H.em_reddit);
    expect(H.ph).not.toBe(H.ph_e164);
  });
});

describe('mapRedditEvent', () => {
  it('maps a required-fields-only event exactly', () => {
    expect(payload(mapRedditEvent(requiredOnlyEvent(NOW), mapCtx('PAGE_VISIT')))).toStrictEqual(requiredOnlyExpected(NOW));
  });

  it('maps an every-field event exactly: Reddit\'s email and phone hashes, click id, uuid, products', () => {
    expect(payload(mapRedditEvent(everyFieldEvent(NOW), mapCtx('PURCHASE')))).toStrictEqual(everyFieldExpected(NOW));
  });

  it('sends event_at as integer milliseconds (13 digits)', () => {
    const at = payload(mapRedditEvent(requiredOnlyEvent(NOW), mapCtx('PAGE_VISIT'))).event_at;
    expect(at).toBe((NOW - 30) * 1000);
    expect(Number.isInteger(at)).toBe(true);
    expect(String(at)).toHaveLength(13);
  });

  it('falls back to the contract email without em_reddit, and sends no phone without ph_e164', () => {
    const e = canonical({ ...requiredOnlyEvent(NOW), identity: { em: H.em, ph: H.ph } });
    expect(payload(mapRedditEvent(e, mapCtx('PAGE_VISIT'))).user).toStrictEqual({ email: H.em, ip_address: '203.0.113.7', user_agent: UA });
    const malformed = withVariants(e, { em_reddit: 'ALICE@EXAMPLE.COM', ph_e164: H.ph_e164.toUpperCase() });
    expect(payload(mapRedditEvent(malformed, mapCtx('PAGE_VISIT'))).user).toStrictEqual({ email: H.em, ip_address: '203.0.113.7', user_agent: UA });
  });

  it('turns event-map values into v3 types: standard, v2 names, custom names', () => {
    expect(redditEventType('PURCHASE')).toStrictEqual({ tracking_type: 'PURCHASE' });
    expect(redditEventType('AddToCart')).toStrictEqual({ tracking_type: 'ADD_TO_CART' });
    expect(redditEventType('begin_checkout')).toStrictEqual({ tracking_type: 'CUSTOM', custom_event_name: 'begin_checkout' });
    const checkout = canonical({ ...requiredOnlyEvent(NOW), event_name: 'begin_checkout', commerce: { value: 10, currency: 'EUR', items: [{ id: 'A' }] } });
    expect(payload(mapRedditEvent(checkout, mapCtx('begin_checkout')))).toMatchObject({
      type: { tracking_type: 'CUSTOM', custom_event_name: 'begin_checkout' },
      metadata: { conversion_id: checkout.event_id, currency: 'EUR', value: 10, item_count: 1, products: [{ id: 'A' }] },
    });
    expect(refusal(mapRedditEvent(requiredOnlyEvent(NOW), mapCtx('CUSTOM')))).toMatch(/CUSTOM without a name/);
    expect(refusal(mapRedditEvent(requiredOnlyEvent(NOW), mapCtx('x'.repeat(65))))).toMatch(/1 to 64 characters/);
  });

  it('sends value and currency only where Reddit takes them, item_count only on cart-like types', () => {
    const e = canonical({ ...requiredOnlyEvent(NOW), commerce: { value: 10, currency: 'EUR', items: [{ id: 'A', quantity: 2 }] } });
    expect(payload(mapRedditEvent(e, mapCtx('VIEW_CONTENT'))).metadata).toStrictEqual({ conversion_id: e.event_id, products: [{ id: 'A', quantity: 2 }] });
    expect(payload(mapRedditEvent(e, mapCtx('LEAD'))).metadata).toStrictEqual({
      conversion_id: e.event_id,
      currency: 'EUR',
      value: 10,
      products: [{ id: 'A', quantity: 2 }],
    });
    expect(payload(mapRedditEvent(e, mapCtx('ADD_TO_CART'))).metadata).toMatchObject({ item_count: 2, value: 10 });
  });

  it('leaves out a uuid that is not Reddit\'s format rather than let it sink the batch', () => {
    const e = canonical({ ...requiredOnlyEvent(NOW), identity: { rdt_uuid: '1700000000.abcd-uuid' } });
    expect(payload(mapRedditEvent(e, mapCtx('PAGE_VISIT'))).user).not.toHaveProperty('uuid');
  });

  it('uses OTHER and no page URL for events without a site visit', () => {
    const base = { event_id: 'e1', event_name: 'purchase', event_time: NOW } as const;
    expect(redditActionSource(canonical({ ...base, source: 'browser' }))).toBe('WEBSITE');
    const renewal = canonical({ ...base, source: 'webhook', identity: { em: H.em }, commerce: { value: 9, currency: 'USD' } });
    expect(payload(mapRedditEvent(renewal, mapCtx('PURCHASE')))).toStrictEqual({
      event_at: NOW * 1000,
      action_source: 'OTHER',
      type: { tracking_type: 'PURCHASE' },
      metadata: { conversion_id: 'e1', currency: 'USD', value: 9 },
      user: { email: H.em },
    });
  });

  it('sets LDU with ISO country and region from the site policy, or bare LDU for do-not-sell', () => {
    const ldu = payload(mapRedditEvent(requiredOnlyEvent(NOW), mapCtx('PAGE_VISIT', { privacy: { limitedDataUse: true, lduCountry: 'us', lduState: 'ca' } })));
    expect(ldu.user?.data_processing_options).toStrictEqual({ modes: ['LDU'], country: 'US', region: 'US-CA' });
    const dns = canonical({
      ...requiredOnlyEvent(NOW),
      consent: { ad_storage: 'granted', analytics_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted', do_not_sell: true },
    });
    expect(payload(mapRedditEvent(dns, mapCtx('PAGE_VISIT'))).user?.data_processing_options).toStrictEqual({ modes: ['LDU'] });
    expect(payload(mapRedditEvent(requiredOnlyEvent(NOW), mapCtx('PAGE_VISIT'))).user).not.toHaveProperty('data_processing_options');
  });

  it('refuses events at the 7-day limit and clamps future times to now', () => {
    expect(REDDIT_MAX_EVENT_AGE_SECONDS).toBe(604_800);
    expect(reddit.maxEventAgeSeconds).toBe(604_800);
    const old = canonical({ ...requiredOnlyEvent(NOW), event_time: NOW - 604_800 });
    expect(refusal(mapRedditEvent(old, mapCtx('PAGE_VISIT')))).toMatch(/7 d 0 h ago; Reddit refuses events older than 7 days/);
    expect(payload(mapRedditEvent(canonical({ ...requiredOnlyEvent(NOW), event_time: NOW + 600 }), mapCtx('PAGE_VISIT'))).event_at).toBe(NOW * 1000);
  });
});

describe('reddit destination definition and settings', () => {
  it('batches at 1,000, rejects all-or-nothing, names its slug', () => {
    expect(REDDIT_MAX_EVENTS_PER_REQUEST).toBe(1000);
    expect(reddit.maxBatchSize).toBe(1000);
    expect(reddit.batchRejection).toBe('all-or-nothing');
    expect(reddit.slug).toBe('reddit');
    expect(reddit.defaultBaseUrl).toBe('https://ads-api.reddit.com');
    expect(reddit.defaultEventMap).toStrictEqual(REDDIT_DEFAULT_EVENT_MAP);
    expect(REDDIT_DEFAULT_EVENT_MAP.page_view).toBe('PAGE_VISIT');
  });

  it('marks the token secret and explains each mistake', () => {
    expect(secretValues(redditSettings, SETTINGS)).toStrictEqual([FAKE_REDDIT_TOKEN]);
    expect(redditSettings.shape.test_id.description).toMatch(/Remove it before going live/);
    const bad = redditSettings.safeParse({ pixel_id: 'a2 bad', access_token: 'short', test_id: '' });
    const messages = bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
    expect(messages).toMatch(/pixel_id: must be the Reddit Pixel ID/);
    expect(messages).toMatch(/access_token: must be the conversion access token/);
    expect(messages).toMatch(/test_id: /);
  });
});

// ---------------------------------------------------------------------------------------------
// Against the fake Reddit API.

let fake: FakeReddit;
let http: HttpClient;
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  fake = await startFakeReddit({ pixels: [FAKE_REDDIT_PIXEL_ID] });
  http = createHttpClient({ defaultTimeoutMs: 5_000 });
});
afterAll(async () => {
  await http.close();
  await fake.close();
});
afterEach(() => fake.reset());

function sendCtx(settings: Partial<RedditSettings> = {}, extra: Partial<SendContext<RedditSettings>> = {}): SendContext<RedditSettings> {
  return { settings: { ...SETTINGS, ...settings }, http, baseUrl: fake.url, ...extra };
}

const mapped = (event: CanonicalEvent, name: string): RedditEvent => payload(reddit.map(event, { settings: SETTINGS, platformEventName: name, now: now() }));
const sample = (overrides: Record<string, unknown> = {}) => sampleRedditEvent(Date.now(), overrides);

function only(outcomes: DeliveryOutcome[]): DeliveryOutcome {
  expect(outcomes).toHaveLength(1);
  return outcomes[0]!;
}

function errorOf(o: DeliveryOutcome): string {
  if (!('error' in o)) throw new Error(`no error on ${o.kind}`);
  return o.error;
}

describe('reddit.send — outbound request', () => {
  it('sends a required-fields-only event with exactly this URL, body and headers (descriptive User-Agent)', async () => {
    const t = now();
    const o = only(await reddit.send([mapped(requiredOnlyEvent(t), 'PAGE_VISIT')], sendCtx()));
    expect(o).toStrictEqual({ kind: 'delivered', status: 200, response: 'Successfully processed 1 conversion events.' });
    const req = fake.received[0]!;
    expect(req.path).toBe(`/api/v3/pixels/${FAKE_REDDIT_PIXEL_ID}/conversion_events`);
    expect(req.query).toStrictEqual({});
    expect(req.body).toStrictEqual({ data: { events: [requiredOnlyExpected(t)] } });
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers.authorization).toBe(`Bearer ${FAKE_REDDIT_TOKEN}`);
    expect(req.headers['user-agent']).toBe(REDDIT_USER_AGENT);
    expect(REDDIT_USER_AGENT).toMatch(/^LayerSync-Relay\/\S+ \(.*Reddit Conversions API v3/);
  });

  it('sends an every-field event exactly, hashed values included', async () => {
    const t = now();
    expect(only(await reddit.send([mapped(everyFieldEvent(t), 'PURCHASE')], sendCtx())).kind).toBe('delivered');
    expect(fake.received[0]!.body).toStrictEqual({ data: { events: [everyFieldExpected(t)] } });
  });

  it('splits more than 1,000 events into requests of at most 1,000', async () => {
    const one = sample();
    const outcomes = await reddit.send(Array.from({ length: 1001 }, (_, i) => ({ ...one, metadata: { conversion_id: `e${i}` } })), sendCtx());
    expect(outcomes).toHaveLength(1001);
    expect(outcomes.every((o) => o.kind === 'delivered')).toBe(true);
    expect(fake.received.map((r) => (r.body as { data: { events: unknown[] } }).data.events.length)).toStrictEqual([1000, 1]);
  });

  it('with a test ID sends data.test_id, one event per request (Event Testing shows no batches)', async () => {
    const outcomes = await reddit.send([sample(), sample({ metadata: { conversion_id: 'e2' } })], sendCtx({ test_id: 't2_test123' }));
    expect(outcomes.map((o) => o.kind)).toStrictEqual(['delivered', 'delivered']);
    expect(fake.received).toHaveLength(2);
    expect(fake.received.map((r) => r.testId)).toStrictEqual(['t2_test123', 't2_test123']);
  });
});

describe('reddit.send — Reddit\'s answers', () => {
  it('a 400 rejects the whole batch: the named event is dropped, the valid ones are sent again later', async () => {
    const t = Date.now();
    const bad = sampleRedditEvent(t, { event_at: Math.floor(t / 1000), metadata: { conversion_id: 'bad' } });
    const outcomes = await reddit.send([sample(), bad, sample({ metadata: { conversion_id: 'e3' } })], sendCtx());
    expect(outcomes.map((o) => o.kind)).toStrictEqual(['retry', 'drop', 'retry']);
    expect(outcomes[1]).toStrictEqual({
      kind: 'drop',
      status: 400,
      error: 'Reddit refused the event (HTTP 400): $.data.events[1].event_at: event_at must be in milliseconds, not seconds',
    });
    expect(errorOf(outcomes[0]!)).toBe(
      'Reddit processed none of the request because 1 other event(s) in it were invalid (There were 1 invalid conversion events. None were processed.); LayerSync will send this event again.',
    );
    expect(fake.received).toHaveLength(0);
    // Sent again without the bad one, the rest goes through.
    expect((await reddit.send([sample(), sample({ metadata: { conversion_id: 'e3' } })], sendCtx())).map((o) => o.kind)).toStrictEqual(['delivered', 'delivered']);
  });

  it('a 400 that names no event drops every event, so the worker bisects', async () => {
    const stub: HttpClient = {
      request: async () => ({ status: 400, headers: {}, body: JSON.stringify({ error: { code: 400, message: 'Bad Request' } }) }) as HttpResponse,
      close: async () => undefined,
    };
    const outcomes = await reddit.send([sample(), sample()], { settings: SETTINGS, http: stub });
    expect(outcomes).toStrictEqual([
      { kind: 'drop', status: 400, error: 'Reddit refused the request (HTTP 400: Bad Request).' },
      { kind: 'drop', status: 400, error: 'Reddit refused the request (HTTP 400: Bad Request).' },
    ]);
  });

  it('an event older than 7 days is refused by the fake too (and never sent by the relay)', async () => {
    const t = Date.now();
    const o = only(await reddit.send([sampleRedditEvent(t, { event_at: t - 8 * 86_400_000 })], sendCtx()));
    expect(o).toMatchObject({ kind: 'drop', status: 400 });
    expect(errorOf(o)).toMatch(/event_at is more than 7 days in the past/);
  });

  it('an unknown token → auth (401 UNAUTHORIZED), and the token never appears', async () => {
    const token = 'someone-elses-reddit-token-000000';
    const o = only(await reddit.send([sample()], sendCtx({ access_token: token })));
    expect(o).toMatchObject({ kind: 'auth', status: 401 });
    expect(errorOf(o)).toBe(
      'Reddit rejected the conversion access token (HTTP 401: UNAUTHORIZED) — generate a new conversion access token in Reddit Ads Manager (Events Manager → Conversions API) and save it in LayerSync.',
    );
    expect(JSON.stringify(o)).not.toContain(token);
  });

  it('a pixel the token may not post to → auth (403), with Reddit\'s words', async () => {
    const o = only(await reddit.send([sample()], sendCtx({ pixel_id: 'a2_other' })));
    expect(o).toMatchObject({ kind: 'auth', status: 403 });
    expect(errorOf(o)).toMatch(/^Reddit does not let this token post conversions to pixel a2_other \(HTTP 403: You're not authorized to post conversions to Pixel ID a2_other\.\)/);
  });

  it('429 with Retry-After → retry; 500 and 503 → retry; then the next request goes through', async () => {
    fake.failNext(1, 429);
    fake.failNext(1, 500);
    fake.failNext(1, 503);
    const o = only(await reddit.send([sample()], sendCtx()));
    expect(o).toMatchObject({ kind: 'retry', status: 429, retryAfterMs: 17_000 });
    expect(errorOf(o)).toBe('Reddit is rate limiting requests (HTTP 429: Too many requests/events within timeframe.); LayerSync will retry in 17 s.');
    expect(only(await reddit.send([sample()], sendCtx()))).toMatchObject({ kind: 'retry', status: 500 });
    expect(only(await reddit.send([sample()], sendCtx()))).toMatchObject({ kind: 'retry', status: 503 });
    expect(only(await reddit.send([sample()], sendCtx())).kind).toBe('delivered');
  });

  it('a throttled user agent is named as such', async () => {
    const stub: HttpClient = {
      request: async () => ({ status: 429, headers: {}, body: JSON.stringify({ error: { code: 429, message: 'Your user agent was automatically ratelimited.' } }) }) as HttpResponse,
      close: async () => undefined,
    };
    expect(errorOf(only(await reddit.send([sample()], { settings: SETTINGS, http: stub })))).toMatch(/^Reddit throttled the relay's user agent/);
  });

  it('no answer in time → retry; nothing listening → retry; a bare 2xx → retry; 404 → auth', async () => {
    fake.failNext(1, 'timeout');
    expect(only(await createRedditDestination({ timeoutMs: 300 }).send([sample()], sendCtx()))).toStrictEqual({
      kind: 'retry',
      error: 'Reddit did not answer within 300 ms; LayerSync will retry.',
    });
    const port = await closedPort();
    expect(errorOf(only(await reddit.send([sample()], sendCtx({}, { baseUrl: `http://127.0.0.1:${port}` }))))).toMatch(/^Could not reach Reddit \(ECONNREFUSED/);
    const stub = (status: number, body: string): HttpClient => ({ request: async () => ({ status, headers: {}, body }), close: async () => undefined });
    expect(only(await reddit.send([sample()], { settings: SETTINGS, http: stub(200, 'ok') }))).toMatchObject({ kind: 'retry', status: 200 });
    expect(only(await reddit.send([sample()], { settings: SETTINGS, http: stub(404, 'nope') }))).toMatchObject({ kind: 'auth', status: 404 });
  });
});

describe('reddit.testConnection', () => {
  it('without a test ID: a deliberately incomplete event proves the token and pixel, and records nothing', async () => {
    const d = await reddit.testConnection!(sendCtx());
    expect(d.ok).toBe(true);
    expect(d.code).toBe('ok');
    expect(d.message).toMatch(new RegExp(`^Connected to Reddit pixel ${FAKE_REDDIT_PIXEL_ID}: Reddit accepted the access token`));
    expect(fake.requests[0]).toMatchObject({ status: 400 });
    expect(fake.received).toHaveLength(0);
  });

  it('with a test ID: a real test page visit goes to Event Testing', async () => {
    const d = await reddit.testConnection!(sendCtx({ test_id: 't2_abc' }));
    expect(d).toMatchObject({ ok: true, code: 'ok' });
    expect(d.message).toMatch(/Event Testing/);
    expect(fake.received[0]).toMatchObject({ testId: 't2_abc' });
  });

  it('unknown token → invalid_credentials; foreign pixel → permission_denied; nothing listening → unreachable', async () => {
    expect(await reddit.testConnection!(sendCtx({ access_token: 'unknown-reddit-token-0000000' }))).toMatchObject({ ok: false, code: 'invalid_credentials' });
    expect(await reddit.testConnection!(sendCtx({ pixel_id: 'a2_other' }))).toMatchObject({ ok: false, code: 'permission_denied' });
    const port = await closedPort();
    expect(await reddit.testConnection!(sendCtx({}, { baseUrl: `http://127.0.0.1:${port}` }))).toMatchObject({ ok: false, code: 'unreachable' });
  });
});

