/**
 * Snap Conversions API (v3): endpoint, limits and token redaction. Facts come from
 * /work/shared/platforms/pinterest-snap-linkedin-reddit-x-klaviyo-webhooks.md §2 (S1 = Snap's
 * "Using the API", S2 = "Parameters", S3 = "Verify Set Up", S4 = "Deduplication", S5 = Snap's
 * business SDK OpenAPI document, S6 = third-party schemas and integrations cited there).
 *
 * Snap takes the access token only as the `access_token` query parameter (S1, S3, S5), so every
 * request URL carries it. Nothing that may be stored or logged is allowed to hold a URL or a
 * message without passing `redactSnapToken` first.
 */
import { REDACTED, redactBearerTokens, redactSecrets } from '../shared/redact.js';
import { trimTrailingSlash } from '../shared/url.js';

export const SNAP_API_VERSION = 'v3';

export const SNAP_DEFAULT_ORIGIN = 'https://tr.snapchat.com';

/**
 * UNCONFIRMED: 2,000 events per request comes from a third-party copy of Snap's schema (S6); Snap's
 * own pages give no number.
 */
export const SNAP_MAX_EVENTS_PER_REQUEST = 2000;

/** Events may be at most 37 days old (S1; RudderStack's 28 is not Snap's word). */
export const SNAP_MAX_EVENT_AGE_SECONDS = 37 * 24 * 60 * 60;

export const SNAP_REQUEST_TIMEOUT_MS = 10_000;

/**
 * `{origin}/v3/{pixel_id}/events?access_token=…`, or `/events/validate` for the test event tool,
 * which checks events and answers per event without writing them to production (S3).
 */
export function snapEventsUrl(origin: string, pixelId: string, accessToken: string, opts: { validate?: boolean } = {}): string {
  const base = trimTrailingSlash(origin);
  const path = `/${SNAP_API_VERSION}/${encodeURIComponent(pixelId)}/events${opts.validate === true ? '/validate' : ''}`;
  return `${base}${path}?access_token=${encodeURIComponent(accessToken)}`;
}

export const SNAP_HEADERS: Readonly<Record<string, string>> = { 'content-type': 'application/json' };

/** `access_token=…`, `access_token%3D…` (a URL inside a URL) and `"access_token": "…"`, whatever token they hold. */
const ACCESS_TOKEN_PARAM = /(access_token(?:%3D|=|["']?\s*:\s*["']?))[^\s"'&,}]+/gi;

/**
 * Removes Snap's access token from text that may be logged or stored: the exact token (as given
 * and URL-encoded, since it travels in a query string; 6 characters or more) and any
 * `access_token=` value, whatever token it holds (a proxy may echo a URL built with an older
 * token), and any bearer token.
 */
export function redactSnapToken(text: string, accessToken: string): string {
  const forms = new Set([accessToken, encodeURIComponent(accessToken)]);
  return redactBearerTokens(redactSecrets(text, forms, 6).replace(ACCESS_TOKEN_PARAM, `$1${REDACTED}`));
}
