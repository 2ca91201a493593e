/**
 * Pinterest API for Conversions (v5): endpoint, version and platform limits. Facts come from
 * /work/shared/platforms/pinterest-snap-linkedin-reddit-x-klaviyo-webhooks.md §1 (P1 = the
 * Pinterest v5.13 OpenAPI document for POST /ad_accounts/{ad_account_id}/events, P2 = the
 * developer guide, P3 = Segment's and WooCommerce's integrations, cited there).
 */
import { trimTrailingSlash } from '../shared/url.js';

export const PINTEREST_API_VERSION = 'v5';

export const PINTEREST_DEFAULT_ORIGIN = 'https://api.pinterest.com';

/** `data` holds 1 to 1,000 events (P1 `maxItems: 1000`). */
export const PINTEREST_MAX_EVENTS_PER_REQUEST = 1000;

/**
 * UNCONFIRMED: Pinterest does not document the oldest event_time it accepts (P1, P2). Events more
 * than an hour late already count as offline conversions (P3), so little is lost by stopping at
 * 7 days, the window Meta and Reddit enforce; revisit when Pinterest publishes a limit.
 */
export const PINTEREST_MAX_EVENT_AGE_SECONDS = 7 * 24 * 60 * 60;

/** A batch of 1,000 events is a large body; allow Pinterest time before treating it as a (retryable) timeout. */
export const PINTEREST_REQUEST_TIMEOUT_MS = 10_000;

/**
 * `{origin}/v5/ad_accounts/{ad_account_id}/events`, with `?test=true` in test mode: Pinterest then
 * validates the events and answers as usual but records nothing (P1 `test` query parameter).
 */
export function pinterestEventsUrl(
  origin: string,
  adAccountId: string,
  opts: { test?: boolean; version?: string } = {},
): string {
  const base = `${trimTrailingSlash(origin)}/${opts.version ?? PINTEREST_API_VERSION}/ad_accounts/${encodeURIComponent(adAccountId)}/events`;
  return opts.test === true ? `${base}?test=true` : base;
}

/** Conversion tokens from Ads Manager and OAuth tokens with ads:write are both Bearer tokens (P1 securitySchemes). */
export function pinterestHeaders(accessToken: string): Record<string, string> {
  return { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` };
}
