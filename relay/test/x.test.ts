/**
 * The X destination: OAuth 1.0a signing, the pure mapper, then send/testConnection end to end
 * against the local fake Ads API (which recomputes every signature) with the real undici client.
 */
import { createHash, createHmac } from 'node:crypto';
import OAuth from 'oauth-1.0a';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { canonicalEventSchema, type CanonicalEvent, type CanonicalEventInput } from '../src/contract/event.js';
import { createHttpClient, type HttpClient, type HttpResponse } from '../src/delivery/http.js';
import { X_API_VERSION, X_MAX_EVENT_AGE_SECONDS, X_MAX_EVENTS_PER_REQUEST, xAuthorization } from '../src/destinations/x/api.js';
import { createXDestination, x } from '../src/destinations/x/index.js';
import { mapXEvent, type XConversion } from '../src/destinations/x/map.js';
import { xSettings, type XSettings } from '../src/destinations/x/settings.js';
import { secretValues } from '../src/destinations/secrets.js';
import type { DeliveryOutcome, MapContext, MapResult, SendContext } from '../src/destinations/types.js';
import { FAKE_X_CREDENTIALS, FAKE_X_PIXEL_ID, oauthSignature, parseOAuthHeader, startFakeX, type FakeX } from './fakes/x-server.js';
import { closedPort, throughWorker as runThroughWorker } from './destinations/support.js';

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const EM = sha256('john_smith@gmail.com');
const PH = sha256('16505551212');
const PH_E164 = sha256('+16505551212');
const TWCLID = '23opevjt88psuo13lu8d020qkn';
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';

const SETTINGS: XSettings = {
  ...FAKE_X_CREDENTIALS,
  pixel_id: FAKE_X_PIXEL_ID,
  // Both of X's accepted forms (X1).
  event_ids: { purchase: 'o87ne', lead: 'tw-o8z6j-o87nf' },
};

function canonical(input: CanonicalEventInput): CanonicalEvent {
  return canonicalEventSchema.parse(input);
}

function requiredOnlyEvent(now: number): CanonicalEvent {
  return canonical({
    event_id: '0192f5c4-7a1b-7c3d-8e4f-000000000001',
    event_name: 'lead',
    event_time: now - 30,
    source: 'browser',
    identity: { twclid: TWCLID },
  });
}

function requiredOnlyExpected(now: number): XConversion {
  return {
    conversion_time: new Date((now - 30) * 1000).toISOString(),
    event_id: 'tw-o8z6j-o87nf',
    identifiers: [{ twclid: TWCLID }],
    conversion_id: '0192f5c4-7a1b-7c3d-8e4f-000000000001',
  };
}

function everyFieldEvent(now: number): CanonicalEvent {
  return canonical({
    event_id: 'order-1001',
    event_name: 'purchase',
    event_time: now - 120,
    source: 'server',
    context: { url: 'https://shop.example/thanks', referrer: 'https://shop.example/checkout', user_agent: UA, ip: '203.0.113.7', ip_anonymized: false, locale: 'en-US' },
    identity: { em: EM, em_google: EM, ph: PH, ph_e164: PH_E164, fn: sha256('mary'), external_id: sha256('customer-42'), twclid: TWCLID, li_fat_id: 'not-for-x', gclid: 'not-for-x' },
    commerce: {
      order_id: '1001',
      value: 59.9,
      currency: 'EUR',
      tax: 9.56,
      shipping: 4.9,
      coupon: 'WELCOME10',
      items: [
        { id: 'SKU-1', name: 'Mug', price: 12.5, quantity: 2, category: 'Kitchen', brand: 'Acme' },
        { id: 'SKU-2', name: 'Tea', price: 30 },
      ],
    },
    consent: { ad_storage: 'granted', analytics_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted' },
    properties: { payment_method: 'card' },
  });
}

function everyFieldExpected(now: number): XConversion {
  return {
    conversion_time: new Date((now - 120) * 1000).toISOString(),
    event_id: 'o87ne',
    identifiers: [{ twclid: TWCLID }, { hashed_email: EM }, { hashed_phone_number: PH_E164 }, { ip_address: '203.0.113.7', user_agent: UA }],
    conversion_id: 'order-1001',
    value: 59.9,
    price_currency: 'EUR',
    number_items: 3,
    contents: [
      { content_id: 'SKU-1', content_name: 'Mug', content_price: 12.5, num_items: 2 },
      { content_id: 'SKU-2', content_name: 'Tea', content_price: 30 },
    ],
  };
}

const NOW = 1_795_400_000;
const mapCtx = (extra: Partial<MapContext<XSettings>> = {}): MapContext<XSettings> => ({ settings: SETTINGS, platformEventName: 'Purchase', now: NOW, ...extra });

function payload(result: MapResult): XConversion {
  if (!result.ok) throw new Error(`expected ok, got: ${result.reason}`);
  return result.payload as XConversion;
}

function notSent(result: MapResult, skip: boolean): string {
  if (result.ok) throw new Error('expected the event not to be sent');
  expect(result.skip).toBe(skip);
  return result.reason;
}

describe('OAuth 1.0a signing', () => {
  // X's own worked example ("Creating a signature", developer.x.com): these inputs must give
  // hCtSmYh+iHYCEqBWrE7C7hYmtUk=. Both the library the destination uses and the fake's
  // independent RFC 5849 implementation are held to it.
  const example = {
    method: 'POST',
    url: 'https://api.twitter.com/1.1/statuses/update.json',
    params: [
      ['include_entities', 'true'],
      ['status', 'Hello Ladies + Gentlemen, a signed OAuth request!'],
      ['oauth_consumer_key', 'xvz1evFS4wEEPTGEFPHBog'],
      ['oauth_nonce', 'kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg'],
      ['oauth_signature_method', 'HMAC-SHA1'],
      ['oauth_timestamp', '1318622958'],
      ['oauth_token', '370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb'],
      ['oauth_version', '1.0'],
    ] as Array<[string, string]>,
    consumerSecret: 'kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw',
    tokenSecret: 'LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE',
    signature: 'hCtSmYh+iHYCEqBWrE7C7hYmtUk=',
  };

  it('the oauth-1.0a package with node:crypto HMAC-SHA1 reproduces X\'s published example', () => {
    const oauth = new OAuth({
      consumer: { key: 'xvz1evFS4wEEPTGEFPHBog', secret: example.consumerSecret },
      signature_method: 'HMAC-SHA1',
      hash_function: (base, key) => createHmac('sha1', key).update(base).digest('base64'),
    });
    const oauthData = Object.fromEntries(example.params.filter(([k]) => k.startsWith('oauth_'))) as unknown as OAuth.Data;
    const sig = oauth.getSignature(
      { url: `${example.url}?include_entities=true`, method: 'POST', data: { status: 'Hello Ladies + Gentlemen, a signed OAuth request!' } },
      example.tokenSecret,
      oauthData,
    );
    expect(sig).toBe(example.signature);
  });

  it('the fake\'s independent signer reproduces it too', () => {
    expect(oauthSignature(example.method, example.url, example.params, example.consumerSecret, example.tokenSecret)).toBe(example.signature);
  });

  it('builds a complete OAuth header that carries no secret', () => {
    const header = xAuthorization(SETTINGS, { method: 'POST', url: `https://ads-api.x.com/12/measurement/conversions/${FAKE_X_PIXEL_ID}` });
    const params = parseOAuthHeader(header)!;
    expect(Object.keys(params).sort()).toStrictEqual([
      'oauth_consumer_key',
      'oauth_nonce',
      'oauth_signature',
      'oauth_signature_method',
      'oauth_timestamp',
      'oauth_token',
      'oauth_version',
    ]);
    expect(params).toMatchObject({ oauth_consumer_key: SETTINGS.consumer_key, oauth_token: SETTINGS.access_token, oauth_signature_method: 'HMAC-SHA1', oauth_version: '1.0' });
    expect(header).not.toContain(SETTINGS.consumer_secret);
    expect(header).not.toContain(SETTINGS.access_token_secret);
  });
});

describe('mapXEvent', () => {
  it('maps a required-fields-only event exactly (X event id from settings, our id as conversion_id)', () => {
    expect(payload(mapXEvent(requiredOnlyEvent(NOW), mapCtx()))).toStrictEqual(requiredOnlyExpected(NOW));
  });

  it('maps an every-field event exactly', () => {
    expect(payload(mapXEvent(everyFieldEvent(NOW), mapCtx()))).toStrictEqual(everyFieldExpected(NOW));
  });

  it('writes conversion_time as ISO 8601 with milliseconds and clamps future times', () => {
    expect(payload(mapXEvent(requiredOnlyEvent(NOW), mapCtx())).conversion_time).toBe('2026-11-23T02:12:50.000Z');
    const future = canonical({ ...requiredOnlyEvent(NOW), event_time: NOW + 900 });
    expect(payload(mapXEvent(future, mapCtx())).conversion_time).toBe(new Date(NOW * 1000).toISOString());
  });

  it('refuses events older than 30 days and keeps younger ones', () => {
    expect(x.maxEventAgeSeconds).toBe(X_MAX_EVENT_AGE_SECONDS);
    const old = canonical({ ...requiredOnlyEvent(NOW), event_time: NOW - 30 * 86_400 });
    expect(notSent(mapXEvent(old, mapCtx()), false)).toBe('The event happened 30 days ago; LayerSync sends X conversions up to 30 days old, so it was not sent.');
    expect(mapXEvent(canonical({ ...requiredOnlyEvent(NOW), event_time: NOW - 29 * 86_400 }), mapCtx()).ok).toBe(true);
  });

  it('skips an event without an X event id, naming it', () => {
    const e = canonical({ ...requiredOnlyEvent(NOW), event_name: 'add_to_cart' });
    expect(notSent(mapXEvent(e, mapCtx()), true)).toMatch(/^No X event ID is set for "add_to_cart"; create the event in X Events Manager/);
  });

  it('skips an event with no twclid, email or phone; IP + user agent alone do not count (X1)', () => {
    const e = canonical({ ...requiredOnlyEvent(NOW), identity: { external_id: sha256('c') }, context: { ip: '203.0.113.7', user_agent: UA } });
    expect(notSent(mapXEvent(e, mapCtx()), true)).toMatch(/twclid click id .* hashed email or phone/);
  });

  it('leaves out an anonymized IP', () => {
    const e = canonical({ ...everyFieldEvent(NOW), context: { ...everyFieldEvent(NOW).context, ip_anonymized: true } });
    expect(payload(mapXEvent(e, mapCtx())).identifiers).toStrictEqual([{ twclid: TWCLID }, { hashed_email: EM }, { hashed_phone_number: PH_E164 }]);
  });

  it('drops identifiers whose consent was explicitly denied', () => {
    const withConsent = (ad_user_data: 'granted' | 'denied', ad_storage: 'granted' | 'denied') =>
      canonical({ ...everyFieldEvent(NOW), consent: { ad_storage, analytics_storage: 'granted', ad_user_data, ad_personalization: 'granted' } });
    expect(payload(mapXEvent(withConsent('denied', 'granted'), mapCtx())).identifiers).toStrictEqual([{ twclid: TWCLID }]);
    expect(payload(mapXEvent(withConsent('granted', 'denied'), mapCtx())).identifiers).toStrictEqual([
      { hashed_email: EM },
      { hashed_phone_number: PH_E164 },
      { ip_address: '203.0.113.7', user_agent: UA },
    ]);
    expect(notSent(mapXEvent(withConsent('denied', 'denied'), mapCtx()), true)).toMatch(/has none/);
  });

  it('phone: sends ph_e164 (E.164 with "+", then SHA-256; notes §5) when present, never ph next to it', () => {
    const e = canonical({ ...requiredOnlyEvent(NOW), identity: { ph: PH, ph_e164: PH_E164 } });
    const ids = payload(mapXEvent(e, mapCtx())).identifiers;
    expect(ids).toStrictEqual([{ hashed_phone_number: PH_E164 }]);
    expect(JSON.stringify(ids)).not.toContain(PH);
  });

  it('phone: falls back to the plain ph when the sender has no ph_e164', () => {
    const e = canonical({ ...requiredOnlyEvent(NOW), identity: { ph: PH } });
    expect(payload(mapXEvent(e, mapCtx())).identifiers).toStrictEqual([{ hashed_phone_number: PH }]);
  });

  it('email: the contract em (trim + lowercase, X1); Google\'s and Reddit\'s Gmail variants are not X\'s rule', () => {
    const em = sha256('john.smith+x@gmail.com');
    const gmailVariant = sha256('johnsmith@gmail.com');
    const e = canonical({ ...requiredOnlyEvent(NOW), identity: { em, em_google: gmailVariant, em_reddit: gmailVariant } });
    expect(payload(mapXEvent(e, mapCtx())).identifiers).toStrictEqual([{ hashed_email: em }]);
    // A variant alone is not X's hash either: nothing to match on, so not sent.
    const variantsOnly = canonical({ ...requiredOnlyEvent(NOW), identity: { em_google: gmailVariant, em_reddit: gmailVariant } });
    expect(notSent(mapXEvent(variantsOnly, mapCtx()), true)).toMatch(/has none/);
  });

  it('does not send for a do-not-sell visitor or a limited-data-use site', () => {
    const dns = canonical({ ...everyFieldEvent(NOW), consent: { ...everyFieldEvent(NOW).consent!, do_not_sell: true } });
    expect(notSent(mapXEvent(dns, mapCtx()), true)).toMatch(/opted out/);
    expect(notSent(mapXEvent(everyFieldEvent(NOW), mapCtx({ privacy: { limitedDataUse: true } })), true)).toMatch(/limited data use/);
  });
});

describe('xSettings', () => {
  it.each([
    ['a pixel id with capitals', { pixel_id: 'O8Z6J' }, /base-36 Base Tag/],
    ['an event id of another shape', { event_ids: { purchase: 'tw_o8z6j_o87ne' } }, /o87ne or tw-o8z6j-o87ne/],
    ['no event ids', { event_ids: {} }, /at least one event/],
    ['an unknown event name', { event_ids: { checkout: 'o87ne' } }, /LayerSync event name/],
    ['a secret with spaces', { consumer_secret: 'abc def ghi jkl' }, /must not contain spaces/],
  ])('refuses %s', (_n, patch, message) => {
    const r = xSettings.safeParse({ ...SETTINGS, ...patch });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error!.issues)).toMatch(message);
  });

  it('marks all four credentials secret', () => {
    expect(secretValues(xSettings, SETTINGS).sort()).toStrictEqual(Object.values(FAKE_X_CREDENTIALS).sort());
  });
});

let fake: FakeX;
let http: HttpClient;
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  fake = await startFakeX();
  http = createHttpClient({ defaultTimeoutMs: 5_000 });
});
afterAll(async () => {
  await http.close();
  await fake.close();
});
afterEach(() => fake.reset());

function sendCtx(settings: Partial<XSettings> = {}, extra: Partial<SendContext<XSettings>> = {}): SendContext<XSettings> {
  return { settings: { ...SETTINGS, ...settings }, http, baseUrl: fake.url, ...extra };
}

const mapped = (e: CanonicalEvent) => payload(x.map(e, { settings: SETTINGS, platformEventName: 'Purchase', now: now() }));

function only(outcomes: DeliveryOutcome[]): DeliveryOutcome {
  expect(outcomes).toHaveLength(1);
  return outcomes[0]!;
}

function errorOf(o: DeliveryOutcome): string {
  if (!('error' in o)) throw new Error(`no error on ${o.kind}`);
  return o.error;
}

/** An HttpClient that alters each request before the real client sends it. */
function tampering(change: (req: Parameters<HttpClient['request']>[0]) => Parameters<HttpClient['request']>[0]): HttpClient {
  return { request: (req) => http.request(change(req)), close: async () => undefined };
}

describe('x.send — outbound request', () => {
  it('sends a required-fields-only event with exactly this URL, body and a signature the fake verifies', async () => {
    const t = now();
    const o = only(await x.send([mapped(requiredOnlyEvent(t))], sendCtx()));
    expect(o).toStrictEqual({ kind: 'delivered', status: 200, response: '{"conversions_processed":1}' });
    expect(fake.received).toHaveLength(1);
    const req = fake.received[0]!;
    expect(req.path).toBe(`/${X_API_VERSION}/measurement/conversions/${FAKE_X_PIXEL_ID}`);
    expect(req.query).toStrictEqual({});
    expect(req.body).toStrictEqual({ conversions: [requiredOnlyExpected(t)] });
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers.authorization).toMatch(/^OAuth oauth_consumer_key="fakeXConsumerKey0123456789", oauth_nonce="[A-Za-z0-9]+", oauth_signature="[^"]+", oauth_signature_method="HMAC-SHA1", oauth_timestamp="\d{10}", oauth_token="1234567890-fakeXAccessToken0123456789abcdef", oauth_version="1.0"$/);
    expect(Math.abs(Number(req.oauth!.oauth_timestamp) - t)).toBeLessThanOrEqual(2);
  });

  it('sends an every-field event exactly', async () => {
    const t = now();
    expect(only(await x.send([mapped(everyFieldEvent(t))], sendCtx())).kind).toBe('delivered');
    expect(fake.received[0]!.body).toStrictEqual({ conversions: [everyFieldExpected(t)] });
  });

  it('splits at 500 conversions per request, each request freshly signed', async () => {
    const one = mapped(requiredOnlyEvent(now()));
    const payloads = Array.from({ length: X_MAX_EVENTS_PER_REQUEST + 1 }, (_, i) => ({ ...one, conversion_id: `evt-${i}` }));
    const outcomes = await x.send(payloads, sendCtx());
    expect(outcomes).toHaveLength(501);
    expect(outcomes.every((o) => o.kind === 'delivered')).toBe(true);
    expect(fake.received.map((r) => (r.body as { conversions: unknown[] }).conversions.length)).toStrictEqual([500, 1]);
    expect(fake.received[0]!.oauth!.oauth_nonce).not.toBe(fake.received[1]!.oauth!.oauth_nonce);
    expect(x.maxBatchSize).toBe(500);
  });

  it('a tampered signature is rejected by the fake → auth', async () => {
    const client = tampering((req) => ({
      ...req,
      headers: { ...req.headers, authorization: req.headers!.authorization!.replace(/oauth_signature="[^"]+"/, 'oauth_signature="AAAAAAAAAAAAAAAAAAAAAAAAAAA%3D"') },
    }));
    const o = only(await x.send([mapped(requiredOnlyEvent(now()))], sendCtx({}, { http: client })));
    expect(o).toMatchObject({ kind: 'auth', status: 401 });
    expect(fake.requests[0]).toMatchObject({ status: 401, authProblem: 'signature mismatch' });
    expect(fake.received).toHaveLength(0);
  });

  it('a signature made for another URL (request redirected to another pixel) is rejected', async () => {
    const other = await startFakeX({ pixels: { o8z6j: ['o87ne', 'o87nf'], abcde: ['o87ne', 'o87nf'] } });
    try {
      const client = tampering((req) => ({ ...req, url: req.url.replace('/o8z6j', '/abcde') }));
      const o = only(await x.send([mapped(requiredOnlyEvent(now()))], sendCtx({}, { http: client, baseUrl: other.url })));
      expect(o.kind).toBe('auth');
      expect(other.requests[0]).toMatchObject({ status: 401, authProblem: 'signature mismatch' });
      expect(other.received).toHaveLength(0);
    } finally {
      await other.close();
    }
  });

  it('a wrong consumer secret → auth, with a readable message and no secret in it', async () => {
    const wrong = 'wrongConsumerSecret0123456789abcdef';
    const o = only(await x.send([mapped(requiredOnlyEvent(now()))], sendCtx({ consumer_secret: wrong })));
    expect(o).toMatchObject({ kind: 'auth', status: 401 });
    expect(errorOf(o)).toBe(
      'X refused the OAuth 1.0a credentials (HTTP 401, UNAUTHORIZED_ACCESS). This request is not properly authenticated. — check the API key and secret and the access token and secret in LayerSync (regenerating any of them in the X developer portal invalidates the saved one).',
    );
    for (const s of [wrong, ...Object.values(FAKE_X_CREDENTIALS)]) expect(errorOf(o)).not.toContain(s);
  });
});

describe('x.send — classifying X\'s answers', () => {
  it('an event id the pixel does not have (400 INVALID_PARAMETER) → drop', async () => {
    const bad = { ...mapped(requiredOnlyEvent(now())), event_id: 'zzzzz' };
    const o = only(await x.send([bad], sendCtx()));
    expect(o).toStrictEqual({
      kind: 'drop',
      status: 400,
      error: 'X rejected the conversion (HTTP 400, INVALID_PARAMETER). event_id zzzzz is not a single event tag of pixel o8z6j.',
    });
  });

  it('an unknown pixel (404) → auth, pointing at the pixel id', async () => {
    const o = only(await x.send([mapped(requiredOnlyEvent(now()))], sendCtx({ pixel_id: 'zz999' })));
    expect(o).toMatchObject({ kind: 'auth', status: 404 });
    expect(errorOf(o)).toMatch(/^X could not find pixel zz999 on Ads API version 12 \(HTTP 404, NOT_FOUND\)\. Pixel zz999 was not found\. — check the Pixel \(Base Tag\) ID/);
  });

  it('429 → retry after Retry-After', async () => {
    fake.failNext(1, 429);
    const o = only(await x.send([mapped(requiredOnlyEvent(now()))], sendCtx()));
    expect(o).toMatchObject({ kind: 'retry', status: 429, retryAfterMs: 9_000 });
    expect(errorOf(o)).toBe('X is rate limiting requests (HTTP 429, TOO_MANY_REQUESTS). Too Many Requests. — LayerSync will retry in 9 s.');
  });

  it.each([500, 503] as const)('HTTP %i → retry', async (status) => {
    fake.failNext(1, status);
    expect(only(await x.send([mapped(requiredOnlyEvent(now()))], sendCtx()))).toMatchObject({ kind: 'retry', status });
  });

  it('no answer in time → retry; nothing listening → retry', async () => {
    fake.failNext(1, 'timeout');
    expect(only(await createXDestination({ timeoutMs: 300 }).send([mapped(requiredOnlyEvent(now()))], sendCtx()))).toStrictEqual({
      kind: 'retry',
      error: 'X did not answer within 300 ms; LayerSync will retry.',
    });
    const o = only(await x.send([mapped(requiredOnlyEvent(now()))], sendCtx({}, { baseUrl: `http://127.0.0.1:${await closedPort()}` })));
    expect(errorOf(o)).toMatch(/^Could not reach X \(ECONNREFUSED: .*\); LayerSync will retry\.$/);
  });
});

describe('classification details (stub transport)', () => {
  const stub = (res: Partial<HttpResponse>): HttpClient => ({ request: async () => ({ status: 200, headers: {}, body: '', ...res }), close: async () => undefined });
  const nowMs = Date.parse('2026-11-23T12:00:00Z');
  const send = (res: Partial<HttpResponse>) => x.send([{}], { settings: SETTINGS, http: stub(res), nowMs }).then(only);

  it('403 → auth naming the roles the user needs', async () => {
    const o = await send({ status: 403, body: JSON.stringify({ errors: [{ code: 'UNAUTHORIZED_ACCESS', message: 'User is not authorized' }], request: { params: {} } }) });
    expect(o.kind).toBe('auth');
    expect(errorOf(o)).toMatch(/AD_MANAGER or ACCOUNT_ADMIN access to the ad account that owns pixel o8z6j/);
  });

  it('a 2xx that is not X\'s answer is not a delivery', async () => {
    expect(await send({ status: 200, body: '<html>proxy</html>' })).toMatchObject({ kind: 'retry', status: 200 });
  });

  it('429 without Retry-After falls back to x-rate-limit-reset', async () => {
    const reset = String(nowMs / 1000 + 120);
    expect(await send({ status: 429, headers: { 'x-rate-limit-reset': reset }, body: '{}' })).toMatchObject({ kind: 'retry', retryAfterMs: 120_000 });
  });

  it('scrubs credentials if X or a proxy echoes them', async () => {
    const o = await send({ status: 400, body: JSON.stringify({ errors: [{ code: 'INVALID_PARAMETER', message: `bad oauth_signature="xyz" for ${SETTINGS.access_token_secret}` }] }) });
    expect(errorOf(o)).not.toContain(SETTINGS.access_token_secret);
    expect(errorOf(o)).toContain('oauth_signature="[redacted]"');
  });
});

describe('x.testConnection', () => {
  it('lists the ad accounts the credentials reach', async () => {
    expect(await x.testConnection!(sendCtx())).toStrictEqual({
      ok: true,
      code: 'ok',
      message:
        'Connected to the X Ads API: the access token\'s user can reach ad account(s) Fake Shop (18ce54d4x5t). Events set for: lead, purchase. X has no test mode, so pixel o8z6j and its event IDs are checked on the first conversion sent.',
    });
    expect(fake.received[0]).toMatchObject({ path: '/12/accounts', kind: 'accounts' });
  });

  it('a user without ad accounts → permission_denied', async () => {
    const empty = await startFakeX({ accounts: [] });
    try {
      expect(await x.testConnection!(sendCtx({}, { baseUrl: empty.url }))).toMatchObject({ ok: false, code: 'permission_denied' });
    } finally {
      await empty.close();
    }
  });

  it('bad credentials → invalid_credentials; nothing listening → unreachable', async () => {
    const d = await x.testConnection!(sendCtx({ access_token_secret: 'notTheRightTokenSecret000000' }));
    expect(d).toMatchObject({ ok: false, code: 'invalid_credentials' });
    expect(d.message).not.toContain('notTheRightTokenSecret000000');
    expect(await x.testConnection!(sendCtx({}, { baseUrl: `http://127.0.0.1:${await closedPort()}` }))).toMatchObject({ ok: false, code: 'unreachable' });
  });
});

describe('through the delivery worker', () => {
  it('an event past the 30-day window is a dead letter and never reaches X; a fresh one is delivered', async () => {
    const t = now();
    const old = canonical({ ...requiredOnlyEvent(t), event_id: 'too-old', event_time: t - 31 * 86_400 });
    const fresh = requiredOnlyEvent(t);
    const [oldRow, freshRow] = await throughWorker([old, fresh], SETTINGS, fake.url);
    expect(oldRow).toMatchObject({ status: 'dead', attempts: 0, lastError: expect.stringMatching(/^event is 31 d\b.* old; X Conversion API accepts events up to 30 d old, so it was not sent$/) });
    expect(freshRow).toMatchObject({ status: 'delivered', attempts: 1, lastStatus: 200 });
    expect((fake.received[0]!.body as { conversions: Array<{ conversion_id: string }> }).conversions.map((c) => c.conversion_id)).toStrictEqual([fresh.event_id]);
  });
});


/** Runs events through the real worker with x as the destination (test/destinations/support.ts). */
const throughWorker = (events: CanonicalEvent[], settings: unknown, baseUrl?: string) =>
  runThroughWorker(x, http, events, settings, baseUrl);

