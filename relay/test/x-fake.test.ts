/**
 * The fake X Ads API's own rules, one test each. Requests here are signed with the fake's own
 * RFC 5849 signer (not the destination's library), so these tests also pin the verifier.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  FAKE_X_CREDENTIALS,
  FAKE_X_PIXEL_ID,
  FAKE_X_TIMESTAMP_TOLERANCE_SECONDS,
  oauthSignature,
  startFakeX,
  type FakeX,
} from './fakes/x-server.js';

let fake: FakeX;
const EM = createHash('sha256').update('john_smith@gmail.com').digest('hex');
const CONVERSIONS = `/12/measurement/conversions/${FAKE_X_PIXEL_ID}`;
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  fake = await startFakeX();
});
afterAll(() => fake.close());
afterEach(() => fake.reset());

interface SignOptions {
  method?: string;
  consumerKey?: string;
  consumerSecret?: string;
  token?: string;
  tokenSecret?: string;
  timestamp?: number;
  nonce?: string;
  signatureMethod?: string;
  omit?: string;
  /** Replace the computed signature. */
  signature?: string;
}

/** An OAuth 1.0a header for `url` (query included in the signature), made with the fake's signer. */
function oauthHeader(url: string, o: SignOptions = {}): string {
  const u = new URL(url);
  const params: Record<string, string> = {
    oauth_consumer_key: o.consumerKey ?? FAKE_X_CREDENTIALS.consumer_key,
    oauth_nonce: o.nonce ?? randomBytes(16).toString('hex'),
    oauth_signature_method: o.signatureMethod ?? 'HMAC-SHA1',
    oauth_timestamp: String(o.timestamp ?? now()),
    oauth_token: o.token ?? FAKE_X_CREDENTIALS.access_token,
    oauth_version: '1.0',
  };
  const signature =
    o.signature ??
    oauthSignature(
      o.method ?? 'POST',
      `${u.protocol}//${u.host}${u.pathname}`,
      [...u.searchParams.entries(), ...Object.entries(params)],
      o.consumerSecret ?? FAKE_X_CREDENTIALS.consumer_secret,
      o.tokenSecret ?? FAKE_X_CREDENTIALS.access_token_secret,
    );
  const all: Record<string, string> = { ...params, oauth_signature: signature };
  if (o.omit !== undefined) delete all[o.omit];
  return `OAuth ${Object.entries(all)
    .map(([k, v]) => `${k}="${encodeURIComponent(v)}"`)
    .join(', ')}`;
}

interface Answer {
  status: number;
  headers: Headers;
  json: { errors?: Array<{ code: string; message: string; parameter?: string }>; data?: unknown; x_fake_reason?: string; request?: unknown };
}

async function call(
  path: string,
  init: { method?: string; body?: string; sign?: SignOptions | null; contentType?: string | null; authorization?: string } = {},
): Promise<Answer> {
  const method = init.method ?? 'POST';
  const url = `${fake.url}${path}`;
  const headers: Record<string, string> = {};
  if (init.contentType !== null && method === 'POST') headers['content-type'] = init.contentType ?? 'application/json';
  if (init.authorization !== undefined) headers.authorization = init.authorization;
  else if (init.sign !== null) headers.authorization = oauthHeader(url, { method, ...init.sign });
  const res = await fetch(url, { method, headers, body: init.body });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Answer['json'] };
}

const post = (body: unknown, sign?: SignOptions) => call(CONVERSIONS, { body: JSON.stringify(body), sign });

function conversion(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    conversion_time: new Date().toISOString(),
    event_id: 'o87ne',
    identifiers: [{ twclid: '23opevjt88psuo13lu8d020qkn' }],
    conversion_id: 'evt-1',
    ...overrides,
  };
}

function expectUnauthorized(a: Answer, reason: string): void {
  expect(a.status).toBe(401);
  expect(a.json.errors).toStrictEqual([{ code: 'UNAUTHORIZED_ACCESS', message: 'This request is not properly authenticated' }]);
  expect(a.json.x_fake_reason).toBe(reason);
  expect(fake.received).toHaveLength(0);
}

function expectInvalid(a: Answer, code: string, message: RegExp, parameter?: string): void {
  expect(a.status).toBe(400);
  expect(a.json.errors![0]!.code).toBe(code);
  expect(a.json.errors![0]!.message).toMatch(message);
  if (parameter !== undefined) expect(a.json.errors![0]!.parameter).toBe(parameter);
  expect(a.json.request).toStrictEqual({ params: {} });
  expect(fake.received).toHaveLength(0);
}

describe('fake X: success shapes', () => {
  it('accepts signed conversions: 200 {request, data:{conversions_processed, debug_id}}', async () => {
    const a = await post({ conversions: [conversion(), conversion({ event_id: 'tw-o8z6j-o87nf', conversion_id: 'evt-2' })] });
    expect(a.status).toBe(200);
    expect(a.json).toMatchObject({ request: { params: { pixel_id: FAKE_X_PIXEL_ID } }, data: { conversions_processed: 2, debug_id: expect.any(String) } });
    expect(fake.received[0]).toMatchObject({ kind: 'conversions' });
  });

  it('accepts 500 conversions (X1)', async () => {
    const c = conversion();
    expect((await post({ conversions: Array.from({ length: 500 }, () => c) })).status).toBe(200);
  });

  it('lists ad accounts, with a signed query string', async () => {
    const a = await call('/12/accounts?count=5', { method: 'GET' });
    expect(a.status).toBe(200);
    expect(a.json).toMatchObject({ data: [{ id: '18ce54d4x5t', name: 'Fake Shop' }], data_type: 'account', total_count: 1 });
  });
});

describe('fake X: OAuth 1.0a (RFC 5849, X2)', () => {
  it('refuses a request without an OAuth header', async () =>
    expectUnauthorized(await call(CONVERSIONS, { body: JSON.stringify({ conversions: [conversion()] }), sign: null }), 'missing or malformed OAuth Authorization header'));

  it('refuses a Bearer token instead of an OAuth signature (X2: user context)', async () =>
    expectUnauthorized(await call(CONVERSIONS, { body: '{}', authorization: 'Bearer AAAAAAAAAAAAAAAAAAAA' }), 'missing or malformed OAuth Authorization header'));

  it.each(['oauth_consumer_key', 'oauth_token', 'oauth_signature_method', 'oauth_timestamp', 'oauth_nonce', 'oauth_signature'])(
    'refuses a header without %s',
    async (param) => expectUnauthorized(await post({ conversions: [conversion()] }, { omit: param }), `missing ${param}`),
  );

  it('refuses a signature method other than HMAC-SHA1', async () =>
    expectUnauthorized(await post({ conversions: [conversion()] }, { signatureMethod: 'PLAINTEXT' }), 'oauth_signature_method must be HMAC-SHA1'));

  it('refuses an unknown consumer key and an unknown access token', async () => {
    expectUnauthorized(await post({ conversions: [conversion()] }, { consumerKey: 'someoneElsesKey' }), 'unknown consumer key');
    expectUnauthorized(await post({ conversions: [conversion()] }, { token: '42-someoneElsesToken' }), 'unknown access token');
  });

  it('refuses a timestamp outside the tolerance', async () =>
    expectUnauthorized(await post({ conversions: [conversion()] }, { timestamp: now() - FAKE_X_TIMESTAMP_TOLERANCE_SECONDS - 30 }), 'oauth_timestamp out of range'));

  it('refuses a replayed nonce', async () => {
    const nonce = 'fixedNonce0123456789';
    expect((await post({ conversions: [conversion()] }, { nonce })).status).toBe(200);
    const a = await post({ conversions: [conversion()] }, { nonce });
    expect(a.status).toBe(401);
    expect(a.json.x_fake_reason).toBe('oauth_nonce already used');
  });

  it('refuses a signature made with the wrong consumer secret or token secret', async () => {
    expectUnauthorized(await post({ conversions: [conversion()] }, { consumerSecret: 'wrong' }), 'signature mismatch');
    expectUnauthorized(await post({ conversions: [conversion()] }, { tokenSecret: 'wrong' }), 'signature mismatch');
  });

  it('refuses a tampered signature', async () =>
    expectUnauthorized(await post({ conversions: [conversion()] }, { signature: 'hCtSmYh+iHYCEqBWrE7C7hYmtUk=' }), 'signature mismatch'));

  it('refuses a request whose query changed after signing', async () => {
    const header = oauthHeader(`${fake.url}/12/accounts?count=5`, { method: 'GET' });
    expectUnauthorized(await call('/12/accounts?count=6', { method: 'GET', authorization: header }), 'signature mismatch');
  });
});

describe('fake X: route, version, pixel, body', () => {
  it('answers an unknown route with 404 ROUTE_NOT_FOUND', async () => {
    const a = await call('/12/measurement/conversion/o8z6j', { body: '{}' });
    expect(a.status).toBe(404);
    expect(a.json.errors![0]!.code).toBe('ROUTE_NOT_FOUND');
  });

  it('answers an unavailable API version with 404 (UNCONFIRMED)', async () => {
    expect((await call(`/9/measurement/conversions/${FAKE_X_PIXEL_ID}`, { body: JSON.stringify({ conversions: [conversion()] }) })).status).toBe(404);
  });

  it('answers an unknown pixel with 404 NOT_FOUND (UNCONFIRMED)', async () => {
    const a = await call('/12/measurement/conversions/zz999', { body: JSON.stringify({ conversions: [conversion()] }) });
    expect(a.status).toBe(404);
    expect(a.json.errors![0]).toMatchObject({ code: 'NOT_FOUND', message: 'Pixel zz999 was not found' });
  });

  it('needs a JSON body', async () =>
    expectInvalid(await call(CONVERSIONS, { body: 'conversions=1', contentType: 'text/plain' }), 'INVALID_PARAMETER', /must be JSON/));

  it('needs conversions (MISSING_PARAMETER)', async () => expectInvalid(await post({}), 'MISSING_PARAMETER', /"conversions" is missing/, 'conversions'));
  it('needs conversions to be a non-empty list', async () => {
    expectInvalid(await post({ conversions: conversion() }), 'INVALID_PARAMETER', /non-empty list/);
    expectInvalid(await post({ conversions: [] }), 'INVALID_PARAMETER', /non-empty list/);
  });
  it('refuses 501 conversions (X1)', async () => {
    const c = conversion();
    expectInvalid(await post({ conversions: Array.from({ length: 501 }, () => c) }), 'INVALID_PARAMETER', /At most 500 conversions may be provided; got 501/);
  });
});

describe('fake X: each conversion (400 INVALID_PARAMETER)', () => {
  const cases: Array<[string, Record<string, unknown>, RegExp, string]> = [
    ['an unknown field (fake-only strictness)', { conversion_value: 1 }, /Unknown field "conversion_value"/, 'conversions[0].conversion_value'],
    ['a missing conversion_time', { conversion_time: undefined }, /conversion_time is required/, 'conversions[0].conversion_time'],
    ['conversion_time in unix seconds', { conversion_time: 1732390000 }, /conversion_time is required/, 'conversions[0].conversion_time'],
    ['conversion_time without a zone', { conversion_time: '2026-11-23 12:00:00' }, /ISO 8601/, 'conversions[0].conversion_time'],
    ['conversion_time in the future (UNCONFIRMED)', { conversion_time: new Date(Date.now() + 3_600_000).toISOString() }, /in the future/, 'conversions[0].conversion_time'],
    ['a missing event_id', { event_id: undefined }, /event_id is required/, 'conversions[0].event_id'],
    ['an event_id the pixel does not have', { event_id: 'zzzzz' }, /not a single event tag of pixel o8z6j/, 'conversions[0].event_id'],
    ['an event_id of another pixel', { event_id: 'tw-abcde-o87ne' }, /not a single event tag/, 'conversions[0].event_id'],
    ['missing identifiers', { identifiers: undefined }, /identifiers must be a non-empty list/, 'conversions[0].identifiers'],
    ['empty identifiers', { identifiers: [] }, /identifiers must be a non-empty list/, 'conversions[0].identifiers'],
    ['an empty identifier object', { identifiers: [{}] }, /must be an object/, 'conversions[0].identifiers[0]'],
    ['an unknown identifier', { identifiers: [{ email: 'a@b.c' }] }, /Unknown identifier "email"/, 'conversions[0].identifiers[0].email'],
    ['an empty twclid', { identifiers: [{ twclid: ' ' }] }, /twclid must be a non-empty string/, 'conversions[0].identifiers[0].twclid'],
    ['an unhashed hashed_email (notes §5)', { identifiers: [{ hashed_email: 'john_smith@gmail.com' }] }, /hashed_email must be a SHA-256/, 'conversions[0].identifiers[0].hashed_email'],
    ['an unhashed hashed_phone_number', { identifiers: [{ hashed_phone_number: '+16505551212' }] }, /hashed_phone_number must be a SHA-256/, 'conversions[0].identifiers[0].hashed_phone_number'],
    ['an invalid ip_address', { identifiers: [{ twclid: 'x' }, { ip_address: '203.0.113', user_agent: 'UA' }] }, /ip_address must be an IPv4 or IPv6/, 'conversions[0].identifiers[1].ip_address'],
    ['IP and user agent alone (X1)', { identifiers: [{ ip_address: '203.0.113.7', user_agent: 'UA' }] }, /At least one user identifier/, 'conversions[0].identifiers'],
    ['number_items zero', { number_items: 0 }, /positive integer/, 'conversions[0].number_items'],
    ['number_items fractional', { number_items: 1.5 }, /positive integer/, 'conversions[0].number_items'],
    ['price_currency not ISO 4217', { price_currency: 'euro' }, /ISO 4217/, 'conversions[0].price_currency'],
    ['value as a string', { value: '9.99' }, /value must be a number/, 'conversions[0].value'],
    ['an empty conversion_id', { conversion_id: '' }, /conversion_id must be a non-empty string/, 'conversions[0].conversion_id'],
    ['contents not a list', { contents: { content_id: 'A' } }, /contents must be a list/, 'conversions[0].contents'],
    ['contents without content_id', { contents: [{ content_name: 'Mug' }] }, /needs a content_id/, 'conversions[0].contents[0]'],
    ['an unknown content field', { contents: [{ content_id: 'A', price: 1 }] }, /Unknown content field "price"/, 'conversions[0].contents[0].price'],
    ['content_price as a string', { contents: [{ content_id: 'A', content_price: '1' }] }, /content_price must be a number/, 'conversions[0].contents[0].content_price'],
  ];

  it.each(cases)('refuses %s', async (_name, overrides, message, parameter) => {
    expectInvalid(await post({ conversions: [conversion(overrides)] }), 'INVALID_PARAMETER', message, parameter);
  });

  it('accepts email + phone hashes with IP and user agent, and every optional field', async () => {
    const a = await post({
      conversions: [
        conversion({
          identifiers: [{ hashed_email: EM }, { hashed_phone_number: EM }, { ip_address: '2001:db8::1', user_agent: 'UA' }],
          value: 9.99,
          price_currency: 'EUR',
          number_items: 2,
          description: 'order 1',
          contents: [{ content_id: 'A', content_name: 'Mug', content_price: 4.99, num_items: 2, content_type: 'product', content_group_id: 'G' }],
        }),
      ],
    });
    expect(a.status).toBe(200);
  });

  it('reports the first bad conversion of a batch by index', async () =>
    expectInvalid(await post({ conversions: [conversion(), conversion({ event_id: 'zzzzz' })] }), 'INVALID_PARAMETER', /zzzzz/, 'conversions[1].event_id'));
});

describe('fake X: injected failures', () => {
  it('429 carries Retry-After and x-rate-limit-reset; 500/503 use the errors shape; auth is a 401', async () => {
    fake.failNext(1, 429);
    const limited = await post({ conversions: [conversion()] });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('9');
    expect(Number(limited.headers.get('x-rate-limit-reset'))).toBeGreaterThanOrEqual(now());
    fake.failNext(1, 500);
    expect((await post({ conversions: [conversion()] })).json.errors![0]!.code).toBe('INTERNAL_ERROR');
    fake.failNext(1, 503);
    expect((await post({ conversions: [conversion()] })).json.errors![0]!.code).toBe('SERVICE_UNAVAILABLE');
    fake.failNext(1, 'auth');
    expect((await post({ conversions: [conversion()] })).status).toBe(401);
    expect((await post({ conversions: [conversion()] })).status).toBe(200);
  });
});
