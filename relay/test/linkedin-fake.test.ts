/**
 * The fake LinkedIn server's own rules, one test each, so it cannot quietly accept what LinkedIn
 * refuses (or refuse what it accepts) and make the destination tests meaningless.
 */
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  FAKE_LINKEDIN_FUTURE_TOLERANCE_MS,
  FAKE_LINKEDIN_TOKEN,
  startFakeLinkedin,
  type FakeLinkedin,
} from './fakes/linkedin-server.js';

let fake: FakeLinkedin;
const EM = createHash('sha256').update('john_smith@gmail.com').digest('hex');

beforeAll(async () => {
  fake = await startFakeLinkedin();
});
afterAll(() => fake.close());
afterEach(() => fake.reset());

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: { status?: number; code?: string; serviceErrorCode?: number; message?: string; elements?: unknown[] };
}

const BASE_HEADERS = {
  authorization: `Bearer ${FAKE_LINKEDIN_TOKEN}`,
  'linkedin-version': '202605',
  'x-restli-protocol-version': '2.0.0',
  'content-type': 'application/json',
};

async function call(path: string, init: { method?: string; body?: string; headers?: Record<string, string | undefined> } = {}): Promise<Answer> {
  const headers = Object.fromEntries(
    Object.entries({ ...BASE_HEADERS, ...init.headers }).filter((e): e is [string, string] => e[1] !== undefined),
  );
  const res = await fetch(`${fake.url}${path}`, { method: init.method ?? 'POST', headers, body: init.body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text === '' ? {} : (JSON.parse(text) as Answer['json']) };
}

const batch = (elements: unknown, headers: Record<string, string | undefined> = {}) =>
  call('/rest/conversionEvents', { body: JSON.stringify({ elements }), headers: { 'x-restli-method': 'BATCH_CREATE', ...headers } });

function element(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    conversion: 'urn:lla:llaPartnerConversion:104012',
    conversionHappenedAt: Date.now() - 60_000,
    conversionValue: { currencyCode: 'USD', amount: '49.99' },
    eventId: 'evt-1',
    user: { userIds: [{ idType: 'SHA256_EMAIL', idValue: EM }] },
    ...overrides,
  };
}

function expectRefused(a: Answer, status: number, message: RegExp, code?: string): void {
  expect(a.status).toBe(status);
  expect(a.json.status).toBe(status);
  expect(a.json.message).toMatch(message);
  if (code !== undefined) expect(a.json.code).toBe(code);
  expect(fake.received).toHaveLength(0);
}

describe('fake LinkedIn: success shapes', () => {
  it('batch create answers 200 with one status per element (L1)', async () => {
    const a = await batch([element(), element({ eventId: 'evt-2' })]);
    expect(a.status).toBe(200);
    expect(a.json).toStrictEqual({ elements: [{ status: 201 }, { status: 201 }] });
    expect(fake.received[0]).toMatchObject({ kind: 'batch' });
  });

  it('a single create answers 201 with an empty body [FIELD]', async () => {
    const a = await call('/rest/conversionEvents', { body: JSON.stringify(element()) });
    expect(a.status).toBe(201);
    expect(a.text).toBe('');
    expect(fake.received[0]).toMatchObject({ kind: 'single' });
  });

  it('accepts 5,000 elements (L2)', async () => {
    const e = element();
    expect((await batch(Array.from({ length: 5000 }, () => e))).status).toBe(200);
  });

  it('lists the member\'s ad account roles', async () => {
    const a = await call('/rest/adAccountUsers?q=authenticatedUser', { method: 'GET', headers: { 'content-type': undefined } });
    expect(a.status).toBe(200);
    expect(a.json.elements).toStrictEqual([{ account: 'urn:li:sponsoredAccount:507404993', role: 'ACCOUNT_MANAGER', user: 'urn:li:person:fakeMember01' }]);
  });
});

describe('fake LinkedIn: route, token, headers', () => {
  it('refuses an unknown route (404)', async () => expectRefused(await call('/v2/conversionEvents', { body: '{}' }), 404, /No route/));

  it('refuses a missing or unknown token before anything else (401 INVALID_ACCESS_TOKEN) [FIELD]', async () => {
    expectRefused(await batch([element()], { authorization: undefined, 'linkedin-version': undefined }), 401, /Invalid access token/, 'INVALID_ACCESS_TOKEN');
    const a = await batch([element()], { authorization: 'Bearer someone-else' });
    expect(a.json).toStrictEqual({ status: 401, serviceErrorCode: 65600, code: 'INVALID_ACCESS_TOKEN', message: 'Invalid access token' });
  });

  it('refuses a request without LinkedIn-Version (400 VERSION_MISSING) [FIELD]', async () =>
    expectRefused(await batch([element()], { 'linkedin-version': undefined }), 400, /version must be present/, 'VERSION_MISSING'));

  it('refuses an inactive version (426 NONEXISTENT_VERSION, UNCONFIRMED)', async () =>
    expectRefused(await batch([element()], { 'linkedin-version': '202001' }), 426, /202001 is not active/, 'NONEXISTENT_VERSION'));

  it('refuses a request without X-Restli-Protocol-Version 2.0.0 (L1)', async () =>
    expectRefused(await batch([element()], { 'x-restli-protocol-version': undefined }), 400, /X-Restli-Protocol-Version/));

  it('needs the authenticatedUser finder for ad account users', async () =>
    expectRefused(await call('/rest/adAccountUsers', { method: 'GET' }), 400, /q=authenticatedUser/));

  it('refuses a body that is not JSON, or not declared as JSON', async () => {
    expectRefused(await call('/rest/conversionEvents', { body: 'nope' }), 400, /not valid JSON/);
    expectRefused(await call('/rest/conversionEvents', { body: '{}', headers: { 'content-type': 'text/plain' } }), 415, /application\/json/);
  });

  it('refuses an unsupported X-RestLi-Method', async () =>
    expectRefused(await batch([element()], { 'x-restli-method': 'BATCH_UPDATE' }), 400, /Unsupported X-RestLi-Method/));
});

describe('fake LinkedIn: batch envelope', () => {
  it('requires elements (422)', async () =>
    expectRefused(await call('/rest/conversionEvents', { body: '{}', headers: { 'x-restli-method': 'BATCH_CREATE' } }), 422, /\/elements :: field is required/));
  it('refuses an empty batch', async () => expectRefused(await batch([]), 400, /at least one element/));
  it('refuses 5,001 elements (L2)', async () => {
    const e = element();
    expectRefused(await batch(Array.from({ length: 5001 }, () => e)), 400, /at most 5000 elements; got 5001/);
  });
});

describe('fake LinkedIn: each element (422, every error at once) [FIELD]', () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['an unknown field', { campaign: 'x' }, /\/elements\/0\/campaign :: unrecognized field/],
    ['a missing conversion', { conversion: undefined }, /\/elements\/0\/conversion :: field is required/],
    ['a wrong URN prefix', { conversion: 'urn:li:conversion:104012' }, /\/elements\/0\/conversion :: Invalid Urn format/],
    ['a missing conversionHappenedAt', { conversionHappenedAt: undefined }, /conversionHappenedAt :: field is required/],
    ['conversionHappenedAt as a string', { conversionHappenedAt: '1732390000000' }, /conversionHappenedAt :: "1732390000000" cannot be coerced to Long/],
    ['amount as a number', { conversionValue: { currencyCode: 'USD', amount: 49.99 } }, /conversionValue\/amount :: 49.99 cannot be coerced to String/],
    ['amount missing', { conversionValue: { currencyCode: 'USD' } }, /conversionValue\/amount :: field is required/],
    ['amount not a decimal', { conversionValue: { currencyCode: 'USD', amount: '49,99' } }, /amount :: must be a decimal number/],
    ['currencyCode missing', { conversionValue: { amount: '1.00' } }, /currencyCode :: field is required/],
    ['currencyCode not 3 letters', { conversionValue: { currencyCode: 'usd', amount: '1.00' } }, /currencyCode :: must be a 3-letter/],
    ['an eventId over 64 characters (L2, UNCONFIRMED)', { eventId: 'e'.repeat(65) }, /eventId :: must be a string of 1 to 64/],
    ['a missing user', { user: undefined }, /\/elements\/0\/user :: field is required/],
    ['a user without userIds (DEVTO)', { user: { userInfo: { firstName: 'Mary', lastName: 'Smith' } } }, /user\/userIds :: field is required/],
    ['an unknown user field', { user: { userIds: [{ idType: 'SHA256_EMAIL', idValue: EM }], email: 'x' } }, /user\/email :: unrecognized field/],
    ['an unknown idType', { user: { userIds: [{ idType: 'EMAIL', idValue: EM }] } }, /idType :: "EMAIL" is not a valid enum symbol/],
    ['an empty idValue', { user: { userIds: [{ idType: 'SHA256_EMAIL', idValue: '' }] } }, /idValue :: field is required/],
    ['an unhashed SHA256_EMAIL', { user: { userIds: [{ idType: 'SHA256_EMAIL', idValue: 'john_smith@gmail.com' }] } }, /idValue :: must be a SHA-256 hex digest/],
    ['empty userIds without userInfo', { user: { userIds: [] } }, /user :: userIds or userInfo must identify/],
  ];

  it.each(cases)('refuses %s', async (_name, overrides, message) => {
    expectRefused(await batch([element(overrides)]), 422, message);
  });

  it('accepts empty userIds with userInfo (DEVTO)', async () => {
    expect((await batch([element({ user: { userIds: [], userInfo: { firstName: 'Mary', lastName: 'Smith' } } })])).status).toBe(200);
  });

  it('reports the errors of several elements in one multi-line message', async () => {
    const a = await batch([element({ conversion: 'bad' }), element(), element({ conversionValue: { currencyCode: 'USD', amount: 1 } })]);
    expect(a.status).toBe(422);
    expect(a.json.message!.split('\n')).toStrictEqual([
      'ERROR :: /elements/0/conversion :: Invalid Urn format',
      'ERROR :: /elements/2/conversionValue/amount :: 1 cannot be coerced to String',
    ]);
  });
});

describe('fake LinkedIn: time window and rules', () => {
  it('refuses events older than 90 days, naming their indices (400) [FIELD]', async () => {
    const old = Date.now() - 90 * 86_400_000 - 60_000;
    expectRefused(await batch([element(), element({ conversionHappenedAt: old }), element({ conversionHappenedAt: old })]), 400, /within 90 days.*indices \[1, 2\]$/);
  });

  it('refuses seconds instead of milliseconds (reads as 1970) and future times', async () => {
    expectRefused(await batch([element({ conversionHappenedAt: Math.floor(Date.now() / 1000) })]), 400, /indices \[0\]/);
    expectRefused(await batch([element({ conversionHappenedAt: Date.now() + FAKE_LINKEDIN_FUTURE_TOLERANCE_MS + 60_000 })]), 400, /not in the future/);
  });

  it('answers a well-formed but unknown rule with the misleading 403 "No ad accounts found" [FIELD]', async () =>
    expectRefused(await batch([element({ conversion: 'urn:lla:llaPartnerConversion:999' })]), 403, /No ad accounts found/));
});

describe('fake LinkedIn: injected failures', () => {
  it('429 carries Retry-After; token failure is 401 EXPIRED_ACCESS_TOKEN; 500 and 503 use the error shape', async () => {
    fake.failNext(1, 429);
    const limited = await batch([element()]);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('11');
    fake.failNext(1, 'token');
    expect((await batch([element()])).json).toMatchObject({ status: 401, code: 'EXPIRED_ACCESS_TOKEN' });
    fake.failNext(2, 503);
    expect((await batch([element()])).json).toStrictEqual({ status: 503, message: 'Service Unavailable' });
    expect((await batch([element()])).status).toBe(503);
    expect((await batch([element()])).status).toBe(200);
  });
});
