/**
 * The fake webhook receiver's own rules, one test each. Requests here are signed with the
 * `standardwebhooks` library directly, so these tests pin the receiver, not the destination.
 */
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_WEBHOOK_SECRET, startFakeWebhookReceiver, type FakeWebhookReceiver } from './fakes/webhook-server.js';

let receiver: FakeWebhookReceiver;
const OTHER_SECRET = 'whsec_' + Buffer.alloc(24, 9).toString('base64');

beforeAll(async () => {
  receiver = await startFakeWebhookReceiver();
});
afterAll(() => receiver.close());
afterEach(() => receiver.reset());

interface Answer {
  status: number;
  headers: Headers;
  json: { ok?: boolean; duplicate?: boolean; error?: string; message?: string };
}

function signed(body: string, o: { id?: string; ts?: number; secret?: string } = {}): Record<string, string> {
  const id = o.id ?? `msg_${Math.random().toString(36).slice(2)}`;
  const ts = o.ts ?? Math.floor(Date.now() / 1000);
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(ts),
    'webhook-signature': new Webhook(o.secret ?? FAKE_WEBHOOK_SECRET).sign(id, new Date(ts * 1000), body),
  };
}

async function call(body: string, headers: Record<string, string | undefined>, init: { path?: string; method?: string } = {}): Promise<Answer> {
  const h = Object.fromEntries(Object.entries(headers).filter((e): e is [string, string] => e[1] !== undefined));
  const res = await fetch(`${receiver.url}${init.path ?? '/webhooks/layersync'}`, { method: init.method ?? 'POST', headers: h, body: init.method === 'GET' ? undefined : body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text === '' ? {} : (JSON.parse(text) as Answer['json']) };
}

const BODY = '{"event_id":"e1","event_name":"purchase"}';

function expectRefused(a: Answer, status: number, error: string, message?: RegExp): void {
  expect(a.status).toBe(status);
  expect(a.json.error).toBe(error);
  if (message !== undefined) expect(a.json.message).toMatch(message);
  expect(receiver.received).toHaveLength(0);
}

describe('fake webhook receiver: accepting', () => {
  it('accepts a verified JSON object with 200 {"ok":true} and records the payload', async () => {
    const a = await call(BODY, signed(BODY));
    expect(a).toMatchObject({ status: 200, json: { ok: true, duplicate: false } });
    expect(receiver.received[0]).toMatchObject({ payload: { event_id: 'e1', event_name: 'purchase' }, duplicate: false });
  });

  it('acknowledges a repeated webhook-id as a duplicate (S: idempotency key)', async () => {
    await call(BODY, signed(BODY, { id: 'msg_same' }));
    const again = await call(BODY, signed(BODY, { id: 'msg_same' }));
    expect(again).toMatchObject({ status: 200, json: { ok: true, duplicate: true } });
  });

  it('accepts when any of several space-separated signatures matches (S: rotation)', async () => {
    const h = signed(BODY, { secret: OTHER_SECRET });
    const good = signed(BODY, { id: h['webhook-id'], ts: Number(h['webhook-timestamp']) })['webhook-signature']!;
    expect((await call(BODY, { ...h, 'webhook-signature': `${h['webhook-signature']} ${good}` })).status).toBe(200);
  });

  it('verifies with any of its own secrets', async () => {
    const two = await startFakeWebhookReceiver({ secrets: [OTHER_SECRET, FAKE_WEBHOOK_SECRET] });
    try {
      const res = await fetch(two.endpoint, { method: 'POST', headers: signed(BODY), body: BODY });
      expect(res.status).toBe(200);
    } finally {
      await two.close();
    }
  });
});

describe('fake webhook receiver: refusing', () => {
  it('answers another path with 404 and another method with 405', async () => {
    expectRefused(await call(BODY, signed(BODY), { path: '/webhooks/other' }), 404, 'not_found');
    expectRefused(await call(BODY, signed(BODY), { method: 'PUT' }), 405, 'method_not_allowed');
  });

  it('takes only JSON (415)', async () => expectRefused(await call(BODY, { ...signed(BODY), 'content-type': 'text/plain' }), 415, 'unsupported_media_type'));

  it.each(['webhook-id', 'webhook-timestamp', 'webhook-signature'])('requires the %s header (S)', async (name) =>
    expectRefused(await call(BODY, { ...signed(BODY), [name]: undefined }), 400, 'missing_headers'));

  it('refuses a webhook-id with "." and a timestamp that is not integer seconds (S)', async () => {
    expectRefused(await call(BODY, signed(BODY, { id: 'msg_a.b' })), 400, 'invalid_headers');
    const h = signed(BODY);
    expectRefused(await call(BODY, { ...h, 'webhook-timestamp': `${h['webhook-timestamp']}.5` }), 400, 'invalid_headers');
  });

  it('refuses a signature made with another secret (L)', async () =>
    expectRefused(await call(BODY, signed(BODY, { secret: OTHER_SECRET })), 401, 'invalid_signature', /No matching signature found/));

  it('refuses a body changed after signing (L)', async () =>
    expectRefused(await call('{"event_id":"e2","event_name":"purchase"}', signed(BODY)), 401, 'invalid_signature', /No matching signature found/));

  it('refuses a signature without the v1 version tag (L)', async () => {
    const h = signed(BODY);
    expectRefused(await call(BODY, { ...h, 'webhook-signature': h['webhook-signature']!.replace(/^v1,/, 'v2,') }), 401, 'invalid_signature');
  });

  it('refuses timestamps more than 5 minutes old or ahead (L tolerance)', async () => {
    // 10 s past the 5-minute tolerance: a second ticking between signing and checking cannot bring them back inside.
    const now = Math.floor(Date.now() / 1000);
    expectRefused(await call(BODY, signed(BODY, { ts: now - 310 })), 401, 'invalid_signature', /timestamp too old/);
    expectRefused(await call(BODY, signed(BODY, { ts: now + 310 })), 401, 'invalid_signature', /timestamp too new/);
  });

  it('refuses a verified body that is not a JSON object', async () => {
    expectRefused(await call('[1,2]', signed('[1,2]')), 400, 'invalid_payload');
    expectRefused(await call('not json', signed('not json')), 400, 'invalid_payload');
  });
});

describe('fake webhook receiver: scripted and injected answers', () => {
  it('respondNext answers once, before verification', async () => {
    receiver.respondNext(301, '', { location: 'https://new.example/hook' });
    const res = await fetch(receiver.endpoint, { method: 'POST', headers: signed(BODY), body: BODY, redirect: 'manual' });
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe('https://new.example/hook');
    expect((await call(BODY, signed(BODY))).status).toBe(200);
  });

  it('failNext: 429 with Retry-After, 500, 503, auth 401', async () => {
    receiver.failNext(1, 429);
    const limited = await call(BODY, signed(BODY));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('5');
    receiver.failNext(1, 500);
    expect((await call(BODY, signed(BODY))).status).toBe(500);
    receiver.failNext(1, 503);
    expect((await call(BODY, signed(BODY))).status).toBe(503);
    receiver.failNext(1, 'auth');
    expect((await call(BODY, signed(BODY))).json.error).toBe('invalid_signature');
  });
});
