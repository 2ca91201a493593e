import { z } from 'zod';
import { eventNameSchema } from '../../contract/event.js';

/** A LayerSync event name (`purchase`, `custom:<name>`) used as a settings key. */
const eventNameKey = z
  .string()
  .refine((k) => eventNameSchema.safeParse(k).success, {
    message: 'must be a LayerSync event name such as purchase, lead or custom:<name>',
  });

const conversionRule = z
  .string()
  .trim()
  .regex(
    /^(urn:lla:llaPartnerConversion:)?\d{1,19}$/,
    'must be the conversion rule URN urn:lla:llaPartnerConversion:<id> (or just its numeric id) from LinkedIn Campaign Manager → Analyze → Conversion tracking',
  );

export const linkedinSettings = z
  .object({
    access_token: z
      .string()
      .trim()
      .min(20, 'must be the OAuth 2.0 access token LinkedIn issued for the Conversions API (a long string)')
      .regex(/^\S+$/, 'must not contain spaces: paste the access token exactly as LinkedIn issued it')
      .meta({ title: 'Access token', secret: true })
      .describe(
        'A 3-legged OAuth 2.0 access token with the rw_conversions and r_ads scopes, issued to a member who is Account Billing Admin, Account Manager, Campaign Manager or Creative Manager of the ad account. LinkedIn tokens expire (commonly after 60 days): when LinkedIn refuses it, LayerSync pauses the connection until you paste a new one. LayerSync masks it and never logs it.',
      ),
    conversion_rules: z
      .record(eventNameKey, conversionRule)
      .refine((rules) => Object.keys(rules).length > 0, {
        message: 'add at least one conversion rule, e.g. {"purchase": "urn:lla:llaPartnerConversion:123"}',
      })
      .meta({ title: 'Conversion rules' })
      .describe(
        'One Conversions API conversion rule per LayerSync event, e.g. {"purchase": "urn:lla:llaPartnerConversion:123", "lead": "urn:lla:llaPartnerConversion:456"}. Create each rule in Campaign Manager with the Conversions API as its data source (a rule used by the Insight Tag needs a separate Conversions API rule). Events without a rule are stored but not sent to LinkedIn.',
      ),
    api_version: z
      .string()
      .trim()
      .regex(/^20\d{2}(0[1-9]|1[0-2])$/, 'must be a LinkedIn Marketing API version as YYYYMM, e.g. 202605')
      .optional()
      .meta({ title: 'LinkedIn API version' })
      .describe(
        'Optional. The LinkedIn-Version header (YYYYMM). Leave empty to use the version this relay was built and tested for; set it only when LinkedIn announces the built-in version is being sunset and the relay cannot be updated yet.',
      ),
  })
  .strict();

/** Settings of one LinkedIn connection, as validated by `linkedinSettings`. */
export type LinkedinSettings = z.infer<typeof linkedinSettings>;
