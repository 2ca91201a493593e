import { z } from 'zod';

export const pinterestSettings = z
  .object({
    ad_account_id: z
      .string()
      .trim()
      .regex(/^\d{1,18}$/, 'must be the numeric ad account ID shown in Pinterest Ads Manager (up to 18 digits), e.g. 549755885175')
      .meta({ title: 'Ad account ID' })
      .describe('Pinterest Ads Manager → the account menu at the top left shows the ad account ID. Digits only.'),
    access_token: z
      .string()
      .trim()
      .min(16, 'must be the conversion access token generated in Pinterest Ads Manager (it is a long string)')
      .regex(/^\S+$/, 'must not contain spaces: paste the conversion access token exactly as Pinterest shows it')
      .meta({ title: 'Conversion access token', secret: true })
      .describe(
        'Ads Manager → Conversions → Conversion access token → Generate new token. An OAuth token with the ads:write scope works too. LayerSync masks it in the admin and API and never logs it.',
      ),
    test_mode: z
      .boolean()
      .default(false)
      .meta({ title: 'Test mode' })
      .describe(
        'Sends every request with ?test=true: Pinterest checks the events and answers as usual but records none of them. Turn it off to go live, or no conversion is counted.',
      ),
  })
  .strict();

/** Settings of one Pinterest connection, as validated by `pinterestSettings`. */
export type PinterestSettings = z.infer<typeof pinterestSettings>;
