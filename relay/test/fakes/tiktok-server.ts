/**
 * A local stand-in for TikTok's Events API 2.0 (POST /open_api/v1.3/event/track/) that validates
 * requests the way TikTok documents them and answers with TikTok's real response shapes.
 *
 * Sources are the platform notes, /work/shared/platforms/meta-ga4-googleads-tiktok.md §4
 * (T1 Events API 2.0 reference via T5 Segment / T6 RudderStack, T2 batch size, T3 dedup,
 * T4 standard events, T7 Hightouch, T8 matching). Where the fake is stricter than anything
 * confirmed, the rule says so: a stricter fake catches our mistakes, a laxer one hides them.
 *
 * Standalone: `tsx relay/test/fakes/tiktok-server.ts --port 8794 [--token T] [--pixel P]`.
 */
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { isMainModule, runStandalone, startFakeServer, type FakeRequest, type FakeResponse, type FakeServer } from './base.js';

export const FAKE_TIKTOK_TOKEN = 'fake-tiktok-access-token-0123456789abcdef';
export const FAKE_TIKTOK_PIXEL = 'CFAKEPIXEL0123456789';
export const TIKTOK_TRACK_PATH = '/open_api/v1.3/event/track/';

/** Current standard web events (T4, Sept 2025 list; notes §4.4). */
export const TIKTOK_STANDARD_EVENTS = [
  'AddPaymentInfo',
  'AddToCart',
  'AddToWishlist',
  'ApplicationApproval',
  'ClickButton',
  'CompleteRegistration',
  'Contact',
  'CustomizeProduct',
  'Download',
  'FindLocation',
  'InitiateCheckout',
  'Purchase',
  'Schedule',
  'Search',
  'StartTrial',
  'SubmitApplication',
  'Subscribe',
  'ViewContent',
  'Lead',
] as const;

/**
 * Renamed events (notes §4.4: CompletePayment → Purchase, SubmitForm → Lead). Stricter than
 * TikTok, which probably still accepts the old names (UNCONFIRMED): LayerSync must send the new ones.
 */
export const TIKTOK_RENAMED_EVENTS: Readonly<Record<string, string>> = { CompletePayment: 'Purchase', SubmitForm: 'Lead' };

/** TikTok's body codes (T6 networkHandler.js and network mocks; notes §4.6). */
export const FAKE_TIKTOK_CODES = { OK: 0, NO_PERMISSION: 40001, INVALID_PARAMS: 40002, TOO_MANY_REQUESTS: 40100, ACCESS_TOKEN_INVALID: 40105, INTERNAL: 50000 } as const;

/** Web events older than this are refused. UNCONFIRMED: the commonly cited 7 days (notes §4.6). */
export const FAKE_TIKTOK_MAX_EVENT_AGE_SECONDS = 7 * 24 * 60 * 60;

export interface FakeTiktokOptions {
  port?: number;
  /** Access tokens the fake accepts. */
  tokens?: string[];
  /** Pixel codes (event_source_id) those tokens may send to. */
  pixelCodes?: string[];
  /** The fake's clock in milliseconds, for the event age check. */
  now?: () => number;
}

export interface FakeTiktok extends FakeServer {
  /**
   * Only the requests answered with code 0. TikTok reports errors as HTTP 200 with a non-zero
   * code, so base's HTTP-status filter would count them (its GET /__received still does).
   */
  readonly received: FakeServer['received'];
  /**
   * The next n valid-path requests get this TikTok body code instead of being processed
   * (HTTP 200 unless told otherwise), e.g. 40100 rate limit or 50000 internal error.
   */
  respondNext(n: number, code: number, message?: string, httpStatus?: number, headers?: Record<string, string>): void;
}

const HEX64 = /^[a-f0-9]{64}$/;
const HASHED_USER_FIELDS = ['email', 'phone', 'external_id', 'first_name', 'last_name', 'zip_code'] as const;
const PLAIN_USER_FIELDS = ['ttclid', 'ttp', 'ip', 'user_agent', 'locale', 'city', 'state', 'country'] as const;
const EVENT_FIELDS = ['event', 'event_time', 'event_id', 'user', 'page', 'properties', 'limited_data_use', 'lead'];
const PROPERTY_FIELDS = [
  'contents',
  'content_type',
  'content_ids',
  'value',
  'currency',
  'order_id',
  'shop_id',
  'query',
  'description',
  'num_items',
  'delivery_category',
  'predicted_ltv',
  'search_string',
];
const CONTENT_FIELDS = ['content_id', 'content_name', 'content_category', 'price', 'quantity', 'brand'];

function requestId(): string {
  // TikTok's request ids are a timestamp followed by hex (as seen in its answers); any unique string works.
  const d = new Date();
  const stamp = d.toISOString().replace(/[-:TZ.]/g, '').slice(0, 14);
  return `${stamp}${randomBytes(9).toString('hex').toUpperCase()}`;
}

/** TikTok's envelope: HTTP 200 even for errors, the verdict is `code` (T6; notes §4.6). */
export function tiktokAnswer(code: number, message: string, status = 200, headers?: Record<string, string>): FakeResponse {
  return { status, body: { code, message, request_id: requestId(), data: {} }, headers };
}

const invalid = (message: string) => tiktokAnswer(FAKE_TIKTOK_CODES.INVALID_PARAMS, message);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Field errors read like TikTok's ("Batch.0.properties.contents.0.content_id: Not a valid string",
 * T6 mock, for the 1.0 batch endpoint). The 2.0 path prefix `data.N.` is UNCONFIRMED.
 */
function unknownField(obj: Record<string, unknown>, allowed: readonly string[], path: string): string | undefined {
  // Stricter than confirmed: TikTok may ignore unknown fields, but a misspelt field is our bug.
  const extra = Object.keys(obj).find((k) => !allowed.includes(k));
  return extra !== undefined ? `${path}.${extra}: Unknown field.` : undefined;
}

function checkHashed(value: unknown, path: string): string | undefined {
  const values = Array.isArray(value) ? value : [value];
  if (Array.isArray(value) && value.length === 0) return `${path}: Must not be empty.`;
  for (const v of values) {
    if (typeof v !== 'string') return `${path}: Not a valid string.`;
    // T1/T8: email, phone and external_id must be SHA-256 hashed by the sender; hex lower case
    // is the relay's contract. Raw or upper-case values mean a hashing bug.
    if (!HEX64.test(v)) return `${path}: Must be a SHA-256 hash (64 lowercase hex characters).`;
  }
  return undefined;
}

function checkEvent(e: unknown, i: number, nowSeconds: number): string | undefined {
  const p = `data.${i}`;
  if (!isObject(e)) return `${p}: Not a valid mapping type.`;
  const extra = unknownField(e, EVENT_FIELDS, p);
  if (extra) return extra;

  if (e.event === undefined) return `${p}.event: Missing data for required field.`;
  if (typeof e.event !== 'string' || e.event.trim() === '') return `${p}.event: Not a valid string.`;
  const renamed = TIKTOK_RENAMED_EVENTS[e.event];
  if (renamed !== undefined) return `${p}.event: ${e.event} was renamed; use ${renamed}.`;

  // event_time: unix seconds (T1; notes §4.8 lists milliseconds and ISO strings as pitfalls).
  if (e.event_time === undefined) return `${p}.event_time: Missing data for required field.`;
  if (typeof e.event_time !== 'number' || !Number.isInteger(e.event_time) || e.event_time <= 0) {
    return `${p}.event_time: Not a valid integer (unix seconds).`;
  }
  if (e.event_time >= 1e10) return `${p}.event_time: Must be in seconds, not milliseconds.`;
  if (nowSeconds - e.event_time > FAKE_TIKTOK_MAX_EVENT_AGE_SECONDS) return `${p}.event_time: Event is older than 7 days.`;

  // event_id: optional for TikTok, which then falls back to _ttp (T3); required here because
  // LayerSync always sends one for pixel/server deduplication.
  if (e.event_id === undefined) return `${p}.event_id: Missing data for required field.`;
  if (typeof e.event_id !== 'string' || e.event_id === '') return `${p}.event_id: Not a valid string.`;

  if (e.limited_data_use !== undefined && typeof e.limited_data_use !== 'boolean') return `${p}.limited_data_use: Not a valid boolean.`;

  if (e.user === undefined) return `${p}.user: Missing data for required field.`;
  if (!isObject(e.user)) return `${p}.user: Not a valid mapping type.`;
  const userExtra = unknownField(e.user, [...HASHED_USER_FIELDS, ...PLAIN_USER_FIELDS], `${p}.user`);
  if (userExtra) return userExtra;
  for (const f of HASHED_USER_FIELDS) {
    if (e.user[f] === undefined) continue;
    const err = checkHashed(e.user[f], `${p}.user.${f}`);
    if (err) return err;
  }
  for (const f of PLAIN_USER_FIELDS) {
    if (e.user[f] !== undefined && typeof e.user[f] !== 'string') return `${p}.user.${f}: Not a valid string.`;
  }
  // ip and user_agent are sent raw (T8); an IP that is not one is a mapping bug.
  if (typeof e.user.ip === 'string' && isIP(e.user.ip) === 0) return `${p}.user.ip: Not a valid IP address.`;

  if (e.page !== undefined) {
    if (!isObject(e.page)) return `${p}.page: Not a valid mapping type.`;
    const pageExtra = unknownField(e.page, ['url', 'referrer'], `${p}.page`);
    if (pageExtra) return pageExtra;
    for (const f of ['url', 'referrer']) {
      if (e.page[f] !== undefined && typeof e.page[f] !== 'string') return `${p}.page.${f}: Not a valid string.`;
    }
  }

  if (e.properties !== undefined) {
    const err = checkProperties(e.properties, `${p}.properties`);
    if (err) return err;
  }
  return undefined;
}

function checkProperties(props: unknown, p: string): string | undefined {
  if (!isObject(props)) return `${p}: Not a valid mapping type.`;
  const extra = unknownField(props, PROPERTY_FIELDS, p);
  if (extra) return extra;
  if (props.value !== undefined) {
    if (typeof props.value !== 'number' || !Number.isFinite(props.value)) return `${p}.value: Not a valid number.`;
    // A value means nothing without its currency (T4 recommended params; notes §4.4).
    if (props.currency === undefined) return `${p}.currency: Required when value is set.`;
  }
  if (props.currency !== undefined && (typeof props.currency !== 'string' || !/^[A-Z]{3}$/.test(props.currency))) {
    return `${p}.currency: Not a valid ISO 4217 currency code.`;
  }
  if (props.content_type !== undefined && props.content_type !== 'product' && props.content_type !== 'product_group') {
    return `${p}.content_type: Must be one of: product, product_group.`;
  }
  for (const f of ['order_id', 'query', 'shop_id', 'description', 'search_string']) {
    if (props[f] !== undefined && typeof props[f] !== 'string') return `${p}.${f}: Not a valid string.`;
  }
  if (props.contents !== undefined) {
    if (!Array.isArray(props.contents)) return `${p}.contents: Not a valid list.`;
    for (const [j, c] of props.contents.entries()) {
      const cp = `${p}.contents.${j}`;
      if (!isObject(c)) return `${cp}: Not a valid mapping type.`;
      const cExtra = unknownField(c, CONTENT_FIELDS, cp);
      if (cExtra) return cExtra;
      // T6 mock: a numeric content_id is refused with exactly this message (notes §4.8).
      if (c.content_id !== undefined && typeof c.content_id !== 'string') return `${cp}.content_id: Not a valid string`;
      for (const f of ['content_name', 'content_category', 'brand']) {
        if (c[f] !== undefined && typeof c[f] !== 'string') return `${cp}.${f}: Not a valid string.`;
      }
      if (c.price !== undefined && (typeof c.price !== 'number' || !Number.isFinite(c.price))) return `${cp}.price: Not a valid number.`;
      if (c.quantity !== undefined && (typeof c.quantity !== 'number' || !Number.isInteger(c.quantity))) {
        return `${cp}.quantity: Not a valid integer.`;
      }
    }
  }
  return undefined;
}

export async function startFakeTiktok(opts: FakeTiktokOptions = {}): Promise<FakeTiktok> {
  const tokens = new Set(opts.tokens ?? [FAKE_TIKTOK_TOKEN]);
  const pixels = new Set(opts.pixelCodes ?? [FAKE_TIKTOK_PIXEL]);
  const now = opts.now ?? Date.now;
  const scripted: FakeResponse[] = [];
  // TikTok answers errors with HTTP 200, so base's "2xx = accepted" does not hold: remember which
  // entries of `requests` got code 0. base records one entry per answer from handle() or
  // failure(), in order, so counting answers gives each entry's index.
  const acceptedIndexes = new Set<number>();
  let answered = 0;

  const handle = (req: FakeRequest): FakeResponse => {
    const index = answered++;
    // Unknown routes: TikTok's answer for them is UNCONFIRMED; a plain 404 makes a wrong URL obvious.
    if (req.path !== TIKTOK_TRACK_PATH) return { status: 404, body: { message: `no such path ${req.path}` } };
    if (req.method !== 'POST') return { status: 405, body: { message: 'method not allowed' } };
    const next = scripted.shift();
    if (next !== undefined) return next;

    // Auth first: the token goes in the Access-Token header (notes §4.1, T5).
    const token = req.headers['access-token'];
    if (typeof token !== 'string' || token === '') {
      return tiktokAnswer(FAKE_TIKTOK_CODES.ACCESS_TOKEN_INVALID, 'Access token is null, please check the Access-Token header.');
    }
    if (!tokens.has(token)) {
      return tiktokAnswer(FAKE_TIKTOK_CODES.ACCESS_TOKEN_INVALID, 'Access token is incorrect or has been revoked.');
    }
    // TikTok's samples always send JSON with this header (notes §4.1).
    if (!/^application\/json\b/i.test(String(req.headers['content-type'] ?? ''))) {
      return invalid('Content-Type must be application/json.');
    }
    const body = req.json;
    if (!isObject(body)) return invalid('Request body is not a valid JSON object.');
    const topExtra = unknownField(body, ['event_source', 'event_source_id', 'partner_name', 'test_event_code', 'data'], 'body');
    if (topExtra) return invalid(topExtra);

    // event_source: web | app | offline | crm (T1); this fake models web (pixel) events only.
    if (body.event_source === undefined) return invalid('event_source: Missing data for required field.');
    if (body.event_source !== 'web') return invalid('event_source: Must be "web" for pixel events (the fake supports web only).');
    if (body.event_source_id === undefined) return invalid('event_source_id: Missing data for required field.');
    if (typeof body.event_source_id !== 'string') return invalid('event_source_id: Not a valid string.');
    if (!pixels.has(body.event_source_id)) {
      // T6 mock: TikTok's answer when the token may not use the pixel (it does not say "not found").
      return tiktokAnswer(
        FAKE_TIKTOK_CODES.NO_PERMISSION,
        `No permission to operate pixel code: ${body.event_source_id}. You must be an admin or operator of this advertiser account.`,
      );
    }
    if (body.test_event_code !== undefined && typeof body.test_event_code !== 'string') return invalid('test_event_code: Not a valid string.');

    // 1..1,000 events per request (T2 via T6; T7). One bad event fails the request (T7).
    if (body.data === undefined) return invalid('data: Missing data for required field.');
    if (!Array.isArray(body.data)) return invalid('data: Not a valid list.');
    if (body.data.length < 1 || body.data.length > 1000) return invalid('data: Length must be between 1 and 1000.');
    const nowSeconds = Math.floor(now() / 1000);
    for (const [i, e] of body.data.entries()) {
      const err = checkEvent(e, i, nowSeconds);
      if (err) return invalid(err);
    }
    acceptedIndexes.add(index);
    return tiktokAnswer(FAKE_TIKTOK_CODES.OK, 'OK');
  };

  const fake = await startFakeServer(
    {
      name: 'tiktok',
      handle,
      failure(kind) {
        answered++;
        switch (kind) {
          case 429:
            // Rate limits normally arrive as HTTP 200 + code 40100 (T6); an HTTP 429 from the edge
            // is modelled with TikTok's body and a Retry-After header.
            return tiktokAnswer(FAKE_TIKTOK_CODES.TOO_MANY_REQUESTS, 'Too many requests. Please retry in some time.', 429, { 'retry-after': '2' });
          case 'auth':
            return tiktokAnswer(FAKE_TIKTOK_CODES.ACCESS_TOKEN_INVALID, 'Access token is incorrect or has been revoked.');
          case 503:
          case 500:
            // T6 mock: gateway errors come back as nginx HTML, not TikTok's envelope.
            return {
              status: kind,
              body: `<html>\r\n<head><title>${kind} Internal Server Error</title></head>\r\n<body>\r\n<center><h1>${kind}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`,
              headers: kind === 503 ? { 'content-type': 'text/html', 'retry-after': '30' } : { 'content-type': 'text/html' },
            };
        }
      },
    },
    opts.port ?? 0,
  );

  const baseReset = fake.reset.bind(fake);
  // Only requests TikTok would have accepted (code 0), unlike base's HTTP-status filter; note that
  // base's GET /__received still filters by HTTP status and so lists rejected requests too.
  Object.defineProperty(fake, 'received', {
    get: () => fake.requests.filter((_, i) => acceptedIndexes.has(i)),
  });
  return Object.assign(fake, {
    respondNext(n: number, code: number, message = code === 0 ? 'OK' : `error ${code}`, httpStatus = 200, headers?: Record<string, string>) {
      for (let i = 0; i < n; i++) scripted.push(tiktokAnswer(code, message, httpStatus, headers));
    },
    reset() {
      scripted.length = 0;
      acceptedIndexes.clear();
      answered = 0;
      baseReset();
    },
  }) as FakeTiktok;
}

if (isMainModule(import.meta.url)) {
  void runStandalone((port, args) =>
    startFakeTiktok({
      port,
      tokens: args.token ? [args.token] : undefined,
      pixelCodes: args.pixel ? [args.pixel] : undefined,
    }),
  );
}
