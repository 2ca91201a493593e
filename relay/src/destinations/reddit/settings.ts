import { z } from 'zod';

export const redditSettings = z
  .object({
    pixel_id: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9_]{2,64}$/, 'must be the Reddit Pixel ID shown in Reddit Ads Manager → Events Manager, e.g. a2_abc123xyz')
      .meta({ title: 'Pixel ID' })
      .describe(
        'Reddit Ads Manager → Events Manager → your pixel. Conversions API v3 is addressed by this Pixel ID (older integrations call it the ad account ID; the format of the ID is UNCONFIRMED beyond letters, digits and "_").',
      ),
    access_token: z
      .string()
      .trim()
      .min(20, 'must be the conversion access token generated in Reddit Ads Manager (it is a long string)')
      .regex(/^\S+$/, 'must not contain spaces: paste the conversion access token exactly as Reddit shows it')
      .meta({ title: 'Conversion access token', secret: true })
      .describe(
        'Reddit Ads Manager → Events Manager → Conversions API → Generate access token. Tokens made for the v2.0 API keep working. LayerSync masks it in the admin and API and never logs it.',
      ),
    test_id: z
      .string()
      .trim()
      .min(1)
      .max(128)
      .optional()
      .meta({ title: 'Event Testing ID' })
      .describe(
        'Optional. The test ID from Events Manager → Event Testing: events then appear there within seconds. Reddit shows one event per request only, and allows 10 test events per second. Remove it before going live.',
      ),
  })
  .strict();

/** Settings of one Reddit connection, as validated by `redditSettings`. */
export type RedditSettings = z.infer<typeof redditSettings>;
