/**
 * The fake GA4 server's own rules, each one tested so the fake cannot silently accept junk
 * (a fake that accepts everything would make the destination tests meaningless).
 */
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient, type HttpClient } from '../src/delivery/http.js';
import { startFakeGa4, validateGa4Request, type FakeGa4, type FakeGa4Message, type ValidateInput } from './fakes/ga4-server.js';

const NOW_MS = Date.parse('2026-06-01T12:00:00Z');
const NOW_US = NOW_MS * 1000;
const HEX = createHash('sha256').update('jane.doe@example.com').digest('hex');

const validBody = () => ({
  client_id: '1234567890.1700000000',
  user_id: 'u-1',
  timestamp_micros: NOW_US - 1_000_000,
  consent: { ad_user_data: 'GRANTED', ad_personalization: 'DENIED' },
  user_data: {
    sha256_email_address: [HEX],
    sha256_phone_number: [HEX],
    address: [{ sha256_first_name: HEX, sha256_last_name: HEX, sha256_street: HEX, city: 'newyork', region: 'ny', postal_code: '10001', country: 'US' }],
  },
  user_properties: { customer_tier: { value: 'premium' } },
  ip_override: '203.0.113.9',
  validation_behavior: 'ENFORCE_RECOMMENDATIONS',
  events: [
    {
      name: 'purchase',
      timestamp_micros: NOW_US - 60_000_000,
      params: {
        transaction_id: 'T1',
        currency: 'EUR',
        value: 10,
        session_id: '1700000000',
        engagement_time_msec: 1,
        page_location: `https://shop.test/${'a'.repeat(900)}`,
        items: [{ item_id: 'SKU-1', item_name: 'Shirt', price: 10, quantity: 1 }],
      },
    },
  ],
});

type Body = ReturnType<typeof validBody>;
const input = (body: unknown, over: Partial<ValidateInput> = {}): ValidateInput => ({
  endpoint: 'debug',
  query: new URLSearchParams({ measurement_id: 'G-TEST123456', api_secret: 'secret' }),
  rawBody: JSON.stringify(body),
  json: body,
  nowMs: NOW_MS,
  ...over,
});
const validate = (mutate: (b: Body) => void, over: Partial<ValidateInput> = {}): FakeGa4Message[] => {
  const b = validBody();
  mutate(b);
  return validateGa4Request(input(b, over));
};
const codes = (ms: FakeGa4Message[]) => ms.map((m) => `${m.validationCode} ${m.fieldPath}`);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

describe('fake GA4 rules', () => {
  it('accepts a complete valid request (every documented field)', () => {
    expect(validateGa4Request(input(validBody()))).toEqual([]);
  });

  describe('query parameters (G1, G3)', () => {
    it('measurement_id is required and must be a G- id', () => {
      expect(codes(validateGa4Request(input(validBody(), { query: new URLSearchParams({ api_secret: 's' }) })))).toEqual(['VALUE_REQUIRED measurement_id']);
      expect(codes(validateGa4Request(input(validBody(), { query: new URLSearchParams({ measurement_id: 'UA-1-1' }) })))).toEqual(['VALUE_INVALID measurement_id']);
    });
    it('collect: unknown stream and missing or wrong api_secret are flagged', () => {
      const q = (o: Record<string, string>) => ({ endpoint: 'collect' as const, query: new URLSearchParams(o), measurementIds: ['G-TEST123456'], apiSecrets: ['right'] });
      expect(codes(validateGa4Request(input(validBody(), q({ measurement_id: 'G-OTHER1', api_secret: 'right' }))))).toEqual(['VALUE_INVALID measurement_id']);
      expect(codes(validateGa4Request(input(validBody(), q({ measurement_id: 'G-TEST123456' }))))).toEqual(['VALUE_REQUIRED api_secret']);
      expect(codes(validateGa4Request(input(validBody(), q({ measurement_id: 'G-TEST123456', api_secret: 'wrong' }))))).toEqual(['VALUE_INVALID api_secret']);
      expect(validateGa4Request(input(validBody(), q({ measurement_id: 'G-TEST123456', api_secret: 'right' })))).toEqual([]);
    });
    it('debug: the validator does not check api_secret (G3)', () => {
      expect(validateGa4Request(input(validBody(), { query: new URLSearchParams({ measurement_id: 'G-TEST123456' }), apiSecrets: ['right'] }))).toEqual([]);
    });
  });

  describe('body (G1)', () => {
    it('must be a JSON object', () => {
      expect(codes(validateGa4Request(input(undefined, { rawBody: 'not json' })))).toEqual(['VALUE_INVALID ']);
      expect(codes(validateGa4Request(input([1, 2])))).toEqual(['VALUE_INVALID ']);
    });
    it('must be smaller than 130 kB', () => {
      const ms = validateGa4Request(input(validBody(), { rawBody: ' '.repeat(130_000) }));
      expect(codes(ms)).toEqual(['VALUE_OUT_OF_BOUNDS ']);
    });
    it('unknown top-level fields are flagged', () => {
      expect(codes(validate((b) => ((b as Loose).clientId = 'x')))).toEqual(['NAME_INVALID clientId']);
    });
    it('client_id is required (app_instance_id for app streams)', () => {
      expect(codes(validate((b) => delete (b as Loose).client_id))).toEqual(['VALUE_REQUIRED client_id']);
      expect(codes(validate((b) => (b.client_id = ' ')))).toEqual(['VALUE_REQUIRED client_id']);
      const app = { ...validBody(), client_id: undefined, app_instance_id: 'abc' };
      expect(validateGa4Request(input(app, { query: new URLSearchParams({ firebase_app_id: '1:2:android:3' }) }))).toEqual([]);
    });
    it('user_id is at most 256 characters (G8)', () => {
      expect(validate((b) => (b.user_id = 'u'.repeat(256)))).toEqual([]);
      expect(codes(validate((b) => (b.user_id = 'u'.repeat(257))))).toEqual(['VALUE_OUT_OF_BOUNDS user_id']);
    });
    it('ip_override must be an IP address; validation_behavior one of two values', () => {
      expect(codes(validate((b) => (b.ip_override = 'example.com')))).toEqual(['VALUE_INVALID ip_override']);
      expect(codes(validate((b) => (b.validation_behavior = 'STRICT')))).toEqual(['VALUE_INVALID validation_behavior']);
    });
  });

  describe('timestamp_micros (G1, G4)', () => {
    it('request level: no older than 72 h, not in the future, in microseconds', () => {
      expect(validate((b) => (b.timestamp_micros = NOW_US - 72 * 3600 * 1e6))).toEqual([]);
      expect(codes(validate((b) => (b.timestamp_micros = NOW_US - 72 * 3600 * 1e6 - 1)))).toEqual(['VALUE_OUT_OF_BOUNDS timestamp_micros']);
      expect(codes(validate((b) => (b.timestamp_micros = NOW_US + 1e6)))).toEqual(['VALUE_OUT_OF_BOUNDS timestamp_micros']);
      expect(codes(validate((b) => (b.timestamp_micros = NOW_MS)))).toEqual(['VALUE_INVALID timestamp_micros']);
      expect(codes(validate((b) => ((b as Loose).timestamp_micros = 1.5)))).toEqual(['VALUE_INVALID timestamp_micros']);
    });
    it('event level, reported with the event index', () => {
      const ms = validate((b) => (b.events[0]!.timestamp_micros = NOW_US - 73 * 3600 * 1e6));
      expect(ms).toEqual([{ fieldPath: 'events', validationCode: 'VALUE_OUT_OF_BOUNDS', description: expect.stringMatching(/^Event at index: \[0\] .*more than 72 hours/) }]);
    });
    it('accepts the proto3 JSON string form of an int64', () => {
      expect(validate((b) => ((b as Loose).timestamp_micros = String(NOW_US - 5)))).toEqual([]);
    });
  });

  describe('consent and user_data (G1, G5)', () => {
    it('consent: only ad_user_data / ad_personalization, GRANTED or DENIED', () => {
      expect(codes(validate((b) => (b.consent.ad_user_data = 'granted')))).toEqual(['VALUE_INVALID consent.ad_user_data']);
      expect(codes(validate((b) => ((b.consent as Loose).ad_storage = 'GRANTED')))).toEqual(['NAME_INVALID consent.ad_storage']);
    });
    it('hashed fields are 64-char lowercase hex', () => {
      expect(codes(validate((b) => (b.user_data.sha256_email_address = ['jane@example.com'])))).toEqual(['VALUE_INVALID user_data.sha256_email_address[0]']);
      expect(codes(validate((b) => (b.user_data.sha256_phone_number = [HEX.toUpperCase()])))).toEqual(['VALUE_INVALID user_data.sha256_phone_number[0]']);
      expect(codes(validate((b) => ((b.user_data as Loose).sha256_email_address = HEX)))).toEqual(['VALUE_INVALID user_data.sha256_email_address']);
      expect(codes(validate((b) => (b.user_data.address[0]!.sha256_first_name = 'jane')))).toEqual(['VALUE_INVALID user_data.address[0].sha256_first_name']);
    });
    it('address city/region/postal_code/country are plain, not hashed; country is alpha-2', () => {
      expect(codes(validate((b) => (b.user_data.address[0]!.city = HEX)))).toEqual(['VALUE_INVALID user_data.address[0].city']);
      expect(codes(validate((b) => (b.user_data.address[0]!.country = 'USA')))).toEqual(['VALUE_INVALID user_data.address[0].country']);
    });
    it('unknown user_data and address fields are flagged', () => {
      expect(codes(validate((b) => ((b.user_data as Loose).em = [HEX])))).toEqual(['NAME_INVALID user_data.em']);
      expect(codes(validate((b) => ((b.user_data.address[0] as Loose).zip = '1')))).toEqual(['NAME_INVALID user_data.address[0].zip']);
    });
  });

  describe('user_properties (G8, MP user-properties page)', () => {
    it('at most 25, names ≤ 24 and not reserved, values ≤ 36', () => {
      const many = Object.fromEntries(Array.from({ length: 26 }, (_, i) => [`p${i}`, { value: i }]));
      expect(codes(validate((b) => ((b as Loose).user_properties = many)))).toEqual(['EXCEEDED_MAX_ENTITIES user_properties']);
      expect(codes(validate((b) => ((b.user_properties as Loose).first_open_time = { value: 1 })))).toEqual(['NAME_RESERVED user_properties.first_open_time']);
      expect(codes(validate((b) => ((b.user_properties as Loose).ga_tier = { value: 1 })))).toEqual(['NAME_RESERVED user_properties.ga_tier']);
      expect(codes(validate((b) => ((b.user_properties as Loose)['a'.repeat(25)] = { value: 1 })))).toEqual([`VALUE_OUT_OF_BOUNDS user_properties.${'a'.repeat(25)}`]);
      expect(codes(validate((b) => (b.user_properties.customer_tier.value = 'v'.repeat(37))))).toEqual(['VALUE_OUT_OF_BOUNDS user_properties.customer_tier']);
      expect(codes(validate((b) => ((b.user_properties as Loose).customer_tier = 'premium')))).toEqual(['VALUE_INVALID user_properties.customer_tier']);
    });
  });

  describe('events (G1, G7, G8)', () => {
    it('events must be a non-empty array of at most 25', () => {
      expect(codes(validate((b) => (b.events = [])))).toEqual(['VALUE_REQUIRED events']);
      expect(codes(validate((b) => (b.events = Array.from({ length: 26 }, () => validBody().events[0]!))))).toEqual(['EXCEEDED_MAX_ENTITIES events']);
    });

    it('reproduces Google\'s documented example message for "_badEventName" (G3)', () => {
      expect(validate((b) => (b.events = [{ name: '_badEventName', params: {} } as Loose]))).toEqual([
        { fieldPath: 'events', description: 'Event at index: [0] has invalid name [_badEventName]. Names must start with an alphabetic character.', validationCode: 'NAME_INVALID' },
      ]);
    });

    it.each([
      ['has-dash', 'NAME_INVALID'],
      ['a'.repeat(41), 'VALUE_OUT_OF_BOUNDS'],
      ['session_start', 'NAME_RESERVED'],
      ['first_visit', 'NAME_RESERVED'],
      ['notification_open', 'NAME_RESERVED'],
      ['dynamic_link_first_open', 'NAME_RESERVED'],
      ['firebase_x', 'NAME_RESERVED'],
      ['google_x', 'NAME_RESERVED'],
      ['ga_x', 'NAME_RESERVED'],
    ])('event name %s → %s', (name, code) => {
      expect(codes(validate((b) => (b.events = [{ name, params: {} } as Loose])))).toEqual([`${code} events`]);
    });

    it('a 40-character name and page_view are accepted', () => {
      expect(validate((b) => (b.events = [{ name: 'a'.repeat(40), params: {} } as Loose]))).toEqual([]);
      expect(validate((b) => (b.events = [{ name: 'page_view', params: { engagement_time_msec: 1 } } as Loose]))).toEqual([]);
    });

    it('unknown event fields and a missing name are flagged', () => {
      expect(codes(validate((b) => ((b.events[0] as Loose).event_id = 'x')))).toEqual(['NAME_INVALID events']);
      expect(codes(validate((b) => delete (b.events[0] as Loose).name))).toEqual(['VALUE_REQUIRED events']);
    });

    it('at most 25 params per event', () => {
      const params = Object.fromEntries(Array.from({ length: 26 }, (_, i) => [`p${i}`, i]));
      expect(codes(validate((b) => (b.events = [{ name: 'x', params } as Loose])))).toEqual(['EXCEEDED_MAX_ENTITIES events']);
    });

    it.each([
      ['bad-name', 'NAME_INVALID'],
      ['_private', 'NAME_INVALID'],
      ['google_x', 'NAME_RESERVED'],
      ['gclid', 'NAME_RESERVED'],
      ['session_number', 'NAME_RESERVED'],
      ['p'.repeat(41), 'VALUE_OUT_OF_BOUNDS'],
    ])('param name %s → %s', (key, code) => {
      expect(codes(validate((b) => ((b.events[0]!.params as Loose)[key] = 'v')))).toEqual([`${code} events`]);
    });

    it('param values: strings ≤ 100 (page_location 1000, page_referrer 420, page_title 300), no objects', () => {
      expect(validate((b) => ((b.events[0]!.params as Loose).note = 'x'.repeat(100)))).toEqual([]);
      expect(codes(validate((b) => ((b.events[0]!.params as Loose).note = 'x'.repeat(101))))).toEqual(['VALUE_OUT_OF_BOUNDS events']);
      expect(validate((b) => (b.events[0]!.params.page_location = 'x'.repeat(1000)))).toEqual([]);
      expect(codes(validate((b) => (b.events[0]!.params.page_location = 'x'.repeat(1001))))).toEqual(['VALUE_OUT_OF_BOUNDS events']);
      expect(codes(validate((b) => ((b.events[0]!.params as Loose).page_referrer = 'x'.repeat(421))))).toEqual(['VALUE_OUT_OF_BOUNDS events']);
      expect(codes(validate((b) => ((b.events[0]!.params as Loose).page_title = 'x'.repeat(301))))).toEqual(['VALUE_OUT_OF_BOUNDS events']);
      expect(codes(validate((b) => ((b.events[0]!.params as Loose).nested = { a: 1 })))).toEqual(['VALUE_INVALID events']);
    });

    it('items: an array of objects with item_id or item_name; numeric price/quantity; values ≤ 100', () => {
      const item = (o: object) => (b: Body) => ((b.events[0]!.params as Loose).items = [o]);
      expect(validate(item({ item_name: 'only a name' }))).toEqual([]);
      expect(codes(validate(item({ price: 1 })))).toEqual(['VALUE_REQUIRED events']);
      expect(codes(validate(item({ item_id: 'A', price: '1' })))).toEqual(['VALUE_INVALID events']);
      expect(codes(validate(item({ item_id: 'A', item_brand: 'b'.repeat(101) })))).toEqual(['VALUE_OUT_OF_BOUNDS events']);
      expect(codes(validate(item({ item_id: 'A', 'bad-key': 'x' })))).toEqual(['NAME_INVALID events']);
      expect(codes(validate((b) => ((b.events[0]!.params as Loose).items = { item_id: 'A' })))).toEqual(['VALUE_INVALID events']);
    });

    it('ecommerce recommendations: currency with value, ISO currency, transaction_id on purchase/refund (G9)', () => {
      expect(codes(validate((b) => delete (b.events[0]!.params as Loose).currency))).toEqual(['VALUE_REQUIRED events']);
      expect(codes(validate((b) => (b.events[0]!.params.currency = 'eur')))).toEqual(['VALUE_INVALID events']);
      expect(codes(validate((b) => ((b.events[0]!.params as Loose).value = '10')))).toEqual(['VALUE_INVALID events']);
      expect(codes(validate((b) => (b.events[0]!.params.transaction_id = '')))).toEqual(['VALUE_REQUIRED events']);
      const refundWithoutId = (b: Body) => {
        b.events[0]!.name = 'refund';
        delete (b.events[0]!.params as Loose).transaction_id;
      };
      expect(codes(validate(refundWithoutId))).toEqual(['VALUE_REQUIRED events']);
    });

    it('session_id and engagement_time_msec must be integers', () => {
      expect(codes(validate((b) => (b.events[0]!.params.session_id = 'abc')))).toEqual(['VALUE_INVALID events']);
    });

    it('reports the index of the offending event', () => {
      const ms = validate((b) => b.events.push({ ...validBody().events[0]!, name: '9lives' }));
      expect(ms).toHaveLength(1);
      expect(ms[0]!.description).toMatch(/^Event at index: \[1\] has invalid name \[9lives\]/);
    });
  });
});

describe('fake GA4 over HTTP', () => {
  let fake: FakeGa4;
  let http: HttpClient;
  beforeAll(async () => {
    fake = await startFakeGa4({ measurementIds: ['G-TEST123456'], apiSecrets: ['right'] });
    http = createHttpClient({ defaultTimeoutMs: 2_000 });
  });
  afterAll(async () => {
    await http.close();
    await fake.close();
  });
  afterEach(() => fake.reset());

  const post = (path: string, body: string) => http.request({ method: 'POST', url: `${fake.url}${path}`, body, headers: { 'content-type': 'application/json' } });
  const valid = () => {
    const b = validBody();
    const now = Date.now() * 1000;
    b.timestamp_micros = now - 1_000_000;
    b.events[0]!.timestamp_micros = now - 1_000_000;
    return JSON.stringify(b);
  };

  it('/mp/collect answers 204 with no body even for junk, but records the rejection', async () => {
    const res = await post('/mp/collect?measurement_id=G-TEST123456&api_secret=right', '{"events":"nope"}');
    expect(res.status).toBe(204);
    expect(res.body).toBe('');
    expect(fake.rejected).toHaveLength(1);
    expect(codes(fake.rejected[0]!.messages)).toEqual(['VALUE_REQUIRED client_id', 'VALUE_REQUIRED events']);
    expect(fake.recordedEvents).toEqual([]);
  });

  it('/mp/collect records the events of a valid request', async () => {
    const res = await post('/mp/collect?measurement_id=G-TEST123456&api_secret=right', valid());
    expect(res.status).toBe(204);
    expect(fake.rejected).toEqual([]);
    expect(fake.recordedEvents).toEqual([
      { client_id: '1234567890.1700000000', user_id: 'u-1', name: 'purchase', params: expect.objectContaining({ transaction_id: 'T1' }) },
    ]);
  });

  it('/debug/mp/collect answers 200 with Google\'s validationMessages shape and records nothing', async () => {
    const bad = await post('/debug/mp/collect?measurement_id=G-TEST123456', JSON.stringify({ client_id: 'c', events: [{ name: '_badEventName', params: {} }] }));
    expect(bad.status).toBe(200);
    expect(JSON.parse(bad.body)).toEqual({
      validationMessages: [
        { fieldPath: 'events', description: 'Event at index: [0] has invalid name [_badEventName]. Names must start with an alphabetic character.', validationCode: 'NAME_INVALID' },
      ],
    });
    const good = await post('/debug/mp/collect?measurement_id=G-TEST123456', valid());
    expect(JSON.parse(good.body)).toEqual({ validationMessages: [] });
    expect(fake.recordedEvents).toEqual([]);
  });

  it('unknown paths → 404, other methods → 405', async () => {
    expect((await post('/collect', '{}')).status).toBe(404);
    expect((await http.request({ method: 'GET', url: `${fake.url}/mp/collect` })).status).toBe(405);
  });

  it('injected failures: 429 carries Retry-After; "auth" is a silent 204 like GA4', async () => {
    fake.failNext(1, 429);
    const r = await post('/mp/collect?measurement_id=G-TEST123456&api_secret=right', valid());
    expect(r.status).toBe(429);
    expect(r.headers['retry-after']).toBe('7');
    fake.failNext(1, 'auth');
    expect((await post('/mp/collect?measurement_id=G-TEST123456&api_secret=right', valid())).status).toBe(204);
  });

  it('respondNext scripts one answer and reset clears verdicts', async () => {
    fake.respondNext({ status: 400, body: 'x' });
    expect((await post('/mp/collect?measurement_id=G-TEST123456&api_secret=right', valid())).status).toBe(400);
    expect((await post('/mp/collect?measurement_id=G-TEST123456&api_secret=right', valid())).status).toBe(204);
    expect(fake.verdicts).toHaveLength(2);
    fake.reset();
    expect(fake.verdicts).toHaveLength(0);
    expect(fake.requests).toHaveLength(0);
  });
});
