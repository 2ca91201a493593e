import { z } from 'zod';

export const snapchatSettings = z
  .object({
    pixel_id: z
      .string()
      .trim()
      .toLowerCase()
      .regex(
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
        'must be the Snap Pixel ID shown in Snapchat Ads Manager → Events Manager, e.g. 1ec32188-754e-4be2-8e55-c949a984a39f',
      )
      .meta({ title: 'Snap Pixel ID' })
      .describe('Snapchat Ads Manager → Events Manager → your Snap Pixel. A UUID such as 1ec32188-754e-4be2-8e55-c949a984a39f.'),
    access_token: z
      .string()
      .trim()
      .min(20, 'must be the Conversions API token generated in Snapchat Ads Manager (it is a long string)')
      .regex(/^\S+$/, 'must not contain spaces: paste the Conversions API token exactly as Snapchat shows it')
      .meta({ title: 'Conversions API token', secret: true })
      .describe(
        'A long-lived Conversions API token generated in Snapchat Ads Manager by the organization that owns the pixel. Snap requires it in the request URL, so LayerSync removes it from every log line and stored error.',
      ),
    test_mode: z
      .boolean()
      .default(false)
      .meta({ title: 'Test mode' })
      .describe(
        'Sends events to Snap\'s validation endpoint (/events/validate) instead: Snap checks each event and shows it under Events Manager → Test Events, but records no conversion. Turn it off to go live.',
      ),
  })
  .strict();

/** Settings of one Snapchat connection, as validated by `snapchatSettings`. */
export type SnapchatSettings = z.infer<typeof snapchatSettings>;
