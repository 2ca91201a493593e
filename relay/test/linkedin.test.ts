/**
 * The LinkedIn destination: the pure mapper, then send/testConnection end to end against the
 * local fake Conversions API with the real undici client on 127.0.0.1.
 */
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { canonicalEventSchema, type CanonicalEvent, type CanonicalEventInput } from '../src/contract/event.js';
import { createHttpClient, type HttpClient, type HttpResponse } from '../src/delivery/http.js';
import {
  LINKEDIN_API_VERSION,
  LINKEDIN_MAX_EVENT_AGE_SECONDS,
  LINKEDIN_MAX_EVENTS_PER_REQUEST,
} from '../src/destinations/linkedin/api.js';
import { createLinkedinDestination, linkedin } from '../src/destinations/linkedin/index.js';
import { formatAmount, mapLinkedinEvent, type LinkedinConversionEvent } from '../src/destinations/linkedin/map.js';
import { linkedinSettings, type LinkedinSettings } from '../src/destinations/linkedin/settings.js';
import { secretValues } from '../src/destinations/secrets.js';
import type { DeliveryOutcome, MapContext, MapResult, SendContext } from '../src/destinations/types.js';
import { FAKE_LINKEDIN_ACCOUNT, FAKE_LINKEDIN_TOKEN, startFakeLinkedin, type FakeLinkedin } from './fakes/linkedin-server.js';
import { closedPort, throughWorker as runThroughWorker } from './destinations/support.js';

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const EM = sha256('john_smith@gmail.com');
const LI_FAT_ID = 'df2f1a86-5e7f-4fa1-9d5a-0c1f7c2b1e11';
const PURCHASE_RULE = 'urn:lla:llaPartnerConversion:104012';

const SETTINGS: LinkedinSettings = {
  access_token: FAKE_LINKEDIN_TOKEN,
  // The lead rule is given as a bare id: the mapper turns it into the URN.
  conversion_rules: { purchase: PURCHASE_RULE, lead: '104013' },
};

function canonical(input: CanonicalEventInput): CanonicalEvent {
  return canonicalEventSchema.parse(input);
}

/** The least LinkedIn can match: a click id, nothing else. */
function requiredOnlyEvent(now: number): CanonicalEvent {
  return canonical({
    event_id: '0192f5c4-7a1b-7c3d-8e4f-000000000001',
    event_name: 'lead',
    event_time: now - 30,
    source: 'browser',
    identity: { li_fat_id: LI_FAT_ID },
  });
}

function requiredOnlyExpected(now: number): LinkedinConversionEvent {
  return {
    conversion: 'urn:lla:llaPartnerConversion:104013',
    conversionHappenedAt: (now - 30) * 1000,
    eventId: '0192f5c4-7a1b-7c3d-8e4f-000000000001',
    user: { userIds: [{ idType: 'LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID', idValue: LI_FAT_ID }] },
  };
}

/** A purchase with every field the contract has; LinkedIn takes only some of them. */
function everyFieldEvent(now: number): CanonicalEvent {
  return canonical({
    event_id: 'order-1001',
    event_name: 'purchase',
    event_time: now - 120,
    source: 'server',
    context: {
      url: 'https://shop.example/checkout/order-received/1001/',
      referrer: 'https://shop.example/checkout/',
      user_agent: 'Mozilla/5.0 (X11; Linux x86_64)',
      ip: '203.0.113.7',
      ip_anonymized: false,
      locale: 'en-US',
    },
    identity: {
      em: EM,
      ph: sha256('16505551212'),
      fn: sha256('mary'),
      ln: sha256('smith'),
      country: sha256('us'),
      external_id: sha256('customer-42'),
      li_fat_id: LI_FAT_ID,
      twclid: 'not-for-linkedin',
      fbc: 'fb.1.1554763741205.AbCdEf',
    },
    commerce: {
      order_id: '1001',
      value: 59.9,
      currency: 'EUR',
      tax: 9.56,
      shipping: 4.9,
      coupon: 'WELCOME10',
      items: [{ id: 'SKU-1', name: 'Mug', price: 12.5, quantity: 2 }],
    },
    consent: { ad_storage: 'granted', analytics_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted' },
    properties: { payment_method: 'card' },
  });
}

function everyFieldExpected(now: number): LinkedinConversionEvent {
  return {
    conversion: PURCHASE_RULE,
    conversionHappenedAt: (now - 120) * 1000,
    conversionValue: { currencyCode: 'EUR', amount: '59.90' },
    eventId: 'order-1001',
    user: {
      userIds: [
        { idType: 'SHA256_EMAIL', idValue: EM },
        { idType: 'LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID', idValue: LI_FAT_ID },
      ],
    },
  };
}

const NOW = 1_795_400_000;

function mapCtx(extra: Partial<MapContext<LinkedinSettings>> = {}): MapContext<LinkedinSettings> {
  return { settings: SETTINGS, platformEventName: 'PURCHASE', now: NOW, ...extra };
}

function payload(result: MapResult): LinkedinConversionEvent {
  if (!result.ok) throw new Error(`expected ok, got: ${result.reason}`);
  return result.payload as LinkedinConversionEvent;
}

function notSent(result: MapResult, skip: boolean): string {
  if (result.ok) throw new Error('expected the event not to be sent');
  expect(result.skip).toBe(skip);
  return result.reason;
}

describe('mapLinkedinEvent', () => {
  it('maps a required-fields-only event exactly (bare rule id → URN, milliseconds)', () => {
    expect(payload(mapLinkedinEvent(requiredOnlyEvent(NOW), mapCtx()))).toStrictEqual(requiredOnlyExpected(NOW));
  });

  it('maps an every-field event exactly: SHA256_EMAIL + li_fat_id, amount as a string, no plain-text userInfo', () => {
    const out = payload(mapLinkedinEvent(everyFieldEvent(NOW), mapCtx()));
    expect(out).toStrictEqual(everyFieldExpected(NOW));
    expect(typeof out.conversionValue!.amount).toBe('string');
    expect(String(out.conversionHappenedAt)).toHaveLength(13);
  });

  it('formats the amount with the currency\'s minor units', () => {
    expect(formatAmount(59.9, 'EUR')).toBe('59.90');
    expect(formatAmount(1500.4, 'JPY')).toBe('1500');
    expect(formatAmount(12.5, 'KWD')).toBe('12.500');
    expect(formatAmount(0.1 + 0.2, 'USD')).toBe('0.30');
    expect(formatAmount(0, 'USD')).toBe('0.00');
  });

  it('refuses an event older than 90 days up front, and accepts one just inside', () => {
    expect(LINKEDIN_MAX_EVENT_AGE_SECONDS).toBe(90 * 86_400);
    expect(linkedin.maxEventAgeSeconds).toBe(LINKEDIN_MAX_EVENT_AGE_SECONDS);
    const old = canonical({ ...requiredOnlyEvent(NOW), event_time: NOW - 90 * 86_400 });
    expect(notSent(mapLinkedinEvent(old, mapCtx()), false)).toBe(
      'The event happened 90 d 0 h ago; LinkedIn refuses conversions older than 90 days, so it was not sent.',
    );
    const inside = canonical({ ...requiredOnlyEvent(NOW), event_time: NOW - 89 * 86_400 });
    expect(payload(mapLinkedinEvent(inside, mapCtx())).conversionHappenedAt).toBe((NOW - 89 * 86_400) * 1000);
  });

  it('clamps a future event time to now', () => {
    const future = canonical({ ...requiredOnlyEvent(NOW), event_time: NOW + 600 });
    expect(payload(mapLinkedinEvent(future, mapCtx())).conversionHappenedAt).toBe(NOW * 1000);
  });

  it('skips an event type without a conversion rule, naming it', () => {
    const e = canonical({ ...requiredOnlyEvent(NOW), event_name: 'add_to_cart' });
    expect(notSent(mapLinkedinEvent(e, mapCtx()), true)).toBe(
      'No LinkedIn conversion rule is set for "add_to_cart"; add one under conversion_rules (e.g. "add_to_cart": "urn:lla:llaPartnerConversion:<id>") to send these events.',
    );
  });

  it('skips an event with neither an email hash nor li_fat_id', () => {
    const e = canonical({ ...requiredOnlyEvent(NOW), identity: { ph: sha256('16505551212'), external_id: sha256('x') } });
    expect(notSent(mapLinkedinEvent(e, mapCtx()), true)).toMatch(/hashed email .* or the li_fat_id click id/);
  });

  it('drops identifiers whose consent was explicitly denied', () => {
    const consent = (ad_user_data: 'granted' | 'denied', ad_storage: 'granted' | 'denied') =>
      canonical({ ...everyFieldEvent(NOW), consent: { ad_storage, analytics_storage: 'granted', ad_user_data, ad_personalization: 'denied' } });
    expect(payload(mapLinkedinEvent(consent('denied', 'granted'), mapCtx())).user.userIds).toStrictEqual([
      { idType: 'LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID', idValue: LI_FAT_ID },
    ]);
    expect(payload(mapLinkedinEvent(consent('granted', 'denied'), mapCtx())).user.userIds).toStrictEqual([{ idType: 'SHA256_EMAIL', idValue: EM }]);
    expect(notSent(mapLinkedinEvent(consent('denied', 'denied'), mapCtx()), true)).toMatch(/neither/);
  });

  it('does not send when the visitor opted out of sale/sharing or the site uses limited data use', () => {
    const dns = canonical({ ...everyFieldEvent(NOW), consent: { ...everyFieldEvent(NOW).consent!, do_not_sell: true } });
    expect(notSent(mapLinkedinEvent(dns, mapCtx()), true)).toMatch(/opted out of the sale\/sharing/);
    expect(notSent(mapLinkedinEvent(everyFieldEvent(NOW), mapCtx({ privacy: { limitedDataUse: true } })), true)).toMatch(/limited data use/);
  });

  it('refuses a negative value', () => {
    const e = canonical({ ...everyFieldEvent(NOW), commerce: { value: -5, currency: 'EUR' } });
    expect(notSent(mapLinkedinEvent(e, mapCtx()), false)).toMatch(/cannot be negative/);
  });

  it('sends no conversionValue without commerce', () => {
    expect(payload(mapLinkedinEvent(requiredOnlyEvent(NOW), mapCtx()))).not.toHaveProperty('conversionValue');
  });
});

describe('linkedinSettings', () => {
  it('accepts URNs and bare ids keyed by LayerSync event names', () => {
    expect(linkedinSettings.parse({ ...SETTINGS, conversion_rules: { 'custom:quote': '7', purchase: PURCHASE_RULE } })).toBeTruthy();
  });

  it.each([
    ['an empty rule map', { conversion_rules: {} }, /at least one conversion rule/],
    ['a rule that is not a URN', { conversion_rules: { purchase: 'urn:li:conversion:1' } }, /urn:lla:llaPartnerConversion/],
    ['an unknown event name', { conversion_rules: { checkout: '1' } }, /LayerSync event name/],
    ['a short token', { access_token: 'abc' }, /access token/],
    ['a malformed api_version', { api_version: '2026-05' }, /YYYYMM/],
    ['an unknown setting', { pixel_id: '1' }, /pixel_id/],
  ])('refuses %s', (_name, patch, message) => {
    const r = linkedinSettings.safeParse({ ...SETTINGS, ...patch });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error!.issues)).toMatch(message);
  });

  it('marks the access token secret', () => {
    expect(secretValues(linkedinSettings, SETTINGS)).toStrictEqual([FAKE_LINKEDIN_TOKEN]);
  });
});

let fake: FakeLinkedin;
let http: HttpClient;
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  fake = await startFakeLinkedin();
  http = createHttpClient({ defaultTimeoutMs: 5_000 });
});
afterAll(async () => {
  await http.close();
  await fake.close();
});
afterEach(() => fake.reset());

function sendCtx(settings: Partial<LinkedinSettings> = {}, extra: Partial<SendContext<LinkedinSettings>> = {}): SendContext<LinkedinSettings> {
  return { settings: { ...SETTINGS, ...settings }, http, baseUrl: fake.url, ...extra };
}

function mapped(event: CanonicalEvent): LinkedinConversionEvent {
  return payload(linkedin.map(event, { settings: SETTINGS, platformEventName: 'PURCHASE', now: now() }));
}

function only(outcomes: DeliveryOutcome[]): DeliveryOutcome {
  expect(outcomes).toHaveLength(1);
  return outcomes[0]!;
}

function errorOf(o: DeliveryOutcome): string {
  if (!('error' in o)) throw new Error(`no error on ${o.kind}`);
  return o.error;
}

describe('linkedin.send — outbound request', () => {
  it('sends a required-fields-only event as a batch create with exactly this URL, body and headers', async () => {
    const t = now();
    const o = only(await linkedin.send([mapped(requiredOnlyEvent(t))], sendCtx()));
    expect(o).toStrictEqual({ kind: 'delivered', status: 201 });
    expect(fake.received).toHaveLength(1);
    const req = fake.received[0]!;
    expect(req.path).toBe('/rest/conversionEvents');
    expect(req.query).toStrictEqual({});
    expect(req.body).toStrictEqual({ elements: [requiredOnlyExpected(t)] });
    expect(req.headers.authorization).toBe(`Bearer ${FAKE_LINKEDIN_TOKEN}`);
    expect(req.headers['linkedin-version']).toBe(LINKEDIN_API_VERSION);
    expect(req.headers['x-restli-protocol-version']).toBe('2.0.0');
    expect(req.headers['x-restli-method']).toBe('BATCH_CREATE');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['user-agent']).toMatch(/^LayerSync-Relay\//);
  });

  it('sends an every-field event exactly (amount "59.90" as a string, time in ms)', async () => {
    const t = now();
    expect(only(await linkedin.send([mapped(everyFieldEvent(t))], sendCtx())).kind).toBe('delivered');
    expect(fake.received[0]!.body).toStrictEqual({ elements: [everyFieldExpected(t)] });
  });

  it('honours an api_version override', async () => {
    await linkedin.send([mapped(requiredOnlyEvent(now()))], sendCtx({ api_version: '202606' }));
    expect(fake.received[0]!.headers['linkedin-version']).toBe('202606');
  });

  it('splits at 5,000 events per request and gives each event its own outcome', async () => {
    const one = mapped(requiredOnlyEvent(now()));
    const payloads = Array.from({ length: LINKEDIN_MAX_EVENTS_PER_REQUEST + 1 }, (_, i) => ({ ...one, eventId: `evt-${i}` }));
    const outcomes = await linkedin.send(payloads, sendCtx());
    expect(outcomes).toHaveLength(5001);
    expect(outcomes.every((o) => o.kind === 'delivered')).toBe(true);
    expect(fake.received.map((r) => (r.body as { elements: unknown[] }).elements.length)).toStrictEqual([5000, 1]);
    expect(linkedin.maxBatchSize).toBe(5000);
  });

  it('sends nothing for an empty batch', async () => {
    expect(await linkedin.send([], sendCtx())).toStrictEqual([]);
    expect(fake.requests).toHaveLength(0);
  });
});

describe('linkedin.send — classifying LinkedIn\'s answers', () => {
  it('invalid token (401) → auth, readable, without the token', async () => {
    const token = 'AQV-a-token-the-fake-does-not-know-000';
    const o = only(await linkedin.send([mapped(requiredOnlyEvent(now()))], sendCtx({ access_token: token })));
    expect(o).toMatchObject({ kind: 'auth', status: 401 });
    expect(errorOf(o)).toBe(
      'LinkedIn rejected the access token (HTTP 401, INVALID_ACCESS_TOKEN, serviceErrorCode 65600): it is invalid or was revoked. Invalid access token. — reconnect LinkedIn: issue a new access token (scopes rw_conversions and r_ads) for a member who manages the ad account, and save it in LayerSync.',
    );
    expect(errorOf(o)).not.toContain(token);
  });

  it('expired token → auth naming the expiry', async () => {
    fake.failNext(1, 'token');
    const o = only(await linkedin.send([mapped(requiredOnlyEvent(now()))], sendCtx()));
    expect(o.kind).toBe('auth');
    expect(errorOf(o)).toMatch(/^LinkedIn rejected the access token \(HTTP 401, EXPIRED_ACCESS_TOKEN, serviceErrorCode 65601\): it has expired\./);
  });

  it('a rule LinkedIn cannot resolve (403 "No ad accounts found") → auth, pointing at the rules', async () => {
    const payloads = [{ ...mapped(requiredOnlyEvent(now())), conversion: 'urn:lla:llaPartnerConversion:999' }];
    const o = only(await linkedin.send(payloads, sendCtx()));
    expect(o).toMatchObject({ kind: 'auth', status: 403 });
    expect(errorOf(o)).toMatch(/^LinkedIn refused permission \(HTTP 403, ACCESS_DENIED, serviceErrorCode 100\)\. No ad accounts found for the conversion rule\. — check that every conversion rule/);
  });

  it('an inactive API version (426) → auth asking for a relay update', async () => {
    const o = only(await linkedin.send([mapped(requiredOnlyEvent(now()))], sendCtx({ api_version: '202001' })));
    expect(o).toMatchObject({ kind: 'auth', status: 426 });
    expect(errorOf(o)).toMatch(/^LinkedIn does not accept API version 202001 \(HTTP 426, NONEXISTENT_VERSION\)\. Requested version 202001 is not active\. — update the LayerSync relay/);
  });

  it('a number where LinkedIn wants a string (422) → drop with LinkedIn\'s path', async () => {
    const bad = { ...mapped(everyFieldEvent(now())), conversionValue: { currencyCode: 'EUR', amount: 59.9 } };
    const outcomes = await linkedin.send([mapped(requiredOnlyEvent(now())), bad], sendCtx());
    expect(outcomes.map((o) => o.kind)).toStrictEqual(['drop', 'drop']);
    expect(errorOf(outcomes[1]!)).toBe('LinkedIn rejected the event (HTTP 422). ERROR :: /elements/1/conversionValue/amount :: 59.9 cannot be coerced to String.');
    expect(fake.received).toHaveLength(0);
  });

  it('an event older than 90 days (400) → drop', async () => {
    const old = { ...mapped(requiredOnlyEvent(now())), conversionHappenedAt: (now() - 91 * 86_400) * 1000 };
    const o = only(await linkedin.send([old], sendCtx()));
    expect(o).toMatchObject({ kind: 'drop', status: 400 });
    expect(errorOf(o)).toMatch(/within 90 days .* indices \[0\]/);
  });

  it('429 with Retry-After → retry after that many seconds', async () => {
    fake.failNext(1, 429);
    const o = only(await linkedin.send([mapped(requiredOnlyEvent(now()))], sendCtx()));
    expect(o).toMatchObject({ kind: 'retry', status: 429, retryAfterMs: 11_000 });
    expect(errorOf(o)).toMatch(/^LinkedIn is rate limiting requests \(HTTP 429, TOO_MANY_REQUESTS, serviceErrorCode 101\)\..* LayerSync will retry in 11 s\.$/);
  });

  it.each([500, 503] as const)('HTTP %i → retry', async (status) => {
    fake.failNext(1, status);
    const o = only(await linkedin.send([mapped(requiredOnlyEvent(now()))], sendCtx()));
    expect(o).toMatchObject({ kind: 'retry', status });
    expect(o).not.toHaveProperty('retryAfterMs');
  });

  it('no answer in time → retry naming the timeout', async () => {
    fake.failNext(1, 'timeout');
    const o = only(await createLinkedinDestination({ timeoutMs: 300 }).send([mapped(requiredOnlyEvent(now()))], sendCtx()));
    expect(o).toStrictEqual({ kind: 'retry', error: 'LinkedIn did not answer within 300 ms; LayerSync will retry.' });
  });

  it('nothing listening → retry', async () => {
    const o = only(await linkedin.send([mapped(requiredOnlyEvent(now()))], sendCtx({}, { baseUrl: `http://127.0.0.1:${await closedPort()}` })));
    expect(o.kind).toBe('retry');
    expect(errorOf(o)).toMatch(/^Could not reach LinkedIn \(ECONNREFUSED: .*\); LayerSync will retry\.$/);
  });
});

describe('classification details (stub transport)', () => {
  function stub(res: Partial<HttpResponse>): HttpClient {
    return { request: async () => ({ status: 200, headers: {}, body: '', ...res }), close: async () => undefined };
  }
  const send = (res: Partial<HttpResponse>, n = 1) =>
    linkedin.send(Array.from({ length: n }, () => ({})), { settings: SETTINGS, http: stub(res), nowMs: Date.parse('2026-11-23T12:00:00Z') });

  it('per-element statuses of a batch become per-event outcomes', async () => {
    const body = JSON.stringify({
      elements: [{ status: 201 }, { status: 400, error: { status: 400, message: 'Invalid conversion value' } }, { status: 500 }],
    });
    const outcomes = await send({ status: 200, body }, 3);
    expect(outcomes).toStrictEqual([
      { kind: 'delivered', status: 201 },
      { kind: 'drop', status: 400, error: 'Event 2 of the batch: LinkedIn rejected the event (HTTP 400). Invalid conversion value.' },
      { kind: 'retry', status: 500, error: 'Event 3 of the batch: LinkedIn had a temporary problem (HTTP 500). — LayerSync will retry.' },
    ]);
  });

  it('a 2xx without a result per event is not a delivery', async () => {
    const outcomes = await send({ status: 200, body: '{"elements":[{"status":201}]}' }, 2);
    expect(outcomes.map((o) => o.kind)).toStrictEqual(['retry', 'retry']);
    expect(errorOf(outcomes[0]!)).toMatch(/without a result for each of the 2 events/);
  });

  it('Retry-After as an HTTP date', async () => {
    const [o] = await send({ status: 429, headers: { 'retry-after': 'Mon, 23 Nov 2026 12:01:30 GMT' }, body: '{"status":429,"message":"Too many"}' });
    expect(o).toMatchObject({ kind: 'retry', retryAfterMs: 90_000 });
  });

  it('VERSION_MISSING → auth; a bare 401 without LinkedIn\'s body → auth; a bare 404 → drop', async () => {
    expect((await send({ status: 400, body: '{"status":400,"code":"VERSION_MISSING","message":"A version must be present."}' }))[0]!.kind).toBe('auth');
    expect((await send({ status: 401, body: 'Unauthorized' }))[0]!.kind).toBe('auth');
    expect((await send({ status: 404, body: 'Not Found' }))[0]).toMatchObject({ kind: 'drop', error: 'LinkedIn rejected the event (HTTP 404). Not Found.' });
  });

  it('scrubs the token if LinkedIn or a proxy echoes it', async () => {
    const [o] = await send({ status: 400, body: JSON.stringify({ status: 400, message: `bad header Bearer ${FAKE_LINKEDIN_TOKEN}` }) });
    expect(errorOf(o!)).not.toContain(FAKE_LINKEDIN_TOKEN);
    expect(errorOf(o!)).toContain('Bearer [redacted]');
  });
});

describe('linkedin.testConnection', () => {
  it('lists the ad accounts the member can send for', async () => {
    const d = await linkedin.testConnection!(sendCtx());
    expect(d).toStrictEqual({
      ok: true,
      code: 'ok',
      message:
        'Connected to LinkedIn: the token\'s member can send conversions for ad account(s) 507404993. Conversion rules are set for: lead, purchase. LinkedIn has no test mode, so each rule is checked when its first event is sent.',
    });
    expect(fake.requests[0]).toMatchObject({ path: '/rest/adAccountUsers', query: { q: 'authenticatedUser' }, kind: 'accounts' });
    expect(fake.requests[0]!.headers['linkedin-version']).toBe(LINKEDIN_API_VERSION);
  });

  it('a member who is only VIEWER → permission_denied', async () => {
    const viewer = await startFakeLinkedin({ accountRoles: [{ account: FAKE_LINKEDIN_ACCOUNT, role: 'VIEWER' }] });
    try {
      const d = await linkedin.testConnection!(sendCtx({}, { baseUrl: viewer.url }));
      expect(d).toMatchObject({ ok: false, code: 'permission_denied' });
      expect(d.message).toMatch(/only VIEWER on 1 ad account/);
    } finally {
      await viewer.close();
    }
  });

  it('bad token → invalid_credentials; expired → token_expired; old version → outdated_api_version; nothing listening → unreachable', async () => {
    expect(await linkedin.testConnection!(sendCtx({ access_token: 'AQV-unknown-token-00000000000' }))).toMatchObject({ ok: false, code: 'invalid_credentials' });
    fake.failNext(1, 'token');
    expect(await linkedin.testConnection!(sendCtx())).toMatchObject({ ok: false, code: 'token_expired' });
    expect(await linkedin.testConnection!(sendCtx({ api_version: '202001' }))).toMatchObject({ ok: false, code: 'outdated_api_version' });
    const port = await closedPort();
    expect(await linkedin.testConnection!(sendCtx({}, { baseUrl: `http://127.0.0.1:${port}` }))).toMatchObject({ ok: false, code: 'unreachable' });
  });
});

/** A port nobody listens on (bound, then released). */
describe('through the delivery worker', () => {
  it('an event past the 90-day window is a dead letter and never reaches LinkedIn; a fresh one is delivered', async () => {
    const t = now();
    const old = canonical({ ...requiredOnlyEvent(t), event_id: 'too-old', event_time: t - 91 * 86_400 });
    const fresh = requiredOnlyEvent(t);
    const [oldRow, freshRow] = await throughWorker([old, fresh], SETTINGS, fake.url);
    expect(oldRow).toMatchObject({ status: 'dead', attempts: 0, lastError: expect.stringMatching(/^event is 91 d\b.* old; LinkedIn Conversions API accepts events up to 90 d old, so it was not sent$/) });
    expect(freshRow).toMatchObject({ status: 'delivered', attempts: 1, lastStatus: 201 });
    expect(fake.received).toHaveLength(1);
    expect((fake.received[0]!.body as { elements: Array<{ eventId: string }> }).elements.map((e) => e.eventId)).toStrictEqual([fresh.event_id]);
  });

  it('an event type without a conversion rule is skipped with the reason', async () => {
    const [row] = await throughWorker([canonical({ ...requiredOnlyEvent(now()), event_name: 'add_to_cart' })], SETTINGS, fake.url);
    expect(row).toMatchObject({ status: 'skipped', lastError: expect.stringMatching(/^No LinkedIn conversion rule is set for "add_to_cart"/) });
    expect(fake.requests).toHaveLength(0);
  });
});


/** Runs events through the real worker with linkedin as the destination (test/destinations/support.ts). */
const throughWorker = (events: CanonicalEvent[], settings: unknown, baseUrl?: string) =>
  runThroughWorker(linkedin, http, events, settings, baseUrl);

