import { z } from 'zod';
import { eventNameSchema } from '../../contract/event.js';

const eventNameKey = z
  .string()
  .refine((k) => eventNameSchema.safeParse(k).success, {
    message: 'must be a LayerSync event name such as purchase, lead or custom:<name>',
  });

const credential = (title: string, what: string) =>
  z
    .string()
    .trim()
    .min(10, `must be the ${what} from the X developer portal (it is a long string)`)
    .regex(/^\S+$/, `must not contain spaces: paste the ${what} exactly as X shows it`)
    .meta({ title, secret: true });

export const xSettings = z
  .object({
    consumer_key: credential('API key (consumer key)', 'API key').describe(
      'Your Ads API app\'s API key (consumer key), developer portal → Projects & Apps → your app → Keys and tokens.',
    ),
    consumer_secret: credential('API key secret (consumer secret)', 'API key secret').describe(
      'The app\'s API key secret. LayerSync masks it and never logs it.',
    ),
    access_token: credential('Access token', 'access token').describe(
      'A user access token for a handle with AD_MANAGER or ACCOUNT_ADMIN access to the ad account (the app owner\'s own token from the developer portal, or one obtained with 3-legged OAuth).',
    ),
    access_token_secret: credential('Access token secret', 'access token secret').describe(
      'The secret that belongs to the access token. LayerSync masks it and never logs it.',
    ),
    pixel_id: z
      .string()
      .trim()
      .regex(/^[a-z0-9]{3,12}$/, 'must be the base-36 Base Tag (pixel) ID from X Events Manager, e.g. o8z6j')
      .meta({ title: 'Pixel (Base Tag) ID' })
      .describe('The Base Tag ID of the ad account, shown in X Ads → Tools → Events Manager, e.g. o8z6j.'),
    event_ids: z
      .record(
        eventNameKey,
        z
          .string()
          .trim()
          .regex(/^(tw-[a-z0-9]+-)?[a-z0-9]+$/, 'must be the event ID from X Events Manager, e.g. o87ne or tw-o8z6j-o87ne'),
      )
      .refine((ids) => Object.keys(ids).length > 0, { message: 'add at least one event, e.g. {"purchase": "o87ne"}' })
      .meta({ title: 'Event IDs' })
      .describe(
        'X\'s own ID of the event created for each LayerSync event in Events Manager, e.g. {"purchase": "o87ne", "lead": "o87nf"}. In X\'s API this is the conversion\'s "event_id"; LayerSync\'s own event id travels as "conversion_id", which the X pixel must be given too for deduplication. Events without an entry are stored but not sent.',
      ),
  })
  .strict();

/** Settings of one X connection, as validated by `xSettings`. */
export type XSettings = z.infer<typeof xSettings>;
