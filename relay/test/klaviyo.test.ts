/**
 * The Klaviyo destination: the pure mapper (profile identifier, consent-gated profile attributes,
 * deterministic unique_id, backfill), then send/testConnection against the local fake Klaviyo,
 * which models Klaviyo's deduplication, with the real undici client.
 */
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { canonicalEventSchema, type CanonicalEvent, type CanonicalEventInput } from '../src/contract/event.js';
import { createHttpClient, type HttpClient, type HttpResponse } from '../src/delivery/http.js';
import { KLAVIYO_MAX_EVENT_AGE_SECONDS, KLAVIYO_REVISION } from '../src/destinations/klaviyo/api.js';
import { KLAVIYO_DEFAULT_EVENT_MAP, createKlaviyoDestination, klaviyo } from '../src/destinations/klaviyo/index.js';
import { mapKlaviyoEvent, type KlaviyoEventBody } from '../src/destinations/klaviyo/map.js';
import { klaviyoSettings, type KlaviyoSettings } from '../src/destinations/klaviyo/settings.js';
import { secretValues } from '../src/destinations/secrets.js';
import type { DeliveryOutcome, MapContext, MapResult, SendContext } from '../src/destinations/types.js';
import { FAKE_KLAVIYO_KEY, FAKE_KLAVIYO_READONLY_KEY, startFakeKlaviyo, type FakeKlaviyo } from './fakes/klaviyo-server.js';
import { closedPort, throughWorker as runThroughWorker } from './destinations/support.js';

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const EXTERNAL_ID = sha256('customer-42');
const EM = sha256('john_smith@gmail.com');

const SETTINGS: KlaviyoSettings = { private_api_key: FAKE_KLAVIYO_KEY, profile_identifier: 'external_id', backfill_after_hours: 24 };
const GRANTED = { ad_storage: 'granted', analytics_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted' } as const;

function canonical(input: CanonicalEventInput): CanonicalEvent {
  return canonicalEventSchema.parse(input);
}

function requiredOnlyEvent(now: number): CanonicalEvent {
  return canonical({
    event_id: '0192f5c4-7a1b-7c3d-8e4f-000000000001',
    event_name: 'lead',
    event_time: now - 30,
    source: 'server',
    identity: { external_id: EXTERNAL_ID },
  });
}

function requiredOnlyExpected(now: number): KlaviyoEventBody {
  return {
    data: {
      type: 'event',
      attributes: {
        properties: {},
        metric: { data: { type: 'metric', attributes: { name: 'Submitted Lead' } } },
        profile: { data: { type: 'profile', attributes: { external_id: EXTERNAL_ID } } },
        time: new Date((now - 30) * 1000).toISOString(),
        unique_id: '0192f5c4-7a1b-7c3d-8e4f-000000000001',
      },
    },
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
      user_agent: 'Mozilla/5.0',
      ip: '203.0.113.7',
      ip_anonymized: false,
      locale: 'en-US',
    },
    identity: { em: EM, ph: sha256('16505551212'), fn: sha256('mary'), external_id: EXTERNAL_ID, twclid: 'x', fbp: 'fb.1.1558571054389.1098115397' },
    commerce: {
      order_id: '1001',
      value: 59.9,
      currency: 'EUR',
      tax: 9.56,
      shipping: 4.9,
      coupon: 'WELCOME10',
      items: [
        { id: 'SKU-1', name: 'Mug', price: 12.5, quantity: 2, category: 'Kitchen', variant: 'Blue', brand: 'Acme' },
        { id: 'SKU-2', name: 'Tea', price: 30, category: 'Pantry' },
      ],
    },
    consent: GRANTED,
    properties: { payment_method: 'card', OrderId: 'site-value-loses', $email: 'never@forwarded.example' },
  });
}

function everyFieldExpected(now: number): KlaviyoEventBody {
  return {
    data: {
      type: 'event',
      attributes: {
        properties: {
          payment_method: 'card',
          OrderId: '1001',
          URL: 'https://shop.example/checkout/order-received/1001/',
          DiscountCode: 'WELCOME10',
          Tax: 9.56,
          Shipping: 4.9,
          Items: [
            { ProductID: 'SKU-1', ProductName: 'Mug', Quantity: 2, ItemPrice: 12.5, RowTotal: 25, Categories: ['Kitchen'], Brand: 'Acme', Variant: 'Blue' },
            { ProductID: 'SKU-2', ProductName: 'Tea', ItemPrice: 30, RowTotal: 30, Categories: ['Pantry'] },
          ],
          ItemNames: ['Mug', 'Tea'],
          Categories: ['Kitchen', 'Pantry'],
          Brands: ['Acme'],
        },
        metric: { data: { type: 'metric', attributes: { name: 'Placed Order' } } },
        profile: { data: { type: 'profile', attributes: { external_id: EXTERNAL_ID, locale: 'en-US', location: { ip: '203.0.113.7' } } } },
        time: new Date((now - 120) * 1000).toISOString(),
        unique_id: 'order-1001',
        value: 59.9,
        value_currency: 'EUR',
      },
    },
  };
}

const NOW = 1_795_400_000;
const mapCtx = (platformEventName: string, extra: Partial<MapContext<KlaviyoSettings>> = {}): MapContext<KlaviyoSettings> => ({
  settings: SETTINGS,
  platformEventName,
  now: NOW,
  ...extra,
});

function body(result: MapResult): KlaviyoEventBody {
  if (!result.ok) throw new Error(`expected ok, got: ${result.reason}`);
  return result.payload as KlaviyoEventBody;
}
const attrs = (result: MapResult) => body(result).data.attributes;

function notSent(result: MapResult, skip: boolean): string {
  if (result.ok) throw new Error('expected the event not to be sent');
  expect(result.skip).toBe(skip);
  return result.reason;
}

describe('mapKlaviyoEvent', () => {
  it('maps a required-fields-only event exactly', () => {
    expect(body(mapKlaviyoEvent(requiredOnlyEvent(NOW), mapCtx('Submitted Lead')))).toStrictEqual(requiredOnlyExpected(NOW));
  });

  it('maps an every-field event exactly (our keys win over site properties, "$" keys are not forwarded)', () => {
    expect(body(mapKlaviyoEvent(everyFieldEvent(NOW), mapCtx('Placed Order')))).toStrictEqual(everyFieldExpected(NOW));
  });

  it('unique_id is the event_id: the same event always maps to the same id, different events never share one', () => {
    const a = attrs(mapKlaviyoEvent(requiredOnlyEvent(NOW), mapCtx('Submitted Lead')));
    const again = attrs(mapKlaviyoEvent(requiredOnlyEvent(NOW), mapCtx('Submitted Lead', { now: NOW + 3600 })));
    const other = attrs(mapKlaviyoEvent(canonical({ ...requiredOnlyEvent(NOW), event_id: 'evt-2' }), mapCtx('Submitted Lead')));
    expect(a.unique_id).toBe('0192f5c4-7a1b-7c3d-8e4f-000000000001');
    expect(again.unique_id).toBe(a.unique_id);
    expect(other.unique_id).toBe('evt-2');
    expect(other.time).toBe(a.time); // same second, told apart only by unique_id
  });

  it('sends profile attributes only when analytics_storage and ad_user_data are both granted', () => {
    const profile = (consent?: CanonicalEventInput['consent']) =>
      attrs(mapKlaviyoEvent(canonical({ ...everyFieldEvent(NOW), consent }), mapCtx('Placed Order'))).profile.data.attributes;
    expect(profile(GRANTED)).toStrictEqual({ external_id: EXTERNAL_ID, locale: 'en-US', location: { ip: '203.0.113.7' } });
    expect(profile({ ...GRANTED, ad_user_data: 'denied' })).toStrictEqual({ external_id: EXTERNAL_ID });
    expect(profile({ ...GRANTED, analytics_storage: 'denied' })).toStrictEqual({ external_id: EXTERNAL_ID });
    expect(profile(undefined)).toStrictEqual({ external_id: EXTERNAL_ID });
  });

  it('never sends a hash as email or phone', () => {
    const p = attrs(mapKlaviyoEvent(everyFieldEvent(NOW), mapCtx('Placed Order'))).profile.data.attributes;
    expect(p).not.toHaveProperty('email');
    expect(p).not.toHaveProperty('phone_number');
  });

  it('skips an event without external_id, explaining the limitation', () => {
    const e = canonical({ ...requiredOnlyEvent(NOW), identity: { em: EM } });
    expect(notSent(mapKlaviyoEvent(e, mapCtx('Submitted Lead')), true)).toBe(
      'Klaviyo needs a profile identifier and this event has no identity.external_id (LayerSync holds only hashes, which Klaviyo cannot use as an email or phone), so it is not sent. Send the hashed customer id as external_id, or allow the email hash as profile identifier.',
    );
  });

  it('can fall back to the email hash as external_id when the connection allows it', () => {
    const settings: KlaviyoSettings = { ...SETTINGS, profile_identifier: 'external_id_or_email_hash' };
    const e = canonical({ ...requiredOnlyEvent(NOW), identity: { em: EM } });
    expect(attrs(mapKlaviyoEvent(e, mapCtx('Submitted Lead', { settings }))).profile.data.attributes).toStrictEqual({ external_id: EM });
    // external_id still wins when both are there.
    expect(attrs(mapKlaviyoEvent(everyFieldEvent(NOW), mapCtx('Placed Order', { settings }))).profile.data.attributes.external_id).toBe(EXTERNAL_ID);
    expect(notSent(mapKlaviyoEvent(canonical({ ...requiredOnlyEvent(NOW), identity: {} }), mapCtx('x', { settings })), true)).toMatch(/neither/);
  });

  it('marks late events as backfill so flows do not fire again', () => {
    const late = canonical({ ...requiredOnlyEvent(NOW), event_time: NOW - 25 * 3600 });
    expect(attrs(mapKlaviyoEvent(late, mapCtx('Submitted Lead'))).backfill).toBe(true);
    expect(attrs(mapKlaviyoEvent(requiredOnlyEvent(NOW), mapCtx('Submitted Lead')))).not.toHaveProperty('backfill');
    expect(attrs(mapKlaviyoEvent(late, mapCtx('Submitted Lead', { settings: { ...SETTINGS, backfill_after_hours: 48 } })))).not.toHaveProperty('backfill');
  });

  it('refuses events older than a year and clamps future ones', () => {
    expect(klaviyo.maxEventAgeSeconds).toBe(KLAVIYO_MAX_EVENT_AGE_SECONDS);
    const old = canonical({ ...requiredOnlyEvent(NOW), event_time: NOW - 366 * 86_400 });
    expect(notSent(mapKlaviyoEvent(old, mapCtx('Submitted Lead')), false)).toMatch(/^The event happened 366 days ago; LayerSync sends Klaviyo events up to a year old/);
    const future = canonical({ ...requiredOnlyEvent(NOW), event_time: NOW + 60 });
    expect(attrs(mapKlaviyoEvent(future, mapCtx('Submitted Lead'))).time).toBe(new Date(NOW * 1000).toISOString());
  });

  it('refuses a metric name Klaviyo would refuse', () => {
    expect(notSent(mapKlaviyoEvent(requiredOnlyEvent(NOW), mapCtx('x'.repeat(128))), false)).toMatch(/1-127 characters/);
  });

  it('a refund keeps its value and currency under "Refunded Order"', () => {
    expect(KLAVIYO_DEFAULT_EVENT_MAP.refund).toBe('Refunded Order');
    const refund = canonical({ ...requiredOnlyEvent(NOW), event_name: 'refund', commerce: { order_id: '1001', value: 20, currency: 'EUR' } });
    expect(attrs(mapKlaviyoEvent(refund, mapCtx('Refunded Order')))).toMatchObject({ value: 20, value_currency: 'EUR', properties: { OrderId: '1001' } });
  });
});

describe('klaviyoSettings', () => {
  it('applies defaults and marks the key secret', () => {
    expect(klaviyoSettings.parse({ private_api_key: FAKE_KLAVIYO_KEY })).toStrictEqual(SETTINGS);
    expect(secretValues(klaviyoSettings, SETTINGS)).toStrictEqual([FAKE_KLAVIYO_KEY]);
  });

  it.each([
    ['a public site id', { private_api_key: 'AbC123' }, /starts with pk_/],
    ['an unknown identifier mode', { profile_identifier: 'email' }, /external_id/],
    ['backfill_after_hours of 0', { backfill_after_hours: 0 }, /too_small|>=1/],
    ['a malformed revision', { revision: '2026/04/15' }, /YYYY-MM-DD/],
  ])('refuses %s', (_n, patch, message) => {
    const r = klaviyoSettings.safeParse({ ...SETTINGS, ...patch });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error!.issues)).toMatch(message);
  });
});

let fake: FakeKlaviyo;
let http: HttpClient;
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  fake = await startFakeKlaviyo();
  http = createHttpClient({ defaultTimeoutMs: 5_000 });
});
afterAll(async () => {
  await http.close();
  await fake.close();
});
afterEach(() => fake.reset());

function sendCtx(settings: Partial<KlaviyoSettings> = {}, extra: Partial<SendContext<KlaviyoSettings>> = {}): SendContext<KlaviyoSettings> {
  return { settings: { ...SETTINGS, ...settings }, http, baseUrl: fake.url, ...extra };
}

const mapped = (e: CanonicalEvent, metric: string) => body(klaviyo.map(e, { settings: SETTINGS, platformEventName: metric, now: now() }));
const sequential = createKlaviyoDestination({ concurrency: 1 });

function only(outcomes: DeliveryOutcome[]): DeliveryOutcome {
  expect(outcomes).toHaveLength(1);
  return outcomes[0]!;
}

function errorOf(o: DeliveryOutcome): string {
  if (!('error' in o)) throw new Error(`no error on ${o.kind}`);
  return o.error;
}

describe('klaviyo.send — outbound request', () => {
  it('sends a required-fields-only event with exactly this URL, body and headers', async () => {
    const t = now();
    expect(only(await klaviyo.send([mapped(requiredOnlyEvent(t), 'Submitted Lead')], sendCtx()))).toStrictEqual({ kind: 'delivered', status: 202 });
    const req = fake.received[0]!;
    expect(req.path).toBe('/api/events');
    expect(req.query).toStrictEqual({});
    expect(req.body).toStrictEqual(requiredOnlyExpected(t));
    expect(req.headers.authorization).toBe(`Klaviyo-API-Key ${FAKE_KLAVIYO_KEY}`);
    expect(req.headers.revision).toBe(KLAVIYO_REVISION);
    expect(req.headers['content-type']).toBe('application/vnd.api+json');
    expect(req.headers.accept).toBe('application/vnd.api+json');
  });

  it('sends an every-field event exactly', async () => {
    const t = now();
    expect(only(await klaviyo.send([mapped(everyFieldEvent(t), 'Placed Order')], sendCtx())).kind).toBe('delivered');
    expect(fake.received[0]!.body).toStrictEqual(everyFieldExpected(t));
  });

  it('one request per event, each with its own outcome, in order', async () => {
    const t = now();
    const payloads = Array.from({ length: 7 }, (_, i) => mapped(canonical({ ...requiredOnlyEvent(t), event_id: `evt-${i}` }), 'Submitted Lead'));
    const outcomes = await klaviyo.send(payloads, sendCtx());
    expect(outcomes.map((o) => o.kind)).toStrictEqual(Array(7).fill('delivered'));
    expect(fake.received.map((r) => (r.body as KlaviyoEventBody).data.attributes.unique_id).sort()).toStrictEqual(payloads.map((p) => p.data.attributes.unique_id).sort());
    expect(klaviyo.maxBatchSize).toBe(100);
    expect(klaviyo.batchRejection).toBe('per-item');
  });

  it('same-second events of one profile survive Klaviyo\'s dedup thanks to unique_id; a resend does not double count', async () => {
    const t = now();
    const a = mapped(canonical({ ...requiredOnlyEvent(t), event_id: 'evt-a' }), 'Added to Cart');
    const b = mapped(canonical({ ...requiredOnlyEvent(t), event_id: 'evt-b' }), 'Added to Cart');
    await klaviyo.send([a, b, a], sendCtx());
    expect(fake.events.map((e) => e.uniqueId).sort()).toStrictEqual(['evt-a', 'evt-b']);
    expect(fake.received.filter((r) => r.duplicate)).toHaveLength(1);

    // What would happen without it (K1, walkerOS): the second same-second event is silently lost.
    fake.reset();
    const strip = (p: KlaviyoEventBody) => {
      const { unique_id: _drop, ...rest } = p.data.attributes;
      return { data: { ...p.data, attributes: rest } };
    };
    await klaviyo.send([strip(a), strip(b)], sendCtx());
    expect(fake.received.map((r) => r.status)).toStrictEqual([202, 202]);
    expect(fake.events).toHaveLength(1);
  });
});

describe('klaviyo.send — classifying Klaviyo\'s answers', () => {
  it('an invalid event (400) → drop with Klaviyo\'s detail and pointer; the next event still goes', async () => {
    const t = now();
    const bad = mapped(requiredOnlyEvent(t), 'Submitted Lead') as unknown as { data: { attributes: { profile: { data: { attributes: Record<string, string> } } } } };
    bad.data.attributes.profile.data.attributes = { email: EM };
    const outcomes = await sequential.send([bad, mapped(canonical({ ...requiredOnlyEvent(t), event_id: 'evt-2' }), 'Submitted Lead')], sendCtx());
    expect(outcomes[0]).toStrictEqual({
      kind: 'drop',
      status: 400,
      error: `Klaviyo rejected the event (HTTP 400, invalid). Invalid input. Invalid email address: ${EM} (at /data/attributes/profile/data/attributes/email).`,
    });
    expect(outcomes[1]).toStrictEqual({ kind: 'delivered', status: 202 });
  });

  it('a bad key (401) → auth without the key; the rest of the batch is not sent', async () => {
    const key = 'pk_someoneElsesKey0123456789';
    const payloads = [mapped(requiredOnlyEvent(now()), 'x'), mapped(requiredOnlyEvent(now()), 'y')];
    const outcomes = await sequential.send(payloads, sendCtx({ private_api_key: key }));
    expect(outcomes[0]).toMatchObject({ kind: 'auth', status: 401 });
    expect(errorOf(outcomes[0]!)).toBe(
      'Klaviyo rejected the private API key (HTTP 401, not_authenticated). Incorrect authentication credentials. — create a Private API key in Klaviyo (Settings → API keys) with Events set to Full access (events:write) and save it in LayerSync.',
    );
    expect(outcomes[1]).toMatchObject({ kind: 'retry' });
    expect(errorOf(outcomes[1]!)).toMatch(/^Not sent: an earlier event of this batch failed first\. Klaviyo rejected the private API key/);
    expect(fake.requests).toHaveLength(1);
    for (const o of outcomes) expect(errorOf(o)).not.toContain(key);
  });

  it('a key without events:write (403) → auth naming the scope', async () => {
    const o = only(await klaviyo.send([mapped(requiredOnlyEvent(now()), 'x')], sendCtx({ private_api_key: FAKE_KLAVIYO_READONLY_KEY })));
    expect(o).toMatchObject({ kind: 'auth', status: 403 });
    expect(errorOf(o)).toMatch(/^Klaviyo refused permission \(HTTP 403, permission_denied\)\. .*missing required scopes: events:write\. — the key needs the events:write scope/);
  });

  it('a retired revision → auth asking for an update', async () => {
    const o = only(await klaviyo.send([mapped(requiredOnlyEvent(now()), 'x')], sendCtx({ revision: '2023-02-22' })));
    expect(o).toMatchObject({ kind: 'auth', status: 400 });
    expect(errorOf(o)).toMatch(/^Klaviyo does not accept API revision 2023-02-22 .* — update the LayerSync relay/);
  });

  it('429 → retry after Retry-After, and the rest of the batch waits too', async () => {
    fake.failNext(1, 429);
    const outcomes = await sequential.send([mapped(requiredOnlyEvent(now()), 'x'), mapped(requiredOnlyEvent(now()), 'y')], sendCtx());
    expect(outcomes[0]).toMatchObject({ kind: 'retry', status: 429, retryAfterMs: 3_000 });
    expect(errorOf(outcomes[0]!)).toBe('Klaviyo is rate limiting requests (HTTP 429, throttled). Request was throttled. Expected available in 3 seconds. — LayerSync will retry in 3 s.');
    expect(outcomes[1]).toMatchObject({ kind: 'retry', retryAfterMs: 3_000 });
    expect(fake.requests).toHaveLength(1);
  });

  it.each([500, 503] as const)('HTTP %i → retry', async (status) => {
    fake.failNext(1, status);
    expect(only(await klaviyo.send([mapped(requiredOnlyEvent(now()), 'x')], sendCtx()))).toMatchObject({ kind: 'retry', status });
  });

  it('no answer in time → retry; nothing listening → retry', async () => {
    fake.failNext(1, 'timeout');
    expect(only(await createKlaviyoDestination({ timeoutMs: 300 }).send([mapped(requiredOnlyEvent(now()), 'x')], sendCtx()))).toStrictEqual({
      kind: 'retry',
      error: 'Klaviyo did not answer within 300 ms; LayerSync will retry.',
    });
    const o = only(await klaviyo.send([mapped(requiredOnlyEvent(now()), 'x')], sendCtx({}, { baseUrl: `http://127.0.0.1:${await closedPort()}` })));
    expect(errorOf(o)).toMatch(/^Could not reach Klaviyo \(ECONNREFUSED: .*\); LayerSync will retry\.$/);
  });

  it('scrubs the key if Klaviyo or a proxy echoes it (stub transport)', async () => {
    const stub: HttpClient = {
      request: async (): Promise<HttpResponse> => ({ status: 400, headers: {}, body: JSON.stringify({ errors: [{ code: 'invalid', title: 'Invalid input.', detail: `bad key ${FAKE_KLAVIYO_KEY}` }] }) }),
      close: async () => undefined,
    };
    const o = only(await klaviyo.send([{}], { settings: SETTINGS, http: stub }));
    expect(errorOf(o)).not.toContain(FAKE_KLAVIYO_KEY);
    expect(errorOf(o)).toContain('[redacted]');
  });
});

describe('klaviyo.testConnection', () => {
  it('a valid key with events:write → ok, and nothing was recorded', async () => {
    expect(await klaviyo.testConnection!(sendCtx())).toStrictEqual({
      ok: true,
      code: 'ok',
      message: 'Connected to Klaviyo: the private API key is valid and may write events (the test event was deliberately incomplete, so Klaviyo recorded nothing).',
    });
    expect(fake.requests[0]).toMatchObject({ status: 400 });
    expect(fake.events).toHaveLength(0);
  });

  it('bad key → invalid_credentials; no events:write → permission_denied; nothing listening → unreachable', async () => {
    expect(await klaviyo.testConnection!(sendCtx({ private_api_key: 'pk_unknownKey0123456789' }))).toMatchObject({ ok: false, code: 'invalid_credentials' });
    expect(await klaviyo.testConnection!(sendCtx({ private_api_key: FAKE_KLAVIYO_READONLY_KEY }))).toMatchObject({ ok: false, code: 'permission_denied' });
    expect(await klaviyo.testConnection!(sendCtx({}, { baseUrl: `http://127.0.0.1:${await closedPort()}` }))).toMatchObject({ ok: false, code: 'unreachable' });
  });
});

describe('through the delivery worker', () => {
  it('an event past the one-year window is a dead letter and never reaches Klaviyo; a fresh one is delivered', async () => {
    const t = now();
    const old = canonical({ ...requiredOnlyEvent(t), event_id: 'too-old', event_time: t - 366 * 86_400 });
    const fresh = requiredOnlyEvent(t);
    const [oldRow, freshRow] = await throughWorker([old, fresh], SETTINGS, fake.url);
    expect(oldRow).toMatchObject({ status: 'dead', attempts: 0, lastError: expect.stringMatching(/^event is 366 d\b.* old; Klaviyo accepts events up to 365 d old, so it was not sent$/) });
    expect(freshRow).toMatchObject({ status: 'delivered', attempts: 1, lastStatus: 202 });
    expect(fake.events.map((e) => e.uniqueId)).toStrictEqual([fresh.event_id]);
  });

  it('an event without a profile identifier is skipped with the reason', async () => {
    const [row] = await throughWorker([canonical({ ...requiredOnlyEvent(now()), identity: {} })], SETTINGS, fake.url);
    expect(row).toMatchObject({ status: 'skipped', lastError: expect.stringMatching(/^Klaviyo needs a profile identifier/) });
    expect(fake.requests).toHaveLength(0);
  });
});


/** Runs events through the real worker with klaviyo as the destination (test/destinations/support.ts). */
const throughWorker = (events: CanonicalEvent[], settings: unknown, baseUrl?: string) =>
  runThroughWorker(klaviyo, http, events, settings, baseUrl);

