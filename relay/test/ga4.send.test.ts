/**
 * GA4 send and testConnection with the real HTTP client against the local fake GA4 on
 * 127.0.0.1. Every test also checks the fake's own verdicts: the relay must never send a
 * request GA4 would silently discard.
 */
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { canonicalEventSchema, type CanonicalEventInput } from '../src/contract/event.js';
import { createHttpClient, type HttpClient, type HttpRequest } from '../src/delivery/http.js';
import { classifyValidation, messageEventIndex, parseRetryAfter } from '../src/destinations/ga4/classify.js';
import { ga4, type Ga4Payload, type Ga4Settings } from '../src/destinations/ga4/index.js';
import type { DeliveryOutcome, SendContext } from '../src/destinations/types.js';
import { startFakeGa4, type FakeGa4 } from './fakes/ga4-server.js';

const SECRET = 'Rk9PQkFSc2VjcmV0MTIz';
const MID = 'G-TEST123456';
const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const EM = sha('jane.doe@example.com');
const XID = sha('customer-42');

let fake: FakeGa4;
let http: HttpClient;
beforeAll(async () => {
  fake = await startFakeGa4({ measurementIds: [MID], apiSecrets: [SECRET] });
  http = createHttpClient({ defaultTimeoutMs: 2_000 });
});
afterAll(async () => {
  await http.close();
  await fake.close();
});
afterEach(() => fake.reset());

const settings = (over: Partial<Ga4Settings> = {}): Ga4Settings => ({
  measurement_id: MID,
  api_secret: SECRET,
  debug_mode: false,
  region: 'global',
  ...over,
});
const ctx = (over: Partial<SendContext<Ga4Settings>> = {}): SendContext<Ga4Settings> => ({
  settings: settings(),
  http,
  baseUrl: fake.url,
  ...over,
});
const nowSec = () => Math.floor(Date.now() / 1000);

function mapped(input: Partial<CanonicalEventInput> & Pick<CanonicalEventInput, 'event_name'>, name?: string): Ga4Payload {
  const event = canonicalEventSchema.parse({ event_id: 'evt-1', event_time: nowSec() - 60, source: 'server', ...input });
  const r = ga4.map(event, {
    settings: settings(),
    platformEventName: name ?? ga4.defaultEventMap[event.event_name as keyof typeof ga4.defaultEventMap]!,
    now: nowSec(),
  });
  if (!r.ok) throw new Error(r.reason);
  return r.payload as Ga4Payload;
}

/** One purchase per client: `n` payloads alternating between two _ga client ids. */
const purchase = (i: number, clientId: string) =>
  mapped({
    event_id: `order-${i}`,
    event_name: 'purchase',
    identity: { ga_client_id: clientId },
    commerce: { order_id: String(i), value: 10, currency: 'EUR' },
  });

describe('ga4 send: exact request', () => {
  it('required fields only: URL, headers and body', async () => {
    const t = nowSec() - 60;
    const out = await ga4.send([mapped({ event_name: 'page_view', event_time: t })], ctx());
    expect(out).toEqual([{ kind: 'delivered', status: 204 }]);
    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0]!;
    expect(req.path).toBe('/mp/collect');
    expect(req.query).toEqual({ measurement_id: MID, api_secret: SECRET });
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['user-agent']).toMatch(/^LayerSync-Relay\//);
    expect(req.headers.authorization).toBeUndefined();
    expect(req.body).toEqual({
      client_id: `${createHash('sha256').update('layersync-ga4-client:evt-1').digest().readUInt32BE(0) & 0x7fffffff}.${t}`,
      events: [{ name: 'page_view', timestamp_micros: t * 1_000_000, params: { engagement_time_msec: 1 } }],
    });
    expect(fake.rejected).toEqual([]);
    expect(fake.recordedEvents).toHaveLength(1);
  });

  it('every field: consent, hashed user_data, user_id, ip_override, ecommerce and items', async () => {
    const t = nowSec() - 120;
    const p = mapped({
      event_id: 'order-1001',
      event_name: 'purchase',
      event_time: t,
      context: { url: 'https://shop.test/thanks', referrer: 'https://shop.test/checkout', ip: '2001:db8::1', user_agent: 'UA' },
      identity: {
        em: sha('jane.doe+news@gmail.com'),
        em_google: sha('janedoe@gmail.com'),
        ph: sha('16505551212'),
        ph_e164: sha('+16505551212'),
        external_id: XID,
        ga_client_id: 'GA1.1.1234567890.1699999999',
        ga_session_id: 'GS1.1.1700000000.3.1.1700000100.0.0.0',
      },
      commerce: {
        order_id: '1001',
        value: 59.9,
        currency: 'EUR',
        tax: 9.56,
        shipping: 4.9,
        coupon: 'WELCOME10',
        items: [{ id: 'SKU-1', name: 'T-shirt', price: 29.95, quantity: 2, category: 'Apparel', variant: 'M', brand: 'Acme' }],
      },
      consent: { ad_storage: 'granted', analytics_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'denied' },
      properties: { payment_type: 'card' },
    });
    expect(await ga4.send([p], ctx())).toEqual([{ kind: 'delivered', status: 204 }]);
    expect(fake.requests[0]!.body).toEqual({
      client_id: '1234567890.1699999999',
      user_id: XID,
      consent: { ad_user_data: 'GRANTED', ad_personalization: 'DENIED' },
      // Google's normalization (G5): the gmail address without dots and +tag, the phone with "+".
      user_data: { sha256_email_address: [sha('janedoe@gmail.com')], sha256_phone_number: [sha('+16505551212')] },
      ip_override: '2001:db8::1',
      events: [
        {
          name: 'purchase',
          timestamp_micros: t * 1_000_000,
          params: {
            currency: 'EUR',
            value: 59.9,
            transaction_id: '1001',
            tax: 9.56,
            shipping: 4.9,
            coupon: 'WELCOME10',
            items: [{ item_id: 'SKU-1', item_name: 'T-shirt', item_brand: 'Acme', item_category: 'Apparel', item_variant: 'M', price: 29.95, quantity: 2 }],
            page_location: 'https://shop.test/thanks',
            page_referrer: 'https://shop.test/checkout',
            session_id: '1700000000',
            engagement_time_msec: 1,
            payment_type: 'card',
          },
        },
      ],
    });
    expect(fake.rejected).toEqual([]);
  });

  it('uses the EU origin when region is eu and no base URL override is given', async () => {
    const seen: HttpRequest[] = [];
    const stub: HttpClient = {
      request: async (r) => (seen.push(r), { status: 204, headers: {}, body: '' }),
      close: async () => {},
    };
    await ga4.send([mapped({ event_name: 'page_view' })], { settings: settings({ region: 'eu' }), http: stub });
    expect(seen[0]!.url).toBe(`https://region1.google-analytics.com/mp/collect?measurement_id=${MID}&api_secret=${SECRET}`);
    expect(seen[0]!.timeoutMs).toBe(5_000);
  });
});

describe('ga4 send: outcome classes', () => {
  const one = () => [mapped({ event_name: 'page_view' })];

  it.each([500, 503] as const)('%i → retry', async (status) => {
    fake.failNext(1, status);
    const [o] = await ga4.send(one(), ctx());
    expect(o).toMatchObject({ kind: 'retry', status });
    expect((o as { error: string }).error).toMatch(new RegExp(`Google Analytics failed \\(HTTP ${status}\\)`));
  });

  it('429 → retry with Retry-After (seconds) honoured', async () => {
    fake.failNext(1, 429);
    expect(await ga4.send(one(), ctx())).toEqual([
      { kind: 'retry', status: 429, retryAfterMs: 7_000, error: expect.stringMatching(/rate limited.*HTTP 429.*RESOURCE_EXHAUSTED/) },
    ]);
  });

  it('429 with an HTTP-date Retry-After', async () => {
    const nowMs = Date.parse('2026-01-01T00:00:00Z');
    fake.respondNext({ status: 429, headers: { 'retry-after': 'Thu, 01 Jan 2026 00:01:30 GMT' }, body: '' });
    const payload = one();
    // nowMs is only used for Retry-After and the age check; keep the event inside 72 h of it.
    payload[0]!.event.timestamp_micros = (nowMs / 1000 - 60) * 1_000_000;
    const [o] = await ga4.send(payload, ctx({ nowMs }));
    expect(o).toMatchObject({ kind: 'retry', status: 429, retryAfterMs: 90_000 });
  });

  it('timeout → retry, without the secret in the error', async () => {
    fake.failNext(1, 'timeout');
    // The real client and the real undici timeout, shortened from 5 s so the test stays fast.
    const quick: HttpClient = { request: (r) => http.request({ ...r, timeoutMs: 300 }), close: async () => {} };
    const [o] = await ga4.send(one(), ctx({ http: quick }));
    expect(o).toMatchObject({ kind: 'retry', error: expect.stringMatching(/timed out talking to Google Analytics/) });
    expect(JSON.stringify(o)).not.toContain(SECRET);
  });

  it('connection refused → retry, secret scrubbed', async () => {
    const [o] = await ga4.send(one(), ctx({ baseUrl: 'http://127.0.0.1:9' }));
    expect(o).toMatchObject({ kind: 'retry', error: expect.stringMatching(/network error talking to Google Analytics/) });
    expect(JSON.stringify(o)).not.toContain(SECRET);
  });

  it('400 → drop with the body (the request itself is wrong: G1 says fix, do not resend)', async () => {
    fake.respondNext({ status: 400, body: { error: { code: 400, message: 'Bad request' } } });
    expect(await ga4.send(one(), ctx())).toEqual([
      { kind: 'drop', status: 400, error: 'Google Analytics rejected the request (HTTP 400): {"error":{"code":400,"message":"Bad request"}}' },
    ]);
  });

  it('404 (wrong origin/path) → drop', async () => {
    const [o] = await ga4.send(one(), ctx({ baseUrl: `${fake.url}/not-ga` }));
    expect(o).toMatchObject({ kind: 'drop', status: 404 });
  });

  it('a wrong api_secret is still "delivered": GA4 answers 204 and discards silently (documented limitation)', async () => {
    const out = await ga4.send(one(), ctx({ settings: settings({ api_secret: 'wrong-secret' }) }));
    expect(out).toEqual([{ kind: 'delivered', status: 204 }]);
    expect(fake.rejected).toHaveLength(1);
    expect(fake.rejected[0]!.messages).toEqual([
      { fieldPath: 'api_secret', validationCode: 'VALUE_INVALID', description: 'api_secret is not a secret of this data stream.' },
    ]);
  });

  it('after a retryable failure the rest of the batch is not attempted', async () => {
    fake.failNext(1, 500);
    const out = await ga4.send([purchase(1, '11.1'), purchase(2, '22.2')], ctx());
    expect(fake.requests).toHaveLength(1);
    expect(out[0]).toMatchObject({ kind: 'retry', status: 500 });
    expect(out[1]).toMatchObject({ kind: 'retry', status: 500, error: expect.stringMatching(/^not sent: an earlier request/) });
  });
});

describe('ga4 send: batching', () => {
  it('splits one client\'s 30 events into requests of 25 and 5, outcomes in order', async () => {
    const payloads = Array.from({ length: 30 }, (_, i) => purchase(i, '11.1'));
    const out = await ga4.send(payloads, ctx());
    expect(out).toHaveLength(30);
    expect(out.every((o) => o.kind === 'delivered')).toBe(true);
    expect(fake.requests.map((r) => (r.body as { events: unknown[] }).events.length)).toEqual([25, 5]);
    expect(fake.recordedEvents.map((e) => e.params.transaction_id)).toEqual(payloads.map((_, i) => String(i)));
    expect(fake.rejected).toEqual([]);
  });

  it('groups by client_id: one request per client, one outcome per payload in input order', async () => {
    // A, B, A, B, A — and the B request fails, so the mapping back to input order is visible.
    const clients = ['11.1', '22.2', '11.1', '22.2', '11.1'];
    const payloads = clients.map((c, i) => purchase(i, c));
    fake.respondNext({ status: 204, body: '' });
    fake.respondNext({ status: 400, body: 'bad' });
    const out = await ga4.send(payloads, ctx());
    expect(fake.requests.map((r) => r.body)).toEqual([
      expect.objectContaining({ client_id: '11.1', events: [expect.objectContaining({ params: expect.objectContaining({ transaction_id: '0' }) }), expect.anything(), expect.anything()] }),
      expect.objectContaining({ client_id: '22.2', events: [expect.anything(), expect.anything()] }),
    ]);
    expect(
      fake.requests.map((r) => (r.body as { events: { params: { transaction_id: string } }[] }).events.map((e) => e.params.transaction_id)),
    ).toEqual([['0', '2', '4'], ['1', '3']]);
    expect(out.map((o: DeliveryOutcome) => o.kind)).toEqual(['delivered', 'drop', 'delivered', 'drop', 'delivered']);
  });

  it('events of one client with different consent go in separate requests', async () => {
    const consent = (v: 'granted' | 'denied') => ({ ad_storage: v, analytics_storage: v, ad_user_data: v, ad_personalization: v });
    const a = mapped({ event_name: 'sign_up', identity: { ga_client_id: '11.1', em: EM }, consent: consent('granted') });
    const b = mapped({ event_name: 'sign_up', identity: { ga_client_id: '11.1', em: EM }, consent: consent('denied') });
    await ga4.send([a, b], ctx());
    expect(fake.requests.map((r) => (r.body as { consent: unknown }).consent)).toEqual([
      { ad_user_data: 'GRANTED', ad_personalization: 'GRANTED' },
      { ad_user_data: 'DENIED', ad_personalization: 'DENIED' },
    ]);
    expect((fake.requests[1]!.body as { user_data?: unknown }).user_data).toBeUndefined();
  });

  it('keeps each request under 130 kB by halving', async () => {
    // 25 events with 200 items of ~90-char names each ≈ 25 × 20 kB: must not go out as one request.
    const items = Array.from({ length: 200 }, (_, i) => ({ id: `SKU-${i}`, name: `${'x'.repeat(85)}-${i}`, price: 1, quantity: 1 }));
    const payloads = Array.from({ length: 25 }, (_, i) =>
      mapped({ event_id: `o-${i}`, event_name: 'purchase', identity: { ga_client_id: '11.1' }, commerce: { order_id: String(i), value: 200, currency: 'EUR', items } }),
    );
    const out = await ga4.send(payloads, ctx());
    expect(out.every((o) => o.kind === 'delivered')).toBe(true);
    expect(fake.requests.length).toBeGreaterThan(1);
    for (const r of fake.requests) expect(Buffer.byteLength(JSON.stringify(r.body))).toBeLessThan(130_000);
    expect(fake.recordedEvents).toHaveLength(25);
    expect(fake.rejected).toEqual([]);
  });
});

describe('ga4 send: 72 h window', () => {
  it('a payload that aged past 72 h while queued is dropped without being sent', async () => {
    const p = mapped({ event_name: 'page_view', event_time: nowSec() - 71 * 3600 });
    const [o] = await ga4.send([p], ctx({ nowMs: Date.now() + 2 * 3600 * 1000 }));
    expect(o).toEqual({ kind: 'drop', error: expect.stringMatching(/older than 72 h/) });
    expect(fake.requests).toHaveLength(0);
  });

  it('the fake itself flags a timestamp older than 72 h (relay clock skewed to let it through)', async () => {
    const p = mapped({ event_name: 'page_view' });
    p.event.timestamp_micros = (nowSec() - 73 * 3600) * 1_000_000;
    const [o] = await ga4.send([p], ctx({ nowMs: Date.now() - 2 * 3600 * 1000 }));
    expect(o).toMatchObject({ kind: 'delivered', status: 204 });
    expect(fake.rejected[0]!.messages).toEqual([
      expect.objectContaining({ fieldPath: 'events', validationCode: 'VALUE_OUT_OF_BOUNDS', description: expect.stringMatching(/index: \[0\].*more than 72 hours/) }),
    ]);
  });
});

describe('ga4 send: validation mode (debug_mode)', () => {
  const debugCtx = () => ctx({ settings: settings({ debug_mode: true }) });

  it('posts to /debug/mp/collect with ENFORCE_RECOMMENDATIONS; empty messages → delivered', async () => {
    const out = await ga4.send([mapped({ event_name: 'page_view' })], debugCtx());
    expect(fake.requests[0]!.path).toBe('/debug/mp/collect');
    expect(fake.requests[0]!.query).toEqual({ measurement_id: MID, api_secret: SECRET });
    expect(fake.requests[0]!.body).toMatchObject({ validation_behavior: 'ENFORCE_RECOMMENDATIONS' });
    expect(out).toEqual([{ kind: 'delivered', status: 200, response: expect.stringMatching(/validated.*not recorded/) }]);
    expect(fake.recordedEvents).toEqual([]);
  });

  it('turns per-event validation messages into drops; the other events of the request are delivered', async () => {
    const good = purchase(1, '11.1');
    const bad = purchase(2, '11.1');
    delete bad.event.params.currency; // value without currency: GA4 cannot count the revenue
    const out = await ga4.send([good, bad], debugCtx());
    expect(fake.requests).toHaveLength(1);
    expect(out[0]).toMatchObject({ kind: 'delivered', status: 200 });
    expect(out[1]).toEqual({
      kind: 'drop',
      status: 200,
      error: 'GA4 validation: VALUE_REQUIRED at events: Event at index: [1] has value but no currency.',
    });
  });

  it('a request-level message drops every event of that request', async () => {
    const p = [purchase(1, '11.1'), purchase(2, '11.1')];
    for (const x of p) x.request.user_data = { sha256_email_address: ['Jane@Example.com'] };
    const out = await ga4.send(p, debugCtx());
    expect(out).toEqual([
      { kind: 'drop', status: 200, error: expect.stringMatching(/^GA4 validation: VALUE_INVALID at user_data\.sha256_email_address\[0\]: .*64 lowercase hex/) },
      { kind: 'drop', status: 200, error: expect.stringMatching(/^GA4 validation: VALUE_INVALID at user_data\.sha256_email_address\[0\]/) },
    ]);
  });

  it('a 200 without validationMessages is not taken as a pass', async () => {
    fake.respondNext({ status: 200, body: '<html>proxy</html>' });
    const [o] = await ga4.send([mapped({ event_name: 'page_view' })], debugCtx());
    expect(o).toMatchObject({ kind: 'drop', error: expect.stringMatching(/without validationMessages/) });
  });
});

describe('ga4 testConnection', () => {
  it('OK against the validator, says the secret cannot be verified, never shows it', async () => {
    const d = await ga4.testConnection!(ctx());
    expect(d).toMatchObject({ ok: true, code: 'ok' });
    expect(d.message).toMatch(/^OK: Google Analytics validated a test event for G-TEST123456\. Google does not confirm API secrets/);
    expect(d.message).not.toContain(SECRET);
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]!.path).toBe('/debug/mp/collect');
    expect(fake.recordedEvents).toEqual([]);
    expect(fake.rejected).toEqual([]);
  });

  it('invalid measurement id is caught before any request', async () => {
    const d = await ga4.testConnection!(ctx({ settings: settings({ measurement_id: 'UA-12345-1' }) }));
    expect(d).toMatchObject({ ok: false, code: 'invalid_measurement_id', message: expect.stringMatching(/^Invalid measurement ID: it must be the web stream's measurement ID/) });
    expect(fake.requests).toHaveLength(0);
  });

  it('empty api secret → invalid_credentials', async () => {
    const d = await ga4.testConnection!(ctx({ settings: settings({ api_secret: '' }) }));
    expect(d).toMatchObject({ ok: false, code: 'invalid_credentials' });
  });

  it('measurement id rejected by the validator → invalid_measurement_id', async () => {
    fake.respondNext({
      status: 200,
      body: { validationMessages: [{ fieldPath: 'measurement_id', description: 'Measurement ID not found.', validationCode: 'VALUE_INVALID' }] },
    });
    const d = await ga4.testConnection!(ctx());
    expect(d).toEqual({ ok: false, code: 'invalid_measurement_id', message: 'Google Analytics rejected the measurement ID G-TEST123456: Measurement ID not found.' });
  });

  it('unreachable and unavailable are told apart', async () => {
    expect(await ga4.testConnection!(ctx({ baseUrl: 'http://127.0.0.1:9' }))).toMatchObject({ ok: false, code: 'unreachable' });
    fake.failNext(1, 503);
    const d = await ga4.testConnection!(ctx());
    expect(d).toMatchObject({ ok: false, code: 'unavailable', message: expect.stringMatching(/HTTP 503.*Try again/) });
    expect(d.message).not.toContain(SECRET);
  });
});

describe('ga4 classification helpers', () => {
  it('Retry-After: delta-seconds, HTTP date, or nothing', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('validation messages are attributed by description index or by events[i] path', () => {
    expect(messageEventIndex({ fieldPath: 'events', description: 'Event at index: [3] has…', validationCode: 'NAME_INVALID' })).toBe(3);
    expect(messageEventIndex({ fieldPath: 'events[2].params.value', description: 'x', validationCode: 'VALUE_INVALID' })).toBe(2);
    expect(messageEventIndex({ fieldPath: 'client_id', description: 'x', validationCode: 'VALUE_REQUIRED' })).toBeUndefined();
    const out = classifyValidation(
      [{ fieldPath: 'events[1].params.value', description: `bad ${SECRET}`, validationCode: 'VALUE_INVALID' }],
      2,
      200,
      [SECRET],
    );
    expect(out[0]!.kind).toBe('delivered');
    expect(out[1]).toEqual({ kind: 'drop', status: 200, error: 'GA4 validation: VALUE_INVALID at events[1].params.value: bad [redacted]' });
  });
});
