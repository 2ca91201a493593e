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
  .describe('GA4-style standard name, or custom:<name>.');

export const contextSchema = z
  .object({
    url: z.string().url().max(2048).optional().describe('Page URL where the event happened.'),
    referrer: z.string().max(2048).optional().describe('Referrer URL.'),
    user_agent: z.string().max(512).optional().describe('Browser user agent.'),
    ip: z.union([z.ipv4(), z.ipv6()]).optional().describe('Client IP as seen by WordPress (possibly anonymized).'),
    ip_anonymized: z.boolean().optional().describe('True when the last octet(s) of ip were zeroed by the site.'),
    locale: z.string().max(35).optional().describe('BCP 47 locale, e.g. en-US.'),
  })
  .strict();

const clickId = shortText(512);

export const identitySchema = z
  .object({
    em: sha256Hex.optional().describe('SHA-256 of the trimmed, lowercased email.'),
    ph: sha256Hex.optional().describe('SHA-256 of the phone as E.164 digits without "+".'),
    fn: sha256Hex.optional().describe('SHA-256 of the lowercased first name.'),
    ln: sha256Hex.optional().describe('SHA-256 of the lowercased last name.'),
    ge: sha256Hex.optional().describe('SHA-256 of "f" or "m".'),
    db: sha256Hex.optional().describe('SHA-256 of the birth date as YYYYMMDD.'),
    ct: sha256Hex.optional().describe('SHA-256 of the lowercased city without spaces.'),
    st: sha256Hex.optional().describe('SHA-256 of the lowercased 2-letter state code.'),
    zp: sha256Hex.optional().describe('SHA-256 of the lowercased postal code without spaces.'),
    country: sha256Hex.optional().describe('SHA-256 of the lowercased ISO 3166-1 alpha-2 country.'),
    external_id: sha256Hex.optional().describe('SHA-256 of the site\'s own customer/visitor id.'),
    fbp: clickId.optional().describe('Meta browser id (_fbp cookie).'),
    fbc: clickId.optional().describe('Meta click id (_fbc cookie or fb.1.<ts>.<fbclid>).'),
    gclid: clickId.optional(),
    gbraid: clickId.optional(),
    wbraid: clickId.optional(),
    ttclid: clickId.optional(),
    ttp: clickId.optional(),
    epik: clickId.optional(),
    scid: clickId.optional(),
    rdt_cid: clickId.optional(),
    rdt_uuid: clickId.optional(),
    twclid: clickId.optional(),
    li_fat_id: clickId.optional(),
    ga_client_id: clickId.optional().describe('GA4 client id from the _ga cookie.'),
    ga_session_id: clickId.optional().describe('GA4 session id from the _ga_<id> cookie.'),
  })
  .strict();

export const itemSchema = z
  .object({
    id: shortText(128),
    name: z.string().max(256).optional(),
    price: z.number().finite().optional(),
    quantity: z.number().int().positive().max(1_000_000).optional(),
    category: z.string().max(256).optional(),
    variant: z.string().max(256).optional(),
    brand: z.string().max(256).optional(),
  })
  .strict();

export const commerceSchema = z
  .object({
    order_id: shortText(128).optional(),
    value: z.number().finite().optional(),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code in upper case, e.g. EUR')
      .optional(),
    tax: z.number().finite().optional(),
    shipping: z.number().finite().optional(),
    coupon: z.string().max(128).optional(),
    items: z.array(itemSchema).max(200).optional(),
  })
  .strict()
  .refine((c) => c.value === undefined || c.currency !== undefined, {
    message: 'currency is required when value is set',
    path: ['currency'],
  });

const consentState = z.enum(['granted', 'denied']);

export const consentSchema = z
  .object({
    ad_storage: consentState,
    analytics_storage: consentState,
    ad_user_data: consentState,
    ad_personalization: consentState,
    do_not_sell: z.boolean().default(false),
  })
  .strict()
  .describe('Consent snapshot taken when the event happened; enforced per destination at send time.');

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
    source: z.enum(['browser', 'server', 'webhook', 'sdk']),
    context: contextSchema.default({}),
    identity: identitySchema.default({}),
    commerce: commerceSchema.optional(),
    consent: consentSchema.optional().describe('Missing consent is treated as the site default.'),
    properties: z.record(z.string().max(64), propertyValue).optional(),
  })
  .strict();

export type CanonicalEvent = z.output<typeof canonicalEventSchema>;
export type CanonicalEventInput = z.input<typeof canonicalEventSchema>;

/** The ingest body: a non-empty batch. Events are validated one by one so one bad event does not sink the batch. */
export const MAX_EVENTS_PER_REQUEST = 500;
export const ingestEnvelopeSchema = z
  .object({
    events: z.array(z.unknown()).min(1, 'events must contain at least one event').max(MAX_EVENTS_PER_REQUEST, `events may hold at most ${MAX_EVENTS_PER_REQUEST} events per request; split the batch`),
  })
  .strict();
