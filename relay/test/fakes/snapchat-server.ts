/**
 * A local fake of the Snap Conversions API v3, strict the way Snap documents it, so destination
 * tests cannot pass by sending something Snap would refuse.
 *
 *   POST /v3/{pixel_id}/events?access_token=…            production: the request is VALID or INVALID as a whole
 *   POST /v3/{pixel_id}/events/validate?access_token=…   test event tool: one log per event, nothing recorded
 *   GET  /__received, GET /__requests, POST /__fail?n=&kind=, POST /__reset   (see base.ts)
 *
 * Standalone: `tsx relay/test/fakes/snapchat-server.ts --port 8796 [--tokens a,b] [--pixels
 * uuid1,uuid2] [--quiet]` prints `listening <url>`, then one JSON line per answered request:
 * {"fake":"snapchat","status","pixelId","validate","path","query","body"} with the access token
 * masked (it travels in the query string).
 *
 * Rules and sources (/work/shared/platforms/pinterest-snap-linkedin-reddit-x-klaviyo-webhooks.md
 * §2; S1 "Using the API", S2 "Parameters", S3 "Verify Set Up", S5 the business SDK OpenAPI, S6
 * third-party schemas). S3's table of INVALID (HTTP 400) reasons — missing required field,
 * PURCHASE without price or currency, hashed IP address, timestamp invalid or out of range,
 * unhashed PII, insufficient PII — is enforced one rule at a time. UNCONFIRMED: the wording of
 * `reason`, the `codes` strings, that `event` is a 0-based index, and the 401/403/404/429 bodies;
 * Snap documents only the shapes (S5).
 */
import { isIP } from 'node:net';
import { SHA256_HEX, fakeHandle, isMainModule, isObject, listArg, logEach, runStandalone, standaloneOptions, startFakeServer, type FakeHandle, type FakeOptions, type FakeRequest, type FakeResponse, type Received } from './base.js';

export const FAKE_SNAP_TOKEN = 'fake-snap-capi-token.eyJhbGciOiJIUzI1NiJ9.0123456789';
export const FAKE_SNAP_PIXEL_ID = '1ec32188-754e-4be2-8e55-c949a984a39f';
/** Snap refuses timestamps out of range (S3) with no documented tolerance for the future; the fake allows clock skew (UNCONFIRMED). */
export const FAKE_SNAP_FUTURE_TOLERANCE_SECONDS = 300;

const MAX_EVENTS = 2000; // S6 (UNCONFIRMED officially)
const MAX_AGE_SECONDS = 37 * 86_400; // S1
const EVENT_NAMES = [
  'PAGE_VIEW', 'VIEW_CONTENT', 'ADD_CART', 'ADD_TO_WISHLIST', 'SIGN_UP', 'SEARCH', 'PURCHASE', 'ADD_BILLING',
  'START_CHECKOUT', 'SUBSCRIBE', 'START_TRIAL', 'LIST_VIEW', 'SAVE', 'SHARE', 'INVITE', 'LOGIN', 'RESERVE', 'RATE',
  'AD_CLICK', 'AD_VIEW', 'COMPLETE_TUTORIAL', 'LEVEL_COMPLETE', 'ACHIEVEMENT_UNLOCKED', 'SPENT_CREDITS', 'APP_INSTALL',
  'APP_OPEN', 'CUSTOM_EVENT_1', 'CUSTOM_EVENT_2', 'CUSTOM_EVENT_3', 'CUSTOM_EVENT_4', 'CUSTOM_EVENT_5',
]; // S2 via S6
const ACTION_SOURCES = ['WEB', 'MOBILE_APP', 'OFFLINE']; // S1 example + S6
const HASHED_KEYS = ['em', 'ph', 'fn', 'ln', 'ge', 'ct', 'st', 'zp', 'country', 'external_id']; // S2, S5, S6
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface StartFakeSnapchatOptions extends FakeOptions {
  /** Tokens the fake accepts. Default: [FAKE_SNAP_TOKEN]. */
  tokens?: string[];
  /** Pixels the tokens may use; any other answers 403. Default: any UUID. */
  pixels?: string[];
  now?: () => number;
  /** Retry-After seconds sent with injected 429s. Default 13. */
  retryAfterSeconds?: number;
}

export interface SnapchatReceived extends Received {
  /** The pixel id from the path, '' when the path was not an events path. */
  pixelId: string;
  /** The request went to /events/validate. */
  validate: boolean;
}

/** The fake Snap; failNext's 'auth' is 401 invalid token. */
export type FakeSnapchat = FakeHandle<SnapchatReceived>;

export async function startFakeSnapchat(options: StartFakeSnapchatOptions = {}): Promise<FakeSnapchat> {
  const tokens = new Set(options.tokens ?? [FAKE_SNAP_TOKEN]);
  const pixels = options.pixels === undefined ? undefined : new Set(options.pixels);
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const retryAfter = options.retryAfterSeconds ?? 13;
  const log = options.log;

  const server = await startFakeServer(
    {
      name: 'snapchat',
      handle: (req) => handle(req, { tokens, pixels, now: now() }),
      failure(kind) {
        switch (kind) {
          case 'auth':
            return invalidResponse(401, 'Invalid access token');
          case 429:
            return { ...invalidResponse(429, 'Too many requests'), headers: { 'retry-after': String(retryAfter) } };
          case 503:
            return invalidResponse(503, 'Service unavailable');
          default:
            return invalidResponse(500, 'Internal server error');
        }
      },
      onRecord: logEach(log, logLine),
    },
    options.port ?? 0,
  );
  return fakeHandle<SnapchatReceived>(server);
}

interface HandleContext {
  tokens: Set<string>;
  pixels: Set<string> | undefined;
  now: number;
}

interface Problem {
  code: string;
  message: string;
}

function handle(req: FakeRequest, ctx: HandleContext): FakeResponse {
  const m = /^\/v3\/([^/]+)\/events(\/validate)?$/.exec(req.path);
  const validate = m?.[2] !== undefined;
  const record = { pixelId: m?.[1] ?? '', validate };
  const answer = (res: FakeResponse): FakeResponse => ({ ...res, record: { ...record, ...res.record } });

  if (!m || req.method !== 'POST') return answer(invalidResponse(404, `Unknown endpoint ${req.method} ${req.path}`));
  // S1, S3, S5: the token is the access_token query parameter, not a header.
  const token = req.query.get('access_token');
  if (token === null || token === '') return answer(invalidResponse(401, 'Missing access_token query parameter'));
  if (!ctx.tokens.has(token)) return answer(invalidResponse(401, 'Invalid access token'));
  const pixelId = m[1]!;
  if (!UUID.test(pixelId)) return answer(invalidResponse(400, `Invalid asset id ${pixelId}`));
  if (ctx.pixels !== undefined && !ctx.pixels.has(pixelId)) {
    // S3: a long-lived token works only for assets of the organization that generated it.
    return answer(invalidResponse(403, `Access token is not authorized for asset ${pixelId}`));
  }
  const contentType = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (contentType !== 'application/json') return answer(invalidResponse(400, `Content-Type must be application/json, not "${contentType}"`));

  const body = req.json;
  let requestProblem: string | undefined;
  if (!isObject(body)) requestProblem = 'The request body must be a JSON object';
  else if (!Array.isArray(body.data)) requestProblem = "The root value is missing the required field 'data' (an array of events)";
  else if (body.data.length === 0) requestProblem = 'data must contain at least one event';
  else if (body.data.length > MAX_EVENTS) requestProblem = `data may contain at most ${MAX_EVENTS} events; got ${body.data.length}`;
  if (requestProblem !== undefined) return answer(invalidResponse(400, requestProblem));

  const data = (body as { data: unknown[] }).data;
  const problems = data.map((e) => validateEvent(e, ctx.now));

  if (validate) {
    const event_logs = problems.map((p, i) => ({
      event: i,
      status: p === undefined ? 'VALID' : 'INVALID',
      errors: { codes: p === undefined ? [] : [p.code], error_msgs: p === undefined ? [] : [p.message] },
      warnings: isObject(data[i]) && data[i].event_id === undefined ? ['event_id is recommended for deduplication with the Snap Pixel'] : [],
    }));
    const anyInvalid = problems.some((p) => p !== undefined);
    return answer({
      status: anyInvalid ? 400 : 200,
      body: { status: anyInvalid ? 'INVALID' : 'VALID', test_event: true, reason: anyInvalid ? 'Some events are invalid' : 'All events are valid', event_logs },
    });
  }
  // S3: one invalid event makes the whole production request INVALID; the first one is reported.
  const bad = problems.findIndex((p) => p !== undefined);
  if (bad >= 0) {
    const p = problems[bad]!;
    return answer({ status: 400, body: { status: 'INVALID', reason: p.message, event: bad, errors: { codes: [p.code], error_msgs: [p.message] } } });
  }
  return answer({ status: 200, body: { status: 'VALID', reason: 'Events received' } });
}

function validateEvent(e: unknown, now: number): Problem | undefined {
  const missing = (field: string): Problem => ({ code: 'MISSING_REQUIRED_FIELD', message: `The event is missing the required field '${field}'.` });
  if (!isObject(e)) return { code: 'INVALID_EVENT', message: 'Each element of data must be an event object.' };
  // S1 required parameters; S3 "any required fields".
  if (typeof e.event_name !== 'string' || e.event_name === '') return missing('event_name');
  if (!EVENT_NAMES.includes(e.event_name)) return { code: 'INVALID_EVENT_NAME', message: `Unknown event_name '${e.event_name}'.` };
  if (e.event_time === undefined) return missing('event_time');
  if (typeof e.event_time !== 'number' || !Number.isInteger(e.event_time) || e.event_time <= 0) {
    return { code: 'INVALID_TIMESTAMP', message: 'event_time must be unix seconds (an integer).' };
  }
  if (e.event_time - now > FAKE_SNAP_FUTURE_TOLERANCE_SECONDS) {
    return {
      code: 'TIMESTAMP_OUT_OF_RANGE',
      message: `event_time is in the future${e.event_time > 1e11 ? ' (it looks like milliseconds; Snap wants unix seconds)' : ''}.`,
    };
  }
  if (now - e.event_time > MAX_AGE_SECONDS) return { code: 'TIMESTAMP_OUT_OF_RANGE', message: 'event_time is more than 37 days in the past.' };
  if (typeof e.action_source !== 'string' || e.action_source === '') return missing('action_source');
  if (!ACTION_SOURCES.includes(e.action_source)) {
    return { code: 'INVALID_ACTION_SOURCE', message: `action_source '${e.action_source}' must be one of ${ACTION_SOURCES.join(', ')}.` };
  }
  if (e.action_source === 'WEB') {
    if (e.event_source_url === undefined) return missing('event_source_url');
    if (typeof e.event_source_url !== 'string' || !/^https?:\/\/\S+$/.test(e.event_source_url)) {
      return { code: 'INVALID_URL', message: 'event_source_url must be a URL with its protocol.' };
    }
  }
  if (e.action_source === 'MOBILE_APP') {
    // S1: app events need app_data with the 16-slot extinfo array.
    const app = e.app_data;
    if (!isObject(app) || !Array.isArray(app.extinfo) || app.extinfo.length !== 16) return missing('app_data.extinfo');
  }
  if (e.event_id !== undefined && (typeof e.event_id !== 'string' || e.event_id.trim() === '')) {
    return { code: 'INVALID_EVENT_ID', message: 'event_id must be a non-empty string.' };
  }
  if (!isObject(e.user_data)) return missing('user_data');
  const user = e.user_data;
  for (const key of HASHED_KEYS) {
    const v = user[key];
    if (v === undefined) continue;
    const values = Array.isArray(v) ? v : [v];
    // S2: "string or list of strings", SHA-256 required.
    if (values.length === 0 || !values.every((x) => typeof x === 'string' && SHA256_HEX.test(x))) {
      return { code: 'UNHASHED_PII', message: `user_data.${key} must be SHA-256 hashed (64 lowercase hex characters).` };
    }
  }
  if (user.client_ip_address !== undefined) {
    if (typeof user.client_ip_address === 'string' && SHA256_HEX.test(user.client_ip_address)) {
      return { code: 'INVALID_HASHED_IP', message: 'client_ip_address must not be hashed.' };
    }
    if (typeof user.client_ip_address !== 'string' || isIP(user.client_ip_address) === 0) {
      return { code: 'INVALID_IP', message: 'client_ip_address must be an IPv4 or IPv6 address.' };
    }
  }
  for (const key of ['client_user_agent', 'sc_click_id', 'sc_cookie1']) {
    if (user[key] !== undefined && (typeof user[key] !== 'string' || user[key] === '')) {
      return { code: 'INVALID_FIELD', message: `user_data.${key} must be a non-empty string.` };
    }
  }
  // S1: em, ph, client_ip_address + client_user_agent, or a mobile ad id.
  const hasIpUa = user.client_ip_address !== undefined && user.client_user_agent !== undefined;
  if (user.em === undefined && user.ph === undefined && !hasIpUa && user.madid === undefined && user.mobile_ad_id === undefined) {
    return { code: 'INSUFFICIENT_PII', message: 'user_data needs em, ph, client_ip_address with client_user_agent, or a mobile ad id.' };
  }

  const c = e.custom_data;
  if (c !== undefined) {
    if (!isObject(c)) return { code: 'INVALID_FIELD', message: 'custom_data must be an object.' };
    // S5: value is a number.
    if (c.value !== undefined && (typeof c.value !== 'number' || !Number.isFinite(c.value) || c.value < 0)) {
      return { code: 'INVALID_PRICE', message: 'custom_data.value must be a non-negative number.' };
    }
    if (c.currency !== undefined && (typeof c.currency !== 'string' || !/^[A-Z]{3}$/.test(c.currency))) {
      return { code: 'INVALID_CURRENCY', message: 'custom_data.currency must be an ISO 4217 code.' };
    }
    if (c.content_ids !== undefined && !(Array.isArray(c.content_ids) && c.content_ids.every((x) => typeof x === 'string'))) {
      return { code: 'INVALID_FIELD', message: 'custom_data.content_ids must be a list of strings.' };
    }
    if (c.num_items !== undefined && !(Number.isInteger(c.num_items) && (c.num_items as number) >= 0)) {
      return { code: 'INVALID_FIELD', message: 'custom_data.num_items must be a non-negative integer.' };
    }
    if (c.contents !== undefined) {
      if (!Array.isArray(c.contents)) return { code: 'INVALID_FIELD', message: 'custom_data.contents must be a list.' };
      for (const item of c.contents) {
        // S5 Content: id, quantity, item_price and delivery_category are strings.
        if (!isObject(item) || typeof item.id !== 'string' || item.id === '') return { code: 'INVALID_FIELD', message: 'custom_data.contents[].id is required.' };
        if (item.quantity !== undefined && (typeof item.quantity !== 'string' || !/^\d+$/.test(item.quantity))) {
          return { code: 'INVALID_FIELD', message: 'custom_data.contents[].quantity must be a string of digits.' };
        }
        if (item.item_price !== undefined && (typeof item.item_price !== 'string' || !/^\d+(\.\d+)?$/.test(item.item_price))) {
          return { code: 'INVALID_FIELD', message: 'custom_data.contents[].item_price must be a decimal string.' };
        }
      }
    }
  }
  if (e.event_name === 'PURCHASE') {
    const cd = isObject(c) ? c : {};
    if (cd.value === undefined || cd.currency === undefined) {
      return { code: 'MISSING_PRICE_OR_CURRENCY', message: 'PURCHASE events require custom_data.value and custom_data.currency.' };
    }
  }
  const dpo = e.data_processing_options;
  if (dpo !== undefined && !(Array.isArray(dpo) && dpo.every((x) => x === 'LMU'))) {
    return { code: 'INVALID_FIELD', message: 'data_processing_options accepts only ["LMU"].' };
  }
  return undefined;
}

/** Snap's EventResponse shape (S5) for a request refused as a whole. */
function invalidResponse(status: number, reason: string): FakeResponse {
  return { status, body: { status: 'INVALID', reason } };
}

/** A valid Snap wire event for tests. */
export function sampleSnapEvent(now: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event_name: 'PAGE_VIEW',
    event_time: now - 10,
    action_source: 'WEB',
    event_id: 'evt-1',
    event_source_url: 'https://shop.example/',
    user_data: {
      em: ['62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f'],
      client_ip_address: '203.0.113.7',
      client_user_agent: 'Mozilla/5.0 (X11; Linux x86_64)',
    },
    ...overrides,
  };
}

/** One JSON line per request with the access token masked: it is in the query string, and stdout ends up in CI logs. */
function logLine(entry: Received): string {
  const query = { ...entry.query };
  if (query.access_token !== undefined) query.access_token = '[redacted]';
  return JSON.stringify({ fake: 'snapchat', status: entry.status, pixelId: entry.pixelId, validate: entry.validate, path: entry.path, query, body: entry.body });
}

if (isMainModule(import.meta.url)) {
  void runStandalone(async (port, args) =>
    startFakeSnapchat({
      ...standaloneOptions(port, args, 'LAYERSYNC_FAKE_SNAPCHAT_PORT', 8796),
      tokens: listArg(args.tokens),
      pixels: listArg(args.pixels),
    }),
  );
}
