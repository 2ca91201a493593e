/**
 * X (Twitter) Conversion API: endpoint, version, limits and OAuth 1.0a request signing. Facts come
 * from /work/shared/platforms/pinterest-snap-linkedin-reddit-x-klaviyo-webhooks.md §5 (X1 = X
 * developer docs "Web Conversions" v12 reference, X2 = docs.x.com "Conversion API Set Up",
 * X3 = docs.x.com "Error codes and responses", T = Tealium's connector guide).
 *
 * Signing uses the `oauth-1.0a` package (ddo/oauth-1.0a) with node:crypto's HMAC-SHA1 rather than
 * a hand-written signer: it is a small, dependency-free RFC 5849 signer that leaves transport to
 * us (so requests still go through the shared undici client), ships its own TypeScript types, and
 * is used by ~2.7 M downloads a month. Its last release (2.2.6) dates from 2019 — OAuth 1.0a is a
 * frozen spec, so that is stability rather than abandonment, and it reproduces X's own published
 * signature example (test/x.test.ts); the fake server verifies every signature with an
 * independent implementation.
 */
import { createHmac } from 'node:crypto';
import OAuth from 'oauth-1.0a';
import { trimTrailingSlash } from '../shared/url.js';

/** Ads API version in the path. X1 documents v12; older v11 paths also exist (UNCONFIRMED which versions are live now). */
export const X_API_VERSION = '12';

export const X_DEFAULT_ORIGIN = 'https://ads-api.x.com';

/** Up to 500 conversions per request (X1). */
export const X_MAX_EVENTS_PER_REQUEST = 500;

/**
 * X documents no maximum age for conversion_time (notes §5: UNCONFIRMED). 30 days is the
 * longest post-engagement attribution window X Ads offers (UNCONFIRMED here), so an older
 * conversion could not be attributed to an ad anyway.
 */
export const X_MAX_EVENT_AGE_SECONDS = 30 * 24 * 60 * 60;

export const X_REQUEST_TIMEOUT_MS = 10_000;

/** `{origin}/{version}/measurement/conversions/{pixel_id}` (X1). */
export function xConversionsUrl(origin: string, pixelId: string, version: string = X_API_VERSION): string {
  return `${trimTrailingSlash(origin)}/${version}/measurement/conversions/${encodeURIComponent(pixelId)}`;
}

/** `{origin}/{version}/accounts` — the ad accounts the token's user can access (connection test). */
export function xAccountsUrl(origin: string, version: string = X_API_VERSION): string {
  return `${trimTrailingSlash(origin)}/${version}/accounts`;
}

export interface XCredentials {
  consumer_key: string;
  consumer_secret: string;
  access_token: string;
  access_token_secret: string;
}

/**
 * The `authorization` header for one request: OAuth 1.0a, HMAC-SHA1, user context (X2). The JSON
 * body is not part of the signature: RFC 5849 §3.4.1.3 signs only form-encoded bodies, so only the
 * URL (and its query) and the oauth_* parameters are signed.
 */
export function xAuthorization(credentials: XCredentials, request: { method: 'GET' | 'POST'; url: string }): string {
  const oauth = new OAuth({
    consumer: { key: credentials.consumer_key, secret: credentials.consumer_secret },
    signature_method: 'HMAC-SHA1',
    hash_function: (base, key) => createHmac('sha1', key).update(base).digest('base64'),
  });
  const data = oauth.authorize(request, { key: credentials.access_token, secret: credentials.access_token_secret });
  return oauth.toHeader(data).Authorization;
}
