import { z } from 'zod';

export const metaSettings = z
  .object({
    pixel_id: z
      .string()
      .trim()
      .regex(/^\d{5,20}$/, 'must be the numeric Pixel (dataset) ID shown in Meta Events Manager, e.g. 1234567890123456')
      .meta({ title: 'Pixel ID' })
      .describe('The Pixel (dataset) ID from Meta Events Manager → Data sources. Digits only.'),
    access_token: z
      .string()
      .trim()
      .min(20, 'must be the Conversions API access token generated in Meta Events Manager (it is a long string)')
      .regex(/^\S+$/, 'must not contain spaces: paste the access token exactly as Meta shows it')
      .meta({ title: 'Conversions API access token', secret: true })
      .describe(
        'Events Manager → your pixel → Settings → Conversions API → Generate access token. LayerSync masks it in the admin and API and never logs it.',
      ),
    test_event_code: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be the code shown in Events Manager → Test events, e.g. TEST12345')
      .optional()
      .meta({ title: 'Test event code' })
      .describe(
        'Optional. Events then show up under Events Manager → Test events. Meta still processes them like real events, so remove the code when you go live.',
      ),
  })
  .strict();

/** Settings of one Meta connection, as validated by `metaSettings`. */
export type MetaSettings = z.infer<typeof metaSettings>;
