import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { canonicalEventSchema, type CanonicalEvent, type CanonicalEventInput } from '../src/contract/event.js';
import { createHttpClient, type HttpClient, type HttpResponse } from '../src/delivery/http.js';
import { secretValues } from '../src/destinations/secrets.js';
import type { DeliveryOutcome, MapContext, PrivacyContext, SendContext } from '../src/destinations/types.js';
import {
  TIKTOK_MAX_EVENT_AGE_SECONDS,
  TIKTOK_TRACK_PATH,
  classifyTiktokResponse,
  parseRetryAfter,
} from '../src/destinations/tiktok/api.js';
import { createTiktokDestination, tiktok, tiktokTrackRequest, type TiktokEvent, type TiktokSettings, type TiktokTrackRequest } from '../src/destinations/tiktok/index.js';
import { tiktokSettings } from '../src/destinations/tiktok/settings.js';
import { FAKE_TIKTOK_PIXEL, FAKE_TIKTOK_TOKEN, startFakeTiktok, type FakeTiktok } from './fakes/tiktok-server.js';

const sha = (v: string) => createHash('sha256').update(v).digest('hex');
const NOW = Math.floor(Date.now() / 1000);

const settings: TiktokSettings = { pixel_code: FAKE_TIKTOK_PIXEL, access_token: FAKE_TIKTOK_TOKEN };

function event(input: Partial<CanonicalEventInput> = {}): CanonicalEvent {
  return canonicalEventSchema.parse({
    event_id: '0192f5c4-5b2a-7c1e-9d3f-0a1b2c3d4e5f',
    event_name: 'view_item',
    event_time: NOW - 120,
    source: 'browser',
    ...input,
  });
}

function mapCtx(platformEventName: string, privacy?: PrivacyContext, s: TiktokSettings = settings): MapContext<TiktokSettings> {
  return { settings: s, platformEventName, now: NOW, privacy };
}

function mapped(e: CanonicalEvent, ctx: MapContext<TiktokSettings>): TiktokEvent {
  const r = tiktok.map(e, ctx);
  if (!r.ok) throw new Error(`map refused: ${r.reason}`);
  return r.payload as TiktokEvent;
}

const requiredOnly = event();

const everyField = event({
  event_id: 'order-1001',
  event_name: 'purchase',
  source: 'server',
  context: {
    url: 'https://shop.example/checkout/order-received/1001/?key=wc_order_abc',
    referrer: 'https://shop.example/checkout/',
    user_agent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0',
    ip: '203.0.113.7',
    locale: 'de-DE',
  },
  identity: {
    em: sha('jane@example.com'),
    em_google: sha('jane@example.com'),
    em_reddit: sha('jane@example.com'),
    ph: sha('4915112345678'),
    ph_e164: sha('+4915112345678'),
    fn: sha('jane'),
    ln: sha('doe'),
    ge: sha('f'),
    db: sha('19900101'),
    ct: sha('berlin'),
    st: sha('be'),
    zp: sha('10115'),
    country: sha('de'),
    external_id: sha('customer-42'),
    ttclid: 'E.C.P.abcdefghijklmnop',
    ttp: '2b3c4d5e6f7g8h9i0j',
    fbp: 'fb.1.1596403881668.1116446470',
  },
  commerce: {
    order_id: '1001',
    value: 59.9,
    currency: 'EUR',
    tax: 9.56,
    shipping: 4.9,
    coupon: 'SPRING',
    items: [
      { id: 'SKU-1', name: 'Blue mug', price: 12.5, quantity: 2, category: 'Kitchen', variant: 'blue', brand: 'Acme' },
      { id: 'SKU-2', price: 30 },
    ],
  },
  consent: { ad_storage: 'granted', analytics_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted' },
  properties: { search_term: 'mug', campaign: 'x' },
});

describe('tiktok definition', () => {
  it('declares the platform limits and the default event map', () => {
    expect(tiktok.slug).toBe('tiktok');
    expect(tiktok.maxBatchSize).toBe(1000);
    expect(tiktok.batchRejection).toBe('all-or-nothing');
    expect(tiktok.maxEventAgeSeconds).toBe(7 * 24 * 3600);
    expect(tiktok.defaultBaseUrl).toBe('https://business-api.tiktok.com');
    expect(tiktok.defaultEventMap).toEqual({
      view_item: 'ViewContent',
      add_to_cart: 'AddToCart',
      begin_checkout: 'InitiateCheckout',
      add_payment_info: 'AddPaymentInfo',
      purchase: 'Purchase',
      lead: 'Lead',
      sign_up: 'CompleteRegistration',
      search: 'Search',
      subscribe: 'Subscribe',
      start_trial: 'StartTrial',
    });
    // Renamed events must not come back (notes §4.4), and page_view stays unmapped.
    expect(Object.values(tiktok.defaultEventMap)).not.toContain('CompletePayment');
    expect(Object.values(tiktok.defaultEventMap)).not.toContain('SubmitForm');
    expect(tiktok.defaultEventMap.page_view).toBeUndefined();
    expect(tiktok.defaultEventMap.view_cart).toBeUndefined();
  });

  it('marks the access token secret and validates settings with helpful messages', () => {
    const parsed = tiktokSettings.parse({ pixel_code: ' CFAKEPIXEL0123456789 ', access_token: FAKE_TIKTOK_TOKEN, test_event_code: 'TEST123' });
    expect(parsed.pixel_code).toBe('CFAKEPIXEL0123456789');
    expect(secretValues(tiktokSettings, parsed)).toEqual([FAKE_TIKTOK_TOKEN]);
    const bad = tiktokSettings.safeParse({ pixel_code: '<script>ttq.load("X")</script>', access_token: 'short' });
    expect(bad.success).toBe(false);
    const messages = bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(messages).toEqual([
      'pixel_code: must be the pixel code shown in TikTok Events Manager, letters and digits only, e.g. C4ABCDEFGH1234567890',
      'access_token: must be the Events API access token generated in TikTok Events Manager (it is a long string)',
    ]);
    expect(tiktokSettings.safeParse({ ...settings, extra: 1 }).success).toBe(false);
  });
});

describe('tiktok map', () => {
  it('maps a required-fields-only event', () => {
    expect(mapped(requiredOnly, mapCtx('ViewContent'))).toEqual({
      event: 'ViewContent',
      event_time: NOW - 120,
      event_id: '0192f5c4-5b2a-7c1e-9d3f-0a1b2c3d4e5f',
      user: {},
      limited_data_use: false,
    });
  });

  it('maps every field: hashed identity passed through, ip/user agent raw, contents as strings', () => {
    expect(mapped(everyField, mapCtx('Purchase'))).toEqual({
      event: 'Purchase',
      event_time: NOW - 120,
      event_id: 'order-1001',
      user: {
        email: sha('jane@example.com'),
        phone: sha('+4915112345678'),
        external_id: sha('customer-42'),
        first_name: sha('jane'),
        last_name: sha('doe'),
        zip_code: sha('10115'),
        ttclid: 'E.C.P.abcdefghijklmnop',
        ttp: '2b3c4d5e6f7g8h9i0j',
        ip: '203.0.113.7',
        user_agent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0',
        locale: 'de-DE',
      },
      page: { url: 'https://shop.example/checkout/order-received/1001/?key=wc_order_abc', referrer: 'https://shop.example/checkout/' },
      properties: {
        contents: [
          { content_id: 'SKU-1', content_name: 'Blue mug', content_category: 'Kitchen', price: 12.5, quantity: 2, brand: 'Acme' },
          { content_id: 'SKU-2', price: 30 },
        ],
        content_type: 'product',
        value: 59.9,
        currency: 'EUR',
        order_id: '1001',
        query: 'mug',
      },
      limited_data_use: false,
    });
  });

  describe('identity variants (notes §4.3)', () => {
    // A Gmail address, where Google's and Reddit's variants (both janedoe@gmail.com) differ from em.
    const EM = sha('jane.doe+tt@gmail.com');
    const EM_GOOGLE = sha('janedoe@gmail.com');
    const EM_REDDIT = EM_GOOGLE;
    const PH = sha('4915112345678');
    const PH_E164 = sha('+4915112345678');
    const user = (identity: CanonicalEventInput['identity']) => mapped(event({ identity }), mapCtx('ViewContent')).user;

    it('phone: sends ph_e164 (E.164 with "+", then SHA-256) when present, never ph next to it', () => {
      const u = user({ ph: PH, ph_e164: PH_E164 });
      expect(u).toStrictEqual({ phone: PH_E164 });
      expect(JSON.stringify(u)).not.toContain(PH);
    });

    it('phone: falls back to the plain ph when the sender has no ph_e164', () => {
      expect(user({ ph: PH })).toStrictEqual({ phone: PH });
    });

    it('email: always the contract em (trim + lowercase); Google\'s and Reddit\'s Gmail variants are not TikTok\'s rule', () => {
      expect(user({ em: EM, em_google: EM_GOOGLE, em_reddit: EM_REDDIT })).toStrictEqual({ email: EM });
      expect(user({ em_google: EM_GOOGLE, em_reddit: EM_REDDIT })).toStrictEqual({});
    });
  });

  it('takes ttclid from the landing URL when no cookie value was captured', () => {
    const e = event({ context: { url: 'https://shop.example/p/1?ttclid=E.C.P.fromurl&utm_source=tiktok' } });
    expect(mapped(e, mapCtx('ViewContent')).user).toEqual({ ttclid: 'E.C.P.fromurl' });
  });

  it('sets limited_data_use from the privacy context and from a do-not-sell choice', () => {
    expect(mapped(requiredOnly, mapCtx('ViewContent', { limitedDataUse: true })).limited_data_use).toBe(true);
    expect(mapped(requiredOnly, mapCtx('ViewContent', { limitedDataUse: false })).limited_data_use).toBe(false);
    const dns = event({ consent: { ad_storage: 'granted', analytics_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted', do_not_sell: true } });
    expect(mapped(dns, mapCtx('ViewContent')).limited_data_use).toBe(true);
  });

  it('refuses events older than the 7-day window (with a safety margin) and keeps younger ones', () => {
    const old = tiktok.map(event({ event_time: NOW - TIKTOK_MAX_EVENT_AGE_SECONDS - 1 }), mapCtx('ViewContent'));
    expect(old).toEqual({
      ok: false,
      skip: false,
      reason: 'The event happened 7 d 0 h ago; LayerSync sends TikTok only events from the last 7 days, so it was not sent.',
    });
    expect(tiktok.map(event({ event_time: NOW - TIKTOK_MAX_EVENT_AGE_SECONDS + 30 }), mapCtx('ViewContent')).ok).toBe(false);
    expect(tiktok.map(event({ event_time: NOW - 6 * 86_400 }), mapCtx('ViewContent')).ok).toBe(true);
  });

  it('refuses millisecond timestamps and clamps a slightly fast clock to now', () => {
    // The canonical schema refuses such times; the mapper must too, for events that bypass it.
    const ms = tiktok.map({ ...requiredOnly, event_time: NOW * 1000 }, mapCtx('ViewContent'));
    expect(ms.ok).toBe(false);
    expect(!ms.ok && ms.reason).toMatch(/looks like milliseconds; TikTok needs unix seconds/);
    expect(mapped(event({ event_time: NOW + 30 }), mapCtx('ViewContent')).event_time).toBe(NOW);
  });

  it('refuses an empty event name from a bad event map override', () => {
    expect(tiktok.map(requiredOnly, mapCtx('  '))).toMatchObject({ ok: false, skip: false });
  });
});

describe('tiktok send against the fake TikTok', () => {
  let fake: FakeTiktok;
  let http: HttpClient;
  const ctx = (over: Partial<SendContext<TiktokSettings>> = {}): SendContext<TiktokSettings> => ({
    settings,
    http,
    baseUrl: fake.url,
    ...over,
  });

  beforeAll(async () => {
    fake = await startFakeTiktok();
    http = createHttpClient();
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await http.close();
    await fake.close();
  });

  it('sends a required-only event: exact URL, headers and body', async () => {
    const payload = mapped(requiredOnly, mapCtx('ViewContent'));
    const out = await tiktok.send([payload], ctx());
    expect(out).toEqual([{ kind: 'delivered', status: 200, response: expect.stringContaining('"code":0') }]);
    expect(fake.received).toHaveLength(1);
    const got = fake.received[0]!;
    expect(got.path).toBe('/open_api/v1.3/event/track/');
    expect(got.path).toBe(TIKTOK_TRACK_PATH);
    expect(got.query).toEqual({});
    expect(got.headers['access-token']).toBe(FAKE_TIKTOK_TOKEN);
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers.authorization).toBeUndefined();
    expect(got.body).toEqual({
      event_source: 'web',
      event_source_id: FAKE_TIKTOK_PIXEL,
      data: [{ event: 'ViewContent', event_time: NOW - 120, event_id: '0192f5c4-5b2a-7c1e-9d3f-0a1b2c3d4e5f', user: {}, limited_data_use: false }],
    });
  });

  it('sends an every-field event with the test event code and LDU: exact body', async () => {
    const s = { ...settings, test_event_code: 'TEST42' };
    const payload = mapped(everyField, mapCtx('Purchase', { limitedDataUse: true }, s));
    const out = await tiktok.send([payload], ctx({ settings: s }));
    expect(out.map((o) => o.kind)).toEqual(['delivered']);
    expect(fake.received[0]!.body).toEqual({
      event_source: 'web',
      event_source_id: FAKE_TIKTOK_PIXEL,
      test_event_code: 'TEST42',
      data: [
        {
          event: 'Purchase',
          event_time: NOW - 120,
          event_id: 'order-1001',
          user: {
            email: sha('jane@example.com'),
            phone: sha('+4915112345678'),
            external_id: sha('customer-42'),
            first_name: sha('jane'),
            last_name: sha('doe'),
            zip_code: sha('10115'),
            ttclid: 'E.C.P.abcdefghijklmnop',
            ttp: '2b3c4d5e6f7g8h9i0j',
            ip: '203.0.113.7',
            user_agent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0',
            locale: 'de-DE',
          },
          page: { url: 'https://shop.example/checkout/order-received/1001/?key=wc_order_abc', referrer: 'https://shop.example/checkout/' },
          properties: {
            contents: [
              { content_id: 'SKU-1', content_name: 'Blue mug', content_category: 'Kitchen', price: 12.5, quantity: 2, brand: 'Acme' },
              { content_id: 'SKU-2', price: 30 },
            ],
            content_type: 'product',
            value: 59.9,
            currency: 'EUR',
            order_id: '1001',
            query: 'mug',
          },
          limited_data_use: true,
        },
      ],
    } satisfies TiktokTrackRequest);
    // The raw bytes carry the token nowhere but its header.
    expect(JSON.stringify(fake.received[0]!.body)).not.toContain(FAKE_TIKTOK_TOKEN);
  });

  it('sends 1,000 events in one request and splits 1,001 into two', async () => {
    const payloads = Array.from({ length: 1001 }, (_, i) => mapped(event({ event_id: `ev-${i}` }), mapCtx('ViewContent')));
    const out1000 = await tiktok.send(payloads.slice(0, 1000), ctx());
    expect(out1000).toHaveLength(1000);
    expect(out1000.every((o) => o.kind === 'delivered')).toBe(true);
    expect(fake.received).toHaveLength(1);
    fake.reset();
    const out1001 = await tiktok.send(payloads, ctx());
    expect(out1001).toHaveLength(1001);
    expect(out1001.every((o) => o.kind === 'delivered')).toBe(true);
    expect(fake.received.map((r) => (r.body as TiktokTrackRequest).data.length)).toEqual([1000, 1]);
    expect((fake.received[1]!.body as TiktokTrackRequest).data[0]!.event_id).toBe('ev-1000');
  });

  it('sends nothing for an empty batch', async () => {
    expect(await tiktok.send([], ctx())).toEqual([]);
    expect(fake.requests).toHaveLength(0);
  });

  it('invalid access token (code 40105) → auth for every event, token never in the message', async () => {
    const wrong = { ...settings, access_token: 'wrong-token-0123456789abcdef' };
    const payload = mapped(requiredOnly, mapCtx('ViewContent'));
    const out = await tiktok.send([payload, payload], ctx({ settings: wrong }));
    expect(out).toHaveLength(2);
    for (const o of out) {
      expect(o.kind).toBe('auth');
      expect(o).toMatchObject({ status: 200, error: expect.stringMatching(/^TikTok rejected the access token \(code 40105: Access token is incorrect or has been revoked\./) });
      expect(JSON.stringify(o)).not.toContain('wrong-token-0123456789abcdef');
    }
    expect(fake.received).toHaveLength(0);
    expect(fake.requests[0]!.headers['access-token']).toBe('wrong-token-0123456789abcdef');
  });

  it('pixel the token may not use (code 40001) → auth naming the pixel', async () => {
    const other = { ...settings, pixel_code: 'CUNKNOWNPIXEL0000000' };
    const out = await tiktok.send([mapped(requiredOnly, mapCtx('ViewContent', undefined, other))], ctx({ settings: other }));
    expect(out).toEqual([
      {
        kind: 'auth',
        status: 200,
        error: expect.stringContaining('TikTok does not let this access token send events to pixel CUNKNOWNPIXEL0000000 (code 40001: No permission to operate pixel code: CUNKNOWNPIXEL0000000.'),
      },
    ]);
  });

  it('invalid parameters (code 40002) → drop with TikTok’s message', async () => {
    const bad = { ...mapped(everyField, mapCtx('Purchase')) } as unknown as Record<string, unknown>;
    bad.properties = { contents: [{ content_id: 1077218 }] };
    const out = await tiktok.send([bad], ctx());
    expect(out).toEqual([
      {
        kind: 'drop',
        status: 200,
        error: expect.stringMatching(/^TikTok rejected the events as invalid \(code 40002: data\.0\.properties\.contents\.0\.content_id: Not a valid string \(request_id \w+\)\)$/),
      },
    ]);
  });

  it('one bad event fails the whole batch (all-or-nothing): every outcome is drop', async () => {
    const good = mapped(requiredOnly, mapCtx('ViewContent'));
    const bad = { ...good, event_time: (NOW - 60) * 1000 };
    const out = await tiktok.send([good, bad, good], ctx());
    expect(out.map((o) => o.kind)).toEqual(['drop', 'drop', 'drop']);
    expect(out[0]).toMatchObject({ error: expect.stringContaining('data.1.event_time: Must be in seconds, not milliseconds.') });
  });

  it('rate limit as HTTP 200 + code 40100 → retry', async () => {
    fake.respondNext(1, 40100, 'Too many requests. Please retry in some time.');
    const out = await tiktok.send([mapped(requiredOnly, mapCtx('ViewContent'))], ctx());
    expect(out).toEqual([{ kind: 'retry', status: 200, error: expect.stringMatching(/^TikTok is rate limiting requests \(code 40100: Too many requests/) }]);
  });

  it('rate limit as HTTP 429 → retry with retryAfterMs from Retry-After', async () => {
    fake.failNext(1, 429);
    const out = await tiktok.send([mapped(requiredOnly, mapCtx('ViewContent'))], ctx());
    expect(out).toEqual([{ kind: 'retry', status: 429, retryAfterMs: 2000, error: expect.stringContaining('HTTP 429') }]);
  });

  it('HTTP 500 (nginx HTML) → retry without retryAfterMs; HTTP 503 with Retry-After → retryAfterMs', async () => {
    fake.failNext(1, 500);
    fake.failNext(1, 503);
    const payload = [mapped(requiredOnly, mapCtx('ViewContent'))];
    const [o500] = await tiktok.send(payload, ctx());
    const [o503] = await tiktok.send(payload, ctx());
    expect(o500).toEqual({ kind: 'retry', status: 500, error: 'TikTok answered with a server error (HTTP 500); the events will be retried' });
    expect(o503).toEqual({ kind: 'retry', status: 503, retryAfterMs: 30_000, error: 'TikTok answered with a server error (HTTP 503); the events will be retried' });
  });

  it('internal error as HTTP 200 + code 50000 → retry', async () => {
    fake.respondNext(1, 50000, 'Internal service error');
    const [o] = await tiktok.send([mapped(requiredOnly, mapCtx('ViewContent'))], ctx());
    expect(o).toMatchObject({ kind: 'retry', status: 200, error: expect.stringContaining('code 50000: Internal service error') });
  });

  it('timeout → retry', async () => {
    fake.failNext(1, 'timeout');
    // A short timeout instead of the production 10 s.
    const quick = createTiktokDestination({ timeoutMs: 300 });
    const [o] = await quick.send([mapped(requiredOnly, mapCtx('ViewContent'))], ctx());
    expect(o).toMatchObject({ kind: 'retry', error: 'TikTok did not answer within 0.3 s; the events will be retried' });
    expect(o).not.toHaveProperty('status');
  });

  it('connection refused → retry', async () => {
    const closed = await startFakeTiktok();
    const url = closed.url;
    await closed.close();
    const [o] = await tiktok.send([mapped(requiredOnly, mapCtx('ViewContent'))], ctx({ baseUrl: url }));
    expect(o).toMatchObject({ kind: 'retry', error: expect.stringMatching(/^Could not reach TikTok \(ECONNREFUSED: /) });
  });

  it('testConnection with a test event code sends one test event → OK', async () => {
    const s = { ...settings, test_event_code: 'TEST42' };
    const d = await tiktok.testConnection!(ctx({ settings: s, nowMs: NOW * 1000 }));
    expect(d).toEqual({
      ok: true,
      code: 'ok',
      message: `OK: TikTok accepted a test event for pixel ${FAKE_TIKTOK_PIXEL}; it appears in Events Manager → Test events (code TEST42).`,
    });
    expect(fake.received).toHaveLength(1);
    expect(fake.received[0]!.body).toEqual({
      event_source: 'web',
      event_source_id: FAKE_TIKTOK_PIXEL,
      test_event_code: 'TEST42',
      data: [{ event: 'ViewContent', event_time: NOW, event_id: `layersync-connection-test-${NOW * 1000}`, user: {}, limited_data_use: false }],
    });
  });

  it('testConnection without a test event code probes with an empty batch, which records nothing', async () => {
    const d = await tiktok.testConnection!(ctx());
    expect(d).toMatchObject({ ok: true, code: 'ok_unverified' });
    expect(d.message).toContain('add the test event code');
    expect(fake.requests).toHaveLength(1);
    expect((fake.requests[0]!.body as TiktokTrackRequest).data).toEqual([]);
    expect(fake.received).toHaveLength(0);
  });

  it('testConnection: access token invalid', async () => {
    const d = await tiktok.testConnection!(ctx({ settings: { ...settings, access_token: 'revoked-token-0123456789' } }));
    expect(d.ok).toBe(false);
    expect(d.code).toBe('invalid_credentials');
    expect(d.message).toBe(
      'TikTok says the access token is invalid (TikTok said: "Access token is incorrect or has been revoked."). Generate a new Events API access token in TikTok Events Manager → your pixel → Settings and save it here.',
    );
    expect(d.message).not.toContain('revoked-token-0123456789');
  });

  it('testConnection: pixel code not found (with and without a test event code)', async () => {
    for (const test_event_code of [undefined, 'TEST42']) {
      const d = await tiktok.testConnection!(ctx({ settings: { ...settings, pixel_code: 'CNOPE000000000000000', test_event_code } }));
      expect(d).toMatchObject({ ok: false, code: 'not_found' });
      expect(d.message).toMatch(/^TikTok did not find pixel code CNOPE000000000000000 for this access token \(TikTok said: "No permission to operate pixel code: CNOPE000000000000000\. .*"\)\. Check the pixel code/);
    }
  });

  it('testConnection: a refused test event is reported with TikTok’s words', async () => {
    fake.respondNext(1, 40002, 'test_event_code: Invalid test event code.');
    const d = await tiktok.testConnection!(ctx({ settings: { ...settings, test_event_code: 'TEST42' } }));
    expect(d).toEqual({
      ok: false,
      code: 'rejected',
      message:
        'TikTok accepted the credentials but refused the test event (TikTok said: "test_event_code: Invalid test event code."). Check the test event code in Events Manager → Test events.',
    });
  });

  it('testConnection: unreachable, rate limited and server errors are told apart', async () => {
    const closed = await startFakeTiktok();
    const url = closed.url;
    await closed.close();
    const unreachable = await tiktok.testConnection!(ctx({ baseUrl: url }));
    expect(unreachable).toMatchObject({ ok: false, code: 'unreachable' });
    expect(unreachable.message).toMatch(/^Could not reach TikTok \(ECONNREFUSED: .*\)\. Check the relay's network access and try again\.$/);
    fake.failNext(1, 429);
    expect(await tiktok.testConnection!(ctx())).toMatchObject({ ok: false, code: 'rate_limited' });
    fake.failNext(1, 503);
    expect(await tiktok.testConnection!(ctx())).toMatchObject({ ok: false, code: 'platform_error' });
  });
});

describe('classifyTiktokResponse', () => {
  const cctx = { pixelCode: 'CPIX', secrets: ['s3cr3t-token'], nowMs: Date.parse('2026-01-01T00:00:00Z') };
  const res = (body: unknown, status = 200, headers: Record<string, string> = {}): HttpResponse => ({
    status,
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const kind = (o: DeliveryOutcome) => o.kind;

  it.each([
    [0, 'delivered'],
    [20001, 'delivered'],
    [40001, 'auth'],
    [40002, 'drop'],
    [40100, 'retry'],
    [40102, 'auth'],
    [40104, 'auth'],
    [40105, 'auth'],
    [40700, 'retry'],
    [40006, 'drop'],
    [50000, 'retry'],
    [51001, 'retry'],
    [12345, 'retry'],
  ] as const)('code %i → %s', (code, expected) => {
    expect(kind(classifyTiktokResponse(res({ code, message: 'm', request_id: 'r', data: {} }), cctx))).toBe(expected);
  });

  it('a 40002 about the pixel is configuration, not a bad event', () => {
    const o = classifyTiktokResponse(res({ code: 40002, message: 'event_source_id: Not a valid pixel code.' }), cctx);
    expect(o).toMatchObject({ kind: 'auth', error: expect.stringContaining('TikTok does not let this access token send events to pixel CPIX (code 40002: event_source_id') });
  });

  it('HTTP statuses: 401/403 auth, 404 drop, 408 retry, 200 without envelope retry', () => {
    expect(kind(classifyTiktokResponse(res('', 401), cctx))).toBe('auth');
    expect(kind(classifyTiktokResponse(res('', 403), cctx))).toBe('auth');
    expect(kind(classifyTiktokResponse(res({ message: 'Not Found' }, 404), cctx))).toBe('drop');
    expect(kind(classifyTiktokResponse(res('', 408), cctx))).toBe('retry');
    expect(classifyTiktokResponse(res('<html>proxy</html>'), cctx)).toMatchObject({ kind: 'retry', status: 200 });
  });

  it('never repeats the token, even when TikTok echoes it', () => {
    const o = classifyTiktokResponse(res({ code: 40105, message: 'Access token s3cr3t-token is incorrect' }), cctx);
    expect(o).toMatchObject({ kind: 'auth', error: expect.stringContaining('Access token [redacted] is incorrect') });
    expect(JSON.stringify(o)).not.toContain('s3cr3t-token');
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('120', cctx.nowMs)).toBe(120_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', cctx.nowMs)).toBe(30_000);
    expect(parseRetryAfter('soon', cctx.nowMs)).toBeUndefined();
    expect(parseRetryAfter(undefined, cctx.nowMs)).toBeUndefined();
    const o = classifyTiktokResponse(res({ code: 40100, message: 'Too many requests' }, 200, { 'retry-after': '5' }), cctx);
    expect(o).toEqual({ kind: 'retry', status: 200, retryAfterMs: 5000, error: expect.any(String) });
  });
});

describe('tiktokTrackRequest', () => {
  it('adds test_event_code only when configured', () => {
    expect(tiktokTrackRequest(settings, [])).toEqual({ event_source: 'web', event_source_id: FAKE_TIKTOK_PIXEL, data: [] });
    expect(tiktokTrackRequest({ ...settings, test_event_code: 'T1' }, [])).toHaveProperty('test_event_code', 'T1');
  });
});
