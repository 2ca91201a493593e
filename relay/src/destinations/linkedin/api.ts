/**
 * LinkedIn Conversions API: endpoint, versions and platform limits. Facts come from
 * /work/shared/platforms/pinterest-snap-linkedin-reddit-x-klaviyo-webhooks.md §3 (L1 = Microsoft
 * Learn "Conversions API" + schema pages, L2 = Salesforce LinkedIn CAPI connector limits,
 * [FIELD] = behaviour a third party measured against the live API).
 */
import { trimTrailingSlash } from '../shared/url.js';

/**
 * Versioned Marketing API (`LinkedIn-Version: YYYYMM`). Versions are sunset about a year after
 * release (L1 deprecation banners); Microsoft Learn serves the li-lms-2026-05 view, so 202605
 * exists and stays supported until about 2027-05. A connection may override it (`api_version`).
 */
export const LINKEDIN_API_VERSION = '202605';

/** Rest.li protocol version every versioned call must declare (L1). */
export const LINKEDIN_RESTLI_PROTOCOL_VERSION = '2.0.0';

export const LINKEDIN_DEFAULT_ORIGIN = 'https://api.linkedin.com';

/** Batch create takes up to 5,000 events (L2). */
export const LINKEDIN_MAX_EVENTS_PER_REQUEST = 5000;

/** LinkedIn refuses events older than 90 days (400 "…within 90 days…", L1, L2, [FIELD]). */
export const LINKEDIN_MAX_EVENT_AGE_SECONDS = 90 * 24 * 60 * 60;

/**
 * Events within this many seconds of the 90-day limit are refused by the mapper: they are mapped
 * now but reach LinkedIn a moment later.
 */
export const LINKEDIN_EVENT_AGE_MARGIN_SECONDS = 60;

/** A batch of 5,000 events is large; a timeout is retried (LinkedIn dedups on eventId with the tag only, UNCONFIRMED for CAPI-only resends). */
export const LINKEDIN_REQUEST_TIMEOUT_MS = 15_000;

/** Conversion rules created for the Conversions API are addressed by this URN (L1). */
export const LINKEDIN_CONVERSION_URN_PREFIX = 'urn:lla:llaPartnerConversion:';

/** Ad account roles that may send conversions (L1); VIEWER may not. */
export const LINKEDIN_CONVERSION_ROLES = ['ACCOUNT_BILLING_ADMIN', 'ACCOUNT_MANAGER', 'CAMPAIGN_MANAGER', 'CREATIVE_MANAGER'] as const;

/** `{origin}/rest/conversionEvents` — single create, or batch create with `X-RestLi-Method: BATCH_CREATE`. */
export function linkedinConversionEventsUrl(origin: string): string {
  return `${trimTrailingSlash(origin)}/rest/conversionEvents`;
}

/** The ad accounts the token's member has a role on (needs r_ads, which the Conversions API setup grants with rw_conversions, L1). */
export function linkedinAdAccountUsersUrl(origin: string): string {
  return `${trimTrailingSlash(origin)}/rest/adAccountUsers?q=authenticatedUser`;
}

/** `urn:lla:llaPartnerConversion:{id}` from either the URN or the bare numeric id. */
export function linkedinConversionUrn(rule: string): string {
  return rule.startsWith(LINKEDIN_CONVERSION_URN_PREFIX) ? rule : `${LINKEDIN_CONVERSION_URN_PREFIX}${rule}`;
}

/** Headers every versioned call carries (L1); `batch` adds the Rest.li batch-create method. */
export function linkedinHeaders(accessToken: string, version: string, opts: { batch?: boolean } = {}): Record<string, string> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${accessToken}`,
    'linkedin-version': version,
    'x-restli-protocol-version': LINKEDIN_RESTLI_PROTOCOL_VERSION,
  };
  if (opts.batch) {
    headers['content-type'] = 'application/json';
    headers['x-restli-method'] = 'BATCH_CREATE';
  }
  return headers;
}
