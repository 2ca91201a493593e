/**
 * Google Ads destination settings. Credentials carry `.meta({ secret: true })` so the admin API
 * masks them and the relay redacts them from stored errors (see ../secrets.ts).
 */
import { z } from 'zod';
import { eventNameSchema } from '../../contract/event.js';
import { CONVERSION_ACTION_RESOURCE, GOOGLE_ADS_OAUTH_SCOPE } from './api.js';

/** Google shows ids as 123-456-7890; the API wants the 10 digits. Idempotent, so stored settings re-parse. */
const customerIdSchema = z
  .string()
  .trim()
  .transform((s) => s.replace(/-/g, ''))
  .pipe(z.string().regex(/^\d{10}$/, 'must be a 10-digit Google Ads customer ID, e.g. 123-456-7890'));

/** A conversion action id ("123456789") or resource name ("customers/1234567890/conversionActions/123456789"). */
const conversionActionRef = z
  .string()
  .trim()
  .refine((s) => /^\d+$/.test(s) || CONVERSION_ACTION_RESOURCE.test(s), {
    message: 'must be a conversion action ID (digits) or a resource name customers/<id>/conversionActions/<id>',
  });

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const secret = (description: string) => z.string().trim().min(1).meta({ secret: true, description });

export const googleAdsSettingsSchema = z.object({
  customer_id: customerIdSchema.describe('Google Ads account (customer) that owns the conversion actions; dashes are removed.'),
  login_customer_id: customerIdSchema
    .optional()
    .describe('Manager (MCC) account ID when access to customer_id goes through a manager account; sent as login-customer-id.'),
  developer_token: secret(
    'Google Ads API developer token. Optional: Google sunset developer tokens on 2026-09-09 (the header is now ignored and ' +
      'API access belongs to the Google Cloud project of the OAuth client); sent only when set.',
  ).optional(),
  client_id: z.string().trim().min(1).describe('OAuth 2.0 client ID of the Google Cloud project.'),
  client_secret: secret('OAuth 2.0 client secret.'),
  refresh_token: secret(`OAuth 2.0 refresh token with the ${GOOGLE_ADS_OAUTH_SCOPE} scope.`),
  conversion_actions: z
    .record(z.string(), conversionActionRef)
    .superRefine((map, ctx) => {
      for (const key of Object.keys(map)) {
        if (!eventNameSchema.safeParse(key).success) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `"${key}" is not a LayerSync event name (e.g. purchase, lead, custom:<name>)`,
          });
        }
      }
    })
    .describe(
      'Conversion action per LayerSync event name, e.g. {"purchase": "123", "lead": "456"}. Events without an action are not ' +
        'sent. Refunds adjust the action of "refund" when set, else the one of "purchase".',
    ),
  conversion_timezone: z
    .string()
    .trim()
    .default('UTC')
    .refine(isTimeZone, { message: 'must be an IANA time zone such as Europe/Berlin or America/New_York' })
    .describe(
      'IANA time zone used to write conversion_date_time (Google requires an offset). Use the Google Ads account time ' +
        'zone so conversions land on the same day as in Google Ads reports.',
    ),
  validate_only: z
    .boolean()
    .default(false)
    .describe('Send with validate_only: Google checks every conversion but records nothing (for setup and testing).'),
  leads_use_enhanced_conversions: z
    .boolean()
    .default(false)
    .describe(
      'Use Enhanced Conversions for Leads: lead events are uploaded with hashed email/phone even without a click id, ' +
        'and every conversion carries those identifiers (only with ad_user_data consent). Requires enhanced ' +
        'conversions for leads to be on and the customer data terms accepted in Google Ads; when off, no user data is sent.',
    ),
});

export type GoogleAdsSettings = z.output<typeof googleAdsSettingsSchema>;
export type GoogleAdsSettingsInput = z.input<typeof googleAdsSettingsSchema>;
