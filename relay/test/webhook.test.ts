/**
 * The signed webhook destination: Standard Webhooks signing (checked against the reference
 * library's test vector and an independent HMAC), settings, the mapper, then send/testConnection
 * against a local receiver that verifies with the `standardwebhooks` library.
 */
import { createHash, createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { canonicalEventSchema, type CanonicalEvent, type CanonicalEventInput } from '../src/contract/event.js';
import { createHttpClient, type HttpClient } from '../src/delivery/http.js';
import {
  WEBHOOK_MAX_EVENT_AGE_SECONDS,
  generateWebhookSecret,
  webhookId,
  webhookSecretBytes,
  webhookSignature,
} from '../src/destinations/webhook/api.js';
import { createWebhookDestination, webhook } from '../src/destinations/webhook/index.js';
import { mapWebhookEvent, type WebhookMessage } from '../src/destinations/webhook/map.js';
import { webhookSettings, type WebhookSettings } from '../src/destinations/webhook/settings.js';
import { secretValues } from '../src/destinations/secrets.js';
import type { DeliveryOutcome, MapResult, SendContext } from '../src/destinations/types.js';
import { FAKE_WEBHOOK_SECRET, startFakeWebhookReceiver, type FakeWebhookReceiver } from './fakes/webhook-server.js';
import { closedPort, throughWorker as runThroughWorker } from './destinations/support.js';

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const NEW_SECRET = 'whsec_' + Buffer.alloc(32, 7).toString('base64');

function canonical(input: CanonicalEventInput): CanonicalEvent {
  return canonicalEventSchema.parse(input);
}

function requiredOnlyEvent(now: number): CanonicalEvent {
  return canonical({ event_id: '0192f5c4-7a1b-7c3d-8e4f-000000000001', event_name: 'lead', event_time: now - 30, source: 'server' });
}

/** Required-only: the contract fills context and identity with {}; the body shows them. */
function requiredOnlyJson(now: number): string {
  return `{"event_id":"0192f5c4-7a1b-7c3d-8e4f-000000000001","event_name":"lead","event_time":${now - 30},"source":"server","context":{},"identity":{}}`;
}

function everyFieldEvent(now: number): CanonicalEvent {
  return canonical({
    event_id: 'order-1001.retry:2',
    event_name: 'purchase',
    event_time: now - 120,
    source: 'server',
    context: { url: 'https://shop.example/thanks', referrer: 'https://shop.example/checkout', user_agent: 'Mozilla/5.0', ip: '203.0.113.7', ip_anonymized: false, locale: 'en-US' },
    identity: { em: sha256('john_smith@gmail.com'), external_id: sha256('customer-42'), gclid: 'Cj0KCQ', fbp: 'fb.1.1558571054389.1098115397' },
    commerce: { order_id: '1001', value: 59.9, currency: 'EUR', tax: 9.56, shipping: 4.9, coupon: 'WELCOME10', items: [{ id: 'SKU-1', name: 'Mug', price: 12.5, quantity: 2 }] },
    consent: { ad_storage: 'granted', analytics_storage: 'denied', ad_user_data: 'granted', ad_personalization: 'denied' },
    properties: { payment_method: 'card', first_order: true },
  });
}

const NOW = 1_795_400_000;

function message(result: MapResult): WebhookMessage {
  if (!result.ok) throw new Error(`expected ok, got: ${result.reason}`);
  return result.payload as WebhookMessage;
}

/** HMAC-SHA256 over "{id}.{ts}.{body}" with the base64-decoded secret, written here from the spec (S). */
function specSignature(secret: string, id: string, ts: number, body: string): string {
  return createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64')).update(`${id}.${ts}.${body}`).digest('base64');
}

describe('Standard Webhooks signing', () => {
  it('matches the reference library\'s published test vector', () => {
    // standard-webhooks/libraries/javascript/src/webhook.test.ts, "sign function works".
    expect(webhookSignature(['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });

  it('matches an HMAC-SHA256 computed independently from the spec', () => {
    const body = '{"a":1}';
    expect(webhookSignature([FAKE_WEBHOOK_SECRET], 'msg_x', NOW, body)).toBe(`v1,${specSignature(FAKE_WEBHOOK_SECRET, 'msg_x', NOW, body)}`);
  });

  it('signs with every secret during rotation, space-separated, each verifiable on its own', () => {
    const ts = Math.floor(Date.now() / 1000);
    const header = webhookSignature([NEW_SECRET, FAKE_WEBHOOK_SECRET], 'msg_rot', ts, '{"a":1}');
    expect(header.split(' ')).toHaveLength(2);
    for (const secret of [NEW_SECRET, FAKE_WEBHOOK_SECRET]) {
      expect(new Webhook(secret).verify('{"a":1}', { 'webhook-id': 'msg_rot', 'webhook-timestamp': String(ts), 'webhook-signature': header })).toStrictEqual({ a: 1 });
    }
  });

  it('generates secrets the settings accept (32 random bytes)', () => {
    const a = generateWebhookSecret();
    expect(a).toMatch(/^whsec_/);
    expect(webhookSecretBytes(a)).toBe(32);
    expect(a).not.toBe(generateWebhookSecret());
    expect(webhookSettings.safeParse({ url: 'https://example.com/hook', secret: a }).success).toBe(true);
  });

  it('derives a stable webhook-id without "." from the event id', () => {
    expect(webhookId('order-1001.retry:2')).toBe(`msg_${sha256('order-1001.retry:2').slice(0, 32)}`);
    expect(webhookId('order-1001.retry:2')).not.toContain('.');
    expect(webhookId('a')).not.toBe(webhookId('b'));
  });
});

describe('webhookSettings', () => {
  const base = { url: 'https://example.com/webhooks/layersync', secret: FAKE_WEBHOOK_SECRET };

  it.each(['https://example.com/hook?x=1', 'http://localhost:8080/hook', 'http://127.0.0.1:3000/', 'http://[::1]/hook', 'http://shop.localhost/hook'])(
    'accepts %s',
    (url) => expect(webhookSettings.safeParse({ ...base, url }).success).toBe(true),
  );

  it.each([
    ['http to a public host', { url: 'http://example.com/hook' }, /must use https:\/\/ .* http:\/\/ is allowed only for localhost, 127\.0\.0\.1 or \[::1\] while testing \(got http:\/\/example\.com\)/],
    ['another scheme', { url: 'ftp://example.com/hook' }, /must be an https:\/\/ URL/],
    ['not a URL', { url: 'example.com/hook' }, /must be a full URL/],
    ['credentials in the URL', { url: 'https://user:pw@example.com/hook' }, /must not contain a user name or password/],
    ['a secret without whsec_', { secret: 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }, /whsec_/],
    ['a secret of 16 bytes', { secret: 'whsec_' + Buffer.alloc(16).toString('base64') }, /24 to 64 random bytes/],
    ['a duplicate field', { fields: ['event_id', 'event_id'] }, /twice/],
    ['an unknown field', { fields: ['event_id', 'payload'] }, /event_id/],
  ])('refuses %s', (_n, patch, msg) => {
    const r = webhookSettings.safeParse({ ...base, ...patch });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error!.issues)).toMatch(msg);
  });

  it('marks both secrets secret', () => {
    expect(secretValues(webhookSettings, { ...base, previous_secret: NEW_SECRET })).toStrictEqual([FAKE_WEBHOOK_SECRET, NEW_SECRET]);
  });
});

describe('mapWebhookEvent', () => {
  const settings: WebhookSettings = { url: 'https://example.com/hook', secret: FAKE_WEBHOOK_SECRET };
  const ctx = (extra: Partial<WebhookSettings> = {}) => ({ settings: { ...settings, ...extra }, platformEventName: 'purchase', now: NOW });

  it('a required-fields-only event: the canonical event, serialized once', () => {
    expect(message(mapWebhookEvent(requiredOnlyEvent(NOW), ctx()))).toStrictEqual({
      id: webhookId('0192f5c4-7a1b-7c3d-8e4f-000000000001'),
      body: requiredOnlyJson(NOW),
    });
  });

  it('an every-field event: every field, exactly as the relay holds it', () => {
    const m = message(mapWebhookEvent(everyFieldEvent(NOW), ctx()));
    expect(JSON.parse(m.body)).toStrictEqual(everyFieldEvent(NOW));
    expect(Object.keys(JSON.parse(m.body))).toStrictEqual(['event_id', 'event_name', 'event_time', 'source', 'context', 'identity', 'commerce', 'consent', 'properties']);
  });

  it('a field subset, in the contract\'s order whatever the settings\' order', () => {
    const m = message(mapWebhookEvent(everyFieldEvent(NOW), ctx({ fields: ['commerce', 'event_id', 'event_name'] })));
    expect(m.body).toBe('{"event_id":"order-1001.retry:2","event_name":"purchase","commerce":{"order_id":"1001","value":59.9,"currency":"EUR","tax":9.56,"shipping":4.9,"coupon":"WELCOME10","items":[{"id":"SKU-1","name":"Mug","price":12.5,"quantity":2}]}}');
  });

  it('leaves out a chosen field the event does not have', () => {
    expect(message(mapWebhookEvent(requiredOnlyEvent(NOW), ctx({ fields: ['event_id', 'commerce'] }))).body).toBe('{"event_id":"0192f5c4-7a1b-7c3d-8e4f-000000000001"}');
  });

  it('refuses events older than 30 days', () => {
    expect(webhook.maxEventAgeSeconds).toBe(WEBHOOK_MAX_EVENT_AGE_SECONDS);
    const r = mapWebhookEvent(canonical({ ...requiredOnlyEvent(NOW), event_time: NOW - 31 * 86_400 }), ctx());
    expect(r).toStrictEqual({ ok: false, skip: false, reason: 'The event happened 31 days ago; LayerSync delivers webhooks up to 30 days old, so it was not sent.' });
  });
});

let receiver: FakeWebhookReceiver;
let http: HttpClient;
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  receiver = await startFakeWebhookReceiver();
  http = createHttpClient({ defaultTimeoutMs: 5_000 });
});
afterAll(async () => {
  await http.close();
  await receiver.close();
});
afterEach(() => receiver.reset());

function sendCtx(settings: Partial<WebhookSettings> = {}, extra: Partial<SendContext<WebhookSettings>> = {}): SendContext<WebhookSettings> {
  return { settings: { url: receiver.endpoint, secret: FAKE_WEBHOOK_SECRET, ...settings }, http, ...extra };
}

const mapped = (e: CanonicalEvent, settings: Partial<WebhookSettings> = {}) =>
  message(webhook.map(e, { settings: { url: receiver.endpoint, secret: FAKE_WEBHOOK_SECRET, ...settings }, platformEventName: e.event_name, now: now() }));

function only(outcomes: DeliveryOutcome[]): DeliveryOutcome {
  expect(outcomes).toHaveLength(1);
  return outcomes[0]!;
}

function errorOf(o: DeliveryOutcome): string {
  if (!('error' in o)) throw new Error(`no error on ${o.kind}`);
  return o.error;
}

describe('webhook.send — outbound request', () => {
  it('posts a required-fields-only event with exactly these headers and body, verified by the receiver', async () => {
    const t = now();
    expect(only(await webhook.send([mapped(requiredOnlyEvent(t))], sendCtx()))).toStrictEqual({ kind: 'delivered', status: 200 });
    const req = receiver.received[0]!;
    expect(req.path).toBe('/webhooks/layersync');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['webhook-id']).toBe(webhookId('0192f5c4-7a1b-7c3d-8e4f-000000000001'));
    const ts = Number(req.headers['webhook-timestamp']);
    expect(Math.abs(ts - t)).toBeLessThanOrEqual(2);
    expect(req.headers['webhook-signature']).toBe(`v1,${specSignature(FAKE_WEBHOOK_SECRET, String(req.headers['webhook-id']), ts, requiredOnlyJson(t))}`);
    expect(JSON.stringify(req.body)).toBe(requiredOnlyJson(t));
    expect(req.payload).toStrictEqual(requiredOnlyEvent(t));
  });

  it('posts an every-field event exactly', async () => {
    const t = now();
    expect(only(await webhook.send([mapped(everyFieldEvent(t))], sendCtx())).kind).toBe('delivered');
    expect(receiver.received[0]!.payload).toStrictEqual(everyFieldEvent(t));
  });

  it('posts only the chosen fields', async () => {
    const t = now();
    await webhook.send([mapped(everyFieldEvent(t), { fields: ['event_id', 'event_time', 'commerce'] })], sendCtx());
    expect(Object.keys(receiver.received[0]!.payload as object)).toStrictEqual(['event_id', 'event_time', 'commerce']);
  });

  it('one request per event, in order', async () => {
    const t = now();
    const events = ['a', 'b', 'c'].map((id) => mapped(canonical({ ...requiredOnlyEvent(t), event_id: id })));
    expect((await webhook.send(events, sendCtx())).map((o) => o.kind)).toStrictEqual(['delivered', 'delivered', 'delivered']);
    expect(receiver.received.map((r) => r.headers['webhook-id'])).toStrictEqual(events.map((e) => e.id));
    expect(webhook.maxBatchSize).toBe(50);
  });

  it('a retry reuses the webhook-id (the receiver dedups it) with a fresh timestamp and signature', async () => {
    const m = mapped(requiredOnlyEvent(now()));
    await webhook.send([m], sendCtx({}, { nowMs: Date.now() - 120_000 }));
    await webhook.send([m], sendCtx());
    const [first, second] = receiver.received;
    expect(second!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    expect(Number(second!.headers['webhook-timestamp']) - Number(first!.headers['webhook-timestamp'])).toBeGreaterThanOrEqual(119);
    expect(second!.headers['webhook-signature']).not.toBe(first!.headers['webhook-signature']);
    expect([first!.duplicate, second!.duplicate]).toStrictEqual([false, true]);
  });

  it('during rotation a receiver on either secret verifies', async () => {
    const oldOnly = await startFakeWebhookReceiver({ secrets: [FAKE_WEBHOOK_SECRET] });
    const newOnly = await startFakeWebhookReceiver({ secrets: [NEW_SECRET] });
    try {
      const settings = { secret: NEW_SECRET, previous_secret: FAKE_WEBHOOK_SECRET };
      expect(only(await webhook.send([mapped(requiredOnlyEvent(now()))], sendCtx({ ...settings, url: oldOnly.endpoint }))).kind).toBe('delivered');
      expect(only(await webhook.send([mapped(requiredOnlyEvent(now()))], sendCtx({ ...settings, url: newOnly.endpoint }))).kind).toBe('delivered');
    } finally {
      await oldOnly.close();
      await newOnly.close();
    }
  });

  it('baseUrl replaces only the origin of the configured URL', async () => {
    await webhook.send([mapped(requiredOnlyEvent(now()))], sendCtx({ url: 'https://hooks.example/webhooks/layersync?src=ls' }, { baseUrl: receiver.url }));
    expect(receiver.received[0]).toMatchObject({ path: '/webhooks/layersync', query: { src: 'ls' } });
  });
});

describe('webhook.send — classifying the endpoint\'s answers', () => {
  it('a wrong secret → the receiver refuses (401) → auth; the rest of the batch is not sent', async () => {
    const outcomes = await webhook.send([mapped(requiredOnlyEvent(now())), mapped(everyFieldEvent(now()))], sendCtx({ secret: NEW_SECRET }));
    expect(outcomes[0]).toMatchObject({ kind: 'auth', status: 401 });
    expect(errorOf(outcomes[0]!)).toBe(
      `The webhook endpoint at 127.0.0.1:${receiver.port} refused the request (HTTP 401: {"error":"invalid_signature","message":"No matching signature found"}). It most likely could not verify the signature: check that it verifies with the signing secret saved in LayerSync and allows a 5-minute timestamp tolerance.`,
    );
    expect(outcomes[1]).toMatchObject({ kind: 'retry' });
    expect(errorOf(outcomes[1]!)).toMatch(/^Not sent: an earlier event of this batch failed first\./);
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]!.verifyError).toBe('No matching signature found');
  });

  it('a clock more than 5 minutes off → the receiver refuses the timestamp', async () => {
    const o = only(await webhook.send([mapped(requiredOnlyEvent(now()))], sendCtx({}, { nowMs: Date.now() - 6 * 60_000 })));
    expect(o.kind).toBe('auth');
    expect(receiver.requests[0]!.verifyError).toBe('Message timestamp too old');
  });

  it('5xx → retry, and the rest of the batch waits; 429 → retry after Retry-After', async () => {
    receiver.failNext(1, 503);
    const outcomes = await webhook.send([mapped(requiredOnlyEvent(now())), mapped(everyFieldEvent(now()))], sendCtx());
    expect(outcomes.map((o) => o.kind)).toStrictEqual(['retry', 'retry']);
    expect(receiver.requests).toHaveLength(1);
    receiver.failNext(1, 429);
    const o = only(await webhook.send([mapped(requiredOnlyEvent(now()))], sendCtx()));
    expect(o).toMatchObject({ kind: 'retry', status: 429, retryAfterMs: 5_000 });
    expect(errorOf(o)).toMatch(/is rate limiting \(HTTP 429: .*\); LayerSync will retry in 5 s\.$/);
  });

  it('another 4xx → drop this event, and the next one is still sent', async () => {
    receiver.respondNext(422, { error: 'unknown order' });
    const outcomes = await webhook.send([mapped(requiredOnlyEvent(now())), mapped(everyFieldEvent(now()))], sendCtx());
    expect(outcomes[0]).toStrictEqual({
      kind: 'drop',
      status: 422,
      error: `The webhook endpoint at 127.0.0.1:${receiver.port} rejected the event (HTTP 422: {"error":"unknown order"}).`,
    });
    expect(outcomes[1]!.kind).toBe('delivered');
  });

  it('a redirect → auth (not followed), naming the new location without its query', async () => {
    receiver.respondNext(301, '', { location: 'https://new.example/hook?token=abc' });
    const o = only(await webhook.send([mapped(requiredOnlyEvent(now()))], sendCtx()));
    expect(o).toMatchObject({ kind: 'auth', status: 301 });
    expect(errorOf(o)).toMatch(/answered with a redirect to https:\/\/new\.example\/hook \(HTTP 301\)\. LayerSync does not follow redirects/);
    expect(errorOf(o)).not.toContain('token=abc');
  });

  it('410 Gone → auth: the endpoint wants no more webhooks', async () => {
    receiver.respondNext(410, { error: 'gone' });
    expect(errorOf(only(await webhook.send([mapped(requiredOnlyEvent(now()))], sendCtx())))).toMatch(/answered 410 Gone: it no longer accepts webhooks/);
  });

  it('no answer in time → retry; nothing listening → retry', async () => {
    receiver.failNext(1, 'timeout');
    const o = only(await createWebhookDestination({ timeoutMs: 300 }).send([mapped(requiredOnlyEvent(now()))], sendCtx()));
    expect(o).toStrictEqual({ kind: 'retry', error: `The webhook endpoint at 127.0.0.1:${receiver.port} did not answer within 300 ms; LayerSync will retry.` });
    const port = await closedPort();
    const refused = only(await webhook.send([mapped(requiredOnlyEvent(now()))], sendCtx({ url: `http://127.0.0.1:${port}/hook` })));
    expect(errorOf(refused)).toMatch(new RegExp(`^Could not reach the webhook endpoint at 127\\.0\\.0\\.1:${port} \\(ECONNREFUSED: .*\\); LayerSync will retry\\.$`));
  });

  it('never repeats the secret the endpoint echoes', async () => {
    receiver.respondNext(400, { error: `bad secret ${FAKE_WEBHOOK_SECRET}`, raw: FAKE_WEBHOOK_SECRET.slice(6) });
    const o = only(await webhook.send([mapped(requiredOnlyEvent(now()))], sendCtx()));
    expect(errorOf(o)).not.toContain(FAKE_WEBHOOK_SECRET.slice(6));
    expect(errorOf(o)).toContain('[redacted]');
  });
});

describe('webhook.testConnection', () => {
  it('sends a signed layersync.test ping the receiver verifies', async () => {
    const d = await webhook.testConnection!(sendCtx());
    expect(d).toStrictEqual({ ok: true, code: 'ok', message: `The webhook endpoint at 127.0.0.1:${receiver.port} accepted a signed layersync.test ping (HTTP 200).` });
    const ping = receiver.received[0]!;
    expect(ping.payload).toMatchObject({ type: 'layersync.test', timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/), data: { message: expect.any(String) } });
    expect(ping.headers['webhook-id']).toMatch(/^msg_test_\d+$/);
  });

  it('a wrong secret → invalid_credentials; 410 → gone; nothing listening → unreachable', async () => {
    expect(await webhook.testConnection!(sendCtx({ secret: NEW_SECRET }))).toMatchObject({ ok: false, code: 'invalid_credentials' });
    receiver.respondNext(410);
    expect(await webhook.testConnection!(sendCtx())).toMatchObject({ ok: false, code: 'gone' });
    expect(await webhook.testConnection!(sendCtx({ url: `http://127.0.0.1:${await closedPort()}/hook` }))).toMatchObject({ ok: false, code: 'unreachable' });
  });
});

describe('through the delivery worker', () => {
  it('an event past the 30-day window is a dead letter and never posted; a fresh one is delivered and verified', async () => {
    const t = now();
    const old = canonical({ ...requiredOnlyEvent(t), event_id: 'too-old', event_time: t - 31 * 86_400 });
    const fresh = requiredOnlyEvent(t);
    const [oldRow, freshRow] = await throughWorker([old, fresh], { url: receiver.endpoint, secret: FAKE_WEBHOOK_SECRET });
    expect(oldRow).toMatchObject({ status: 'dead', attempts: 0, lastError: expect.stringMatching(/^event is 31 d\b.* old; Signed webhook accepts events up to 30 d old, so it was not sent$/) });
    expect(freshRow).toMatchObject({ status: 'delivered', attempts: 1, lastStatus: 200 });
    expect(receiver.received.map((r) => r.headers['webhook-id'])).toStrictEqual([webhookId(fresh.event_id)]);
  });
});


/** Runs events through the real worker with webhook as the destination (test/destinations/support.ts). */
const throughWorker = (events: CanonicalEvent[], settings: unknown, baseUrl?: string) =>
  runThroughWorker(webhook, http, events, settings, baseUrl);

