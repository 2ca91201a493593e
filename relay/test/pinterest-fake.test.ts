/**
 * The fake Pinterest API's own rules, one test each, so it cannot quietly accept what Pinterest
 * refuses (or refuse what Pinterest accepts) and make the destination tests meaningless.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  FAKE_PINTEREST_AD_ACCOUNT,
  FAKE_PINTEREST_FUTURE_TOLERANCE_SECONDS,
  FAKE_PINTEREST_MAX_AGE_SECONDS,
  FAKE_PINTEREST_TOKEN,
  samplePinterestEvent,
  startFakePinterest,
  type FakePinterest,
} from './fakes/pinterest-server.js';

let fake: FakePinterest;
const now = () => Math.floor(Date.now() / 1000);
const EVENTS = `/v5/ad_accounts/${FAKE_PINTEREST_AD_ACCOUNT}/events`;
const EM = '62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f';

beforeAll(async () => {
  fake = await startFakePinterest({ adAccounts: [FAKE_PINTEREST_AD_ACCOUNT] });
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
  init: { method?: string; body?: string; token?: string | null; contentType?: string; base?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': init.contentType ?? 'application/json' };
  const token = init.token === undefined ? FAKE_PINTEREST_TOKEN : init.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${init.base ?? fake.url}${path}`, { method: init.method ?? 'POST', headers, body: init.body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

const post = (body: unknown, opts: Parameters<typeof call>[1] & { path?: string } = {}) =>
  call(opts.path ?? EVENTS, { body: JSON.stringify(body), ...opts });

/** Asserts Pinterest's 400 code 4196 and that nothing was accepted. */
function expectSchemaError(a: Answer, message: RegExp): void {
  expect(a.status).toBe(400);
  expect(a.json.code).toBe(4196);
  expect(String(a.json.message)).toMatch(/^Invalid request: /);
  expect(String(a.json.message)).toMatch(message);
  expect(fake.received).toHaveLength(0);
}

/** Asserts a 422 whose only event failed with this message. */
function expectEventFailed(a: Answer, message: RegExp): void {
  expect(a.status).toBe(422);
  expect(a.json).toMatchObject({ message: 'Not all events were successfully processed.', details: { num_events_received: 1, num_events_processed: 0 } });
  const events = (a.json.details as { events: Array<{ status: string; error_message: string }> }).events;
  expect(events[0]!.status).toBe('failed');
  expect(events[0]!.error_message).toMatch(message);
  expect(fake.received).toHaveLength(0);
}

describe('fake Pinterest: success', () => {
  it('answers with Pinterest\'s success shape, one status per event in order, and records the request', async () => {
    const a = await post({ data: [samplePinterestEvent(now()), samplePinterestEvent(now(), { event_id: 'e2' })] });
    expect(a.status).toBe(200);
    expect(a.json).toStrictEqual({
      num_events_received: 2,
      num_events_processed: 2,
      events: [
        { status: 'processed', error_message: null, warning_message: null },
        { status: 'processed', error_message: null, warning_message: null },
      ],
    });
    expect(fake.received[0]).toMatchObject({ adAccountId: FAKE_PINTEREST_AD_ACCOUNT, test: false, status: 200 });
  });

  it('accepts ?test=true and ?test=false and records test mode', async () => {
    expect((await post({ data: [samplePinterestEvent(now())] }, { path: `${EVENTS}?test=true` })).status).toBe(200);
    expect((await post({ data: [samplePinterestEvent(now())] }, { path: `${EVENTS}?test=false` })).status).toBe(200);
    expect(fake.received.map((r) => r.test)).toStrictEqual([true, false]);
  });

  it('warns (without failing) about a web event without event_source_url', async () => {
    const a = await post({ data: [samplePinterestEvent(now(), { event_source_url: undefined })] });
    expect(a.status).toBe(200);
    expect((a.json.events as Array<{ warning_message: string }>)[0]!.warning_message).toBe('event_source_url is recommended for web events.');
  });

  it('accepts every documented optional field (P1)', async () => {
    const t = now();
    const full = samplePinterestEvent(t, {
      opt_out: false,
      partner_name: 'ss-partner',
      language: 'en',
      app_id: null,
      wifi: false,
      user_data: { em: [EM], hashed_maids: [EM], ph: [EM], click_id: 'dj0y', partner_id: 'ramp', client_ip_address: '2001:db8::1', client_user_agent: 'UA' },
      custom_data: {
        currency: 'USD',
        value: '72.39',
        content_ids: ['A'],
        content_name: 'n',
        content_category: 'c',
        content_brand: 'b',
        contents: [{ id: 'A', item_price: '1325.12', quantity: 5, item_name: 'x', item_category: 'y', item_brand: 'z' }],
        num_items: 5,
        order_id: 'o',
        search_string: 's',
        opt_out_type: 'LDP',
        np: null,
      },
    });
    const a = await post({ data: [full] });
    expect(a.json.num_events_processed).toBe(1);
  });
});

describe('fake Pinterest: path, token, ad account, query, content type', () => {
  it('answers 404 for an unknown path, version or method', async () => {
    expect((await post({ data: [] }, { path: `/v5/ad_accounts/${FAKE_PINTEREST_AD_ACCOUNT}/conversions` })).status).toBe(404);
    expect((await post({ data: [] }, { path: `/v4/ad_accounts/${FAKE_PINTEREST_AD_ACCOUNT}/events` })).status).toBe(404);
    expect((await call(EVENTS, { method: 'GET' })).status).toBe(404);
  });

  it('refuses a request without a Bearer token (401 code 2)', async () => {
    expect(await post({ data: [samplePinterestEvent(now())] }, { token: null })).toMatchObject({ status: 401, json: { code: 2, message: 'Authentication failed.' } });
  });

  it('refuses an unknown token (401 code 2)', async () => {
    expect(await post({ data: [samplePinterestEvent(now())] }, { token: 'pina_other' })).toMatchObject({ status: 401, json: { code: 2 } });
  });

  it('refuses an ad account id that is not 1-18 digits (400 code 4196)', async () => {
    expectSchemaError(await post({ data: [samplePinterestEvent(now())] }, { path: '/v5/ad_accounts/act_1/events' }), /ad_account_id/);
    expectSchemaError(await post({ data: [samplePinterestEvent(now())] }, { path: `/v5/ad_accounts/${'1'.repeat(19)}/events` }), /ad_account_id/);
  });

  it('refuses an ad account the token may not use (403 code 29)', async () => {
    const a = await post({ data: [samplePinterestEvent(now())] }, { path: '/v5/ad_accounts/42/events' });
    expect(a).toMatchObject({ status: 403, json: { code: 29, message: 'You are not permitted to access that resource.' } });
  });

  it('refuses a test parameter that is not a boolean', async () => {
    expectSchemaError(await post({ data: [samplePinterestEvent(now())] }, { path: `${EVENTS}?test=yes` }), /is not of type 'boolean' \(test\)/);
  });

  it('refuses a body that is not JSON', async () => {
    expectSchemaError(await call(EVENTS, { body: 'data=1', contentType: 'application/x-www-form-urlencoded' }), /must be application\/json/);
  });
});

describe('fake Pinterest: request schema (whole request refused with 400)', () => {
  const t = now();
  it('requires a JSON object', async () => expectSchemaError(await call(EVENTS, { body: '[1]' }), /is not of type 'object'/));
  it('refuses unknown top-level keys (additionalProperties: false)', async () =>
    expectSchemaError(await post({ data: [samplePinterestEvent(t)], test_event_code: 'X' }), /Additional properties are not allowed \('test_event_code' was unexpected\)/));
  it('requires data', async () => expectSchemaError(await post({}), /'data' is a required property/));
  it('requires data to be an array', async () => expectSchemaError(await post({ data: samplePinterestEvent(t) }), /is not of type 'array'/));
  it('refuses an empty data array', async () => expectSchemaError(await post({ data: [] }), /\[\] is too short/));

  it('accepts 1,000 events and refuses 1,001 (P1 maxItems)', async () => {
    const e = samplePinterestEvent(t);
    expectSchemaError(await post({ data: Array.from({ length: 1001 }, () => e) }), /data is too long: 1001 events, at most 1000/);
    expect(await post({ data: Array.from({ length: 1000 }, () => e) })).toMatchObject({ status: 200, json: { num_events_processed: 1000 } });
  });

  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['an event that is not an object', { __replace: 'x' }, /"x" is not of type 'object' \(data\.0\)/],
    ['an unknown event key', { event_type: 'lead' }, /'event_type' was unexpected/],
    ['missing event_name', { event_name: undefined }, /'event_name' is a required property/],
    ['missing action_source', { action_source: undefined }, /'action_source' is a required property/],
    ['missing event_time', { event_time: undefined }, /'event_time' is a required property/],
    ['missing event_id', { event_id: undefined }, /'event_id' is a required property/],
    ['missing user_data', { user_data: undefined }, /'user_data' is a required property/],
    ['event_time as a string', { event_time: String(t) }, /is not of type 'integer' \(event_time\)/],
    ['event_time with a fraction', { event_time: t + 0.5 }, /is not of type 'integer' \(event_time\)/],
    ['event_id as a number', { event_id: 7 }, /is not of type 'string' \(event_id\)/],
    ['opt_out as a string', { opt_out: 'true' }, /is not of type 'boolean' \(opt_out\)/],
    ['em as a plain string, not a list', { user_data: { em: EM } }, /is not of type 'array' \(user_data\.em\)/],
    ['client_ip_address as a number', { user_data: { em: [EM], client_ip_address: 1 } }, /user_data\.client_ip_address/],
    ['user_data with only a phone (anyOf)', { user_data: { ph: [EM] } }, /is not valid under any of the given schemas/],
    ['user_data with an IP but no user agent (anyOf)', { user_data: { client_ip_address: '203.0.113.7' } }, /not valid under any of the given schemas/],
    ['an unknown custom_data key (WooCommerce #967)', { custom_data: { category_name: 'Uncategorized' } }, /'category_name' was unexpected\) \(custom_data\)/],
    ['value as a number, not a string', { custom_data: { value: 72.39, currency: 'USD' } }, /is not of type 'string' \(value\) \(custom_data\)/],
    ['content_ids as a string', { custom_data: { content_ids: 'A' } }, /is not of type 'array' \(content_ids\)/],
    ['num_items as a string', { custom_data: { num_items: '2' } }, /is not of type 'integer' \(num_items\)/],
    ['a content with an unknown key', { custom_data: { contents: [{ id: 'A', price: '1' }] } }, /'price' was unexpected\) \(custom_data\.contents\)/],
    ['item_price as a number', { custom_data: { contents: [{ id: 'A', item_price: 3.5 }] } }, /is not of type 'string' \(item_price\)/],
    ['quantity as a string', { custom_data: { contents: [{ id: 'A', quantity: '2' }] } }, /is not of type 'integer' \(quantity\)/],
  ];
  it.each(cases)('refuses %s', async (_name, overrides, message) => {
    const event = '__replace' in overrides ? overrides.__replace : samplePinterestEvent(t, overrides);
    expectSchemaError(await post({ data: [event] }), message);
  });
});

describe('fake Pinterest: each event (failed status, HTTP 422)', () => {
  const t = now();
  const ipua = { client_ip_address: '203.0.113.7', client_user_agent: 'UA' };
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['an unknown event_name', { event_name: 'Purchase' }, /event_name 'Purchase' is not a supported event/],
    ['an unknown action_source', { action_source: 'website' }, /action_source 'website' must be one of web, app_android, app_ios, offline/],
    ['event_time in milliseconds', { event_time: t * 1000 }, /in the future \(it looks like milliseconds/],
    ['event_time in the future beyond the tolerance', { event_time: t + FAKE_PINTEREST_FUTURE_TOLERANCE_SECONDS + 60 }, /in the future\.$/],
    ['event_time older than the window', { event_time: t - FAKE_PINTEREST_MAX_AGE_SECONDS - 60 }, /too far in the past/],
    ['an empty event_id', { event_id: ' ' }, /event_id must not be empty/],
    ['an event_source_url that is not a URL', { event_source_url: 'shop.example' }, /event_source_url must be a URL/],
    ['a language that is not ISO 639-1', { language: 'en-US' }, /language must be a two-letter/],
    ['an unhashed email', { user_data: { em: ['john_smith@gmail.com'] } }, /user_data\.em must hold SHA-256 hashes/],
    ['an upper-case hash', { user_data: { ...ipua, ph: [EM.toUpperCase()] } }, /user_data\.ph must hold SHA-256/],
    ['a 63-character external_id hash', { user_data: { ...ipua, external_id: [EM.slice(1)] } }, /user_data\.external_id/],
    ['an empty hashed list', { user_data: { ...ipua, zp: [] } }, /user_data\.zp/],
    ['a hashed IP address', { user_data: { em: [EM], client_ip_address: EM, client_user_agent: 'UA' } }, /client_ip_address must be an IPv4 or IPv6 address/],
    ['an empty click_id', { user_data: { em: [EM], click_id: '' } }, /click_id must not be empty/],
    ['a value that is not a decimal string', { custom_data: { value: '12,50' } }, /custom_data\.value '12,50' is not a decimal/],
    ['a lower-case currency', { custom_data: { currency: 'usd' } }, /custom_data\.currency 'usd'/],
    ['an item_price that is not a decimal string', { custom_data: { contents: [{ id: 'A', item_price: '$3' }] } }, /item_price '\$3'/],
    ['a zero quantity', { custom_data: { contents: [{ id: 'A', quantity: 0 }] } }, /quantity must be positive/],
    ['a negative num_items', { custom_data: { num_items: -1 } }, /num_items must not be negative/],
  ];
  it.each(cases)('fails %s', async (_name, overrides, message) => {
    expectEventFailed(await post({ data: [samplePinterestEvent(t, overrides)] }), message);
  });

  it('reports each event of a mixed batch in order (422 partial)', async () => {
    const a = await post({ data: [samplePinterestEvent(t), samplePinterestEvent(t, { event_name: 'nope' }), samplePinterestEvent(t)] });
    expect(a.status).toBe(422);
    expect(a.json).toMatchObject({ details: { num_events_received: 3, num_events_processed: 2 } });
    expect((a.json.details as { events: Array<{ status: string }> }).events.map((e) => e.status)).toStrictEqual(['processed', 'failed', 'processed']);
  });
});

describe('fake Pinterest: injected failures', () => {
  it('429 → code 8 with Retry-After', async () => {
    fake.failNext(1, 429);
    const a = await post({ data: [samplePinterestEvent(now())] });
    expect(a).toMatchObject({ status: 429, json: { code: 8 } });
    expect(a.headers.get('retry-after')).toBe('11');
  });

  it('503 → code 4197; 500; auth → 401 code 2; then answers normally', async () => {
    fake.failNext(1, 503);
    fake.failNext(1, 500);
    fake.failNext(1, 'auth');
    expect(await post({ data: [samplePinterestEvent(now())] })).toMatchObject({ status: 503, json: { code: 4197 } });
    expect((await post({ data: [samplePinterestEvent(now())] })).status).toBe(500);
    expect(await post({ data: [samplePinterestEvent(now())] })).toMatchObject({ status: 401, json: { code: 2 } });
    expect((await post({ data: [samplePinterestEvent(now())] })).status).toBe(200);
  });

  it('timeout → never answers', async () => {
    fake.failNext(1, 'timeout');
    await expect(fetch(`${fake.url}${EVENTS}`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(300) })).rejects.toThrow();
  });

  it('is controllable from another process: POST /__fail, GET /__received, POST /__reset', async () => {
    expect((await fetch(`${fake.url}/__fail?n=1&kind=503`, { method: 'POST' })).status).toBe(204);
    expect((await post({ data: [samplePinterestEvent(now())] })).status).toBe(503);
    expect((await post({ data: [samplePinterestEvent(now())] })).status).toBe(200);
    const received = (await (await fetch(`${fake.url}/__received`)).json()) as Array<{ adAccountId: string; body: unknown }>;
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ adAccountId: FAKE_PINTEREST_AD_ACCOUNT, body: { data: [{ event_id: 'evt-1' }] } });
    expect((await fetch(`${fake.url}/__reset`, { method: 'POST' })).status).toBe(204);
    expect(await (await fetch(`${fake.url}/__received`)).json()).toStrictEqual([]);
  });
});

describe('fake Pinterest: standalone', () => {
  it('prints its URL, then one JSON line per request with the token masked', async () => {
    const script = fileURLToPath(new URL('./fakes/pinterest-server.ts', import.meta.url));
    const tsx = createRequire(import.meta.url).resolve('tsx/cli');
    const child = spawn(process.execPath, [tsx, script, '--port', '0'], {
      env: { ...process.env, LAYERSYNC_FAKE_PINTEREST_PORT: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    try {
      const first = String((await lines.next()).value);
      const url = /^listening (http:\/\/127\.0\.0\.1:\d+)$/.exec(first)?.[1];
      expect(url, first).toBeDefined();
      expect((await post({ data: [samplePinterestEvent(now())] }, { base: url })).status).toBe(200);
      const line = JSON.parse(String((await lines.next()).value)) as Record<string, unknown>;
      expect(line).toMatchObject({ fake: 'pinterest', status: 200, adAccountId: FAKE_PINTEREST_AD_ACCOUNT, test: false });
      expect((line.headers as Record<string, string>).authorization).toBe('Bearer [redacted]');
      expect(JSON.stringify(line)).not.toContain(FAKE_PINTEREST_TOKEN);
    } finally {
      child.kill('SIGTERM');
    }
  }, 30_000);
});
