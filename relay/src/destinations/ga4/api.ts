/**
 * GA4 Measurement Protocol: endpoints and the platform's documented limits. Facts come from
 * /work/shared/platforms/meta-ga4-googleads-tiktok.md §2 — G1 = MP reference, G2 = sending
 * events, G3 = validating events, G4 = use cases, G5 = user-provided data, G7 = event naming
 * rules, G8 = collection limits, G9 = recommended events. The Measurement Protocol is not
 * versioned (G1), so there is no API version constant.
 */
import { trimTrailingSlash } from '../shared/url.js';

/** Where events are collected. `eu` keeps collection in the EU (G1: region1 endpoint). */
export const GA4_ORIGINS = {
  global: 'https://www.google-analytics.com',
  eu: 'https://region1.google-analytics.com',
} as const;

export type Ga4Region = keyof typeof GA4_ORIGINS;

export const GA4_DEFAULT_ORIGIN = GA4_ORIGINS.global;

/** Production collection: answers 2xx whenever the HTTP request arrives, valid or not (G1). */
export const GA4_COLLECT_PATH = '/mp/collect';

/**
 * Validation server: same request, events are not processed and never reach reports; answers
 * `{"validationMessages":[…]}` (G3). It does not check the api_secret (G3). Whether the EU
 * origin also serves /debug/mp/collect is UNCONFIRMED (notes §2.1); we use the configured
 * origin so hashed user data never leaves the region the merchant chose.
 */
export const GA4_DEBUG_COLLECT_PATH = '/debug/mp/collect';

/** At most 25 events per request; extra events are ignored, not rejected (G1, notes §2.9). */
export const GA4_MAX_EVENTS_PER_REQUEST = 25;

/**
 * `timestamp_micros` may backdate an event by at most 72 hours (G1; G4 states the same window
 * for events exported to ad platforms). Older events are dropped silently by Google, so the
 * relay dead-letters them instead.
 */
export const GA4_MAX_EVENT_AGE_SECONDS = 72 * 60 * 60;

/**
 * The JSON body must be smaller than 130 kB (G1). Whether "kB" means 1,000 or 1,024 bytes is not
 * stated; 130,000 bytes is the safe reading.
 */
export const GA4_MAX_BODY_BYTES = 130_000;

/**
 * Google documents no latency for the Measurement Protocol; it answers without processing the
 * payload (G1), so a few seconds is plenty. A timed-out request is retried; GA4 has no generic
 * event-id deduplication (G6), so a retry after a timeout that Google did receive can duplicate
 * a non-purchase event. Purchases and refunds are deduplicated on transaction_id (G6).
 */
export const GA4_REQUEST_TIMEOUT_MS = 5_000;

/** Naming and size limits enforced locally so violations are recorded instead of silently dropped. */
export const GA4_LIMITS = {
  /** Event names: ≤ 40 characters (G7, G8). */
  eventNameLength: 40,
  /** ≤ 25 parameters per event (G8; MP reference limitations). */
  paramsPerEvent: 25,
  /** Parameter names, including item parameters: ≤ 40 characters (G8). */
  paramNameLength: 40,
  /** Parameter values: ≤ 100 characters for standard (non-360) properties (G8). */
  paramValueLength: 100,
  /** User-ID: ≤ 256 characters (G8). */
  userIdLength: 256,
} as const;

/**
 * Page parameters with longer documented limits: page_location 1,000, page_referrer 420,
 * page_title 300 characters (Google Analytics help "Automatically collected events" 9234069 and
 * G8's exceptions list).
 */
export const GA4_LONG_PARAM_LIMITS: Readonly<Record<string, number>> = {
  page_location: 1000,
  page_referrer: 420,
  page_title: 300,
};

/** Names of events and parameters: a letter, then letters, digits or underscores (G7). */
export const GA4_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]*$/;

/** Prefixes reserved for event and parameter names (G7). `_` is already excluded by the pattern. */
export const GA4_RESERVED_PREFIXES = ['_', 'firebase_', 'ga_', 'google_', 'gtag.'] as const;

/**
 * Event names Google reserves (MP reference "reserved event names", identical to the Firebase
 * SDK's list). Families written with a trailing `*` in the notes are matched as prefixes below.
 * The notes say the exact MP list "may differ slightly" from this compilation.
 */
export const GA4_RESERVED_EVENT_NAMES: ReadonlySet<string> = new Set([
  'ad_activeview',
  'ad_click',
  'ad_exposure',
  'ad_impression',
  'ad_query',
  'ad_reward',
  'adunit_exposure',
  'app_background',
  'app_clear_data',
  'app_exception',
  'app_remove',
  'app_store_refund',
  'app_store_subscription_cancel',
  'app_store_subscription_convert',
  'app_store_subscription_renew',
  'app_update',
  'app_upgrade',
  'error',
  'firebase_campaign',
  'first_open',
  'first_visit',
  'in_app_purchase',
  'os_update',
  'screen_view',
  'session_start',
  'session_start_with_rollout',
  'user_engagement',
]);

/** Reserved event-name families (`dynamic_link_*`, `firebase_in_app_message_*`, `notification_*`). */
export const GA4_RESERVED_EVENT_PREFIXES = ['dynamic_link_', 'firebase_in_app_message_', 'notification_'] as const;

/**
 * Parameter names reserved by G7. `session_id` and `engagement_time_msec` are still what the
 * Measurement Protocol expects us to send (G2) — the relay sets them itself — but a merchant's
 * custom property must not use any of these names.
 */
export const GA4_RESERVED_PARAM_NAMES: ReadonlySet<string> = new Set([
  'engagement_time_msec',
  'gclid',
  'session_id',
  'session_number',
]);

/** `{origin}/mp/collect?measurement_id=…&api_secret=…` (or the /debug variant). */
export function ga4CollectUrl(
  origin: string,
  measurementId: string,
  apiSecret: string,
  debug: boolean,
): string {
  // GA4 only accepts the secret as a query parameter (G1); the relay never logs request URLs and
  // scrubs the secret from every error it stores (see index.ts).
  const query = new URLSearchParams({ measurement_id: measurementId, api_secret: apiSecret });
  return `${trimTrailingSlash(origin)}${debug ? GA4_DEBUG_COLLECT_PATH : GA4_COLLECT_PATH}?${query.toString()}`;
}

/** Headers for every request. The secret is in the URL; nothing secret goes in a header. */
export const GA4_HEADERS: Readonly<Record<string, string>> = { 'content-type': 'application/json' };
