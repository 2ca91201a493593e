/**
 * TikTok Events API 2.0: endpoint, version, limits and the classifier that turns TikTok's answers
 * into delivery outcomes. Facts come from /work/shared/platforms/meta-ga4-googleads-tiktok.md §4
 * (T1 = Events API 2.0 web reference, T2 = batch size page, T3 = deduplication, T5 = Segment's
 * tiktok-conversions destination, T6 = RudderStack's tiktok_ads destination, T7 = Hightouch's
 * TikTok docs, T9 = Amperity's offline-event windows).
 */
import type { HttpResponse } from '../../delivery/http.js';
import { parseJson } from '../shared/json.js';
import { withRetryAfter, type RetryOutcome } from '../shared/outcome.js';
import { redactSecrets } from '../shared/redact.js';
import { parseRetryAfter } from '../shared/retry-after.js';
import { truncate } from '../shared/text.js';
import { transportFailure } from '../shared/transport.js';
import { trimTrailingSlash } from '../shared/url.js';
import type { DeliveryOutcome } from '../types.js';

export { parseRetryAfter } from '../shared/retry-after.js';

/** The Events API 2.0 lives under the v1.3 Business API (T1, via T5's versioning-info.ts). */
export const TIKTOK_API_VERSION = 'v1.3';

export const TIKTOK_DEFAULT_ORIGIN = 'https://business-api.tiktok.com';

/** Web, app, offline and CRM events all go to this one path; `event_source` tells them apart (T1). */
export const TIKTOK_TRACK_PATH = `/open_api/${TIKTOK_API_VERSION}/event/track/`;

/** At most 1,000 events in `data` (T2 via T6; T7). One bad event fails the whole request (T7). */
export const TIKTOK_MAX_EVENTS_PER_REQUEST = 1000;

/**
 * How old a web event may be. UNCONFIRMED: TikTok's official window for web events was not found;
 * 7 days is the figure integrators commonly cite (and Meta's documented limit). We use it rather
 * than the 28 days TikTok allows for offline events (T9, 3P), so an event TikTok might refuse, and
 * with it its whole batch, is never sent.
 */
export const TIKTOK_MAX_EVENT_AGE_SECONDS = 7 * 24 * 60 * 60;

/**
 * Client timeout. TikTok publishes no latency figures (UNCONFIRMED); a batch of up to 1,000 events
 * gets a generous budget. A retry after a timeout is safe: TikTok deduplicates API events with the
 * same event + event_id within 48 h (T3).
 */
export const TIKTOK_REQUEST_TIMEOUT_MS = 10_000;

/** Codes TikTok puts in the body of an HTTP 200 answer (T6 networkHandler.js and network mocks). */
export const TIKTOK_CODES = {
  OK: 0,
  /** RudderStack treats it as success; its meaning is UNCONFIRMED (possibly partial success). */
  RUDDERSTACK_SUCCESS_20001: 20001,
  /** "No permission to operate pixel code: …" — the token cannot send to this pixel (T6 mock). */
  NO_PERMISSION: 40001,
  /** Invalid parameters, e.g. "…content_id: Not a valid string" (T6 mock). */
  INVALID_PARAMS: 40002,
  /** "Too many requests. Please retry in some time." (T6 mock, ThrottledError). */
  TOO_MANY_REQUESTS: 40100,
  /** Access token invalid or missing (notes §4.6). */
  ACCESS_TOKEN_INVALID: 40105,
  /** RudderStack retries it as a server error (T6); its meaning is UNCONFIRMED. */
  RUDDERSTACK_RETRY_40700: 40700,
} as const;

/** `{origin}/open_api/v1.3/event/track/`. */
export function tiktokTrackUrl(origin: string): string {
  return `${trimTrailingSlash(origin)}${TIKTOK_TRACK_PATH}`;
}

/** TikTok takes the token in an `Access-Token` header, never in the URL or body (notes §4.1, T5). */
export function tiktokHeaders(accessToken: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'access-token': accessToken,
  };
}

/** TikTok's answer envelope: `{ code, message, request_id, data }`, HTTP 200 even on errors (T6). */
export interface TiktokResponseBody {
  code: number;
  message?: string;
  request_id?: string;
  data?: unknown;
}

/** Parses TikTok's envelope, or undefined when the body is not one (an HTML error page from a proxy…). */
export function parseTiktokBody(body: string): TiktokResponseBody | undefined {
  const json = parseJson(body);
  if (typeof json !== 'object' || json === null) return undefined;
  const { code, message, request_id: requestId } = json as Record<string, unknown>;
  if (typeof code !== 'number' || !Number.isInteger(code)) return undefined;
  return {
    code,
    message: typeof message === 'string' ? message : undefined,
    request_id: typeof requestId === 'string' ? requestId : undefined,
    data: (json as Record<string, unknown>).data,
  };
}

/** TikTok's own message, shortened to 500 characters and "…", with the request id support will ask for. */
function summarize(body: TiktokResponseBody): string {
  const msg = (body.message ?? '').trim() || 'no message';
  const short = truncate(msg, 500, 500);
  return `code ${body.code}: ${short}${body.request_id ? ` (request_id ${body.request_id})` : ''}`;
}

/** A 40002 about the pixel (event_source_id) is configuration, not a bad event. */
function mentionsPixel(message: string | undefined): boolean {
  return message !== undefined && /pixel|event_source_id/i.test(message);
}

/**
 * A request that got no HTTP answer (timeout, refused connection, DNS, abort) is always retried:
 * TikTok deduplicates event + event_id within 48 h (T3), so a resend after a lost answer is safe.
 * Only the error's own code counts (not its cause's), and the whole message is redacted.
 */
export function classifyTiktokTransportError(
  err: unknown,
  opts: { secrets: readonly string[]; timeoutMs: number; aborted: boolean },
): RetryOutcome {
  const failure = transportFailure(err, { aborted: opts.aborted, followCause: false });
  switch (failure.kind) {
    case 'timeout':
      return { kind: 'retry', error: `TikTok did not answer within ${opts.timeoutMs / 1000} s; the events will be retried` };
    case 'aborted':
      return { kind: 'retry', error: 'Sending to TikTok was interrupted (the relay is stopping); the events will be retried' };
    case 'network':
      return {
        kind: 'retry',
        error: redactSecrets(`Could not reach TikTok (${failure.code ?? 'network error'}: ${failure.message}); the events will be retried`, opts.secrets),
      };
  }
}

/** What an answer from /event/track/ means, shared by delivery outcomes and the connection test. */
export type TiktokProblem =
  | 'ok'
  /** 40100 or HTTP 429. */
  | 'rate_limited'
  /** HTTP 5xx/408, 40700, 5xxxx. */
  | 'server'
  /** HTTP 401/403, 40105 and the other 401xx token/app codes. */
  | 'invalid_token'
  /** 40001, or a 40002 about the pixel: the token cannot send to this pixel code. */
  | 'pixel'
  /** 40002: the events themselves are invalid. */
  | 'invalid_params'
  /** Any other 4xxxx code or HTTP 4xx: a client error retrying cannot fix. */
  | 'rejected'
  /** Not TikTok's envelope, or a code outside every known family. */
  | 'unexpected';

/**
 * Reads one HTTP answer from /event/track/. TikTok answers HTTP 200 even for errors and puts the
 * verdict in `code` (T6); HTTP statuses other than 200 come from its edge.
 *
 * - 0 → ok (T6). 20001 too, as RudderStack does (meaning UNCONFIRMED, possibly partial success).
 * - 40100 "too many requests" → rate_limited (T6 ThrottledError).
 * - 40105 access token invalid/missing → invalid_token (notes §4.6). The rest of 40101-40199 is
 *   TikTok's token/app family in its Marketing API return-code list, which is not in the notes
 *   (UNCONFIRMED), so treated alike.
 * - 40001 "No permission to operate pixel code: …" → pixel (T6 mock): every event would fail the
 *   same way until the merchant fixes the pixel code or token.
 * - 40002 invalid parameters → invalid_params (T6: permanent), unless it is about the pixel.
 * - 40700 → server, as RudderStack retries it (T6; meaning UNCONFIRMED); 5xxxx → server.
 */
export function tiktokProblem(res: HttpResponse, body: TiktokResponseBody | undefined = parseTiktokBody(res.body)): TiktokProblem {
  if (res.status === 429) return 'rate_limited';
  if (res.status >= 500 || res.status === 408) return 'server';
  if (res.status === 401 || res.status === 403) return 'invalid_token';
  if (res.status < 200 || res.status >= 300) return 'rejected';
  if (body === undefined) return 'unexpected';
  const { code } = body;
  if (code === TIKTOK_CODES.OK || code === TIKTOK_CODES.RUDDERSTACK_SUCCESS_20001) return 'ok';
  if (code === TIKTOK_CODES.TOO_MANY_REQUESTS) return 'rate_limited';
  if (code > TIKTOK_CODES.TOO_MANY_REQUESTS && code < 40200) return 'invalid_token';
  if (code === TIKTOK_CODES.NO_PERMISSION) return 'pixel';
  if (code === TIKTOK_CODES.INVALID_PARAMS) return mentionsPixel(body.message) ? 'pixel' : 'invalid_params';
  if (code === TIKTOK_CODES.RUDDERSTACK_RETRY_40700 || (code >= 50000 && code < 60000)) return 'server';
  if (code >= 40000 && code < 50000) return 'rejected';
  return 'unexpected';
}

export interface ClassifyContext {
  pixelCode: string;
  /** Values to censor from every message (the access token). */
  secrets: readonly string[];
  nowMs: number;
}

/**
 * Turns one HTTP answer into the outcome of the whole request: TikTok accepts or refuses a batch
 * as a unit (T7), so every event of the batch shares it. invalid_params and rejected → drop (the
 * worker bisects the batch to isolate the bad event); invalid_token and pixel → auth (park the
 * connection); rate_limited, server and unexpected → retry, honouring Retry-After.
 */
export function classifyTiktokResponse(res: HttpResponse, ctx: ClassifyContext): DeliveryOutcome {
  const body = parseTiktokBody(res.body);
  const problem = tiktokProblem(res, body);
  const status = res.status;
  // "HTTP 503", "code 40002: …", or both when TikTok's edge answered with its envelope.
  const what = [status !== 200 ? `HTTP ${status}` : undefined, body ? summarize(body) : undefined].filter((x) => x !== undefined).join(', ');
  const clean = (s: string) => redactSecrets(s, ctx.secrets);
  const retry = (error: string): DeliveryOutcome =>
    withRetryAfter({ kind: 'retry', status, error: clean(error) }, parseRetryAfter(res.headers['retry-after'], ctx.nowMs));

  switch (problem) {
    case 'ok':
      return { kind: 'delivered', status, response: clean(res.body.slice(0, 2000)) };
    case 'rate_limited':
      return retry(`TikTok is rate limiting requests (${what}); the events will be retried`);
    case 'server':
      return retry(
        body && status === 200
          ? `TikTok reported an internal error (${what}); the events will be retried`
          : `TikTok answered with a server error (${what}); the events will be retried`,
      );
    case 'unexpected':
      return retry(
        body
          ? `TikTok answered with an unexpected code (${what}); the events will be retried`
          : `TikTok answered HTTP ${status} without its usual {code, message} body, so delivery cannot be confirmed; the events will be retried`,
      );
    case 'invalid_token':
      return {
        kind: 'auth',
        status,
        error: clean(
          `TikTok rejected the access token (${what}). Generate a new Events API access token in TikTok Events Manager → your pixel → Settings and save it in LayerSync`,
        ),
      };
    case 'pixel':
      return {
        kind: 'auth',
        status,
        error: clean(
          `TikTok does not let this access token send events to pixel ${ctx.pixelCode} (${what}). Check the pixel code, and that the token was generated for this pixel by an admin or operator of its advertiser account`,
        ),
      };
    case 'invalid_params':
      return { kind: 'drop', status, error: clean(`TikTok rejected the events as invalid (${what})`) };
    case 'rejected':
      return { kind: 'drop', status, error: clean(`TikTok refused the request (${what})`) };
  }
}
