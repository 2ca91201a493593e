/**
 * Klaviyo Events API: endpoint, revision and limits. Facts come from
 * /work/shared/platforms/pinterest-snap-linkedin-reddit-x-klaviyo-webhooks.md §6 (K1 = Klaviyo
 * OpenAPI, revision 2026-04-15, Events API; K2 = "Rate limits, status codes, and errors").
 */
import { trimTrailingSlash } from '../shared/url.js';

/**
 * Dated API revision (`revision` header, required, K1). 2026-04-15 is the revision the notes'
 * OpenAPI describes, including `backfill` and `unique_id`. A connection may override it.
 */
export const KLAVIYO_REVISION = '2026-04-15';

export const KLAVIYO_DEFAULT_ORIGIN = 'https://a.klaviyo.com';

/**
 * LayerSync sends one event per Create Event request (K1: 202, validated synchronously, rate tier
 * XL 350/s burst, 3,500/min steady) instead of the bulk job endpoint (1,000 events, but a lower
 * tier, asynchronous processing, and one repeated unique_id fails the whole job). A batch the
 * worker hands over is at most this many events, sent a few at a time.
 */
export const KLAVIYO_MAX_EVENTS_PER_BATCH = 100;

/** Requests in flight at once. Private-key integrations share the account's quota (K2), so stay modest. */
export const KLAVIYO_CONCURRENCY = 4;

/**
 * Klaviyo accepts any time after the year 2000 (K1), which is no age limit. LayerSync stops at a
 * year: older events belong in a deliberate import, not a delivery queue.
 */
export const KLAVIYO_MAX_EVENT_AGE_SECONDS = 365 * 24 * 60 * 60;

export const KLAVIYO_REQUEST_TIMEOUT_MS = 10_000;

/** `{origin}/api/events` — Create Event (K1). */
export function klaviyoEventsUrl(origin: string): string {
  return `${trimTrailingSlash(origin)}/api/events`;
}

/** Private API key auth, revision, JSON:API media type (K1). */
export function klaviyoHeaders(privateApiKey: string, revision: string): Record<string, string> {
  return {
    authorization: `Klaviyo-API-Key ${privateApiKey}`,
    revision,
    'content-type': 'application/vnd.api+json',
    accept: 'application/vnd.api+json',
  };
}
