import { z } from 'zod';
import type { GA4_ORIGINS } from './api.js';

/**
 * A web stream's measurement ID: `G-` and upper-case letters/digits. Google shows 10 characters
 * after `G-` today; the exact length is not documented (UNCONFIRMED), so 4–20 are accepted.
 */
export const GA4_MEASUREMENT_ID_PATTERN = /^G-[A-Z0-9]{4,20}$/;

export const ga4Settings = z
  .object({
    measurement_id: z
      .string()
      .trim()
      .toUpperCase()
      .regex(
        GA4_MEASUREMENT_ID_PATTERN,
        'must be the web stream\'s measurement ID, e.g. G-ABC123XYZ9 (Admin → Data streams → your web stream); it is not the numeric stream ID',
      )
      .meta({ title: 'Measurement ID' })
      .describe('Admin → Data collection and modification → Data streams → your web stream → Measurement ID (G-…).'),
    api_secret: z
      .string()
      .trim()
      .min(1, 'must be a Measurement Protocol API secret created for this web stream')
      .max(256, 'is too long to be a Measurement Protocol API secret: paste only the secret value')
      .regex(/^\S+$/, 'must not contain spaces: paste the secret value exactly as Google Analytics shows it')
      .meta({ title: 'Measurement Protocol API secret', secret: true })
      .describe(
        'Data streams → your web stream → Measurement Protocol API secrets → Create. Google never tells a server that a secret is wrong (it accepts and silently discards the events), so copy it carefully. LayerSync masks it and never logs it.',
      ),
    debug_mode: z
      .boolean()
      .default(false)
      .meta({ title: 'Validation mode' })
      .describe(
        'Send to the validation endpoint (/debug/mp/collect) and record its messages per event instead of sending to reports. Events sent in this mode are NOT recorded by Google Analytics: use it while setting up, then turn it off.',
      ),
    region: z
      .enum(['global', 'eu'] as const satisfies readonly (keyof typeof GA4_ORIGINS)[])
      .default('global')
      .meta({ title: 'Collection region' })
      .describe('"eu" sends to region1.google-analytics.com so data is collected in the EU; "global" uses www.google-analytics.com.'),
  })
  .strict();

/** Settings of one GA4 connection, as validated by `ga4Settings`. */
export type Ga4Settings = z.infer<typeof ga4Settings>;
