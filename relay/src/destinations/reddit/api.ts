/**
 * Reddit Conversions API v3: endpoint, limits and headers. Facts come from
 * /work/shared/platforms/pinterest-snap-linkedin-reddit-x-klaviyo-webhooks.md §4 (R1 = Reddit's
 * v3 docs and migration guide as captured verbatim in Segment's V3-API-REFERENCE.md, R2 =
 * Segment's live v3 test notes and code, R3 = RudderStack/Freshpaint).
 */
import { trimTrailingSlash } from '../shared/url.js';

export const REDDIT_API_VERSION = 'v3';

export const REDDIT_DEFAULT_ORIGIN = 'https://ads-api.reddit.com';

/** 1,000 events per request; more fails the request with 400 "Bad Request" (R1). */
export const REDDIT_MAX_EVENTS_PER_REQUEST = 1000;

/** Events must reach Reddit within 7 days; deduplication only works within 2 (R1). */
export const REDDIT_MAX_EVENT_AGE_SECONDS = 7 * 24 * 60 * 60;

export const REDDIT_REQUEST_TIMEOUT_MS = 10_000;

/**
 * Reddit throttles default client user agents automatically (R1: 429 "Your user agent was
 * automatically ratelimited. Set a unique, descriptive user-agent"), so every request names the
 * relay and what it does.
 */
export const REDDIT_USER_AGENT = 'LayerSync-Relay/0.1 (server-side conversions for WooCommerce; Reddit Conversions API v3; +https://github.com/layersync)';

/** `{origin}/api/v3/pixels/{pixel_id}/conversion_events` (R1). */
export function redditEventsUrl(origin: string, pixelId: string): string {
  return `${trimTrailingSlash(origin)}/api/${REDDIT_API_VERSION}/pixels/${encodeURIComponent(pixelId)}/conversion_events`;
}

/** Bearer conversion access token (R1), JSON, and the descriptive user agent. */
export function redditHeaders(accessToken: string): Record<string, string> {
  return { 'content-type': 'application/json', authorization: `Bearer ${accessToken}`, 'user-agent': REDDIT_USER_AGENT };
}
