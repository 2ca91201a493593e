import { z } from 'zod';

export const tiktokSettings = z
  .object({
    pixel_code: z
      .string()
      .trim()
      // Pixel codes seen in TikTok's and integrators' samples are 20 upper-case letters and digits
      // (e.g. C4ABCDEFGH1234567890); the exact format is UNCONFIRMED, so the check is loose and
      // only catches pasted snippets, URLs and spaces.
      .regex(/^[A-Za-z0-9]{10,40}$/, 'must be the pixel code shown in TikTok Events Manager, letters and digits only, e.g. C4ABCDEFGH1234567890')
      .meta({ title: 'Pixel code' })
      .describe('TikTok Events Manager → Web events → your pixel: the pixel code (sent as event_source_id).'),
    access_token: z
      .string()
      .trim()
      .min(16, 'must be the Events API access token generated in TikTok Events Manager (it is a long string)')
      .regex(/^\S+$/, 'must not contain spaces: paste the access token exactly as TikTok shows it')
      .meta({ title: 'Events API access token', secret: true })
      .describe(
        'TikTok Events Manager → your pixel → Settings → Events API → Generate access token. Sent in the Access-Token header; LayerSync masks it in the admin and API and never logs it.',
      ),
    test_event_code: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be the code shown in TikTok Events Manager → Test events, e.g. TEST12345')
      .optional()
      .meta({ title: 'Test event code' })
      .describe(
        'Optional. Events then show up under Events Manager → Test events; remove the code when you go live (TikTok does not say whether test events also count in reporting). With a code, the connection test sends a real test event.',
      ),
  })
  .strict();

/** Settings of one TikTok connection, as validated by `tiktokSettings`. */
export type TiktokSettings = z.infer<typeof tiktokSettings>;
