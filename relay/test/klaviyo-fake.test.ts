/**
 * The fake Klaviyo's own rules, one test each, including the deduplication it models.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_KLAVIYO_KEY, FAKE_KLAVIYO_READONLY_KEY, startFakeKlaviyo, type FakeKlaviyo } from './fakes/klaviyo-server.js';

let fake: FakeKlaviyo;

beforeAll(async () => {
  fake = await startFakeKlaviyo();
});
afterAll(() => fake.close());
afterEach(() => fake.reset());

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  error?: { id: string; status: number; code: string; title: string; detail: string; source: { pointer?: string; parameter?: string } };
}

const HEADERS = {
  authorization: `Klaviyo-API-Key ${FAKE_KLAVIYO_KEY}`,
  revision: '2026-04-15',
  'content-type': 'application/vnd.api+json',
  accept: 'application/vnd.api+json',
};

async function call(body: unknown, init: { path?: string; method?: string; headers?: Record<string, string | undefined>; raw?: string } = {}): Promise<Answer> {
  const headers = Object.fromEntries(Object.entries({ ...HEADERS, ...init.headers }).filter((e): e is [string, string] => e[1] !== undefined));
  const res = await fetch(`${fake.url}${init.path ?? '/api/events'}`, {
    method: init.method ?? 'POST',
    headers,
    body: init.method === 'GET' ? undefined : (init.raw ?? JSON.stringify(body)),
  });
  const text = await res.text();
  const json = text === '' ? undefined : (JSON.parse(text) as { errors: Answer['error'][] });
  return { status: res.status, headers: res.headers, text, error: json?.errors[0] };
}

function event(attrs: Record<string, unknown> = {}, profile: Record<string, unknown> = { external_id: 'cust-1' }): Record<string, unknown> {
  return {
    data: {
      type: 'event',
      attributes: {
        properties: { OrderId: '1001' },
        metric: { data: { type: 'metric', attributes: { name: 'Placed Order' } } },
        profile: { data: { type: 'profile', attributes: profile } },
        time: new Date().toISOString(),
        unique_id: 'evt-1',
        ...attrs,
      },
    },
  };
}

function expectInvalid(a: Answer, pointer: string, detail: RegExp): void {
  expect(a.status).toBe(400);
  expect(a.error).toMatchObject({ status: 400, code: 'invalid', title: 'Invalid input.', source: { pointer } });
  expect(a.error!.detail).toMatch(detail);
  expect(a.error!.id).toMatch(/^[0-9a-f-]{36}$/);
  expect(fake.received).toHaveLength(0);
}

describe('fake Klaviyo: success and deduplication (K1)', () => {
  it('answers 202 with an empty body and keeps the event', async () => {
    const a = await call(event());
    expect(a.status).toBe(202);
    expect(a.text).toBe('');
    expect(fake.events).toHaveLength(1);
    expect(fake.events[0]).toMatchObject({ profileKey: 'external_id:cust-1', metric: 'Placed Order', uniqueId: 'evt-1' });
  });

  it('also takes application/json', async () => expect((await call(event(), { headers: { 'content-type': 'application/json' } })).status).toBe(202));

  it('keeps only the first event per (profile, metric, unique_id), still answering 202', async () => {
    await call(event());
    const again = await call(event({ properties: { changed: true } }));
    expect(again.status).toBe(202);
    expect(fake.events).toHaveLength(1);
    expect(fake.received[1]!.duplicate).toBe(true);
    await call(event({ metric: { data: { type: 'metric', attributes: { name: 'Refunded Order' } } } }));
    await call(event({}, { external_id: 'cust-2' }));
    expect(fake.events).toHaveLength(3);
  });

  it('without unique_id, two events of a profile and metric in the same second collide (WALKEROS)', async () => {
    const time = '2026-11-23T12:00:00.100Z';
    await call(event({ unique_id: undefined, time }));
    await call(event({ unique_id: undefined, time: '2026-11-23T12:00:00.900Z' }));
    await call(event({ unique_id: undefined, time: '2026-11-23T12:00:01.000Z' }));
    expect(fake.events.map((e) => e.time)).toStrictEqual(['2026-11-23T12:00:00.000Z', '2026-11-23T12:00:01.000Z']);
  });
});

describe('fake Klaviyo: route, key, scope, headers', () => {
  it('answers an unknown path with 404 and another method with 405', async () => {
    expect((await call(event(), { path: '/api/event-bulk' })).status).toBe(404);
    expect((await call(undefined, { method: 'GET' })).status).toBe(405);
  });

  it('refuses a missing key and an unknown key (401 not_authenticated)', async () => {
    const missing = await call(event(), { headers: { authorization: undefined } });
    expect(missing).toMatchObject({ status: 401, error: { code: 'not_authenticated', title: 'Authentication credentials were not provided.' } });
    const unknown = await call(event(), { headers: { authorization: 'Klaviyo-API-Key pk_nope0123456789' } });
    expect(unknown).toMatchObject({ status: 401, error: { code: 'not_authenticated', title: 'Incorrect authentication credentials.' } });
  });

  it('refuses a Bearer token in place of the Klaviyo-API-Key scheme', async () =>
    expect((await call(event(), { headers: { authorization: `Bearer ${FAKE_KLAVIYO_KEY}` } })).status).toBe(401));

  it('refuses a key without events:write (403 permission_denied, SEG)', async () => {
    const a = await call(event(), { headers: { authorization: `Klaviyo-API-Key ${FAKE_KLAVIYO_READONLY_KEY}` } });
    expect(a).toMatchObject({ status: 403, error: { code: 'permission_denied' } });
    expect(a.error!.detail).toMatch(/events:write/);
  });

  it('checks the key before the body', async () => {
    expect((await call({}, { headers: { authorization: 'Klaviyo-API-Key pk_nope0123456789' } })).status).toBe(401);
  });

  it('requires a supported revision header (K1)', async () => {
    const missing = await call(event(), { headers: { revision: undefined } });
    expect(missing).toMatchObject({ status: 400, error: { code: 'invalid', source: { parameter: 'revision' }, detail: 'The revision header is required.' } });
    expect((await call(event(), { headers: { revision: '2021-01-01' } })).error!.detail).toMatch(/2021-01-01 is not a supported API revision/);
  });

  it('refuses other media types (415) and malformed JSON', async () => {
    expect((await call(event(), { headers: { 'content-type': 'text/plain' } })).status).toBe(415);
    expect(await call(undefined, { raw: '{oops' })).toMatchObject({ status: 400, error: { code: 'parse_error' } });
  });
});

describe('fake Klaviyo: the event (400 invalid)', () => {
  const cases: Array<[string, unknown, string, RegExp]> = [
    ['no data', {}, '/data', /data is required/],
    ['a wrong type', { data: { type: 'events', attributes: {} } }, '/data/type', /expected "event"/],
    ['no attributes', { data: { type: 'event' } }, '/data/attributes', /attributes is required/],
    ['an unknown attribute', event({ timestamp: 1 }), '/data/attributes/timestamp', /not a valid field/],
    ['no properties', event({ properties: undefined }), '/data/attributes/properties', /properties is required/],
    ['more than 400 properties', event({ properties: Object.fromEntries(Array.from({ length: 401 }, (_, i) => [`p${i}`, i])) }), '/data/attributes/properties', /more than 400/],
    ['a property string over 100 KB', event({ properties: { big: 'x'.repeat(100 * 1024 + 1) } }), '/data/attributes/properties/big', /100 KB/],
    ['no metric', event({ metric: undefined }), '/data/attributes/metric', /metric is required/],
    ['a metric of the wrong type', event({ metric: { data: { type: 'event', attributes: { name: 'x' } } } }), '/data/attributes/metric/data/type', /"metric"/],
    ['an empty metric name', event({ metric: { data: { type: 'metric', attributes: { name: ' ' } } } }), '/data/attributes/metric/data/attributes/name', /is required/],
    ['a metric name of 128 characters', event({ metric: { data: { type: 'metric', attributes: { name: 'x'.repeat(128) } } } }), '/data/attributes/metric/data/attributes/name', /less than 128/],
    ['no profile', event({ profile: undefined }), '/data/attributes/profile', /profile is required/],
    ['a profile of the wrong type', event({ profile: { data: { type: 'person', attributes: { external_id: 'x' } } } }), '/data/attributes/profile/data/type', /"profile"/],
    ['a profile without an identifier', event({}, { first_name: 'Mary' }), '/data/attributes/profile', /profile identifier is required/],
    ['an unknown profile field', event({}, { external_id: 'x', em: 'y' }), '/data/attributes/profile/data/attributes/em', /not a valid profile field/],
    ['a SHA-256 hash as email', event({}, { email: 'a'.repeat(64) }), '/data/attributes/profile/data/attributes/email', /Invalid email address/],
    ['a phone number that is not E.164', event({}, { phone_number: '6505551212' }), '/data/attributes/profile/data/attributes/phone_number', /Invalid phone number/],
    ['an empty external_id', event({}, { external_id: '' }), '/data/attributes/profile', /identifier is required/],
    ['a location that is not an object', event({}, { external_id: 'x', location: '1.2.3.4' }), '/data/attributes/profile/data/attributes/location', /must be an object/],
    ['time as unix seconds', event({ time: 1732390000 }), '/data/attributes/time', /ISO 8601/],
    ['time before 2000', event({ time: '1999-12-31T23:59:59Z' }), '/data/attributes/time', /after the year 2000/],
    ['time over a year ahead', event({ time: new Date(Date.now() + 366 * 86_400_000).toISOString() }), '/data/attributes/time', /up to 1 year in the future/],
    ['value as a string', event({ value: '9.99' }), '/data/attributes/value', /must be a number/],
    ['value_currency not ISO 4217', event({ value: 1, value_currency: 'eur' }), '/data/attributes/value_currency', /ISO 4217/],
    ['unique_id as a number', event({ unique_id: 5 }), '/data/attributes/unique_id', /must be a string/],
    ['backfill as a string', event({ backfill: 'yes' }), '/data/attributes/backfill', /must be a boolean/],
  ];

  it.each(cases)('refuses %s', async (_name, body, pointer, detail) => expectInvalid(await call(body), pointer, detail));

  it('accepts every optional field, a Klaviyo id alone, email and E.164 phone', async () => {
    expect((await call(event({ value: 9.99, value_currency: 'EUR', backfill: true }, { external_id: 'x', locale: 'en-US', location: { ip: '203.0.113.7' } }))).status).toBe(202);
    expect((await call({ data: { type: 'event', attributes: { ...(event().data as { attributes: object }).attributes, profile: { data: { type: 'profile', id: '01GDDKASAP8TKDDA2GRZDSVP4H', attributes: {} } } } } })).status).toBe(202);
    expect((await call(event({ unique_id: 'e2' }, { email: 'sarah.mason@klaviyo-demo.com', phone_number: '+15005550006' }))).status).toBe(202);
  });
});

describe('fake Klaviyo: injected failures', () => {
  it('429 throttled with Retry-After; 500 and 503 in the JSON:API error shape; auth is 401', async () => {
    fake.failNext(1, 429);
    const limited = await call(event());
    expect(limited).toMatchObject({ status: 429, error: { code: 'throttled' } });
    expect(limited.headers.get('retry-after')).toBe('3');
    fake.failNext(1, 500);
    expect((await call(event())).error).toMatchObject({ status: 500, code: 'error' });
    fake.failNext(1, 503);
    expect((await call(event())).status).toBe(503);
    fake.failNext(1, 'auth');
    expect((await call(event())).error).toMatchObject({ status: 401, code: 'not_authenticated' });
    expect((await call(event())).status).toBe(202);
  });
});
