/**
 * Every destination the relay ships, keyed by slug. The Record type makes the compiler list a
 * destination that `DestinationSlug` names but this file forgets; a test checks each entry's
 * `slug` equals its key. Adding a destination: its folder, its slug in types.ts, and one line here.
 */
import { ga4 } from './ga4/index.js';
import { googleAds } from './google-ads/index.js';
import { klaviyo } from './klaviyo/index.js';
import { linkedin } from './linkedin/index.js';
import { meta } from './meta/index.js';
import { pinterest } from './pinterest/index.js';
import { reddit } from './reddit/index.js';
import { snapchat } from './snapchat/index.js';
import { tiktok } from './tiktok/index.js';
import { webhook } from './webhook/index.js';
import { x } from './x/index.js';
import { DESTINATION_SLUGS, type Destination, type DestinationSlug } from './types.js';

// Settings types differ per destination; each entry checks its own against its zod schema.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type DestinationRegistry = Record<DestinationSlug, Destination<any>>;

export const destinations: DestinationRegistry = {
  meta,
  ga4,
  tiktok,
  google_ads: googleAds,
  pinterest,
  snapchat,
  reddit,
  linkedin,
  x,
  klaviyo,
  webhook,
};

export { DESTINATION_SLUGS };
