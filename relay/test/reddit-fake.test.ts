/**
 * The fake Reddit Conversions API's own rules, one test each, so it cannot quietly accept what
 * Reddit refuses (or refuse what Reddit accepts) and make the destination tests meaningless.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  FAKE_REDDIT_FUTURE_TOLERANCE_MS,
  FAKE_REDDIT_PIXEL_ID,
  FAKE_REDDIT_TEST_USER_AGENT,
  FAKE_REDDIT_TOKEN,
  sampleRedditEvent,
  startFakeReddit,
  type FakeReddit,
} from './fakes/reddit-server.js';

let fake: FakeReddit;
const EVENTS = `/api/v3/pixels/${FAKE_REDDIT_PIXEL_ID}/conversion_events`;
const HEX = 'ff8d9819fc0e12bf0d24892e45987e249a28dce836a85cad60e28eaaa8c6d976';
const sample = (overrides: Record<string, unknown> = {}) => sampleRedditEvent(Date.now(), overrides);

beforeAll(async () => {
  fake = await startFakeReddit({ pixels: [FAKE_REDDIT_PIXEL_ID] });
});
afterAll(() => fake.close());
afterEach(() => fake.reset());

interface Answer {
  status: number;
  headers: Headers;
  json: { error?: { code: number; message: string; fields?: Array<{ field: string; message: string }> }; data?: { message: string } };
}

async function call(
  path: string,
  init: { method?: string; body?: string; token?: string | null; contentType?: string; base?: string; userAgent?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {
    'content-type': init.contentType ?? 'application/json',
    'user-agent': init.userAgent ?? FAKE_REDDIT_TEST_USER_AGENT,
  };
  const token = init.token === undefined ? FAKE_REDDIT_TOKEN : init.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${init.base ?? fake.url}${path}`, { method: init.method ?? 'POST', headers, body: init.body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text === '' ? {} : (JSON.parse(text) as Answer['json']) };
}

const post = (body: unknown, opts: Parameters<typeof call>[1] & { path?: string } = {}) => call(opts.path ?? EVENTS, { body: JSON.stringify(body), ...opts });
const events = (...list: unknown[]) => ({ data: { events: list } });

/** Asserts Reddit's whole-batch 400 naming this field, and that nothing was accepted. */
function expectRejected(a: Answer, field: string, message: RegExp, invalid = 1): void {
  expect(a.status).toBe(400);
  expect(a.json.error).toMatchObject({ code: 400, message: `There were ${invalid} invalid conversion events. None were processed.` });
  const f = a.json.error!.fields!.find((x) => x.field === field);
  expect(f, JSON.stringify(a.json.error!.fields)).toBeDefined();
  expect(f!.message).toMatch(message);
  expect(fake.received).toHaveLength(0);
}

describe('fake Reddit: success', () => {
  it('answers Reddit\'s success message and records the request', async () => {
    const a = await post(events(sample(), sample()));
    expect(a).toMatchObject({ status: 200, json: { data: { message: 'Successfully processed 2 conversion events.' } } });
    expect(fake.received[0]).toMatchObject({ pixelId: FAKE_REDDIT_PIXEL_ID });
  });

  it('accepts and records a test_id', async () => {
    expect((await post({ data: { events: [sample()], test_id: 't2_x' } })).status).toBe(200);
    expect(fake.received[0]!.testId).toBe('t2_x');
  });

  it('accepts every documented field (R1)', async () => {
    const full = sample({
      type: { tracking_type: 'CUSTOM', custom_event_name: 'x'.repeat(64) },
      click_id: '3184742045291813272',
      metadata: { conversion_id: 'c', currency: 'USD', value: 100.0, item_count: 2, products: [{ id: 'SKU', name: 'n', category: 'c', quantity: 1, item_price: 50 }] },
      user: {
        email: HEX,
        phone_number: HEX,
        external_id: 'customer12345',
        ip_address: '2001:db8::1',
        user_agent: 'UA',
        uuid: '1677712978045.b8f7eb7d-b357-437b-8bd3-e1c8166c7132',
        idfa: 'x',
        data_processing_options: { modes: ['LDU'], country: 'US', region: 'US-CA' },
        screen_dimensions: { width: 1920, height: 1080 },
      },
    });
    expect((await post(events(full))).status).toBe(200);
  });
});

describe('fake Reddit: path, user agent, token, pixel', () => {
  it('answers 404 for an unknown path, the v2.0 path, or another method', async () => {
    expect((await post(events(sample()), { path: `/api/v2.0/conversions/events/${FAKE_REDDIT_PIXEL_ID}` })).status).toBe(404);
    expect((await call(EVENTS, { method: 'GET' })).status).toBe(404);
  });

  it('throttles a default client user agent (429) and an empty one', async () => {
    for (const ua of ['node', 'undici', 'python-requests/2.31', 'curl/8.0', 'axios/1.6', ' ']) {
      const a = await post(events(sample()), { userAgent: ua });
      expect(a, ua).toMatchObject({ status: 429, json: { error: { message: 'Your user agent was automatically ratelimited.' } } });
    }
  });

  it('refuses a request without a bearer token (401)', async () => {
    expect(await post(events(sample()), { token: null })).toMatchObject({ status: 401, json: { error: { message: 'No bearer token provided' } } });
  });

  it('refuses an unknown token (401 UNAUTHORIZED)', async () => {
    expect(await post(events(sample()), { token: 'other' })).toMatchObject({ status: 401, json: { error: { code: 401, message: 'UNAUTHORIZED' } } });
  });

  it('refuses a pixel the token may not post to (403)', async () => {
    const a = await post(events(sample()), { path: '/api/v3/pixels/t2_nope/conversion_events' });
    expect(a).toMatchObject({ status: 403, json: { error: { message: "You're not authorized to post conversions to Pixel ID t2_nope." } } });
  });

  it('refuses a body that is not JSON', async () => {
    expect((await call(EVENTS, { body: 'x', contentType: 'text/plain' })).status).toBe(400);
  });
});

describe('fake Reddit: request body', () => {
  it('requires the v3 data wrapper (a v2 {"events":[…]} body is a Bad Request)', async () => {
    expect(await post({ events: [sample()] })).toMatchObject({ status: 400, json: { error: { message: 'Bad Request' } } });
  });

  it('refuses an empty events list', async () => {
    expect((await post(events())).status).toBe(400);
  });

  it('accepts 1,000 events and refuses 1,001 with "Bad Request" (R1)', async () => {
    const e = sample();
    expect(await post({ data: { events: Array.from({ length: 1001 }, () => e) } })).toMatchObject({ status: 400, json: { error: { message: 'Bad Request' } } });
    expect((await post({ data: { events: Array.from({ length: 1000 }, () => e) } })).json.data?.message).toBe('Successfully processed 1000 conversion events.');
  });

  it('refuses a non-string test_id', async () => {
    expect((await post({ data: { events: [sample()], test_id: 5 } })).status).toBe(400);
  });
});

describe('fake Reddit: each event (the whole batch refused with 400)', () => {
  const t = Date.now();
  const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['missing event_at', { event_at: undefined }, '.event_at', /required/],
    ['event_at as an ISO string (v2 style)', { event_at: new Date(t).toISOString() }, '.event_at', /integer/],
    ['event_at with a fraction', { event_at: t + 0.5 }, '.event_at', /integer/],
    ['event_at in seconds', { event_at: Math.floor(t / 1000) }, '.event_at', /milliseconds, not seconds/],
    ['event_at in the future', { event_at: t + FAKE_REDDIT_FUTURE_TOLERANCE_MS + 60_000 }, '.event_at', /in the future/],
    ['event_at more than 7 days old', { event_at: t - 7 * 86_400_000 - 60_000 }, '.event_at', /more than 7 days/],
    ['missing action_source (required in v3)', { action_source: undefined }, '.action_source', /required/],
    ['an unknown action_source', { action_source: 'web' }, '.action_source', /WEBSITE, APP, OTHER/],
    ['missing type (v2 event_type)', { type: undefined, event_type: { tracking_type: 'PageVisit' } }, '.type', /renamed to type/],
    ['a v2 PascalCase tracking_type', { type: { tracking_type: 'PageVisit' } }, '.type.tracking_type', /must be one of/],
    ['CUSTOM without custom_event_name', { type: { tracking_type: 'CUSTOM' } }, '.type.custom_event_name', /required/],
    ['a custom_event_name over 64 characters', { type: { tracking_type: 'CUSTOM', custom_event_name: 'x'.repeat(65) } }, '.type.custom_event_name', /64/],
    ['an event_source_url that is not a URL', { event_source_url: 'shop.example' }, '.event_source_url', /URL/],
    ['an empty click_id', { click_id: '' }, '.click_id', /non-empty/],
    ['metadata that is not an object', { metadata: [] }, '.metadata', /object/],
    ['an empty conversion_id', { metadata: { conversion_id: '' } }, '.metadata.conversion_id', /non-empty/],
    ['a lower-case currency', { metadata: { currency: 'usd' } }, '.metadata.currency', /ISO 4217/],
    ['value as a string', { metadata: { value: '9.99' } }, '.metadata.value', /number/],
    ['a fractional item_count', { metadata: { item_count: 1.5 } }, '.metadata.item_count', /integer/],
    ['a product without id', { metadata: { products: [{ name: 'x' }] } }, '.metadata.products[0].id', /required/],
    ['a zero product quantity', { metadata: { products: [{ id: 'A', quantity: 0 }] } }, '.metadata.products[0].quantity', /positive/],
    ['a product item_price as a string', { metadata: { products: [{ id: 'A', item_price: '5' }] } }, '.metadata.products[0].item_price', /number/],
    ['an unhashed email', { user: { email: 'alice@example.com' } }, '.user.email', /SHA-256/],
    ['an upper-case phone hash', { user: { phone_number: HEX.toUpperCase() } }, '.user.phone_number', /SHA-256/],
    ['an empty external_id', { user: { external_id: '' } }, '.user.external_id', /non-empty/],
    ['an invalid ip_address', { user: { ip_address: '203.0.113' } }, '.user.ip_address', /IPv4 or IPv6/],
    ['a uuid that is not RFC 4122 (R2)', { user: { uuid: '1700000000.abcd-uuid' } }, '.user.UUID', /RFC-4122/],
    ['v2 user.opt_out', { user: { opt_out: true } }, '.user.opt_out', /data_processing_options/],
    ['LDU modes other than LDU', { user: { data_processing_options: { modes: ['GDPR'] } } }, '.user.data_processing_options.modes', /LDU/],
    ['an LDU region that is not ISO 3166-2', { user: { data_processing_options: { modes: ['LDU'], country: 'US', region: 'CA' } } }, '.user.data_processing_options.region', /US-CA/],
  ];
  it.each(cases)('refuses %s', async (_name, overrides, field, message) => {
    expectRejected(await post(events(sample(overrides))), `$.data.events[0]${field}`, message);
  });

  it('one bad event refuses the whole batch, counted and located (R1, R2)', async () => {
    const a = await post(events(sample(), sample({ event_at: 1 }), sample(), sample({ user: { uuid: 'x' } })));
    expectRejected(a, '$.data.events[1].event_at', /milliseconds/, 2);
    expect(a.json.error!.fields!.map((f) => f.field)).toStrictEqual(['$.data.events[1].event_at', '$.data.events[3].user.UUID']);
  });
});

describe('fake Reddit: injected failures', () => {
  it('429 with Retry-After; 500; 503; auth → 401; then answers normally', async () => {
    fake.failNext(1, 429);
    fake.failNext(1, 500);
    fake.failNext(1, 503);
    fake.failNext(1, 'auth');
    const a = await post(events(sample()));
    expect(a).toMatchObject({ status: 429, json: { error: { message: 'Too many requests/events within timeframe.' } } });
    expect(a.headers.get('retry-after')).toBe('17');
    expect(await post(events(sample()))).toMatchObject({ status: 500, json: { error: { message: 'The service is currently unavailable. No conversion events were processed.' } } });
    expect((await post(events(sample()))).status).toBe(503);
    expect(await post(events(sample()))).toMatchObject({ status: 401, json: { error: { message: 'UNAUTHORIZED' } } });
    expect((await post(events(sample()))).status).toBe(200);
  });

  it('timeout → never answers', async () => {
    fake.failNext(1, 'timeout');
    await expect(fetch(`${fake.url}${EVENTS}`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(300) })).rejects.toThrow();
  });

  it('is controllable from another process', async () => {
    expect((await fetch(`${fake.url}/__fail?n=1&kind=500`, { method: 'POST' })).status).toBe(204);
    expect((await post(events(sample()))).status).toBe(500);
    expect((await post(events(sample()))).status).toBe(200);
    expect(await (await fetch(`${fake.url}/__received`)).json()).toHaveLength(1);
  });
});

describe('fake Reddit: standalone', () => {
  it('prints its URL, then one JSON line per request with the token masked', async () => {
    const script = fileURLToPath(new URL('./fakes/reddit-server.ts', import.meta.url));
    const tsx = createRequire(import.meta.url).resolve('tsx/cli');
    const child = spawn(process.execPath, [tsx, script, '--port', '0'], {
      env: { ...process.env, LAYERSYNC_FAKE_REDDIT_PORT: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    try {
      const first = String((await lines.next()).value);
      const url = /^listening (http:\/\/127\.0\.0\.1:\d+)$/.exec(first)?.[1];
      expect(url, first).toBeDefined();
      expect((await post(events(sample()), { base: url })).status).toBe(200);
      const line = JSON.parse(String((await lines.next()).value)) as Record<string, unknown>;
      expect(line).toMatchObject({ fake: 'reddit', status: 200, pixelId: FAKE_REDDIT_PIXEL_ID });
      expect((line.headers as Record<string, string>).authorization).toBe('Bearer [redacted]');
      expect(JSON.stringify(line)).not.toContain(FAKE_REDDIT_TOKEN);
    } finally {
      child.kill('SIGTERM');
    }
  }, 30_000);
});
