/**
 * The canonical LayerSync event, defined once. Everything else — the JSON Schema the PHP plugin
 * and the tracker test against, TypeScript types, the OpenAPI document — is derived from here.
 */
import { z } from 'zod';

/** GA4-style event names that every destination knows how to map. */
export const STANDARD_EVENT_NAMES = [
  'page_view',
  'view_item',
  'view_item_list',
  'search',
  'add_to_cart',
  'remove_from_cart',
  'view_cart',
  'begin_checkout',
  'add_shipping_info',
  'add_payment_info',
  'purchase',
  'refund',
  'lead',
  'sign_up',
  'subscribe',
  'start_trial',
] as const;

export type StandardEventName = (typeof STANDARD_EVENT_NAMES)[number];

const sha256Hex = z
  .string()
  .regex(/^[a-f0-9]{64}$/, 'must be a SHA-256 hash: 64 lowercase hex characters (hash the normalized value before sending)');

const shortText = (max: number) => z.string().min(1).max(max);

export const EVENT_SOURCES = ['browser', 'server', 'webhook', 'sdk'] as const;
export type EventSource = (typeof EVENT_SOURCES)[number];

export const eventIdSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/,
    'must be 1-128 characters of letters, digits, ".", "_", ":" or "-" (a UUIDv7 or a deterministic order id)',
  )
  .describe('Unique id shared by every copy of this event (browser pixel, server, SDK): the dedup key.');

export const eventNameSchema = z
  .union([
    z.enum(STANDARD_EVENT_NAMES),
    z
      .string()
      .regex(/^custom:[A-Za-z0-9_]{1,40}$/, 'custom events are named "custom:<name>" with 1-40 letters, digits or "_"'),
  ])
  .describe(
    'GA4-style standard name (page_view, view_item, view_item_list, search, add_to_cart, remove_from_cart, view_cart, begin_checkout, add_shipping_info, add_payment_info, purchase, refund, lead, sign_up, subscribe, start_trial), or custom:<name>.',
  );

export const contextSchema = z
  .object({
    url: z.string().url().max(2048).optional().describe('Page URL where the event happened (Meta event_source_url, GA4 page_location).'),
    referrer: z.string().max(2048).optional().describe('Referrer URL of that page.'),
    user_agent: z.string().max(512).optional().describe('The visitor\'s browser user agent (not the server\'s).'),
    ip: z
      .union([z.ipv4(), z.ipv6()])
      .optional()
      .describe('The visitor\'s IP as seen by WordPress or the SDK, possibly anonymized. Normalization: IPv4 dotted or IPv6; strip an ::ffff: prefix.'),
    ip_anonymized: z.boolean().optional().describe('True when the site zeroed the last octet(s) of ip before sending it.'),
    locale: z.string().max(35).optional().describe('BCP 47 locale of the page or visitor, e.g. en-US.'),
  })
  .strict()
  .describe('Where and on what the event happened.');

const clickId = shortText(512);

/**
 * Descriptions follow one convention the README table generator relies on:
 * "<meaning>. Normalization: <rule>." — the part after "Normalization:" goes into its own column.
 */
export const identitySchema = z
  .object({
    em: sha256Hex.optional().describe('SHA-256 of the email (Meta, TikTok, Pinterest, Snapchat, LinkedIn, X, Klaviyo). Normalization: trim, lowercase; must contain "@".'),
    em_google: sha256Hex
      .optional()
      .describe(
        'SHA-256 of the email normalized Google\'s way (Google Ads, GA4 user_data). Normalization: as em; then for gmail.com and googlemail.com remove every "." in the local part and drop "+" and everything after it up to "@".',
      ),
    em_reddit: sha256Hex
      .optional()
      .describe('SHA-256 of the email normalized Reddit\'s way (Reddit CAPI). Normalization: as em; then, for every domain, remove every "." in the local part and drop "+" and everything after it up to "@".'),
    ph: sha256Hex.optional().describe('SHA-256 of the phone number (Meta, Pinterest, Snapchat). Normalization: E.164 digits without "+", e.g. 16505551212 (see docs/CONTRACT.md for national numbers).'),
    ph_e164: sha256Hex
      .optional()
      .describe('SHA-256 of the phone number with its plus (Google Ads, GA4, TikTok, Reddit, X). Normalization: "+" followed by the E.164 digits of ph, e.g. +16505551212.'),
    fn: sha256Hex.optional().describe('SHA-256 of the first name. Normalization: trim, lowercase, keep only letters, marks and digits (Unicode kept).'),
    ln: sha256Hex.optional().describe('SHA-256 of the last name. Normalization: as fn.'),
    ge: sha256Hex.optional().describe('SHA-256 of the gender. Normalization: "f" or "m" (first letter, lowercase); anything else is not sent.'),
    db: sha256Hex.optional().describe('SHA-256 of the birth date. Normalization: YYYYMMDD.'),
    ct: sha256Hex.optional().describe('SHA-256 of the city. Normalization: as fn (New York → newyork).'),
    st: sha256Hex.optional().describe('SHA-256 of the state or region. Normalization: as fn; a 2-letter code where the country has one (CA → ca).'),
    zp: sha256Hex.optional().describe('SHA-256 of the postal code. Normalization: lowercase, remove spaces and dashes; US: first 5 digits.'),
    country: sha256Hex.optional().describe('SHA-256 of the country. Normalization: ISO 3166-1 alpha-2, lowercase (us).'),
    external_id: sha256Hex.optional().describe('SHA-256 of the site\'s own customer or visitor id. Normalization: trim.'),
    fbp: clickId.optional().describe('Meta browser id: the _fbp cookie. Normalization: as read, unhashed.'),
    fbc: clickId.optional().describe('Meta click id: the _fbc cookie, or fb.1.<ms timestamp>.<fbclid> built from the landing URL. Normalization: as read, unhashed.'),
    gclid: clickId.optional().describe('Google Ads click id (gclid URL parameter or _gcl_aw cookie). Normalization: as read, unhashed.'),
    gbraid: clickId.optional().describe('Google Ads app-to-web click id (gbraid URL parameter). Normalization: as read, unhashed.'),
    wbraid: clickId.optional().describe('Google Ads web-to-app click id (wbraid URL parameter). Normalization: as read, unhashed.'),
    ttclid: clickId.optional().describe('TikTok click id (ttclid URL parameter). Normalization: as read, unhashed.'),
    ttp: clickId.optional().describe('TikTok browser id: the _ttp cookie. Normalization: as read, unhashed.'),
    epik: clickId.optional().describe('Pinterest click id (epik URL parameter or _epik cookie). Normalization: as read, unhashed.'),
    scid: clickId.optional().describe('Snapchat click id (ScCid URL parameter). Normalization: as read, unhashed.'),
    sc_cookie1: clickId.optional().describe('Snapchat browser id (the _scid first-party cookie), sent as Snap\'s sc_cookie1. Normalization: as read, unhashed.'),
    rdt_cid: clickId.optional().describe('Reddit click id (rdt_cid URL parameter). Normalization: as read, unhashed.'),
    rdt_uuid: clickId.optional().describe('Reddit browser id: the _rdt_uuid cookie. Normalization: as read, unhashed.'),
    twclid: clickId.optional().describe('X (Twitter) click id (twclid URL parameter or _twclid cookie). Normalization: as read, unhashed.'),
    li_fat_id: clickId.optional().describe('LinkedIn click id (li_fat_id URL parameter or cookie). Normalization: as read, unhashed.'),
    ga_client_id: clickId.optional().describe('GA4 client id from the _ga cookie, e.g. 1234567890.1700000000. Normalization: the last two dot-separated parts of the cookie value.'),
    ga_session_id: clickId.optional().describe('GA4 session id from the _ga_<stream id> cookie. Normalization: the session timestamp part of the cookie value.'),
  })
  .strict()
  .describe('Who did it: personal data only as SHA-256 of the normalized value; click and browser ids as read.');

export const itemSchema = z
  .object({
    id: shortText(128).describe('Product id or SKU, as in the product feed.'),
    name: z.string().max(256).optional().describe('Product name.'),
    price: z.number().finite().optional().describe('Unit price in commerce.currency (major units, e.g. 19.99).'),
    quantity: z.number().int().positive().max(1_000_000).optional().describe('Number of units.'),
    category: z.string().max(256).optional().describe('Product category, e.g. "Apparel > Shirts".'),
    variant: z.string().max(256).optional().describe('Variant, e.g. "blue / XL".'),
    brand: z.string().max(256).optional().describe('Brand.'),
  })
  .strict()
  .describe('One product line.');

export const commerceSchema = z
  .object({
    order_id: shortText(128)
      .optional()
      .describe('The store\'s order id. purchase and refund events are also deduplicated by it (see relay/README.md).'),
    value: z.number().finite().optional().describe('Total value in currency (major units); for purchase the order total, for refund the refunded amount.'),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code in upper case, e.g. EUR')
      .optional()
      .describe('ISO 4217 currency code, upper case (EUR). Required when value is set.'),
    tax: z.number().finite().optional().describe('Tax included in value.'),
    shipping: z.number().finite().optional().describe('Shipping cost included in value.'),
    coupon: z.string().max(128).optional().describe('Coupon code(s) used, comma-separated.'),
    items: z.array(itemSchema).max(200).optional().describe('Product lines, at most 200.'),
  })
  .strict()
  .refine((c) => c.value === undefined || c.currency !== undefined, {
    message: 'currency is required when value is set',
    path: ['currency'],
  })
  .describe('What was bought, added or refunded.');

const consentState = z.enum(['granted', 'denied']);

export const lduRegionSchema = z
  .object({
    country: z
      .string()
      .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code in upper case, e.g. US')
      .optional()
      .describe('ISO 3166-1 alpha-2 country of the visitor, upper case (US).'),
    state: z
      .string()
      .regex(/^[A-Z0-9]{1,3}$/, 'must be the ISO 3166-2 subdivision code without the country, upper case, e.g. CA')
      .optional()
      .describe('ISO 3166-2 subdivision of the visitor without the country prefix, upper case (CA for California).'),
  })
  .strict()
  .describe(
    'The visitor\'s region for Limited Data Use (Meta data_processing_options, Reddit/TikTok/Pinterest restricted processing), when the site knows it (geo-IP or CMP). Omit to let the site policy or the platform decide.',
  );

export const consentSchema = z
  .object({
    ad_storage: consentState.describe('Consent Mode v2 ad_storage: ad cookies and click/browser ids may be used.'),
    analytics_storage: consentState.describe('Consent Mode v2 analytics_storage: analytics (GA4) may measure the visit.'),
    ad_user_data: consentState.describe('Consent Mode v2 ad_user_data: personal data (hashed identifiers) may be sent to ad platforms.'),
    ad_personalization: consentState.describe('Consent Mode v2 ad_personalization: data may be used for ad personalization and remarketing.'),
    do_not_sell: z
      .boolean()
      .default(false)
      .describe('The visitor opted out of sale/sharing (CCPA/CPRA, GPC signal). The site policy decides: drop, or send with Limited Data Use flags.'),
    ldu: lduRegionSchema.optional(),
  })
  .strict()
  .describe('Consent snapshot taken when the event happened; enforced per destination at send time. Server events that happen later (paid, refund, renewal) carry the snapshot the browser had.');

export const DEFAULT_DENIED_CONSENT = {
  ad_storage: 'denied',
  analytics_storage: 'denied',
  ad_user_data: 'denied',
  ad_personalization: 'denied',
  do_not_sell: false,
} as const satisfies z.input<typeof consentSchema>;

export const propertyValue = z.union([z.string().max(1024), z.number().finite(), z.boolean(), z.null()]);

export const canonicalEventSchema = z
  .object({
    event_id: eventIdSchema,
    event_name: eventNameSchema,
    event_time: z
      .number()
      .int()
      .positive()
      // 9,999,999,999 s is the year 2286; anything larger is almost surely milliseconds.
      .max(9_999_999_999, 'must be unix seconds, not milliseconds (divide by 1000)')
      .describe('Unix time in seconds when the event happened.'),
    source: z
      .enum(EVENT_SOURCES)
      .describe('Who sent this copy: browser (tracker via WordPress), server (WordPress/WooCommerce hooks), webhook (payment or form webhooks), sdk (Node SDK). The browser and server halves of one event share its event_id and are merged.'),
    context: contextSchema.default({}),
    identity: identitySchema.default({}),
    commerce: commerceSchema.optional(),
    consent: consentSchema.optional(),
    properties: z
      .record(z.string().max(64), propertyValue)
      .optional()
      .describe('Any other scalar parameters (string, number, boolean, null), e.g. search_term, form id, content_type.'),
  })
  .strict()
  .describe('One LayerSync event (docs/CONTRACT.md). A missing consent snapshot is treated as the site policy says (default_denied).');

export type CanonicalEvent = z.output<typeof canonicalEventSchema>;
export type CanonicalEventInput = z.input<typeof canonicalEventSchema>;

/** The ingest body: a non-empty batch. Events are validated one by one so one bad event does not sink the batch. */
export const MAX_EVENTS_PER_REQUEST = 500;
export const ingestEnvelopeSchema = z
  .object({
    events: z.array(z.unknown()).min(1, 'events must contain at least one event').max(MAX_EVENTS_PER_REQUEST, `events may hold at most ${MAX_EVENTS_PER_REQUEST} events per request; split the batch`),
  })
  .strict();
