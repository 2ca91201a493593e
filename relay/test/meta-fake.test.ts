/**
 * The fake Meta server's own rules, one test each, so it cannot quietly accept what Meta refuses
 * (or refuse what Meta accepts) and make the destination tests meaningless.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  FAKE_META_FUTURE_TOLERANCE_SECONDS,
  FAKE_META_PIXEL_ID,
  FAKE_META_TOKEN,
  startFakeMeta,
  type FakeMeta,
} from './fakes/meta-server.js';
import { FBC, HASHED, UA, wireEvent } from './fakes/meta-fixtures.js';

let fake: FakeMeta;
const now = () => Math.floor(Date.now() / 1000);
const EVENTS = `/v26.0/${FAKE_META_PIXEL_ID}/events`;

beforeAll(async () => {
  fake = await startFakeMeta({ pixels: [FAKE_META_PIXEL_ID] });
});
afterAll(() => fake.close());
afterEach(() => fake.reset());

interface Answer {
  status: number;
  headers: Headers;
  json: { error?: Record<string, unknown>; [k: string]: unknown };
}

async function call(
  path: string,
  init: { method?: string; body?: string; token?: string | null; contentType?: string; base?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (init.contentType !== undefined || init.body !== undefined) headers['content-type'] = init.contentType ?? 'application/json';
  const token = init.token === undefined ? FAKE_META_TOKEN : init.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${init.base ?? fake.url}${path}`, { method: init.method ?? 'POST', headers, body: init.body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text === '' ? {} : (JSON.parse(text) as Answer['json']) };
}

const post = (body: unknown, opts: Parameters<typeof call>[1] = {}) => call(EVENTS, { body: JSON.stringify(body), ...opts });

/** Asserts Meta's code-100 refusal and that nothing was accepted. */
function expectInvalid(a: Answer, match: { subcode?: number; title?: RegExp; message?: RegExp; index?: number }): void {
  expect(a.status).toBe(400);
  expect(a.json.error).toMatchObject({ code: 100, type: 'OAuthException' });
  expect(a.json.error!.fbtrace_id).toEqual(expect.any(String));
  if (match.subcode !== undefined) expect(a.json.error!.error_subcode).toBe(match.subcode);
  if (match.title !== undefined) expect(a.json.error!.error_user_title).toMatch(match.title);
  if (match.message !== undefined) expect(String(a.json.error!.error_user_msg ?? a.json.error!.message)).toMatch(match.message);
  if (match.index !== undefined) expect(a.json.error!.x_fake_event_index).toBe(match.index);
  expect(fake.received).toHaveLength(0);
}

describe('fake Meta: success', () => {
  it('answers with Meta\'s success shape and records the request', async () => {
    const a = await post({ data: [wireEvent(now()), wireEvent(now(), { event_id: 'evt-2' })], test_event_code: 'TEST1' });
    expect(a.status).toBe(200);
    expect(Object.keys(a.json).sort()).toStrictEqual(['events_received', 'fbtrace_id', 'messages']);
    expect(a.json).toMatchObject({ events_received: 2, messages: [] });
    expect(fake.received).toHaveLength(1);
    expect(fake.received[0]).toMatchObject({ pixelId: FAKE_META_PIXEL_ID, version: 'v26.0', status: 200 });
  });

  it('accepts the token as access_token in the query or the body, and a form-encoded data field (S1)', async () => {
    expect((await call(`${EVENTS}?access_token=${FAKE_META_TOKEN}`, { token: null, body: JSON.stringify({ data: [wireEvent(now())] }) })).status).toBe(200);
    expect((await post({ data: [wireEvent(now())], access_token: FAKE_META_TOKEN }, { token: null })).status).toBe(200);
    const form = new URLSearchParams({ data: JSON.stringify([wireEvent(now())]), access_token: FAKE_META_TOKEN }).toString();
    const a = await call(EVENTS, { token: null, body: form, contentType: 'application/x-www-form-urlencoded' });
    expect(a.status).toBe(200);
    expect((fake.received[2]!.body as { data: unknown[] }).data).toHaveLength(1);
  });

  it('serves the pixel node for the connection test', async () => {
    const a = await call(`/v26.0/${FAKE_META_PIXEL_ID}?fields=id,name`, { method: 'GET' });
    expect(a).toMatchObject({ status: 200, json: { id: FAKE_META_PIXEL_ID, name: `Fake pixel ${FAKE_META_PIXEL_ID}` } });
  });
});

describe('fake Meta: path, version, token, pixel', () => {
  it('refuses an unknown path (2500)', async () => {
    const a = await call(`/v26.0/${FAKE_META_PIXEL_ID}/conversions`, { body: '{}' });
    expect(a.status).toBe(400);
    expect(a.json.error).toMatchObject({ code: 2500 });
  });

  it('refuses a malformed version segment (2500) and an unavailable version (2635)', async () => {
    expect((await call(`/latest/${FAKE_META_PIXEL_ID}/events`, { body: '{}' })).json.error).toMatchObject({ code: 2500 });
    const old = await call(`/v19.0/${FAKE_META_PIXEL_ID}/events`, { body: JSON.stringify({ data: [wireEvent(now())] }) });
    expect(old.status).toBe(400);
    expect(old.json.error).toMatchObject({ code: 2635 });
  });

  it('refuses a request without a token (104)', async () => {
    const a = await post({ data: [wireEvent(now())] }, { token: null });
    expect(a.status).toBe(400);
    expect(a.json.error).toMatchObject({ code: 104, type: 'OAuthException' });
  });

  it('refuses an unknown token with OAuthException 190 and WWW-Authenticate', async () => {
    const a = await post({ data: [wireEvent(now())] }, { token: 'EAAB-someone-elses-token-1234' });
    expect(a.status).toBe(400);
    expect(a.json.error).toMatchObject({ code: 190, type: 'OAuthException', message: 'Invalid OAuth access token - Cannot parse access token' });
    expect(a.headers.get('www-authenticate')).toMatch(/^OAuth "Facebook Platform" "invalid_token"/);
    expect(fake.received).toHaveLength(0);
  });

  it('honours a custom token list', async () => {
    const other = await startFakeMeta({ tokens: ['custom-token-abcdefghijklmnop'] });
    try {
      expect((await post({ data: [wireEvent(now())] }, { base: other.url, token: 'custom-token-abcdefghijklmnop' })).status).toBe(200);
      expect((await post({ data: [wireEvent(now())] }, { base: other.url })).json.error).toMatchObject({ code: 190 });
    } finally {
      await other.close();
    }
  });

  it('refuses a non-numeric pixel id (803) and an unknown pixel (100/33 GraphMethodException)', async () => {
    expect((await call('/v26.0/my-pixel/events', { body: JSON.stringify({ data: [wireEvent(now())] }) })).json.error).toMatchObject({ code: 803 });
    const a = await call('/v26.0/999999999/events', { body: JSON.stringify({ data: [wireEvent(now())] }) });
    expect(a.status).toBe(400);
    expect(a.json.error).toMatchObject({ code: 100, error_subcode: 33, type: 'GraphMethodException' });
  });
});

describe('fake Meta: request body', () => {
  it('requires data', async () => expectInvalid(await post({}), { message: /parameter data is required/ }));
  it('requires data to be an array', async () => expectInvalid(await post({ data: wireEvent(now()) }), { message: /must be an array/ }));
  it('refuses an empty data array', async () => expectInvalid(await post({ data: [] }), { message: /non-empty/ }));
  it('refuses a body that is not a JSON object', async () => expectInvalid(await call(EVENTS, { body: '[1,2]' }), { message: /JSON object/ }));
  it('refuses a non-string test_event_code', async () =>
    expectInvalid(await post({ data: [wireEvent(now())], test_event_code: 5 }), { message: /test_event_code/ }));

  it('accepts 1,000 events and refuses 1,001 (S1)', async () => {
    const e = wireEvent(now());
    expectInvalid(await post({ data: Array.from({ length: 1001 }, () => e) }), { message: /at most 1000 events; got 1001/ });
    const ok = await post({ data: Array.from({ length: 1000 }, () => e) });
    expect(ok).toMatchObject({ status: 200, json: { events_received: 1000 } });
  });
});

describe('fake Meta: each event', () => {
  const t = now();
  const ua = { client_user_agent: UA, client_ip_address: '203.0.113.7' };
  const cases: Array<[string, Record<string, unknown>, { subcode?: number; title?: RegExp; message?: RegExp }]> = [
    ['event_name missing', { event_name: undefined }, { title: /Missing Event Name/ }],
    ['event_name empty', { event_name: ' ' }, { title: /Missing Event Name/ }],
    ['event_time missing', { event_time: undefined }, { title: /Missing Event Time/ }],
    ['event_time not an integer', { event_time: t + 0.5 }, { title: /Invalid Event Time/ }],
    ['event_time as a string', { event_time: String(t) }, { title: /Invalid Event Time/ }],
    ['event_time in milliseconds', { event_time: t * 1000 }, { title: /In The Future/, message: /milliseconds/ }],
    ['event_time in the future beyond the tolerance', { event_time: t + FAKE_META_FUTURE_TOLERANCE_SECONDS + 60 }, { title: /In The Future/ }],
    ['event_time more than 7 days old (2804003)', { event_time: t - 7 * 86_400 - 60 }, { subcode: 2804003, title: /^Event Timestamp Too Old$/, message: /within 7 days/ }],
    ['action_source missing', { action_source: undefined }, { title: /Invalid Action Source/ }],
    ['action_source unknown', { action_source: 'web' }, { title: /Invalid Action Source/ }],
    ['event_id empty', { event_id: '' }, { title: /Invalid Event ID/ }],
    ['website event without event_source_url', { event_source_url: undefined }, { title: /Missing Event Source URL/ }],
    ['website event with a non-URL event_source_url', { event_source_url: 'shop.example' }, { title: /Missing Event Source URL/ }],
    ['website event without client_user_agent', { user_data: { client_ip_address: '203.0.113.7', em: [HASHED.em[1]] } }, { title: /Missing Client User Agent/ }],
    ['user_data missing', { user_data: undefined }, { title: /Missing User Data/ }],
    ['user_data without customer information (2804050)', { action_source: 'system_generated', user_data: {} }, { subcode: 2804050 }],
    ['user_data only fn + ge (2804050)', { action_source: 'system_generated', user_data: { fn: [HASHED.fn[1]], ge: [HASHED.ge[1]] } }, { subcode: 2804050 }],
    ['user_data only the user agent (2804050)', { user_data: { client_user_agent: UA } }, { subcode: 2804050 }],
    ['user_data only location + user agent (2804050)', { user_data: { client_user_agent: UA, ct: [HASHED.ct[1]], country: HASHED.country[1] } }, { subcode: 2804050 }],
    ['unhashed em', { user_data: { ...ua, em: ['john_smith@gmail.com'] } }, { title: /Unhashed/, message: /user_data\.em/ }],
    ['upper-case hex ph', { user_data: { ...ua, ph: [HASHED.ph[1].toUpperCase()] } }, { title: /Unhashed/, message: /user_data\.ph/ }],
    ['63-char external_id', { user_data: { ...ua, external_id: HASHED.external_id[1].slice(1) } }, { message: /user_data\.external_id/ }],
    ['empty hashed list', { user_data: { ...ua, zp: [] } }, { message: /user_data\.zp/ }],
    ['invalid client_ip_address', { user_data: { ...ua, client_ip_address: '203.0.113' } }, { title: /Invalid IP Address/ }],
    ['hashed client_ip_address', { user_data: { ...ua, client_ip_address: HASHED.em[1] } }, { title: /Invalid IP Address/ }],
    ['fbc without the fb.1.<ts>. prefix', { user_data: { ...ua, fbc: 'AbCdEfGhIjKl' } }, { title: /Invalid fbc/ }],
    ['fbc with a seconds timestamp cut short', { user_data: { ...ua, fbc: 'fb.1.155476.AbCd' } }, { title: /Invalid fbc/ }],
    ['custom_data not an object', { custom_data: [1] }, { title: /Invalid Custom Data/ }],
    ['value without currency', { custom_data: { value: 10 } }, { title: /Missing Currency/ }],
    ['value as a string', { custom_data: { value: '10', currency: 'EUR' } }, { title: /Invalid Value/ }],
    ['currency not ISO 4217', { custom_data: { value: 10, currency: 'EURO' } }, { title: /Invalid Currency/ }],
    ['contents without id', { custom_data: { contents: [{ quantity: 1 }] } }, { title: /Invalid Contents/ }],
    ['contents with a fractional quantity', { custom_data: { contents: [{ id: 'A', quantity: 1.5 }] } }, { title: /Invalid Contents/ }],
    ['content_ids not a list', { custom_data: { content_ids: 'A' } }, { title: /Invalid Content IDs/ }],
    ['Purchase without value', { event_name: 'Purchase', custom_data: { currency: 'EUR' } }, { title: /Missing Value or Currency/ }],
    ['Purchase without custom_data', { event_name: 'Purchase' }, { title: /Missing Value or Currency/ }],
    ['data_processing_options other than LDU', { data_processing_options: ['GDPR'] }, { title: /Data Processing Options/ }],
    ['LDU without a country', { data_processing_options: ['LDU'] }, { title: /Data Processing Options/, message: /country is required/ }],
    ['LDU country without a state', { data_processing_options: ['LDU'], data_processing_options_country: 1 }, { message: /state is required/ }],
  ];

  it.each(cases)('refuses %s', async (_name, overrides, match) => {
    expectInvalid(await post({ data: [wireEvent(t, overrides)] }), { ...match, index: 0 });
  });

  it('one bad event refuses the whole request and says which (S1)', async () => {
    const data = [wireEvent(t), wireEvent(t, { event_id: 'e2' }), wireEvent(t, { event_id: 'old', event_time: t - 8 * 86_400 })];
    expectInvalid(await post({ data }), { subcode: 2804003, index: 2 });
  });

  const accepted: Array<[string, Record<string, unknown>]> = [
    ['hashed keys as plain strings (S3)', { user_data: { ...ua, em: HASHED.em[1], ph: HASHED.ph[1] } }],
    ['several hashes per key', { user_data: { ...ua, em: [HASHED.em[1], HASHED.fn[1]] } }],
    ['a valid fbc and fbp', { user_data: { ...ua, fbc: FBC, fbp: 'fb.1.1558571054389.1098115397' } }],
    ['an IPv6 client address', { user_data: { client_user_agent: UA, client_ip_address: '2001:db8::1' } }],
    ['a system_generated event with only an email', { action_source: 'system_generated', event_source_url: undefined, user_data: { em: [HASHED.em[1]] } }],
    ['a slightly future event_time (clock skew)', { event_time: t + 30 }],
    ['a 6-day-old event', { event_time: t - 6 * 86_400 }],
    ['a Purchase with value and lower-case currency', { event_name: 'Purchase', custom_data: { value: 1.5, currency: 'usd' } }],
    ['LDU with country and state', { data_processing_options: ['LDU'], data_processing_options_country: 1, data_processing_options_state: 1000 }],
    ['LDU explicitly off', { data_processing_options: [] }],
    ['contents with id, quantity and item_price', { custom_data: { contents: [{ id: 'A', quantity: 2, item_price: 3.5 }], content_ids: ['A'], content_type: 'product' } }],
  ];

  it.each(accepted)('accepts %s', async (_name, overrides) => {
    const a = await post({ data: [wireEvent(t, overrides)] });
    expect(a.json.error).toBeUndefined();
    expect(a.status).toBe(200);
  });
});

describe('fake Meta: injected failures', () => {
  it('500 → code 1; 503 → code 2 transient; then answers normally', async () => {
    fake.failNext(1, 500);
    fake.failNext(1, 503);
    expect(await post({ data: [wireEvent(now())] })).toMatchObject({ status: 500, json: { error: { code: 1 } } });
    expect(await post({ data: [wireEvent(now())] })).toMatchObject({ status: 503, json: { error: { code: 2, is_transient: true } } });
    expect((await post({ data: [wireEvent(now())] })).status).toBe(200);
  });

  it('429 → code 17 with Retry-After', async () => {
    fake.failNext(1, 429);
    const a = await post({ data: [wireEvent(now())] });
    expect(a).toMatchObject({ status: 429, json: { error: { code: 17, error_subcode: 2446079, is_transient: true } } });
    expect(a.headers.get('retry-after')).toBe('7');
  });

  it('token → 190/463 expired', async () => {
    fake.failNext(1, 'token');
    expect(await post({ data: [wireEvent(now())] })).toMatchObject({ status: 400, json: { error: { code: 190, error_subcode: 463 } } });
  });

  it('timeout → never answers', async () => {
    fake.failNext(1, 'timeout');
    await expect(fetch(`${fake.url}${EVENTS}`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(300) })).rejects.toThrow();
  });

  it('is controllable from another process: POST /__fail, GET /__received, POST /__reset', async () => {
    expect((await fetch(`${fake.url}/__fail?n=1&kind=503`, { method: 'POST' })).status).toBe(204);
    expect((await post({ data: [wireEvent(now())] })).status).toBe(503);
    expect((await post({ data: [wireEvent(now())] })).status).toBe(200);
    const received = (await (await fetch(`${fake.url}/__received`)).json()) as Array<{ pixelId: string; status: number; body: unknown }>;
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ pixelId: FAKE_META_PIXEL_ID, status: 200, body: { data: [{ event_id: 'evt-1' }] } });
    expect((await fetch(`${fake.url}/__fail?kind=bogus`, { method: 'POST' })).status).toBe(400);
    expect((await fetch(`${fake.url}/__reset`, { method: 'POST' })).status).toBe(204);
    expect(await (await fetch(`${fake.url}/__received`)).json()).toStrictEqual([]);
  });
});

describe('fake Meta: standalone', () => {
  it('prints its URL, then one JSON line per request with the token masked', async () => {
    const script = fileURLToPath(new URL('./fakes/meta-server.ts', import.meta.url));
    const tsx = createRequire(import.meta.url).resolve('tsx/cli');
    const child = spawn(process.execPath, [tsx, script, '--port', '0', '--pixels', FAKE_META_PIXEL_ID], {
      env: { ...process.env, LAYERSYNC_FAKE_META_PORT: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    try {
      const first = String((await lines.next()).value);
      const url = /^listening (http:\/\/127\.0\.0\.1:\d+)$/.exec(first)?.[1];
      expect(url, first).toBeDefined();
      const a = await post({ data: [wireEvent(now())] }, { base: url });
      expect(a.status).toBe(200);
      const line = JSON.parse(String((await lines.next()).value)) as Record<string, unknown>;
      expect(line).toMatchObject({ fake: 'meta', status: 200, pixelId: FAKE_META_PIXEL_ID, body: { data: [{ event_id: 'evt-1' }] } });
      expect((line.headers as Record<string, string>).authorization).toBe('Bearer [redacted]');
      expect(JSON.stringify(line)).not.toContain(FAKE_META_TOKEN);
    } finally {
      child.kill('SIGTERM');
    }
  }, 30_000);
});
