/**
 * A local fake of the Reddit Conversions API v3, strict the way Reddit documents it, so
 * destination tests cannot pass by sending something Reddit would refuse.
 *
 *   POST /api/v3/pixels/{pixel_id}/conversion_events   validates and answers like Reddit
 *   GET  /__received, GET /__requests, POST /__fail?n=&kind=, POST /__reset   (see base.ts)
 *
 * Standalone: `tsx relay/test/fakes/reddit-server.ts --port 8797 [--tokens a,b] [--pixels a2_x,t2_y]
 * [--quiet]` prints `listening <url>`, then one JSON line per answered request:
 * {"fake":"reddit","status","pixelId","testId","path","body","headers"} with the authorization
 * header masked.
 *
 * Rules and sources (/work/shared/platforms/pinterest-snap-linkedin-reddit-x-klaviyo-webhooks.md
 * §4; R1 = Reddit's v3 reference, migration guide and error tables as captured verbatim by
 * Segment, R2 = Segment's live v3 tests, including a real 400 body). One invalid event refuses
 * the whole request: 400 {"error":{"code":400,"message":"There were N invalid conversion events.
 * None were processed.","fields":[{"field":"$.data.events[i]…","message"}]}} (R1 wording, R2
 * shape). UNCONFIRMED: the per-field messages, and that 401/403/404/429/500 use the same envelope.
 */
import { isIP } from 'node:net';
import { SHA256_HEX, fakeHandle, isMainModule, isObject, listArg, logEach, maskCredentials, runStandalone, standaloneOptions, startFakeServer, type FakeHandle, type FakeOptions, type FakeRequest, type FakeResponse, type Received } from './base.js';

export const FAKE_REDDIT_TOKEN = 'fake-reddit-conversion-token-0123456789';
export const FAKE_REDDIT_PIXEL_ID = 'a2_fakepixel123';
/** R1 gives no tolerance for future times; the fake allows clock skew (UNCONFIRMED). */
export const FAKE_REDDIT_FUTURE_TOLERANCE_MS = 5 * 60_000;

const MAX_EVENTS = 1000; // R1
const MAX_AGE_MS = 7 * 86_400_000; // R1: events must be sent within 7 days
const ACTION_SOURCES = ['WEBSITE', 'APP', 'OTHER', 'PHYSICAL_STORE']; // R1 (PHYSICAL_STORE inferred there)
const TRACKING_TYPES = ['PAGE_VISIT', 'VIEW_CONTENT', 'SEARCH', 'ADD_TO_CART', 'ADD_TO_WISHLIST', 'PURCHASE', 'LEAD', 'SIGN_UP', 'CUSTOM']; // R1
/** R1 example uuid; R2: "UUID must be RFC-4122 compliant". */
const RDT_UUID = /^\d{10,13}\.[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
/** Generic HTTP-library user agents, which Reddit throttles automatically (R1 429 table). */
const DEFAULT_USER_AGENT = /^(?:node|undici|node-fetch|axios|got|python-requests|python-urllib|curl|wget|go-http-client|okhttp|java|apache-httpclient|guzzlehttp)\b/i;

export interface StartFakeRedditOptions extends FakeOptions {
  /** Tokens the fake accepts. Default: [FAKE_REDDIT_TOKEN]. */
  tokens?: string[];
  /** Pixels the tokens may post to; any other answers 403. Default: any. */
  pixels?: string[];
  /** Now in unix milliseconds. Default: the clock. */
  nowMs?: () => number;
  /** Retry-After seconds sent with injected 429s. Default 17. */
  retryAfterSeconds?: number;
}

export interface RedditReceived extends Received {
  /** The pixel id from the path, '' when the path was not an events path. */
  pixelId: string;
  /** data.test_id, when the request carried one. */
  testId?: string;
}

/** The fake Reddit; failNext's 'auth' is 401 UNAUTHORIZED. */
export type FakeReddit = FakeHandle<RedditReceived>;

export async function startFakeReddit(options: StartFakeRedditOptions = {}): Promise<FakeReddit> {
  const tokens = new Set(options.tokens ?? [FAKE_REDDIT_TOKEN]);
  const pixels = options.pixels === undefined ? undefined : new Set(options.pixels);
  const nowMs = options.nowMs ?? (() => Date.now());
  const retryAfter = options.retryAfterSeconds ?? 17;
  const log = options.log;

  const server = await startFakeServer(
    {
      name: 'reddit',
      handle: (req) => handle(req, { tokens, pixels, nowMs: nowMs() }),
      failure(kind) {
        switch (kind) {
          case 'auth':
            return redditError(401, 'UNAUTHORIZED');
          case 429:
            return { ...redditError(429, 'Too many requests/events within timeframe.'), headers: { 'retry-after': String(retryAfter) } };
          default:
            return redditError(kind, 'The service is currently unavailable. No conversion events were processed.');
        }
      },
      onRecord: logEach(log, logLine),
    },
    options.port ?? 0,
  );
  return fakeHandle<RedditReceived>(server);
}

interface HandleContext {
  tokens: Set<string>;
  pixels: Set<string> | undefined;
  nowMs: number;
}

interface FieldError {
  field: string;
  message: string;
}

function handle(req: FakeRequest, ctx: HandleContext): FakeResponse {
  const m = /^\/api\/v3\/pixels\/([^/]+)\/conversion_events$/.exec(req.path);
  const body = req.json;
  const testId = isObject(body) && isObject(body.data) && typeof body.data.test_id === 'string' ? body.data.test_id : undefined;
  const record: Record<string, unknown> = { pixelId: m?.[1] ?? '' };
  if (testId !== undefined) record.testId = testId;
  const answer = (res: FakeResponse): FakeResponse => ({ ...res, record: { ...record, ...res.record } });

  if (!m || req.method !== 'POST') return answer(redditError(404, 'Not Found'));
  // R1 429: "Your user agent was automatically ratelimited." Set a unique, descriptive user-agent.
  const ua = String(req.headers['user-agent'] ?? '').trim();
  if (ua === '' || DEFAULT_USER_AGENT.test(ua)) return answer(redditError(429, 'Your user agent was automatically ratelimited.'));
  // R1 401: "No bearer token provided" / "UNAUTHORIZED".
  const auth = req.headers.authorization;
  const token = typeof auth === 'string' ? /^Bearer\s+(\S+)$/i.exec(auth)?.[1] : undefined;
  if (token === undefined) return answer(redditError(401, 'No bearer token provided'));
  if (!ctx.tokens.has(token)) return answer(redditError(401, 'UNAUTHORIZED'));
  const pixelId = m[1]!;
  if (ctx.pixels !== undefined && !ctx.pixels.has(pixelId)) {
    return answer(redditError(403, `You're not authorized to post conversions to Pixel ID ${pixelId}.`));
  }
  const contentType = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (contentType !== 'application/json') return answer(redditError(400, 'Bad Request'));

  // R1: v3 wraps the events in `data` ({"data":{"events":[…]}}); v2's bare {"events":[…]} is not v3.
  if (!isObject(body) || !isObject(body.data) || !Array.isArray(body.data.events) || body.data.events.length === 0) {
    return answer(redditError(400, 'Bad Request'));
  }
  const events = body.data.events;
  // R1: more than 1,000 events → 400 "Bad Request".
  if (events.length > MAX_EVENTS) return answer(redditError(400, 'Bad Request'));
  if (body.data.test_id !== undefined && typeof body.data.test_id !== 'string') {
    return answer(redditError(400, 'There were 0 invalid conversion events. None were processed.', [{ field: '$.data.test_id', message: 'test_id must be a string' }]));
  }

  const fields: FieldError[] = [];
  let invalid = 0;
  events.forEach((e, i) => {
    const problems = validateEvent(e, ctx.nowMs).map((p) => ({ field: `$.data.events[${i}]${p.field}`, message: p.message }));
    if (problems.length > 0) invalid++;
    fields.push(...problems);
  });
  if (invalid > 0) {
    return answer(redditError(400, `There were ${invalid} invalid conversion events. None were processed.`, fields));
  }
  return answer({ status: 200, body: { data: { message: `Successfully processed ${events.length} conversion events.` } } });
}

/** Every problem of one event, paths relative to the event (R1 v3 validation; messages UNCONFIRMED). */
function validateEvent(e: unknown, nowMs: number): FieldError[] {
  if (!isObject(e)) return [{ field: '', message: 'event must be an object' }];
  const out: FieldError[] = [];
  const bad = (field: string, message: string) => out.push({ field, message });

  // R1: event_at is an integer, Unix epoch in milliseconds; sent within 7 days.
  if (e.event_at === undefined) bad('.event_at', 'event_at is required');
  else if (typeof e.event_at !== 'number' || !Number.isInteger(e.event_at)) bad('.event_at', 'event_at must be an integer (Unix epoch milliseconds)');
  else if (e.event_at < 1e12) bad('.event_at', 'event_at must be in milliseconds, not seconds');
  else if (e.event_at - nowMs > FAKE_REDDIT_FUTURE_TOLERANCE_MS) bad('.event_at', 'event_at is in the future');
  else if (nowMs - e.event_at > MAX_AGE_MS) bad('.event_at', 'event_at is more than 7 days in the past');

  // R1: action_source is now required.
  if (typeof e.action_source !== 'string') bad('.action_source', 'action_source is required');
  else if (!ACTION_SOURCES.includes(e.action_source)) bad('.action_source', `action_source must be one of ${ACTION_SOURCES.join(', ')}`);

  // R1: event_type → type; tracking_type in UPPER_SNAKE_CASE; CUSTOM needs custom_event_name (≤ 64).
  if (!isObject(e.type)) bad('.type', 'type is required (v2 event_type was renamed to type)');
  else {
    const t = e.type;
    if (typeof t.tracking_type !== 'string' || !TRACKING_TYPES.includes(t.tracking_type)) {
      bad('.type.tracking_type', `tracking_type must be one of ${TRACKING_TYPES.join(', ')}`);
    } else if (t.tracking_type === 'CUSTOM') {
      if (typeof t.custom_event_name !== 'string' || t.custom_event_name.length === 0 || t.custom_event_name.length > 64) {
        bad('.type.custom_event_name', 'custom_event_name is required for CUSTOM events and must have at most 64 characters');
      }
    }
  }
  if (e.event_source_url !== undefined && (typeof e.event_source_url !== 'string' || !/^https?:\/\/\S+$/.test(e.event_source_url))) {
    bad('.event_source_url', 'event_source_url must be a URL');
  }
  if (e.click_id !== undefined && (typeof e.click_id !== 'string' || e.click_id.trim() === '')) bad('.click_id', 'click_id must be a non-empty string');

  // R1: event_metadata → metadata; value is a double in major units.
  if (e.metadata !== undefined) {
    if (!isObject(e.metadata)) bad('.metadata', 'metadata must be an object');
    else {
      const md = e.metadata;
      if (md.conversion_id !== undefined && (typeof md.conversion_id !== 'string' || md.conversion_id === '')) bad('.metadata.conversion_id', 'conversion_id must be a non-empty string');
      if (md.currency !== undefined && (typeof md.currency !== 'string' || !/^[A-Z]{3}$/.test(md.currency))) bad('.metadata.currency', 'currency must be an ISO 4217 code');
      if (md.value !== undefined && (typeof md.value !== 'number' || !Number.isFinite(md.value))) bad('.metadata.value', 'value must be a number (v2 value_decimal was renamed to value)');
      if (md.item_count !== undefined && !(Number.isInteger(md.item_count) && (md.item_count as number) >= 0)) bad('.metadata.item_count', 'item_count must be a non-negative integer');
      if (md.products !== undefined) {
        if (!Array.isArray(md.products)) bad('.metadata.products', 'products must be a list');
        else {
          md.products.forEach((p, j) => {
            if (!isObject(p) || typeof p.id !== 'string' || p.id === '') bad(`.metadata.products[${j}].id`, 'products.id is required');
            else {
              if (p.quantity !== undefined && !(Number.isInteger(p.quantity) && (p.quantity as number) > 0)) bad(`.metadata.products[${j}].quantity`, 'quantity must be a positive integer');
              if (p.item_price !== undefined && (typeof p.item_price !== 'number' || !Number.isFinite(p.item_price))) bad(`.metadata.products[${j}].item_price`, 'item_price must be a number');
            }
          });
        }
      }
    }
  }

  if (e.user !== undefined) {
    if (!isObject(e.user)) bad('.user', 'user must be an object');
    else {
      const u = e.user;
      // LayerSync never sends raw PII; Reddit accepts SHA-256 hex (R1), which is what the fake demands.
      for (const key of ['email', 'phone_number']) {
        if (u[key] !== undefined && (typeof u[key] !== 'string' || !SHA256_HEX.test(u[key]))) bad(`.user.${key}`, `${key} must be a SHA-256 hash (64 lowercase hex characters)`);
      }
      if (u.external_id !== undefined && (typeof u.external_id !== 'string' || u.external_id === '')) bad('.user.external_id', 'external_id must be a non-empty string');
      if (u.ip_address !== undefined && (typeof u.ip_address !== 'string' || isIP(u.ip_address) === 0)) bad('.user.ip_address', 'ip_address must be an IPv4 or IPv6 address');
      if (u.user_agent !== undefined && typeof u.user_agent !== 'string') bad('.user.user_agent', 'user_agent must be a string');
      if (u.uuid !== undefined && (typeof u.uuid !== 'string' || !RDT_UUID.test(u.uuid))) bad('.user.UUID', 'user.UUID: invalid UUID: UUID must be RFC-4122 compliant');
      // R1: user.opt_out → user.data_processing_options {modes: ["LDU"], country, region}.
      if (u.opt_out !== undefined) bad('.user.opt_out', 'opt_out is not supported in v3; use data_processing_options');
      if (u.data_processing_options !== undefined) {
        const d = u.data_processing_options;
        if (!isObject(d) || !Array.isArray(d.modes) || !d.modes.every((x) => x === 'LDU')) bad('.user.data_processing_options.modes', 'modes must be a list of "LDU"');
        else {
          if (d.country !== undefined && (typeof d.country !== 'string' || !/^[A-Z]{2}$/.test(d.country))) bad('.user.data_processing_options.country', 'country must be ISO 3166-1 alpha-2');
          if (d.region !== undefined && (typeof d.region !== 'string' || !/^[A-Z]{2}-[A-Z0-9]{1,3}$/.test(d.region))) bad('.user.data_processing_options.region', 'region must be ISO 3166-2, e.g. US-CA');
        }
      }
    }
  }
  return out;
}

function redditError(status: number, message: string, fields?: FieldError[]): FakeResponse {
  return { status, body: { error: { code: status, message, ...(fields !== undefined ? { fields } : {}) } } };
}

/** A valid Reddit v3 wire event for tests. */
export function sampleRedditEvent(nowMs: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event_at: nowMs - (nowMs % 1000) - 10_000,
    action_source: 'WEBSITE',
    type: { tracking_type: 'PAGE_VISIT' },
    event_source_url: 'https://shop.example/',
    metadata: { conversion_id: 'evt-1' },
    user: { ip_address: '203.0.113.7', user_agent: 'Mozilla/5.0 (X11; Linux x86_64)' },
    ...overrides,
  };
}

/** The user agent tests send when they call the fake directly (a generic one is throttled). */
export const FAKE_REDDIT_TEST_USER_AGENT = 'LayerSync-Test/1.0 (fake Reddit tests)';

/** One JSON line per request, with the token masked: stdout ends up in CI logs. */
function logLine(entry: Received): string {
  const headers = { ...entry.headers };
  if (headers.authorization !== undefined) headers.authorization = maskCredentials(headers.authorization);
  return JSON.stringify({ fake: 'reddit', status: entry.status, pixelId: entry.pixelId, testId: entry.testId, path: entry.path, body: entry.body, headers });
}

if (isMainModule(import.meta.url)) {
  void runStandalone(async (port, args) =>
    startFakeReddit({
      ...standaloneOptions(port, args, 'LAYERSYNC_FAKE_REDDIT_PORT', 8797),
      tokens: listArg(args.tokens),
      pixels: listArg(args.pixels),
    }),
  );
}
