/**
 * Meta Conversions API: endpoint, version and platform limits. Facts come from
 * /work/shared/platforms/meta-ga4-googleads-tiktok.md §1 (S1 = "Using the API", S2 = server
 * event parameters, S8 = troubleshooting, S11 = Graph API changelog).
 */
import { trimTrailingSlash } from '../shared/url.js';

/**
 * Graph API version. v26.0 is the latest (introduced 2026-07-29, S11) and Meta's Node SDK pins
 * it too; Conversions API versions stay supported for at least two years (S1).
 */
export const META_GRAPH_API_VERSION = 'v26.0';

export const META_DEFAULT_ORIGIN = 'https://graph.facebook.com';

/** At most 1,000 events per request; one invalid event rejects the whole request (S1). */
export const META_MAX_EVENTS_PER_REQUEST = 1000;

/**
 * Meta rejects the whole request when any event is more than 7 days old (S2). Physical-store
 * events may be 62 days old, but LayerSync only sends website/system events.
 */
export const META_MAX_EVENT_AGE_SECONDS = 7 * 24 * 60 * 60;

/**
 * Client timeout. Meta suggests about 1.5 s for single events and answers most requests in under
 * 600 ms (S8); a batch of up to 1,000 events takes longer, so we allow more before treating the
 * attempt as a (retryable) timeout. A retry after a timeout is safe: Meta deduplicates on
 * event_name + event_id (S2, S6).
 */
export const META_REQUEST_TIMEOUT_MS = 5_000;

/** `{origin}/{version}/{pixel_id}/events` — the events edge of a pixel (dataset). */
export function metaEventsUrl(origin: string, pixelId: string, version: string = META_GRAPH_API_VERSION): string {
  return `${trimTrailingSlash(origin)}/${version}/${encodeURIComponent(pixelId)}/events`;
}

/** `{origin}/{version}/{pixel_id}?fields=id,name` — the pixel node, read by the connection test. */
export function metaPixelUrl(origin: string, pixelId: string, version: string = META_GRAPH_API_VERSION): string {
  return `${trimTrailingSlash(origin)}/${version}/${encodeURIComponent(pixelId)}?fields=id,name`;
}

/**
 * Request headers. Meta's examples pass the token as the `access_token` query or form parameter
 * (S1); Graph also accepts it as an OAuth 2.0 bearer token, which keeps it out of URLs (and so out
 * of proxy and access logs). Segment's production CAPI destination authenticates the same way
 * (`authorization: Bearer …`, segmentio/action-destinations facebook-conversions-api/index.ts).
 */
export function metaHeaders(accessToken: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    authorization: metaAuthorization(accessToken),
  };
}

/** The `authorization` header value for a Conversions API access token. */
export function metaAuthorization(accessToken: string): string {
  return `Bearer ${accessToken}`;
}
