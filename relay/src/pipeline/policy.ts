/**
 * A site's privacy policy: how the consent gate reads (or misses) each event's consent snapshot.
 * Stored per site (`store.setSitePolicy`), read by the delivery worker at send time, so a change
 * applies to every delivery not yet sent — including retries and server events that arrive later.
 *
 * Wire/JSON shape (admin API, CLI), snake_case like the event contract:
 *
 * ```json
 * { "default_denied": true,
 *   "ldu": { "enabled": true, "country": "US", "state": "CA" },
 *   "do_not_sell_mode": "limited",
 *   "purposes": { "webhook": ["analytics_storage"] } }
 * ```
 */
import { z } from 'zod';

export const CONSENT_PURPOSES = ['ad_storage', 'analytics_storage', 'ad_user_data', 'ad_personalization'] as const;
export type ConsentPurpose = (typeof CONSENT_PURPOSES)[number];

export const DO_NOT_SELL_MODES = ['drop', 'limited'] as const;
export type DoNotSellMode = (typeof DO_NOT_SELL_MODES)[number];

const countryCode = z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code in upper case, e.g. US');
const stateCode = z.string().regex(/^[A-Z0-9]{1,3}$/, 'must be an ISO 3166-2 subdivision code without the country, e.g. CA');

export const sitePolicySchema = z
  .object({
    default_denied: z
      .boolean()
      .default(false)
      .describe('true: an event without a consent snapshot counts as every purpose denied. false: it is sent (the sender is responsible).'),
    ldu: z
      .object({
        enabled: z.boolean().default(false).describe('Flag every event to platforms that support it with Limited Data Use / restricted processing.'),
        country: countryCode.optional().describe('Default LDU country when the event has no consent.ldu (Meta: US = 1, other = 0 geolocate).'),
        state: stateCode.optional().describe('Default LDU state when the event has no consent.ldu (Meta: CA = 1000).'),
      })
      .strict()
      .default({ enabled: false })
      .describe('Limited Data Use for the whole site.'),
    do_not_sell_mode: z
      .enum(DO_NOT_SELL_MODES)
      .default('limited')
      .describe('What an event with consent.do_not_sell = true does at ads destinations: drop it, or send it with Limited Data Use flags (where the platform has none, it is dropped).'),
    purposes: z
      .record(z.string().regex(/^[a-z0-9_-]{1,40}$/, 'must be a destination slug'), z.array(z.enum(CONSENT_PURPOSES)).max(4))
      .default({})
      .describe('Per destination slug: the consent purposes that must be granted, replacing the built-in default (webhook: none).'),
  })
  .strict();

export type SitePolicy = z.output<typeof sitePolicySchema>;
export type SitePolicyInput = z.input<typeof sitePolicySchema>;

/** The policy of a site that never set one. */
export const DEFAULT_SITE_POLICY: SitePolicy = sitePolicySchema.parse({});

/** Parses a stored or submitted policy, filling defaults; throws a ZodError on a bad one. */
export function parseSitePolicy(input: unknown): SitePolicy {
  return sitePolicySchema.parse(input);
}
