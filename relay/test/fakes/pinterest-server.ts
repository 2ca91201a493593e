/**
 * A local fake of Pinterest's API for Conversions, strict the way Pinterest documents it, so
 * destination tests cannot pass by sending something Pinterest would refuse.
 *
 *   POST /v5/ad_accounts/{ad_account_id}/events[?test=true]   validates and answers like Pinterest
 *   GET  /__received, GET /__requests, POST /__fail?n=&kind=, POST /__reset   (see base.ts)
 *
 * Standalone: `tsx relay/test/fakes/pinterest-server.ts --port 8795 [--tokens a,b]
 * [--accounts 1,2] [--quiet]` prints `listening <url>`, then one JSON line per answered request:
 * {"fake":"pinterest","status","adAccountId","test","path","body","headers"} with the
 * authorization header masked.
 *
 * Rules and sources (/work/shared/platforms/pinterest-snap-linkedin-reddit-x-klaviyo-webhooks.md
 * §1; P1 = Pinterest's v5.13 OpenAPI document, P2 = the developer guide, P3 = third-party
 * integrations cited there). Pinterest validates the body with a JSON schema first: a schema
 * violation fails the whole request with HTTP 400 code 4196 and jsonschema's wording (P1, P3:
 * "Invalid request: Additional properties are not allowed ('category_name' was unexpected)").
 * Events that pass the schema are then processed one by one and get a status each (P1); if any
 * fails the answer is 422 "Not all events were successfully processed" (P1). The per-event
 * messages, the 422 `code` and the place of the statuses inside `details` are UNCONFIRMED: P1
 * gives only DetailedError {code, message, details: object}.
 */
import { isIP } from 'node:net';
import { SHA256_HEX, fakeHandle, isMainModule, isObject, listArg, logEach, maskCredentials, runStandalone, standaloneOptions, startFakeServer, type FakeHandle, type FakeOptions, type FakeRequest, type FakeResponse, type Received } from './base.js';

/** A token the fake accepts unless told otherwise. */
export const FAKE_PINTEREST_TOKEN = 'pina_fake-conversion-token-0123456789';
export const FAKE_PINTEREST_AD_ACCOUNT = '549755885175';
/** P1 forbids future event times without a tolerance; the fake allows a little clock skew (UNCONFIRMED). */
export const FAKE_PINTEREST_FUTURE_TOLERANCE_SECONDS = 300;
/** UNCONFIRMED: Pinterest documents no maximum age; the fake fails events older than LayerSync's assumed 7 days. */
export const FAKE_PINTEREST_MAX_AGE_SECONDS = 7 * 86_400;

const MAX_EVENTS = 1000; // P1 maxItems
/** P1 (original nine) and P2 (newer names). */
const EVENT_NAMES = [
  'add_to_cart', 'checkout', 'custom', 'lead', 'page_visit', 'search', 'signup', 'view_category', 'watch_video',
  'add_payment_info', 'add_to_wishlist', 'app_install', 'app_open', 'contact', 'customize_product', 'find_location',
  'initiate_checkout', 'schedule', 'start_trial', 'submit_application', 'subscribe', 'view_content',
];
const ACTION_SOURCES = ['web', 'app_android', 'app_ios', 'offline']; // P1
const HASHED_KEYS = ['em', 'hashed_maids', 'ph', 'ge', 'db', 'ln', 'fn', 'ct', 'st', 'zp', 'country', 'external_id']; // P1
const DECIMAL = /^-?\d+(\.\d+)?$/;

/** P1: every property of an event, of custom_data and of a content (all additionalProperties: false). */
const EVENT_KEYS: Record<string, Kind> = {
  event_name: 'string', action_source: 'string', event_time: 'integer', event_id: 'string',
  event_source_url: 'string?', opt_out: 'boolean', partner_name: 'string?', user_data: 'object', custom_data: 'object',
  app_id: 'string?', app_name: 'string?', app_version: 'string?', device_brand: 'string?', device_carrier: 'string?',
  device_model: 'string?', device_type: 'string?', os_version: 'string?', wifi: 'boolean', language: 'string?',
};
const REQUIRED_EVENT_KEYS = ['event_name', 'action_source', 'event_time', 'user_data', 'event_id'];
const CUSTOM_DATA_KEYS: Record<string, Kind> = {
  currency: 'string?', value: 'string?', content_ids: 'string[]', content_name: 'string?', content_category: 'string?',
  content_brand: 'string?', contents: 'array', num_items: 'integer', order_id: 'string?', search_string: 'string?',
  opt_out_type: 'string?', np: 'string?',
};
const CONTENT_KEYS: Record<string, Kind> = {
  id: 'string', item_price: 'string', quantity: 'integer', item_name: 'string', item_category: 'string', item_brand: 'string',
};
const USER_DATA_KEYS: Record<string, Kind> = {
  ...Object.fromEntries(HASHED_KEYS.map((k) => [k, 'string[]' as Kind])),
  client_ip_address: 'string', client_user_agent: 'string', click_id: 'string?', partner_id: 'string?',
};

type Kind = 'string' | 'string?' | 'integer' | 'boolean' | 'object' | 'array' | 'string[]';

export interface StartFakePinterestOptions extends FakeOptions {
  /** Tokens the fake accepts. Default: [FAKE_PINTEREST_TOKEN]. */
  tokens?: string[];
  /** Ad accounts the tokens may use; any other answers 403 code 29. Default: any numeric id. */
  adAccounts?: string[];
  /** Now in unix seconds (event_time checks). Default: the clock. */
  now?: () => number;
  /** Retry-After seconds sent with injected 429s. Default 11. */
  retryAfterSeconds?: number;
}

/** What the fake recorded for one answered request. */
export interface PinterestReceived extends Received {
  /** The ad account id from the path, '' when the path was not an events path. */
  adAccountId: string;
  /** The request carried ?test=true. */
  test: boolean;
}

/** The fake Pinterest; failNext's 'auth' is 401 code 2. */
export type FakePinterest = FakeHandle<PinterestReceived>;

export async function startFakePinterest(options: StartFakePinterestOptions = {}): Promise<FakePinterest> {
  const tokens = new Set(options.tokens ?? [FAKE_PINTEREST_TOKEN]);
  const accounts = options.adAccounts === undefined ? undefined : new Set(options.adAccounts);
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const retryAfter = options.retryAfterSeconds ?? 11;
  const log = options.log;

  const server = await startFakeServer(
    {
      name: 'pinterest',
      handle: (req) => handle(req, { tokens, accounts, now: now() }),
      failure(kind) {
        switch (kind) {
          case 'auth':
            return pinError(401, 2, 'Authentication failed.');
          case 429:
            return pinError(
              429,
              8,
              'This request exceeded a rate limit. This can happen if the client exceeds one of the published rate limits within a short time window.',
              { 'retry-after': String(retryAfter) },
            );
          case 503:
            return pinError(503, 4197, 'The endpoint has been ramped down and is currently not accepting any traffic.');
          default:
            // UNCONFIRMED: P1 documents no 500 body; the generic Error shape is assumed.
            return pinError(500, 1, 'Internal Server Error');
        }
      },
      onRecord: logEach(log, logLine),
    },
    options.port ?? 0,
  );
  return fakeHandle<PinterestReceived>(server);
}

interface HandleContext {
  tokens: Set<string>;
  accounts: Set<string> | undefined;
  now: number;
}

function handle(req: FakeRequest, ctx: HandleContext): FakeResponse {
  const m = /^\/(v\d+)\/ad_accounts\/([^/]+)\/events$/.exec(req.path);
  const test = req.query.get('test') === 'true';
  const record = { adAccountId: m?.[2] ?? '', test };
  const answer = (res: FakeResponse): FakeResponse => ({ ...res, record: { ...record, ...res.record } });

  if (!m || m[1] !== 'v5' || req.method !== 'POST') {
    // UNCONFIRMED wording and code: Pinterest's answer to a path or method it does not route.
    return answer(pinError(404, 404, `Not found: ${req.method} ${req.path}`));
  }
  // P1 securitySchemes: a Bearer conversion token (or an OAuth token with ads:write).
  const auth = req.headers.authorization;
  const token = typeof auth === 'string' ? /^Bearer\s+(\S+)$/i.exec(auth)?.[1] : undefined;
  if (token === undefined || !ctx.tokens.has(token)) return answer(pinError(401, 2, 'Authentication failed.'));

  const adAccountId = m[2]!;
  // P1 path_ad_account_id: pattern ^\d+$, maxLength 18.
  if (!/^\d{1,18}$/.test(adAccountId)) {
    return answer(invalid(`'${adAccountId}' does not match '^\\\\d+$' or is longer than 18 characters (ad_account_id)`));
  }
  if (ctx.accounts !== undefined && !ctx.accounts.has(adAccountId)) {
    return answer(pinError(403, 29, 'You are not permitted to access that resource.'));
  }
  const testParam = req.query.get('test');
  if (testParam !== null && testParam !== 'true' && testParam !== 'false') {
    return answer(invalid(`'${testParam}' is not of type 'boolean' (test)`));
  }
  const contentType = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (contentType !== 'application/json') return answer(invalid(`the request body must be application/json, not "${contentType}"`));

  const schemaProblem = validateSchema(req.json);
  if (schemaProblem !== undefined) return answer(invalid(schemaProblem));

  const data = (req.json as { data: Record<string, unknown>[] }).data;
  const events = data.map((e) => processEvent(e, ctx.now));
  const processed = events.filter((e) => e.status === 'processed').length;
  const body = { num_events_received: data.length, num_events_processed: processed, events };
  if (processed === data.length) return answer({ status: 200, body });
  // UNCONFIRMED: the 422 code (P1 documents none) and that `details` carries the statuses.
  return answer({ status: 422, body: { code: 422, message: 'Not all events were successfully processed.', details: body } });
}

/** P1's JSON schema, with jsonschema's wording (P3). Returns the first violation. */
function validateSchema(body: unknown): string | undefined {
  if (!isObject(body)) return `${short(body)} is not of type 'object'`;
  for (const key of Object.keys(body)) {
    if (key !== 'data') return `Additional properties are not allowed ('${key}' was unexpected)`;
  }
  if (body.data === undefined) return "'data' is a required property";
  if (!Array.isArray(body.data)) return `${short(body.data)} is not of type 'array' (data)`;
  if (body.data.length === 0) return '[] is too short (data)';
  if (body.data.length > MAX_EVENTS) return `data is too long: ${body.data.length} events, at most ${MAX_EVENTS}`;
  for (let i = 0; i < body.data.length; i++) {
    const p = validateEventSchema(body.data[i]);
    if (p !== undefined) return `${p} (data.${i})`;
  }
  return undefined;
}

function validateEventSchema(e: unknown): string | undefined {
  if (!isObject(e)) return `${short(e)} is not of type 'object'`;
  const p = checkProperties(e, EVENT_KEYS);
  if (p !== undefined) return p;
  for (const key of REQUIRED_EVENT_KEYS) if (e[key] === undefined) return `'${key}' is a required property`;

  const user = e.user_data as Record<string, unknown>;
  // user_data is not closed in P1 (no additionalProperties: false), but its known keys are typed.
  for (const [key, kind] of Object.entries(USER_DATA_KEYS)) {
    if (user[key] !== undefined && !hasKind(user[key], kind)) return `${short(user[key])} is not of type '${kindName(kind)}' (user_data.${key})`;
  }
  // P1 anyOf: em, hashed_maids, or client_ip_address + client_user_agent.
  if (user.em === undefined && user.hashed_maids === undefined && (user.client_ip_address === undefined || user.client_user_agent === undefined)) {
    return `${short(user)} is not valid under any of the given schemas (user_data needs em, hashed_maids, or client_ip_address and client_user_agent)`;
  }
  if (e.custom_data !== undefined) {
    const c = e.custom_data as Record<string, unknown>;
    const cp = checkProperties(c, CUSTOM_DATA_KEYS);
    if (cp !== undefined) return `${cp} (custom_data)`;
    if (Array.isArray(c.contents)) {
      for (const content of c.contents) {
        if (!isObject(content)) return `${short(content)} is not of type 'object' (custom_data.contents)`;
        const pp = checkProperties(content, CONTENT_KEYS);
        if (pp !== undefined) return `${pp} (custom_data.contents)`;
      }
    }
  }
  return undefined;
}

function checkProperties(o: Record<string, unknown>, schema: Record<string, Kind>): string | undefined {
  for (const [key, value] of Object.entries(o)) {
    const kind = schema[key];
    if (kind === undefined) return `Additional properties are not allowed ('${key}' was unexpected)`;
    if (!hasKind(value, kind)) return `${short(value)} is not of type '${kindName(kind)}' (${key})`;
  }
  return undefined;
}

function hasKind(v: unknown, kind: Kind): boolean {
  switch (kind) {
    case 'string':
      return typeof v === 'string';
    case 'string?':
      return typeof v === 'string' || v === null;
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'object':
      return isObject(v);
    case 'array':
      return Array.isArray(v);
    case 'string[]':
      return Array.isArray(v) && v.every((x) => typeof x === 'string');
  }
}

function kindName(kind: Kind): string {
  return kind === 'string?' ? 'string' : kind === 'string[]' ? 'array' : kind;
}

interface EventStatus {
  status: 'processed' | 'failed';
  error_message: string | null;
  warning_message: string | null;
}

/** Per-event processing after the schema passed (P1 per-event statuses; messages UNCONFIRMED). */
function processEvent(e: Record<string, unknown>, now: number): EventStatus {
  const fail = (error_message: string): EventStatus => ({ status: 'failed', error_message, warning_message: null });
  if (!EVENT_NAMES.includes(e.event_name as string)) return fail(`event_name '${String(e.event_name)}' is not a supported event.`);
  if (!ACTION_SOURCES.includes(e.action_source as string)) {
    return fail(`action_source '${String(e.action_source)}' must be one of ${ACTION_SOURCES.join(', ')}.`);
  }
  const t = e.event_time as number;
  if (t - now > FAKE_PINTEREST_FUTURE_TOLERANCE_SECONDS) {
    return fail(`event_time is in the future${t > 1e11 ? ' (it looks like milliseconds; Pinterest wants unix seconds)' : ''}.`);
  }
  if (t <= 0 || now - t > FAKE_PINTEREST_MAX_AGE_SECONDS) return fail('event_time is too far in the past.');
  if ((e.event_id as string).trim() === '') return fail('event_id must not be empty.');
  if (typeof e.event_source_url === 'string' && !/^https?:\/\/\S+$/.test(e.event_source_url)) return fail('event_source_url must be a URL.');
  if (typeof e.language === 'string' && !/^[a-z]{2}$/.test(e.language)) return fail('language must be a two-letter ISO-639-1 code.');

  const user = e.user_data as Record<string, unknown>;
  for (const key of HASHED_KEYS) {
    const v = user[key] as string[] | undefined;
    if (v === undefined) continue;
    // P1: SHA-256 hashes, always in a list; the examples are 64 lowercase hex characters.
    if (v.length === 0 || !v.every((x) => SHA256_HEX.test(x))) return fail(`user_data.${key} must hold SHA-256 hashes (64 lowercase hex characters).`);
  }
  if (typeof user.client_ip_address === 'string' && isIP(user.client_ip_address) === 0) {
    return fail('user_data.client_ip_address must be an IPv4 or IPv6 address, not hashed.');
  }
  if (typeof user.click_id === 'string' && user.click_id.trim() === '') return fail('user_data.click_id must not be empty.');

  if (e.custom_data !== undefined) {
    const c = e.custom_data as Record<string, unknown>;
    // P1: value and item_price are strings parsed into doubles.
    if (typeof c.value === 'string' && !DECIMAL.test(c.value)) return fail(`custom_data.value '${c.value}' is not a decimal number.`);
    if (typeof c.currency === 'string' && !/^[A-Z]{3}$/.test(c.currency)) return fail(`custom_data.currency '${c.currency}' is not an ISO-4217 code.`);
    for (const content of (c.contents as Record<string, unknown>[] | undefined) ?? []) {
      if (typeof content.item_price === 'string' && !DECIMAL.test(content.item_price)) {
        return fail(`custom_data.contents.item_price '${content.item_price}' is not a decimal number.`);
      }
      if (typeof content.quantity === 'number' && content.quantity <= 0) return fail('custom_data.contents.quantity must be positive.');
    }
    if (typeof c.num_items === 'number' && c.num_items < 0) return fail('custom_data.num_items must not be negative.');
  }
  const warning = e.action_source === 'web' && e.event_source_url === undefined ? 'event_source_url is recommended for web events.' : null;
  return { status: 'processed', error_message: null, warning_message: warning };
}

function pinError(status: number, code: number, message: string, headers?: Record<string, string>): FakeResponse {
  return { status, body: { code, message }, headers };
}

/** HTTP 400 code 4196 with jsonschema-style wording (P1, P3). */
function invalid(detail: string): FakeResponse {
  return pinError(400, 4196, `Invalid request: ${detail}`);
}

function short(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** A valid Pinterest wire event (the least Pinterest accepts, plus an email) for tests. */
export function samplePinterestEvent(now: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event_name: 'lead',
    action_source: 'web',
    event_time: now - 10,
    event_id: 'evt-1',
    event_source_url: 'https://shop.example/contact',
    user_data: {
      em: ['62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f'],
      client_ip_address: '203.0.113.7',
      client_user_agent: 'Mozilla/5.0 (X11; Linux x86_64)',
    },
    ...overrides,
  };
}

/** One JSON line per request, with the token masked: stdout ends up in CI logs. */
function logLine(entry: Received): string {
  const headers = { ...entry.headers };
  if (headers.authorization !== undefined) headers.authorization = maskCredentials(headers.authorization);
  return JSON.stringify({ fake: 'pinterest', status: entry.status, adAccountId: entry.adAccountId, test: entry.test, path: entry.path, body: entry.body, headers });
}

if (isMainModule(import.meta.url)) {
  void runStandalone(async (port, args) =>
    startFakePinterest({
      ...standaloneOptions(port, args, 'LAYERSYNC_FAKE_PINTEREST_PORT', 8795),
      tokens: listArg(args.tokens),
      adAccounts: listArg(args.accounts),
    }),
  );
}
