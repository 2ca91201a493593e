/**
 * The fake TikTok validates like TikTok documents (see the rules and sources in
 * test/fakes/tiktok-server.ts). Each rule is tested here, so the destination tests can trust a
 * "code 0" from the fake.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient, type HttpClient } from '../src/delivery/http.js';
import {
  FAKE_TIKTOK_PIXEL,
  FAKE_TIKTOK_TOKEN,
  TIKTOK_TRACK_PATH,
  startFakeTiktok,
  type FakeTiktok,
} from './fakes/tiktok-server.js';

const NOW = Math.floor(Date.now() / 1000);
const HASH = createHash('sha256').update('jane@example.com').digest('hex');

type Json = Record<string, unknown>;

function okEvent(over: Json = {}): Json {
  return { event: 'ViewContent', event_time: NOW - 60, event_id: 'ev-1', user: {}, ...over };
}

function okBody(over: Json = {}, events: Json[] = [okEvent()]): Json {
  return { event_source: 'web', event_source_id: FAKE_TIKTOK_PIXEL, data: events, ...over };
}

describe('fake TikTok Events API', () => {
  let fake: FakeTiktok;
  let http: HttpClient;

  interface Answer {
    status: number;
    headers: Record<string, string>;
    json: { code: number; message: string; request_id: string; data: unknown } | undefined;
    text: string;
  }

  async function post(
    body: unknown,
    opts: { token?: string | null; contentType?: string; path?: string; method?: 'POST' | 'GET' } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = { 'content-type': opts.contentType ?? 'application/json' };
    if (opts.token !== null) headers['access-token'] = opts.token ?? FAKE_TIKTOK_TOKEN;
    const res = await http.request({
      method: opts.method ?? 'POST',
      url: `${fake.url}${opts.path ?? TIKTOK_TRACK_PATH}`,
      headers,
      body: opts.method === 'GET' ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    let json: Answer['json'];
    try {
      json = JSON.parse(res.body) as Answer['json'];
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, json, text: res.body };
  }

  /** Expects TikTok's error envelope: HTTP 200, the code, and the exact message. */
  async function rejects(body: unknown, code: number, message: string | RegExp, opts?: Parameters<typeof post>[1]) {
    const a = await post(body, opts);
    expect(a.status).toBe(200);
    expect(a.json?.code).toBe(code);
    if (typeof message === 'string') expect(a.json?.message).toBe(message);
    else expect(a.json?.message).toMatch(message);
    expect(fake.received).toHaveLength(0);
  }

  beforeAll(async () => {
    fake = await startFakeTiktok();
    http = createHttpClient();
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await http.close();
    await fake.close();
  });

  describe('success', () => {
    it('answers TikTok’s success envelope and records the request as received', async () => {
      const a = await post(okBody());
      expect(a.status).toBe(200);
      expect(a.json).toEqual({ code: 0, message: 'OK', request_id: expect.stringMatching(/^\d{14}[0-9A-F]{18}$/), data: {} });
      expect(fake.received).toHaveLength(1);
      expect(fake.received[0]!.body).toEqual(okBody());
    });

    it('accepts every documented field, hashes as strings or arrays, and custom event names', async () => {
      const full = okEvent({
        event: 'MyCustomEvent',
        user: {
          email: HASH,
          phone: [HASH, HASH],
          external_id: [HASH],
          first_name: HASH,
          last_name: HASH,
          zip_code: HASH,
          ttclid: 'E.C.P.x',
          ttp: 'ttp-1',
          ip: '2001:db8::1',
          user_agent: 'UA',
          locale: 'en-US',
        },
        page: { url: 'https://shop.example/', referrer: 'https://google.com/' },
        properties: {
          contents: [{ content_id: 'SKU', content_name: 'n', content_category: 'c', price: 1.5, quantity: 2, brand: 'b' }],
          content_type: 'product_group',
          value: 3,
          currency: 'USD',
          order_id: '1',
          query: 'q',
        },
        limited_data_use: true,
      });
      const a = await post(okBody({ test_event_code: 'TEST1', partner_name: 'LayerSync' }, [full]));
      expect(a.json?.code).toBe(0);
    });

    it('accepts exactly 1,000 events', async () => {
      const a = await post(okBody({}, Array.from({ length: 1000 }, (_, i) => okEvent({ event_id: `e${i}` }))));
      expect(a.json?.code).toBe(0);
    });
  });

  describe('routing and authentication', () => {
    it('unknown path → HTTP 404; wrong method → HTTP 405', async () => {
      expect((await post(okBody(), { path: '/open_api/v1.2/pixel/track/' })).status).toBe(404);
      expect((await post(okBody(), { path: '/open_api/v1.3/event/track' })).status).toBe(404);
      expect((await post(undefined, { method: 'GET' })).status).toBe(405);
      expect(fake.received).toHaveLength(0);
    });

    it('missing Access-Token header → 40105', async () => {
      await rejects(okBody(), 40105, 'Access token is null, please check the Access-Token header.', { token: null });
    });

    it('unknown access token → 40105, checked before anything else in the body', async () => {
      await rejects({ nonsense: true }, 40105, 'Access token is incorrect or has been revoked.', { token: 'nope' });
    });

    it('token passed only as Authorization bearer (Meta style) is not accepted', async () => {
      const res = await http.request({
        method: 'POST',
        url: `${fake.url}${TIKTOK_TRACK_PATH}`,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${FAKE_TIKTOK_TOKEN}` },
        body: JSON.stringify(okBody()),
      });
      expect(JSON.parse(res.body)).toMatchObject({ code: 40105 });
    });

    it('accepts the tokens and pixel codes it is configured with', async () => {
      const other = await startFakeTiktok({ tokens: ['tok-a-0123456789abcdef'], pixelCodes: ['CPIXELA000000000000A'] });
      try {
        const res = await http.request({
          method: 'POST',
          url: `${other.url}${TIKTOK_TRACK_PATH}`,
          headers: { 'content-type': 'application/json', 'access-token': 'tok-a-0123456789abcdef' },
          body: JSON.stringify(okBody({ event_source_id: 'CPIXELA000000000000A' })),
        });
        expect(JSON.parse(res.body)).toMatchObject({ code: 0 });
      } finally {
        await other.close();
      }
    });
  });

  describe('envelope', () => {
    it('Content-Type must be JSON', async () => {
      await rejects(JSON.stringify(okBody()), 40002, 'Content-Type must be application/json.', { contentType: 'text/plain' });
    });

    it('body must be a JSON object', async () => {
      await rejects('{not json', 40002, 'Request body is not a valid JSON object.');
      await rejects([okBody()], 40002, 'Request body is not a valid JSON object.');
    });

    it('unknown top-level fields are refused (e.g. the 1.0 pixel_code)', async () => {
      await rejects(okBody({ pixel_code: FAKE_TIKTOK_PIXEL }), 40002, 'body.pixel_code: Unknown field.');
    });

    it('event_source is required and must be web', async () => {
      const { event_source: _omit, ...noSource } = okBody();
      await rejects(noSource, 40002, 'event_source: Missing data for required field.');
      await rejects(okBody({ event_source: 'app' }), 40002, /^event_source: Must be "web"/);
    });

    it('event_source_id is required, a string, and a pixel the token may use (40001)', async () => {
      const { event_source_id: _omit, ...noId } = okBody();
      await rejects(noId, 40002, 'event_source_id: Missing data for required field.');
      await rejects(okBody({ event_source_id: 123 }), 40002, 'event_source_id: Not a valid string.');
      await rejects(
        okBody({ event_source_id: 'COTHERPIXEL000000000' }),
        40001,
        'No permission to operate pixel code: COTHERPIXEL000000000. You must be an admin or operator of this advertiser account.',
      );
    });

    it('test_event_code must be a string', async () => {
      await rejects(okBody({ test_event_code: 42 }), 40002, 'test_event_code: Not a valid string.');
    });

    it('data: required, a list, 1 to 1,000 events', async () => {
      const { data: _omit, ...noData } = okBody();
      await rejects(noData, 40002, 'data: Missing data for required field.');
      await rejects(okBody({ data: okEvent() }), 40002, 'data: Not a valid list.');
      await rejects(okBody({}, []), 40002, 'data: Length must be between 1 and 1000.');
      await rejects(okBody({}, Array.from({ length: 1001 }, (_, i) => okEvent({ event_id: `e${i}` }))), 40002, 'data: Length must be between 1 and 1000.');
    });

    it('one bad event fails the whole request', async () => {
      await rejects(okBody({}, [okEvent(), okEvent({ event_id: 'ev-2', event: '' }), okEvent()]), 40002, 'data.1.event: Not a valid string.');
    });
  });

  describe('events', () => {
    it('event: required, a non-empty string, current names only', async () => {
      const { event: _omit, ...noEvent } = okEvent();
      await rejects(okBody({}, [noEvent]), 40002, 'data.0.event: Missing data for required field.');
      await rejects(okBody({}, [okEvent({ event: 7 })]), 40002, 'data.0.event: Not a valid string.');
      await rejects(okBody({}, [okEvent({ event: 'CompletePayment' })]), 40002, 'data.0.event: CompletePayment was renamed; use Purchase.');
      await rejects(okBody({}, [okEvent({ event: 'SubmitForm' })]), 40002, 'data.0.event: SubmitForm was renamed; use Lead.');
    });

    it('event_time: required integer unix seconds, not ms, not ISO, not older than 7 days', async () => {
      const { event_time: _omit, ...noTime } = okEvent();
      await rejects(okBody({}, [noTime]), 40002, 'data.0.event_time: Missing data for required field.');
      await rejects(okBody({}, [okEvent({ event_time: new Date().toISOString() })]), 40002, 'data.0.event_time: Not a valid integer (unix seconds).');
      await rejects(okBody({}, [okEvent({ event_time: NOW - 0.5 })]), 40002, 'data.0.event_time: Not a valid integer (unix seconds).');
      await rejects(okBody({}, [okEvent({ event_time: Date.now() })]), 40002, 'data.0.event_time: Must be in seconds, not milliseconds.');
      await rejects(okBody({}, [okEvent({ event_time: NOW - 8 * 86_400 })]), 40002, 'data.0.event_time: Event is older than 7 days.');
    });

    it('the age check follows the fake’s injectable clock', async () => {
      const later = await startFakeTiktok({ now: () => (NOW + 10 * 86_400) * 1000 });
      try {
        const res = await http.request({
          method: 'POST',
          url: `${later.url}${TIKTOK_TRACK_PATH}`,
          headers: { 'content-type': 'application/json', 'access-token': FAKE_TIKTOK_TOKEN },
          body: JSON.stringify(okBody()),
        });
        expect(JSON.parse(res.body)).toMatchObject({ code: 40002, message: 'data.0.event_time: Event is older than 7 days.' });
      } finally {
        await later.close();
      }
    });

    it('event_id: required string', async () => {
      const { event_id: _omit, ...noId } = okEvent();
      await rejects(okBody({}, [noId]), 40002, 'data.0.event_id: Missing data for required field.');
      await rejects(okBody({}, [okEvent({ event_id: 12 })]), 40002, 'data.0.event_id: Not a valid string.');
    });

    it('unknown event fields are refused (e.g. Meta’s event_name)', async () => {
      await rejects(okBody({}, [okEvent({ event_name: 'Purchase' })]), 40002, 'data.0.event_name: Unknown field.');
    });

    it('limited_data_use must be a boolean', async () => {
      await rejects(okBody({}, [okEvent({ limited_data_use: 'true' })]), 40002, 'data.0.limited_data_use: Not a valid boolean.');
    });
  });

  describe('user', () => {
    it('user: required object', async () => {
      const { user: _omit, ...noUser } = okEvent();
      await rejects(okBody({}, [noUser]), 40002, 'data.0.user: Missing data for required field.');
      await rejects(okBody({}, [okEvent({ user: [] })]), 40002, 'data.0.user: Not a valid mapping type.');
    });

    it('hashed fields must be 64 lowercase hex, as a string or a non-empty list', async () => {
      await rejects(okBody({}, [okEvent({ user: { email: 'jane@example.com' } })]), 40002, 'data.0.user.email: Must be a SHA-256 hash (64 lowercase hex characters).');
      await rejects(okBody({}, [okEvent({ user: { phone: HASH.toUpperCase() } })]), 40002, 'data.0.user.phone: Must be a SHA-256 hash (64 lowercase hex characters).');
      await rejects(okBody({}, [okEvent({ user: { external_id: [HASH, 'raw-id'] } })]), 40002, 'data.0.user.external_id: Must be a SHA-256 hash (64 lowercase hex characters).');
      await rejects(okBody({}, [okEvent({ user: { external_id: [] } })]), 40002, 'data.0.user.external_id: Must not be empty.');
      await rejects(okBody({}, [okEvent({ user: { first_name: 5 } })]), 40002, 'data.0.user.first_name: Not a valid string.');
      await rejects(okBody({}, [okEvent({ user: { zip_code: 'abc' } })]), 40002, 'data.0.user.zip_code: Must be a SHA-256 hash (64 lowercase hex characters).');
    });

    it('plain fields are strings; ip must be an IP address', async () => {
      await rejects(okBody({}, [okEvent({ user: { user_agent: 1 } })]), 40002, 'data.0.user.user_agent: Not a valid string.');
      await rejects(okBody({}, [okEvent({ user: { ip: 'localhost' } })]), 40002, 'data.0.user.ip: Not a valid IP address.');
    });

    it('unknown user fields are refused (e.g. Meta’s em, or the 1.0 phone_number)', async () => {
      await rejects(okBody({}, [okEvent({ user: { em: HASH } })]), 40002, 'data.0.user.em: Unknown field.');
      await rejects(okBody({}, [okEvent({ user: { phone_number: HASH } })]), 40002, 'data.0.user.phone_number: Unknown field.');
    });
  });

  describe('page and properties', () => {
    it('page: an object of url and referrer strings', async () => {
      await rejects(okBody({}, [okEvent({ page: 'https://x' })]), 40002, 'data.0.page: Not a valid mapping type.');
      await rejects(okBody({}, [okEvent({ page: { url: 1 } })]), 40002, 'data.0.page.url: Not a valid string.');
      await rejects(okBody({}, [okEvent({ page: { href: 'https://x' } })]), 40002, 'data.0.page.href: Unknown field.');
    });

    it('value needs a currency; currency is ISO 4217 upper case', async () => {
      await rejects(okBody({}, [okEvent({ properties: { value: 10 } })]), 40002, 'data.0.properties.currency: Required when value is set.');
      await rejects(okBody({}, [okEvent({ properties: { value: '10', currency: 'EUR' } })]), 40002, 'data.0.properties.value: Not a valid number.');
      await rejects(okBody({}, [okEvent({ properties: { value: 10, currency: 'eur' } })]), 40002, 'data.0.properties.currency: Not a valid ISO 4217 currency code.');
    });

    it('contents: content_id a string (TikTok’s own message), price a number, quantity an integer', async () => {
      await rejects(okBody({}, [okEvent({ properties: { contents: [{ content_id: 1077218 }] } })]), 40002, 'data.0.properties.contents.0.content_id: Not a valid string');
      await rejects(okBody({}, [okEvent({ properties: { contents: [{ content_id: 'a', price: '1' }] } })]), 40002, 'data.0.properties.contents.0.price: Not a valid number.');
      await rejects(okBody({}, [okEvent({ properties: { contents: [{ content_id: 'a', quantity: 1.5 }] } })]), 40002, 'data.0.properties.contents.0.quantity: Not a valid integer.');
      await rejects(okBody({}, [okEvent({ properties: { contents: [{ id: 'a' }] } })]), 40002, 'data.0.properties.contents.0.id: Unknown field.');
      await rejects(okBody({}, [okEvent({ properties: { contents: {} } })]), 40002, 'data.0.properties.contents: Not a valid list.');
    });

    it('content_type is product or product_group; order_id and query are strings; unknown properties refused', async () => {
      await rejects(okBody({}, [okEvent({ properties: { content_type: 'socks' } })]), 40002, 'data.0.properties.content_type: Must be one of: product, product_group.');
      await rejects(okBody({}, [okEvent({ properties: { order_id: 1001 } })]), 40002, 'data.0.properties.order_id: Not a valid string.');
      await rejects(okBody({}, [okEvent({ properties: { query: ['a'] } })]), 40002, 'data.0.properties.query: Not a valid string.');
      await rejects(okBody({}, [okEvent({ properties: { search_term: 'mug' } })]), 40002, 'data.0.properties.search_term: Unknown field.');
    });
  });

  describe('failure injection', () => {
    it('429 → HTTP 429 with TikTok’s rate-limit body and Retry-After', async () => {
      fake.failNext(1, 429);
      const a = await post(okBody());
      expect(a.status).toBe(429);
      expect(a.headers['retry-after']).toBe('2');
      expect(a.json).toMatchObject({ code: 40100, message: 'Too many requests. Please retry in some time.' });
    });

    it('500/503 → nginx HTML; 503 carries Retry-After', async () => {
      fake.failNext(1, 500);
      fake.failNext(1, 503);
      const a = await post(okBody());
      const b = await post(okBody());
      expect([a.status, b.status]).toEqual([500, 503]);
      expect(a.json).toBeUndefined();
      expect(a.text).toContain('<center>nginx</center>');
      expect(a.headers['content-type']).toBe('text/html');
      expect(a.headers['retry-after']).toBeUndefined();
      expect(b.headers['retry-after']).toBe('30');
    });

    it('auth → HTTP 200 with code 40105', async () => {
      fake.failNext(1, 'auth');
      const a = await post(okBody());
      expect(a.status).toBe(200);
      expect(a.json).toMatchObject({ code: 40105 });
    });

    it('respondNext scripts body codes, then validation resumes', async () => {
      fake.respondNext(2, 40100, 'Too many requests. Please retry in some time.');
      expect((await post(okBody())).json).toMatchObject({ code: 40100 });
      expect((await post(okBody())).json).toMatchObject({ code: 40100 });
      expect((await post(okBody())).json).toMatchObject({ code: 0 });
      expect(fake.received).toHaveLength(1);
      expect(fake.requests).toHaveLength(3);
    });

    it('reset clears scripted answers, injected failures and recorded requests', async () => {
      fake.respondNext(1, 50000, 'Internal service error');
      fake.failNext(1, 500);
      await post(okBody()).catch(() => undefined);
      fake.reset();
      fake.respondNext(1, 50000);
      fake.reset();
      const a = await post(okBody());
      expect(a.json?.code).toBe(0);
      expect(fake.requests).toHaveLength(1);
      expect(fake.received).toHaveLength(1);
    });
  });
});

describe('fake TikTok standalone', () => {
  it('runs with tsx, prints its URL and validates tokens given on the command line', async () => {
    const script = fileURLToPath(new URL('./fakes/tiktok-server.ts', import.meta.url));
    const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
    const child = spawn(tsx, [script, '--port', '0', '--token', 'cli-token-0123456789', '--pixel', 'CCLIPIXEL00000000000'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const http = createHttpClient();
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /listening (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`fake exited with ${code}`)));
      });
      const res = await http.request({
        method: 'POST',
        url: `${url}${TIKTOK_TRACK_PATH}`,
        headers: { 'content-type': 'application/json', 'access-token': 'cli-token-0123456789' },
        body: JSON.stringify(okBody({ event_source_id: 'CCLIPIXEL00000000000' })),
      });
      expect(JSON.parse(res.body)).toMatchObject({ code: 0, message: 'OK' });
    } finally {
      await http.close();
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  }, 20_000);
});
