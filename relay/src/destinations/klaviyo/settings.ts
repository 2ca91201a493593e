import { z } from 'zod';

export const klaviyoSettings = z
  .object({
    private_api_key: z
      .string()
      .trim()
      .regex(/^pk_[A-Za-z0-9_]{10,}$/, 'must be a Klaviyo PRIVATE API key, which starts with pk_ (the 6-character public site ID will not work)')
      .meta({ title: 'Private API key', secret: true })
      .describe(
        'Klaviyo → Settings → API keys → Create Private API Key, with the Events scope set to Full (events:write). LayerSync masks it and never logs it.',
      ),
    profile_identifier: z
      .enum(['external_id', 'external_id_or_email_hash'])
      .default('external_id')
      .meta({ title: 'Profile identifier' })
      .describe(
        'Klaviyo files every event under a profile, found by email, phone number, external_id or its own ids. LayerSync never holds a readable email or phone — only SHA-256 hashes, which Klaviyo cannot use as an email or phone — so it identifies profiles by external_id: "external_id" sends the hash of your customer id (identity.external_id); "external_id_or_email_hash" falls back to the email hash when there is none. Such profiles are pseudonymous: Klaviyo cannot email them, and they merge with your other Klaviyo profiles only if those carry the same external_id. Events without the chosen identifier are not sent.',
      ),
    backfill_after_hours: z
      .number()
      .int()
      .min(1)
      .max(8760)
      .default(24)
      .meta({ title: 'Backfill after (hours)' })
      .describe(
        'Events that reach Klaviyo more than this many hours after they happened (a queue that was paused, a replay) are sent with backfill: true, so they are recorded without triggering flows a second time or too late.',
      ),
    revision: z
      .string()
      .trim()
      .regex(/^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/, 'must be a Klaviyo API revision as YYYY-MM-DD, e.g. 2026-04-15')
      .optional()
      .meta({ title: 'API revision' })
      .describe('Optional. The Klaviyo revision header. Leave empty to use the revision this relay was built and tested for.'),
  })
  .strict();

/** Settings of one Klaviyo connection, as validated by `klaviyoSettings` (defaults applied). */
export type KlaviyoSettings = z.infer<typeof klaviyoSettings>;
