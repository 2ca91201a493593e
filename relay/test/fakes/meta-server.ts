/**
 * A local fake of Meta's Graph API events edge, strict the way Meta documents it, so destination
 * tests cannot pass by sending something Meta would refuse.
 *
 *   POST /{version}/{pixel_id}/events   validates and answers like Meta
 *   GET  /{version}/{pixel_id}          the pixel node (LayerSync's connection test)
 *   GET  /__received, GET /__requests, POST /__fail?n=&kind=, POST /__reset   (see base.ts)
 *
 * Standalone: `tsx relay/test/fakes/meta-server.ts --port 8790 [--tokens a,b] [--pixels 1,2]
 * [--versions v25.0,v26.0] [--quiet]` prints `listening <url>`, then one JSON line per answered
 * request: {"fake":"meta","status","pixelId","version","path","body","headers"} with the
 * authorization header and access_token masked.
 *
 * Rules and sources (/work/shared/platforms/meta-ga4-googleads-tiktok.md §1; S1 using the API,
 * S2 server event, S3 customer information, S4 custom data, S5 fbc/fbp, S7 best practices, S9
 * Graph errors, S11 versions, S12 data processing options; "3P" = RudderStack/Setono fixtures of
 * real responses). Where Meta's exact wording or subcode is unknown the fake answers code 100
 * without a subcode rather than inventing one.
 */
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { SHA256_HEX, fakeHandle, isMainModule, isObject, listArg, logEach, maskCredentials, runStandalone, standaloneOptions, startFakeServer, type FakeHandle, type FakeOptions, type FakeRequest, type FakeResponse, type Received } from './base.js';

/** A token the fake accepts unless told otherwise (long enough for the settings schema). */
export const FAKE_META_TOKEN = 'fake-meta-access-token-0123456789';
export const FAKE_META_PIXEL_ID = '1234567890123456';
/** Graph versions available on 2026-11 per S11 (v24.0, v25.0, v26.0). Older ones may still answer at Meta; the fake is conservative. */
export const FAKE_META_VERSIONS = ['v24.0', 'v25.0', 'v26.0'];
/** Meta refuses future timestamps; the exact tolerance is UNCONFIRMED (S2 notes), so the fake allows a small one. */
export const FAKE_META_FUTURE_TOLERANCE_SECONDS = 300;

const MAX_EVENTS = 1000; // S1
const MAX_AGE_SECONDS = 7 * 24 * 60 * 60; // S2
const ACTION_SOURCES = ['email', 'website', 'app', 'phone_call', 'chat', 'physical_store', 'system_generated', 'business_messaging', 'other']; // S2
const HASHED_KEYS = ['em', 'ph', 'fn', 'ln', 'ge', 'db', 'ct', 'st', 'zp', 'country', 'external_id']; // S3
/** Every customer information parameter (S3); user_data needs at least one. */
const CUSTOMER_INFO_KEYS = [
  ...HASHED_KEYS,
  'client_ip_address',
  'client_user_agent',
  'fbc',
  'fbp',
  'subscription_id',
  'fb_login_id',
  'lead_id',
  'anon_id',
  'madid',
  'page_id',
  'page_scoped_user_id',
  'ctwa_clid',
  'ig_account_id',
  'ig_sid',
];
/** user_data made only of one of these (or a subset) is too thin to match (S7; subcode 2804050, 3P). */
const WEAK_COMBINATIONS = [
  ['ct', 'country', 'st', 'zp', 'ge', 'client_user_agent'],
  ['db', 'client_user_agent'],
  ['fn', 'ge'],
  ['ln', 'ge'],
];
/** fb.{subdomainIndex}.{creationTimeMs}.{fbclid} (S3, S5). */
const FBC = /^fb\.[0-2]\.\d{10,13}\.[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)?$/;

export type FakeMetaFailure = 500 | 503 | 429 | 'timeout' | 'token';

export interface StartFakeMetaOptions extends FakeOptions {
  /** Access tokens the fake accepts. Default: [FAKE_META_TOKEN]. */
  tokens?: string[];
  /** Known pixel ids; any other answers Meta's "object does not exist" (100/33). Default: any numeric id. */
  pixels?: string[];
  /** Graph versions accepted in the path. Default: FAKE_META_VERSIONS. */
  versions?: string[];
  /** Now in unix seconds (event_time checks). Default: the clock. */
  now?: () => number;
  /** Retry-After seconds sent with injected 429s. Default 7. */
  retryAfterSeconds?: number;
}

/** What the fake recorded for one answered request. */
export interface MetaReceived extends Received {
  /** The pixel id from the path, '' when the path was not a pixel's. */
  pixelId: string;
  version: string;
  /** The JSON body, or for a form post the parsed form with `data` decoded. */
  body: unknown;
}

/** The fake Meta; failNext's 'token' is an expired token (190/463). */
export type FakeMeta = FakeHandle<MetaReceived, FakeMetaFailure>;

export async function startFakeMeta(options: StartFakeMetaOptions = {}): Promise<FakeMeta> {
  const tokens = new Set(options.tokens ?? [FAKE_META_TOKEN]);
  const pixels = options.pixels === undefined ? undefined : new Set(options.pixels);
  const versions = new Set(options.versions ?? FAKE_META_VERSIONS);
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const retryAfter = options.retryAfterSeconds ?? 7;
  const log = options.log;

  const server = await startFakeServer(
    {
      name: 'meta',
      handle: (req) => handle(req, { tokens, pixels, versions, now: now() }),
      failure(kind) {
        switch (kind) {
          case 'auth':
            return tokenError(expiredTokenError());
          case 429:
            // An HTTP-level throttle with Retry-After. Meta's own throttles arrive as code 4/17/613 in
            // the body (S9, S10); the HTTP status Meta uses for them is UNCONFIRMED.
            return graphError(
              429,
              { message: 'User request limit reached', type: 'OAuthException', code: 17, error_subcode: 2446079, is_transient: true },
              { 'retry-after': String(retryAfter) },
            );
          case 503:
            return graphError(503, { message: 'Service temporarily unavailable', type: 'OAuthException', code: 2, is_transient: true });
          default:
            return graphError(500, { message: 'An unknown error occurred', type: 'OAuthException', code: 1, error_subcode: 99, is_transient: false });
        }
      },
      onRecord: logEach(log, logLine),
    },
    options.port ?? 0,
  );
  return fakeHandle<MetaReceived, FakeMetaFailure>(server, { failure: (kind) => (kind === 'token' ? 'auth' : kind) });
}

interface HandleContext {
  tokens: Set<string>;
  pixels: Set<string> | undefined;
  versions: Set<string>;
  now: number;
}

function handle(req: FakeRequest, ctx: HandleContext): FakeResponse {
  const segments = req.path.split('/').filter((s) => s !== '');
  const [version = '', pixelId = '', edge] = segments;
  const record = { version, pixelId: /^\d+$/.test(pixelId) ? pixelId : '' };
  const answer = (res: FakeResponse): FakeResponse => ({ ...res, record: { ...record, ...res.record } });

  const isEvents = req.method === 'POST' && segments.length === 3 && edge === 'events';
  const isNode = req.method === 'GET' && segments.length === 2;
  if (!isEvents && !isNode) {
    // Graph's answer to a path it cannot route (observed shape; wording UNCONFIRMED).
    return answer(
      graphError(400, {
        message: `Unknown path components: /${segments.slice(1).join('/')}`,
        type: 'OAuthException',
        code: 2500,
      }),
    );
  }
  if (!/^v\d+\.\d+$/.test(version)) {
    return answer(graphError(400, { message: `Unknown path components: /${segments.slice(1).join('/')}`, type: 'OAuthException', code: 2500 }));
  }
  if (!ctx.versions.has(version)) {
    // UNCONFIRMED for CAPI: the Marketing API answers 2635 for a deprecated version.
    return answer(
      graphError(400, {
        message: `(#2635) You are calling a deprecated version of the Ads API. Please update to the latest version: ${[...ctx.versions].sort().at(-1)}.`,
        type: 'OAuthException',
        code: 2635,
      }),
    );
  }

  // Body first: the token may travel in a form or JSON body as well as in the query or header (S1).
  const parsed = parseBody(req);
  const token = tokenFrom(req, parsed.fields);
  if (token === undefined) {
    return answer(tokenError({ message: 'An access token is required to request this resource.', type: 'OAuthException', code: 104 }));
  }
  if (!ctx.tokens.has(token)) {
    return answer(tokenError({ message: 'Invalid OAuth access token - Cannot parse access token', type: 'OAuthException', code: 190 }));
  }

  if (!/^\d+$/.test(pixelId)) {
    return answer(
      graphError(404, { message: `(#803) Some of the aliases you requested do not exist: ${pixelId}`, type: 'OAuthException', code: 803 }),
    );
  }
  if (ctx.pixels !== undefined && !ctx.pixels.has(pixelId)) {
    // Real body (RudderStack fixture, 3P).
    return answer(
      graphError(400, {
        message: `Unsupported ${isEvents ? 'post' : 'get'} request. Object with ID '${pixelId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
        type: 'GraphMethodException',
        code: 100,
        error_subcode: 33,
      }),
    );
  }

  if (isNode) return answer({ status: 200, body: { name: `Fake pixel ${pixelId}`, id: pixelId } });

  if (parsed.error !== undefined) return answer(invalidParameter(parsed.error));
  const problem = validateEventsBody(parsed.fields, ctx.now);
  if (problem !== undefined) return answer(invalidParameter(problem));

  const data = parsed.fields.data as unknown[];
  return answer({
    status: 200,
    body: { events_received: data.length, messages: [], fbtrace_id: traceId() },
    record: { body: parsed.fields },
  });
}

/** A Graph error for code 100 "Invalid parameter", the shape CAPI uses for bad event data (3P fixtures). */
interface Problem {
  title: string;
  message: string;
  subcode?: number;
  /** Graph puts simple parameter errors in `message` ("(#100) …") without user title/msg. */
  plain?: boolean;
  /** Which event failed. Meta does not say; the fake adds it as `x_fake_event_index` for tests. */
  index?: number;
}

function validateEventsBody(body: Record<string, unknown>, now: number): Problem | undefined {
  const data = body.data;
  if (data === undefined) return { plain: true, title: '', message: '(#100) The parameter data is required' };
  if (!Array.isArray(data)) return { plain: true, title: '', message: '(#100) param data must be an array.' };
  // Wording of the two below is UNCONFIRMED; the limits are S1's.
  if (data.length === 0) return { plain: true, title: '', message: '(#100) param data must be a non-empty array.' };
  if (data.length > MAX_EVENTS) {
    return { plain: true, title: '', message: `(#100) param data must be an array of at most ${MAX_EVENTS} events; got ${data.length}.` };
  }
  if (body.test_event_code !== undefined && typeof body.test_event_code !== 'string') {
    return { plain: true, title: '', message: '(#100) param test_event_code must be a string.' };
  }
  // One invalid event rejects the whole request (S1): report the first one.
  for (let i = 0; i < data.length; i++) {
    const p = validateEvent(data[i], now);
    if (p !== undefined) return { ...p, index: i };
  }
  return undefined;
}

function validateEvent(e: unknown, now: number): Problem | undefined {
  if (!isObject(e)) return { title: 'Invalid Event', message: 'Each element of data must be an event object.' };

  // S2: event_name, event_time, action_source, user_data are required.
  if (typeof e.event_name !== 'string' || e.event_name.trim() === '') {
    return { title: 'Missing Event Name', message: 'event_name is required and must be a non-empty string.' };
  }
  if (e.event_time === undefined) return { title: 'Missing Event Time', message: 'event_time is required (unix seconds).' };
  if (typeof e.event_time !== 'number' || !Number.isInteger(e.event_time) || e.event_time <= 0) {
    return { title: 'Invalid Event Time', message: 'event_time must be a unix timestamp in seconds (an integer).' };
  }
  if (now - e.event_time > MAX_AGE_SECONDS) {
    // Exact real body (RudderStack fixture, 3P); one too-old event fails the request (S2).
    return {
      subcode: 2804003,
      title: 'Event Timestamp Too Old',
      message:
        'The timestamp for this event is too far in the past. Events need to be sent from your server within 7 days of when they occurred. Enter a timestamp that has occurred within the last 7 days.',
    };
  }
  if (e.event_time - now > FAKE_META_FUTURE_TOLERANCE_SECONDS) {
    return {
      title: 'Event Timestamp In The Future',
      message: `event_time is in the future${e.event_time > 1e11 ? ' (it looks like milliseconds; Meta wants seconds)' : ''}.`,
    };
  }
  if (typeof e.action_source !== 'string' || !ACTION_SOURCES.includes(e.action_source)) {
    return { title: 'Invalid Action Source', message: `action_source is required and must be one of ${ACTION_SOURCES.join(', ')}.` };
  }
  if (e.event_id !== undefined && (typeof e.event_id !== 'string' || e.event_id === '')) {
    return { title: 'Invalid Event ID', message: 'event_id must be a non-empty string.' };
  }

  const user = e.user_data;
  if (!isObject(user)) return { title: 'Missing User Data', message: 'user_data is required and must be an object.' };

  if (e.action_source === 'website') {
    // S2, S7: website events need event_source_url and client_user_agent.
    if (typeof e.event_source_url !== 'string' || !/^https?:\/\/\S+$/.test(e.event_source_url)) {
      return { title: 'Missing Event Source URL', message: 'event_source_url is required for events with action_source website.' };
    }
    if (typeof user.client_user_agent !== 'string' || user.client_user_agent.trim() === '') {
      return { title: 'Missing Client User Agent', message: 'client_user_agent is required for events with action_source website.' };
    }
  }

  for (const key of HASHED_KEYS) {
    const v = user[key];
    if (v === undefined) continue;
    const values = Array.isArray(v) ? v : [v];
    // S3: SHA-256 lowercase hex, as a string or a list of strings. (Meta accepts an unhashed
    // external_id; LayerSync's contract always hashes it, so the fake holds it to that.)
    if (values.length === 0 || !values.every((x) => typeof x === 'string' && SHA256_HEX.test(x))) {
      return { title: 'Unhashed Customer Information', message: `user_data.${key} must be SHA-256 hashed: 64 lowercase hex characters (or a list of them).` };
    }
  }
  if (user.client_ip_address !== undefined && (typeof user.client_ip_address !== 'string' || isIP(user.client_ip_address) === 0)) {
    return { title: 'Invalid IP Address', message: 'client_ip_address must be a valid IPv4 or IPv6 address, unhashed.' };
  }
  if (user.fbc !== undefined && (typeof user.fbc !== 'string' || !FBC.test(user.fbc))) {
    // Whether Meta refuses the request or only flags a malformed fbc in diagnostics is UNCONFIRMED.
    return { title: 'Invalid fbc', message: 'fbc must be fb.{subdomainIndex}.{creationTimeMs}.{fbclid}, unhashed.' };
  }
  const present = CUSTOMER_INFO_KEYS.filter((k) => {
    const v = user[k];
    return v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0);
  });
  if (present.length === 0 || WEAK_COMBINATIONS.some((combo) => present.every((k) => combo.includes(k)))) {
    // Wording translated from a real (Danish) response, Setono fixture (3P).
    return {
      subcode: 2804050,
      title: "You haven't added sufficient customer information parameter data for this event",
      message:
        'This event has no customer information parameters, or it has a combination of customer information parameters that is so broad that it is unlikely to be effective for matching.',
    };
  }

  if (e.custom_data !== undefined) {
    const c = e.custom_data;
    if (!isObject(c)) return { title: 'Invalid Custom Data', message: 'custom_data must be an object.' };
    // S4: value is a number; currency is an ISO 4217 code and goes with value; Purchase needs both.
    if (c.value !== undefined && (typeof c.value !== 'number' || !Number.isFinite(c.value))) {
      return { title: 'Invalid Value', message: 'custom_data.value must be a number.' };
    }
    if (c.currency !== undefined && (typeof c.currency !== 'string' || !/^[A-Za-z]{3}$/.test(c.currency))) {
      return { title: 'Invalid Currency', message: 'custom_data.currency must be a 3-letter ISO 4217 code.' };
    }
    if (c.value !== undefined && c.currency === undefined) {
      return { title: 'Missing Currency', message: 'custom_data.currency is required when custom_data.value is set.' };
    }
    if (c.contents !== undefined) {
      if (!Array.isArray(c.contents) || !c.contents.every((x) => isObject(x) && typeof x.id === 'string' && x.id !== '')) {
        return { title: 'Invalid Contents', message: 'custom_data.contents must be a list of objects with an id.' };
      }
      for (const x of c.contents as Record<string, unknown>[]) {
        if (x.quantity !== undefined && !(Number.isInteger(x.quantity) && (x.quantity as number) > 0)) {
          return { title: 'Invalid Contents', message: 'custom_data.contents[].quantity must be a positive integer.' };
        }
        if (x.item_price !== undefined && (typeof x.item_price !== 'number' || !Number.isFinite(x.item_price))) {
          return { title: 'Invalid Contents', message: 'custom_data.contents[].item_price must be a number.' };
        }
      }
    }
    if (c.content_ids !== undefined && !(Array.isArray(c.content_ids) && c.content_ids.every((x) => typeof x === 'string' || typeof x === 'number'))) {
      return { title: 'Invalid Content IDs', message: 'custom_data.content_ids must be a list of ids.' };
    }
  }
  if (e.event_name === 'Purchase') {
    const c = isObject(e.custom_data) ? e.custom_data : {};
    if (c.value === undefined || c.currency === undefined) {
      return { title: 'Missing Value or Currency', message: 'Purchase events require custom_data.value and custom_data.currency.' };
    }
  }

  // S2, S12: only "LDU" is accepted; with LDU the country (and then the state) must be given.
  const dpo = e.data_processing_options;
  if (dpo !== undefined) {
    if (!Array.isArray(dpo) || !dpo.every((x) => x === 'LDU')) {
      return { title: 'Invalid Data Processing Options', message: 'data_processing_options accepts only "LDU" (or an empty list).' };
    }
    if (dpo.length > 0 && !Number.isInteger(e.data_processing_options_country)) {
      return { title: 'Invalid Data Processing Options', message: 'data_processing_options_country is required with LDU (1 = USA, 0 = geolocate).' };
    }
  }
  if (e.data_processing_options_country !== undefined && !Number.isInteger(e.data_processing_options_state)) {
    return { title: 'Invalid Data Processing Options', message: 'data_processing_options_state is required when data_processing_options_country is set (1000 = California, 0 = geolocate).' };
  }
  return undefined;
}

/** JSON, or a form post whose `data` field is a JSON string (S1's curl example uses a form). */
function parseBody(req: FakeRequest): { fields: Record<string, unknown>; error?: Problem } {
  if (req.method !== 'POST') return { fields: {} };
  const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json') {
    if (!isObject(req.json)) return { fields: {}, error: { plain: true, title: '', message: '(#100) The request body must be a JSON object.' } };
    return { fields: req.json };
  }
  if (type === 'application/x-www-form-urlencoded') {
    const fields: Record<string, unknown> = Object.fromEntries(new URLSearchParams(req.rawBody));
    if (typeof fields.data === 'string') {
      try {
        fields.data = JSON.parse(fields.data);
      } catch {
        return { fields, error: { plain: true, title: '', message: '(#100) param data must be an array.' } };
      }
    }
    return { fields };
  }
  // Meta also takes multipart forms; this fake does not, and says so.
  return {
    fields: {},
    error: { plain: true, title: '', message: `(#100) fake Meta accepts application/json or application/x-www-form-urlencoded, not "${type}".` },
  };
}

/** Graph reads the token from the Authorization header (Bearer/OAuth), the query, or the body. */
function tokenFrom(req: FakeRequest, fields: Record<string, unknown>): string | undefined {
  const auth = req.headers.authorization;
  const m = typeof auth === 'string' ? /^(?:Bearer|OAuth)\s+(\S+)$/i.exec(auth) : null;
  if (m) return m[1];
  const q = req.query.get('access_token');
  if (q) return q;
  return typeof fields.access_token === 'string' && fields.access_token !== '' ? fields.access_token : undefined;
}

interface GraphErrorBody {
  message: string;
  type: string;
  code: number;
  error_subcode?: number;
  is_transient?: boolean;
  error_user_title?: string;
  error_user_msg?: string;
  /** Not Meta's: the index of the refused event, to make fake-server failures easy to read. */
  x_fake_event_index?: number;
}

function graphError(status: number, error: GraphErrorBody, headers?: Record<string, string>): FakeResponse {
  return { status, body: { error: { ...error, fbtrace_id: traceId() } }, headers };
}

function invalidParameter(p: Problem): FakeResponse {
  if (p.plain) return graphError(400, { message: p.message, type: 'OAuthException', code: 100 });
  return graphError(400, {
    message: 'Invalid parameter',
    type: 'OAuthException',
    code: 100,
    ...(p.subcode !== undefined ? { error_subcode: p.subcode } : {}),
    is_transient: false,
    error_user_title: p.title,
    error_user_msg: p.message,
    ...(p.index !== undefined ? { x_fake_event_index: p.index } : {}),
  });
}

/** Token errors come with HTTP 400 and an OAuth WWW-Authenticate header (S9; observed). */
function tokenError(error: GraphErrorBody): FakeResponse {
  return graphError(400, error, { 'www-authenticate': `OAuth "Facebook Platform" "invalid_token" "${error.message}"` });
}

function expiredTokenError(): GraphErrorBody {
  return {
    message: 'Error validating access token: Session has expired on Monday, 23-Nov-26 04:00:00 PST. The current time is Monday, 23-Nov-26 05:00:00 PST.',
    type: 'OAuthException',
    code: 190,
    error_subcode: 463,
  };
}

function traceId(): string {
  return `A${randomBytes(16).toString('base64url').slice(0, 22)}`;
}

/** One JSON line per request, with credentials masked: stdout ends up in CI logs. */
function logLine(entry: Received): string {
  const headers = { ...entry.headers };
  if (headers.authorization !== undefined) headers.authorization = maskCredentials(headers.authorization);
  let body = entry.body;
  if (isObject(body) && body.access_token !== undefined) body = { ...body, access_token: '[redacted]' };
  const query = { ...entry.query };
  if (query.access_token !== undefined) query.access_token = '[redacted]';
  return JSON.stringify({ fake: 'meta', status: entry.status, pixelId: entry.pixelId, version: entry.version, path: entry.path, query, body, headers });
}

if (isMainModule(import.meta.url)) {
  void runStandalone(async (port, args) =>
    startFakeMeta({
      ...standaloneOptions(port, args, 'LAYERSYNC_FAKE_META_PORT', 8790),
      tokens: listArg(args.tokens),
      pixels: listArg(args.pixels),
      versions: listArg(args.versions),
    }),
  );
}
