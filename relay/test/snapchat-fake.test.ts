/**
 * The fake Snap Conversions API's own rules, one test each, so it cannot quietly accept what Snap
 * refuses (or refuse what Snap accepts) and make the destination tests meaningless.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  FAKE_SNAP_FUTURE_TOLERANCE_SECONDS,
  FAKE_SNAP_PIXEL_ID,
  FAKE_SNAP_TOKEN,
  sampleSnapEvent,
  startFakeSnapchat,
  type FakeSnapchat,
} from './fakes/snapchat-server.js';

let fake: FakeSnapchat;
const now = () => Math.floor(Date.now() / 1000);
const EVENTS = `/v3/${FAKE_SNAP_PIXEL_ID}/events`;
const EM = '542d240129883c019e106e3b1b2d3f3cb3537c43c425364de8e951d5a3083345';

beforeAll(async () => {
  fake = await startFakeSnapchat({ pixels: [FAKE_SNAP_PIXEL_ID] });
});
afterAll(() => fake.close());
afterEach(() => fake.reset());

interface Answer {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
}

async function call(
  path: string,
  init: { method?: string; body?: string; token?: string | null; contentType?: string; base?: string; bearer?: string } = {},
): Promise<Answer> {
  const token = init.token === undefined ? FAKE_SNAP_TOKEN : init.token;
  const url = new URL(`${init.base ?? fake.url}${path}`);
  if (token !== null) url.searchParams.set('access_token', token);
  const headers: Record<string, string> = { 'content-type': init.contentType ?? 'application/json' };
  if (init.bearer !== undefined) headers.authorization = `Bearer ${init.bearer}`;
  const res = await fetch(url, { method: init.method ?? 'POST', headers, body: init.body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

const post = (body: unknown, opts: Parameters<typeof call>[1] & { path?: string } = {}) => call(opts.path ?? EVENTS, { body: JSON.stringify(body), ...opts });

/** Asserts a production INVALID for the event at `index`, with this code, and that nothing was accepted. */
function expectInvalid(a: Answer, code: string, message: RegExp, index = 0): void {
  expect(a.status).toBe(400);
  expect(a.json).toMatchObject({ status: 'INVALID', event: index, errors: { codes: [code] } });
  expect(String(a.json.reason)).toMatch(message);
  expect(fake.received).toHaveLength(0);
}

describe('fake Snap: success', () => {
  it('answers VALID for a good production request and records it', async () => {
    const a = await post({ data: [sampleSnapEvent(now()), sampleSnapEvent(now(), { event_id: 'e2' })] });
    expect(a).toMatchObject({ status: 200, json: { status: 'VALID' } });
    expect(fake.received[0]).toMatchObject({ pixelId: FAKE_SNAP_PIXEL_ID, validate: false });
  });

  it('answers the validation endpoint with one log per event, warnings included', async () => {
    const a = await post({ data: [sampleSnapEvent(now()), sampleSnapEvent(now(), { event_id: undefined })] }, { path: `${EVENTS}/validate` });
    expect(a.status).toBe(200);
    expect(a.json).toStrictEqual({
      status: 'VALID',
      test_event: true,
      reason: 'All events are valid',
      event_logs: [
        { event: 0, status: 'VALID', errors: { codes: [], error_msgs: [] }, warnings: [] },
        { event: 1, status: 'VALID', errors: { codes: [], error_msgs: [] }, warnings: ['event_id is recommended for deduplication with the Snap Pixel'] },
      ],
    });
    expect(fake.received[0]).toMatchObject({ validate: true });
  });

  it('the validation endpoint reports every invalid event (400), not just the first', async () => {
    const t = now();
    const a = await post({ data: [sampleSnapEvent(t, { event_name: 'x' }), sampleSnapEvent(t), sampleSnapEvent(t, { action_source: 'web' })] }, { path: `${EVENTS}/validate` });
    expect(a).toMatchObject({ status: 400, json: { status: 'INVALID', test_event: true } });
    expect((a.json.event_logs as Array<{ status: string }>).map((l) => l.status)).toStrictEqual(['INVALID', 'VALID', 'INVALID']);
  });

  it('accepts hashed values as a plain string (S2: "string or list of strings"), an app event with extinfo, and LMU', async () => {
    const t = now();
    const app = sampleSnapEvent(t, { action_source: 'MOBILE_APP', event_source_url: undefined, app_data: { extinfo: Array.from({ length: 16 }, () => '') } });
    const a = await post({ data: [sampleSnapEvent(t, { user_data: { em: EM }, data_processing_options: ['LMU'] }), app] });
    expect(a.status).toBe(200);
  });
});

describe('fake Snap: endpoint, token, pixel, content type', () => {
  it('answers 404 for an unknown path or method', async () => {
    expect((await post({ data: [] }, { path: `/v2/${FAKE_SNAP_PIXEL_ID}/events` })).status).toBe(404);
    expect((await call(`${EVENTS}/validate/stats`, { method: 'GET' })).status).toBe(404);
  });

  it('requires the access_token query parameter (a Bearer header is not enough)', async () => {
    const a = await post({ data: [sampleSnapEvent(now())] }, { token: null, bearer: FAKE_SNAP_TOKEN });
    expect(a).toMatchObject({ status: 401, json: { status: 'INVALID', reason: 'Missing access_token query parameter' } });
  });

  it('refuses an unknown token (401)', async () => {
    expect(await post({ data: [sampleSnapEvent(now())] }, { token: 'other' })).toMatchObject({ status: 401, json: { reason: 'Invalid access token' } });
  });

  it('refuses a pixel id that is not a UUID (400) and a pixel of another organization (403)', async () => {
    expect((await post({ data: [sampleSnapEvent(now())] }, { path: '/v3/12345/events' })).status).toBe(400);
    expect((await post({ data: [sampleSnapEvent(now())] }, { path: '/v3/00000000-0000-4000-8000-000000000000/events' })).status).toBe(403);
  });

  it('refuses a body that is not JSON', async () => {
    expect((await call(EVENTS, { body: 'data=1', contentType: 'text/plain' })).status).toBe(400);
  });
});

describe('fake Snap: request body', () => {
  it('requires a JSON object with a data array', async () => {
    expect(await call(EVENTS, { body: '[1]' })).toMatchObject({ status: 400, json: { status: 'INVALID', reason: 'The request body must be a JSON object' } });
    expect(await post({ events: [] })).toMatchObject({ status: 400, json: { reason: "The root value is missing the required field 'data' (an array of events)" } });
  });

  it('refuses an empty data array', async () => {
    expect(await post({ data: [] })).toMatchObject({ status: 400, json: { reason: 'data must contain at least one event' } });
  });

  it('accepts 2,000 events and refuses 2,001', async () => {
    const e = sampleSnapEvent(now());
    expect(await post({ data: Array.from({ length: 2001 }, () => e) })).toMatchObject({ status: 400, json: { reason: 'data may contain at most 2000 events; got 2001' } });
    expect((await post({ data: Array.from({ length: 2000 }, () => e) })).status).toBe(200);
  });
});

describe('fake Snap: each event (INVALID, HTTP 400)', () => {
  const t = now();
  const ipua = { client_ip_address: '203.0.113.7', client_user_agent: 'UA' };
  const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['an event that is not an object', { __replace: 1 }, 'INVALID_EVENT', /must be an event object/],
    ['missing event_name', { event_name: undefined }, 'MISSING_REQUIRED_FIELD', /'event_name'/],
    ['an unknown event_name', { event_name: 'Purchase' }, 'INVALID_EVENT_NAME', /Unknown event_name 'Purchase'/],
    ['missing event_time', { event_time: undefined }, 'MISSING_REQUIRED_FIELD', /'event_time'/],
    ['event_time as a string', { event_time: String(t) }, 'INVALID_TIMESTAMP', /unix seconds/],
    ['event_time in milliseconds', { event_time: t * 1000 }, 'TIMESTAMP_OUT_OF_RANGE', /looks like milliseconds/],
    ['event_time in the future', { event_time: t + FAKE_SNAP_FUTURE_TOLERANCE_SECONDS + 60 }, 'TIMESTAMP_OUT_OF_RANGE', /in the future/],
    ['event_time more than 37 days old', { event_time: t - 37 * 86_400 - 60 }, 'TIMESTAMP_OUT_OF_RANGE', /more than 37 days/],
    ['missing action_source', { action_source: undefined }, 'MISSING_REQUIRED_FIELD', /'action_source'/],
    ['a lower-case action_source', { action_source: 'website' }, 'INVALID_ACTION_SOURCE', /WEB, MOBILE_APP, OFFLINE/],
    ['a web event without event_source_url', { event_source_url: undefined }, 'MISSING_REQUIRED_FIELD', /'event_source_url'/],
    ['an event_source_url without protocol', { event_source_url: 'shop.example/' }, 'INVALID_URL', /with its protocol/],
    ['an app event without extinfo', { action_source: 'MOBILE_APP', event_source_url: undefined }, 'MISSING_REQUIRED_FIELD', /'app_data\.extinfo'/],
    ['an empty event_id', { event_id: '' }, 'INVALID_EVENT_ID', /event_id/],
    ['missing user_data', { user_data: undefined }, 'MISSING_REQUIRED_FIELD', /'user_data'/],
    ['an unhashed email', { user_data: { ...ipua, em: ['person@example.com'] } }, 'UNHASHED_PII', /user_data\.em/],
    ['an upper-case hash', { user_data: { ...ipua, ph: [EM.toUpperCase()] } }, 'UNHASHED_PII', /user_data\.ph/],
    ['a 63-character hash', { user_data: { ...ipua, external_id: [EM.slice(1)] } }, 'UNHASHED_PII', /user_data\.external_id/],
    ['a hashed IP address', { user_data: { em: [EM], client_ip_address: EM, client_user_agent: 'UA' } }, 'INVALID_HASHED_IP', /must not be hashed/],
    ['an invalid IP address', { user_data: { em: [EM], client_ip_address: '300.1.1.1' } }, 'INVALID_IP', /IPv4 or IPv6/],
    ['an empty sc_click_id', { user_data: { em: [EM], sc_click_id: '' } }, 'INVALID_FIELD', /sc_click_id/],
    ['insufficient PII (user agent only)', { user_data: { client_user_agent: 'UA' } }, 'INSUFFICIENT_PII', /needs em, ph/],
    ['a value as a string', { custom_data: { value: '12.5', currency: 'USD' } }, 'INVALID_PRICE', /value must be a non-negative number/],
    ['a lower-case currency', { custom_data: { currency: 'usd' } }, 'INVALID_CURRENCY', /ISO 4217/],
    ['content_ids as a string', { custom_data: { content_ids: 'A' } }, 'INVALID_FIELD', /content_ids/],
    ['a fractional num_items', { custom_data: { num_items: 1.5 } }, 'INVALID_FIELD', /num_items/],
    ['a content without id', { custom_data: { contents: [{ quantity: '1' }] } }, 'INVALID_FIELD', /contents\[\]\.id/],
    ['a numeric quantity (S5 types it as a string)', { custom_data: { contents: [{ id: 'A', quantity: 2 }] } }, 'INVALID_FIELD', /quantity must be a string/],
    ['a numeric item_price (S5 types it as a string)', { custom_data: { contents: [{ id: 'A', item_price: 2.5 }] } }, 'INVALID_FIELD', /item_price must be a decimal string/],
    ['a PURCHASE without currency', { event_name: 'PURCHASE', custom_data: { value: 5 } }, 'MISSING_PRICE_OR_CURRENCY', /PURCHASE events require/],
    ['a PURCHASE without custom_data', { event_name: 'PURCHASE' }, 'MISSING_PRICE_OR_CURRENCY', /PURCHASE events require/],
    ['data_processing_options other than LMU', { data_processing_options: ['LDU'] }, 'INVALID_FIELD', /only \["LMU"\]/],
  ];
  it.each(cases)('refuses %s', async (_name, overrides, code, message) => {
    const event = '__replace' in overrides ? overrides.__replace : sampleSnapEvent(t, overrides);
    expectInvalid(await post({ data: [event] }), code, message);
  });

  it('one invalid event makes the whole production request INVALID and is named by index', async () => {
    expectInvalid(await post({ data: [sampleSnapEvent(t), sampleSnapEvent(t), sampleSnapEvent(t, { event_name: 'nope' })] }), 'INVALID_EVENT_NAME', /nope/, 2);
  });
});

describe('fake Snap: injected failures', () => {
  it('429 with Retry-After; 503; 500; auth → 401; then answers normally', async () => {
    fake.failNext(1, 429);
    fake.failNext(1, 503);
    fake.failNext(1, 500);
    fake.failNext(1, 'auth');
    const a = await post({ data: [sampleSnapEvent(now())] });
    expect(a).toMatchObject({ status: 429, json: { status: 'INVALID' } });
    expect(a.headers.get('retry-after')).toBe('13');
    expect((await post({ data: [sampleSnapEvent(now())] })).status).toBe(503);
    expect((await post({ data: [sampleSnapEvent(now())] })).status).toBe(500);
    expect((await post({ data: [sampleSnapEvent(now())] })).status).toBe(401);
    expect((await post({ data: [sampleSnapEvent(now())] })).status).toBe(200);
  });

  it('timeout → never answers', async () => {
    fake.failNext(1, 'timeout');
    await expect(fetch(`${fake.url}${EVENTS}`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(300) })).rejects.toThrow();
  });

  it('is controllable from another process', async () => {
    expect((await fetch(`${fake.url}/__fail?n=1&kind=429`, { method: 'POST' })).status).toBe(204);
    expect((await post({ data: [sampleSnapEvent(now())] })).status).toBe(429);
    expect((await post({ data: [sampleSnapEvent(now())] })).status).toBe(200);
    const received = (await (await fetch(`${fake.url}/__received`)).json()) as Array<{ pixelId: string }>;
    expect(received).toHaveLength(1);
    expect(received[0]!.pixelId).toBe(FAKE_SNAP_PIXEL_ID);
  });
});

describe('fake Snap: standalone', () => {
  it('prints its URL, then one JSON line per request with the access token masked', async () => {
    const script = fileURLToPath(new URL('./fakes/snapchat-server.ts', import.meta.url));
    const tsx = createRequire(import.meta.url).resolve('tsx/cli');
    const child = spawn(process.execPath, [tsx, script, '--port', '0'], {
      env: { ...process.env, LAYERSYNC_FAKE_SNAPCHAT_PORT: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    try {
      const first = String((await lines.next()).value);
      const url = /^listening (http:\/\/127\.0\.0\.1:\d+)$/.exec(first)?.[1];
      expect(url, first).toBeDefined();
      expect((await post({ data: [sampleSnapEvent(now())] }, { base: url })).status).toBe(200);
      const line = JSON.parse(String((await lines.next()).value)) as Record<string, unknown>;
      expect(line).toMatchObject({ fake: 'snapchat', status: 200, pixelId: FAKE_SNAP_PIXEL_ID, query: { access_token: '[redacted]' } });
      expect(JSON.stringify(line)).not.toContain(FAKE_SNAP_TOKEN);
    } finally {
      child.kill('SIGTERM');
    }
  }, 30_000);
});
