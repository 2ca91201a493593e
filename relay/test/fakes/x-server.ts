/**
 * A local fake of the X Ads API's Conversion API that VERIFIES OAuth 1.0a signatures: it
 * recomputes each HMAC-SHA1 signature with its own RFC 5849 implementation (not the `oauth-1.0a`
 * package the destination signs with), so a signing bug on either side shows up as a 401.
 *
 *   POST /{version}/measurement/conversions/{pixel_id}   {"conversions":[…]} → 200
 *   GET  /{version}/accounts                              ad accounts of the token's user
 *   GET  /__received, GET /__requests, POST /__fail?n=&kind=, POST /__reset   (see base.ts)
 *
 * Standalone: `tsx relay/test/fakes/x-server.ts --port 8799 [--quiet]` prints `listening <url>`
 * and one JSON line per request (the OAuth header masked). It accepts FAKE_X_CREDENTIALS.
 *
 * Rules and sources (/work/shared/platforms/pinterest-snap-linkedin-reddit-x-klaviyo-webhooks.md
 * §5; X1 = "Web Conversions" v12 API reference, X2 = "Conversion API Set Up", X3 = "Error codes
 * and responses", RFC = RFC 5849). Error bodies use X3's {"errors":[{"code","message"}],
 * "request":{"params":{}}}; the exact codes and wording X uses for each case are UNCONFIRMED, and
 * `x_fake_reason` (not X's) says which rule fired.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { SHA256_HEX, fakeHandle, isMainModule, isObject, logEach, runStandalone, standaloneOptions, startFakeServer, type FakeHandle, type FakeOptions, type FakeRequest, type FakeResponse, type Received } from './base.js';

export const FAKE_X_CREDENTIALS = {
  consumer_key: 'fakeXConsumerKey0123456789',
  consumer_secret: 'fakeXConsumerSecret0123456789abcdefghijklmnop',
  access_token: '1234567890-fakeXAccessToken0123456789abcdef',
  access_token_secret: 'fakeXAccessTokenSecret0123456789abcdefghijk',
} as const;
export const FAKE_X_PIXEL_ID = 'o8z6j';
/** Events created for FAKE_X_PIXEL_ID in "Events Manager". */
export const FAKE_X_EVENT_IDS = ['o87ne', 'o87nf'];
export const FAKE_X_VERSIONS = ['11', '12'];
/** Allowed clock difference for oauth_timestamp (Twitter's OAuth guidance; UNCONFIRMED for the Ads API). */
export const FAKE_X_TIMESTAMP_TOLERANCE_SECONDS = 300;

const MAX_CONVERSIONS = 500; // X1
const CONVERSION_FIELDS = ['conversion_time', 'event_id', 'identifiers', 'number_items', 'price_currency', 'value', 'conversion_id', 'description', 'contents']; // X1
const IDENTIFIER_FIELDS = ['twclid', 'hashed_email', 'hashed_phone_number', 'ip_address', 'user_agent']; // X1
const CONTENT_FIELDS = ['content_id', 'content_group_id', 'content_name', 'content_price', 'content_type', 'num_items']; // X1 (list UNCONFIRMED)
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})$/;

export type FakeXFailure = 500 | 503 | 429 | 'timeout' | 'auth';

export interface StartFakeXOptions extends FakeOptions {
  /** consumer key → consumer secret. Default: FAKE_X_CREDENTIALS'. */
  consumers?: Record<string, string>;
  /** access token → token secret. Default: FAKE_X_CREDENTIALS'. */
  tokens?: Record<string, string>;
  /** pixel id → its event ids. Default: FAKE_X_PIXEL_ID → FAKE_X_EVENT_IDS. */
  pixels?: Record<string, string[]>;
  /** Ad accounts GET accounts lists. Default: one. */
  accounts?: Array<{ id: string; name: string }>;
  versions?: string[];
  /** Now in unix seconds. Default: the clock. */
  now?: () => number;
}

export interface XReceived extends Received {
  /** 'conversions' or 'accounts' ('' when the route was unknown). */
  kind: string;
  /** The oauth_* parameters of the Authorization header, when it parsed. */
  oauth?: Record<string, string>;
  /** Why the fake refused the OAuth signature (401s only). */
  authProblem?: string;
}

export type FakeX = FakeHandle<XReceived, FakeXFailure>;

export async function startFakeX(options: StartFakeXOptions = {}): Promise<FakeX> {
  const cfg: HandleConfig = {
    consumers: options.consumers ?? { [FAKE_X_CREDENTIALS.consumer_key]: FAKE_X_CREDENTIALS.consumer_secret },
    tokens: options.tokens ?? { [FAKE_X_CREDENTIALS.access_token]: FAKE_X_CREDENTIALS.access_token_secret },
    pixels: options.pixels ?? { [FAKE_X_PIXEL_ID]: FAKE_X_EVENT_IDS },
    accounts: options.accounts ?? [{ id: '18ce54d4x5t', name: 'Fake Shop' }],
    versions: new Set(options.versions ?? FAKE_X_VERSIONS),
    now: options.now ?? (() => Math.floor(Date.now() / 1000)),
    nonces: new Map(),
  };
  const retryAfter = options.retryAfterSeconds ?? 9;
  const log = options.log;
  const server = await startFakeServer(
    {
      name: 'x',
      handle: (req) => handle(req, cfg),
      failure(kind) {
        switch (kind) {
          case 'auth':
            return unauthorized('injected');
          case 429:
            return xError(429, 'TOO_MANY_REQUESTS', 'Too Many Requests', {
              'retry-after': String(retryAfter),
              'x-rate-limit-reset': String(cfg.now() + retryAfter),
            });
          case 503:
            return xError(503, 'SERVICE_UNAVAILABLE', 'Service unavailable');
          default:
            return xError(500, 'INTERNAL_ERROR', 'Internal error');
        }
      },
      onRecord: logEach(log, logLine),
    },
    options.port ?? 0,
  );
  return fakeHandle<XReceived, FakeXFailure>(server, { onReset: () => cfg.nonces.clear() });
}

interface HandleConfig {
  consumers: Record<string, string>;
  tokens: Record<string, string>;
  pixels: Record<string, string[]>;
  accounts: Array<{ id: string; name: string }>;
  versions: Set<string>;
  now: () => number;
  /** Nonces seen, with their timestamp, for replay detection. */
  nonces: Map<string, number>;
}

function handle(req: FakeRequest, cfg: HandleConfig): FakeResponse {
  const segments = req.path.split('/').filter((s) => s !== '');
  const isConversions = req.method === 'POST' && segments.length === 4 && segments[1] === 'measurement' && segments[2] === 'conversions';
  const isAccounts = req.method === 'GET' && segments.length === 2 && segments[1] === 'accounts';
  if (!isConversions && !isAccounts) return { ...xError(404, 'ROUTE_NOT_FOUND', 'Sorry, that page does not exist'), record: { kind: '' } };
  const kind = isConversions ? 'conversions' : 'accounts';

  // Authentication first (X2: OAuth 1.0a user context), whatever else is wrong.
  const oauth = parseOAuthHeader(req.headers.authorization);
  const answer = (res: FakeResponse): FakeResponse => ({ ...res, record: { kind, ...(oauth ? { oauth } : {}), ...res.record } });
  const authProblem = verifyOAuth(req, oauth, cfg);
  if (authProblem !== undefined) return answer(unauthorized(authProblem));

  const [version = '', , , pixelId = ''] = segments;
  if (!cfg.versions.has(version)) return answer(xError(404, 'ROUTE_NOT_FOUND', 'Sorry, that page does not exist')); // UNCONFIRMED

  if (isAccounts) {
    return answer({
      status: 200,
      body: {
        request: { params: {} },
        data: cfg.accounts.map((a) => ({ ...a, approval_status: 'ACCEPTED', deleted: false })),
        data_type: 'account',
        total_count: cfg.accounts.length,
        next_cursor: null,
      },
    });
  }

  const events = cfg.pixels[pixelId];
  if (events === undefined) return answer(xError(404, 'NOT_FOUND', `Pixel ${pixelId} was not found`)); // UNCONFIRMED
  if (!/^application\/json\b/i.test(String(req.headers['content-type'] ?? ''))) {
    return answer(xError(400, 'INVALID_PARAMETER', 'The request body must be JSON (Content-Type: application/json)'));
  }
  const body = req.json;
  if (!isObject(body) || body.conversions === undefined) return answer(xError(400, 'MISSING_PARAMETER', '"conversions" is missing', {}, 'conversions'));
  const conversions = body.conversions;
  if (!Array.isArray(conversions) || conversions.length === 0) {
    return answer(xError(400, 'INVALID_PARAMETER', '"conversions" must be a non-empty list', {}, 'conversions'));
  }
  if (conversions.length > MAX_CONVERSIONS) {
    return answer(xError(400, 'INVALID_PARAMETER', `At most ${MAX_CONVERSIONS} conversions may be provided; got ${conversions.length}`, {}, 'conversions'));
  }
  for (let i = 0; i < conversions.length; i++) {
    const p = conversionProblem(conversions[i], pixelId, events, cfg.now());
    if (p !== undefined) return answer(xError(400, 'INVALID_PARAMETER', p.message, {}, `conversions[${i}]${p.field ? `.${p.field}` : ''}`));
  }
  return answer({
    status: 200,
    body: {
      request: { params: { pixel_id: pixelId } },
      data: { conversions_processed: conversions.length, debug_id: randomBytes(8).toString('hex') },
    },
  });
}

function conversionProblem(c: unknown, pixelId: string, events: string[], now: number): { field?: string; message: string } | undefined {
  if (!isObject(c)) return { message: 'Each conversion must be an object' };
  for (const key of Object.keys(c)) {
    // X's handling of unknown fields is UNCONFIRMED; the fake refuses them to catch typos.
    if (!CONVERSION_FIELDS.includes(key)) return { field: key, message: `Unknown field "${key}"` };
  }
  if (typeof c.conversion_time !== 'string') return { field: 'conversion_time', message: 'conversion_time is required (ISO 8601)' };
  const t = Date.parse(c.conversion_time);
  if (!ISO_8601.test(c.conversion_time) || Number.isNaN(t)) return { field: 'conversion_time', message: 'conversion_time must be an ISO 8601 time, e.g. 2022-02-18T01:14:00.603Z' };
  if (t / 1000 - now > FAKE_X_TIMESTAMP_TOLERANCE_SECONDS) return { field: 'conversion_time', message: 'conversion_time is in the future' }; // UNCONFIRMED
  if (typeof c.event_id !== 'string' || c.event_id === '') return { field: 'event_id', message: 'event_id is required' };
  // X1: "o87ne" or "tw-o8z6j-o87ne" are both accepted; it must be a single event of this pixel.
  const m = /^(?:tw-([a-z0-9]+)-)?([a-z0-9]+)$/.exec(c.event_id);
  if (!m || (m[1] !== undefined && m[1] !== pixelId) || !events.includes(m[2]!)) {
    return { field: 'event_id', message: `event_id ${c.event_id} is not a single event tag of pixel ${pixelId}` };
  }
  if (!Array.isArray(c.identifiers) || c.identifiers.length === 0) return { field: 'identifiers', message: 'identifiers must be a non-empty list' };
  let strong = 0;
  for (let j = 0; j < c.identifiers.length; j++) {
    const id = c.identifiers[j];
    const at = `identifiers[${j}]`;
    if (!isObject(id) || Object.keys(id).length === 0) return { field: at, message: 'Each identifier must be an object' };
    for (const [key, value] of Object.entries(id)) {
      if (!IDENTIFIER_FIELDS.includes(key)) return { field: `${at}.${key}`, message: `Unknown identifier "${key}"` };
      if (typeof value !== 'string' || value.trim() === '') return { field: `${at}.${key}`, message: `${key} must be a non-empty string` };
    }
    // Notes §5 / X1: hashed_email must be a valid SHA-256. The same check on hashed_phone_number is the fake's (UNCONFIRMED).
    if (id.hashed_email !== undefined && !SHA256_HEX.test(id.hashed_email as string)) return { field: `${at}.hashed_email`, message: 'hashed_email must be a SHA-256 hash (64 hex characters)' };
    if (id.hashed_phone_number !== undefined && !SHA256_HEX.test(id.hashed_phone_number as string)) {
      return { field: `${at}.hashed_phone_number`, message: 'hashed_phone_number must be a SHA-256 hash (64 hex characters)' };
    }
    if (id.ip_address !== undefined && isIP(id.ip_address as string) === 0) return { field: `${at}.ip_address`, message: 'ip_address must be an IPv4 or IPv6 address' };
    if (id.twclid !== undefined || id.hashed_email !== undefined || id.hashed_phone_number !== undefined) strong++;
  }
  // X1: at least one of twclid / hashed_email / hashed_phone_number; IP and user agent only count next to one.
  if (strong === 0) return { field: 'identifiers', message: 'At least one user identifier (twclid, hashed_email or hashed_phone_number) is required' };
  if (c.number_items !== undefined && !(Number.isInteger(c.number_items) && (c.number_items as number) > 0)) {
    return { field: 'number_items', message: 'number_items must be a positive integer' };
  }
  if (c.price_currency !== undefined && (typeof c.price_currency !== 'string' || !/^[A-Z]{3}$/.test(c.price_currency))) {
    return { field: 'price_currency', message: 'price_currency must be an ISO 4217 code' };
  }
  if (c.value !== undefined && (typeof c.value !== 'number' || !Number.isFinite(c.value))) return { field: 'value', message: 'value must be a number' };
  if (c.conversion_id !== undefined && (typeof c.conversion_id !== 'string' || c.conversion_id === '')) return { field: 'conversion_id', message: 'conversion_id must be a non-empty string' };
  if (c.contents !== undefined) {
    if (!Array.isArray(c.contents)) return { field: 'contents', message: 'contents must be a list' };
    for (let j = 0; j < c.contents.length; j++) {
      const item = c.contents[j];
      if (!isObject(item) || typeof item.content_id !== 'string' || item.content_id === '') return { field: `contents[${j}]`, message: 'Each content needs a content_id' };
      for (const key of Object.keys(item)) if (!CONTENT_FIELDS.includes(key)) return { field: `contents[${j}].${key}`, message: `Unknown content field "${key}"` };
      if (item.content_price !== undefined && typeof item.content_price !== 'number') return { field: `contents[${j}].content_price`, message: 'content_price must be a number' };
      if (item.num_items !== undefined && !(Number.isInteger(item.num_items) && (item.num_items as number) > 0)) {
        return { field: `contents[${j}].num_items`, message: 'num_items must be a positive integer' };
      }
    }
  }
  return undefined;
}

/** Why the request is not properly authenticated (RFC 5849 §3.2), or undefined. */
function verifyOAuth(req: FakeRequest, oauth: Record<string, string> | undefined, cfg: HandleConfig): string | undefined {
  if (oauth === undefined) return 'missing or malformed OAuth Authorization header';
  for (const p of ['oauth_consumer_key', 'oauth_token', 'oauth_signature_method', 'oauth_timestamp', 'oauth_nonce', 'oauth_signature']) {
    if (oauth[p] === undefined || oauth[p] === '') return `missing ${p}`;
  }
  if (oauth.oauth_signature_method !== 'HMAC-SHA1') return 'oauth_signature_method must be HMAC-SHA1';
  if (oauth.oauth_version !== undefined && oauth.oauth_version !== '1.0') return 'oauth_version must be 1.0';
  const consumerSecret = cfg.consumers[oauth.oauth_consumer_key!];
  if (consumerSecret === undefined) return 'unknown consumer key';
  const tokenSecret = cfg.tokens[oauth.oauth_token!];
  if (tokenSecret === undefined) return 'unknown access token';
  const ts = Number(oauth.oauth_timestamp);
  const now = cfg.now();
  if (!Number.isInteger(ts) || Math.abs(now - ts) > FAKE_X_TIMESTAMP_TOLERANCE_SECONDS) return 'oauth_timestamp out of range';
  const nonceKey = `${oauth.oauth_consumer_key}:${oauth.oauth_token}:${oauth.oauth_nonce}`;
  // RFC 5849 §3.3: the nonce makes a request unique for its timestamp; a repeat is a replay.
  for (const [k, t] of cfg.nonces) if (now - t > 2 * FAKE_X_TIMESTAMP_TOLERANCE_SECONDS) cfg.nonces.delete(k);
  if (cfg.nonces.has(nonceKey)) return 'oauth_nonce already used';
  const host = String(req.headers.host ?? '').toLowerCase();
  const params: Array<[string, string]> = [...req.query.entries()];
  for (const [k, v] of Object.entries(oauth)) if (k !== 'oauth_signature' && k !== 'realm') params.push([k, v]);
  if (/^application\/x-www-form-urlencoded\b/i.test(String(req.headers['content-type'] ?? ''))) params.push(...new URLSearchParams(req.rawBody).entries());
  const expected = oauthSignature(req.method, `http://${host}${req.path}`, params, consumerSecret, tokenSecret);
  const given = Buffer.from(oauth.oauth_signature!);
  const want = Buffer.from(expected);
  if (given.length !== want.length || !timingSafeEqual(given, want)) return 'signature mismatch';
  cfg.nonces.set(nonceKey, ts);
  return undefined;
}

/**
 * HMAC-SHA1 signature per RFC 5849 §3.4: base string = METHOD & enc(base URI) & enc(sorted,
 * encoded parameters); key = enc(consumer secret) & enc(token secret). Written independently of
 * the `oauth-1.0a` package and checked against X's published example in test/x-fake.test.ts.
 */
export function oauthSignature(method: string, baseUri: string, params: Array<[string, string]>, consumerSecret: string, tokenSecret: string): string {
  const normalized = params
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const base = `${method.toUpperCase()}&${rfc3986(baseUri)}&${rfc3986(normalized)}`;
  return createHmac('sha1', `${rfc3986(consumerSecret)}&${rfc3986(tokenSecret)}`).update(base).digest('base64');
}

/** RFC 3986 percent-encoding (unreserved characters stay). */
function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `OAuth k="v", …` → decoded parameters (RFC 5849 §3.5.1). */
export function parseOAuthHeader(header: string | string[] | undefined): Record<string, string> | undefined {
  if (typeof header !== 'string' || !/^OAuth\s+/i.test(header)) return undefined;
  const out: Record<string, string> = {};
  const re = /([A-Za-z0-9_]+)="([^"]*)"/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(header.replace(/^OAuth\s+/i, ''))) !== null) {
    try {
      out[m[1]!] = decodeURIComponent(m[2]!);
    } catch {
      return undefined;
    }
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

function unauthorized(reason: string): FakeResponse {
  // X3 shape; the code and message X uses for a bad signature are UNCONFIRMED.
  return {
    status: 401,
    body: { errors: [{ code: 'UNAUTHORIZED_ACCESS', message: 'This request is not properly authenticated' }], request: { params: {} }, x_fake_reason: reason },
    record: { authProblem: reason },
  };
}

function xError(status: number, code: string, message: string, headers?: Record<string, string>, parameter?: string): FakeResponse {
  const error: Record<string, string> = { code, message };
  if (parameter !== undefined) error.parameter = parameter;
  return { status, body: { errors: [error], request: { params: {} } }, headers };
}

function logLine(entry: Received): string {
  const headers = { ...entry.headers };
  if (headers.authorization !== undefined) headers.authorization = 'OAuth [redacted]';
  return JSON.stringify({ fake: 'x', status: entry.status, kind: entry.kind, path: entry.path, body: entry.body, headers });
}

if (isMainModule(import.meta.url)) {
  void runStandalone(async (port, args) => startFakeX(standaloneOptions(port, args, 'LAYERSYNC_FAKE_X_PORT', 8799)));
}
