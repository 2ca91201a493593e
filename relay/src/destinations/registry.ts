/**
 * Every destination the relay ships, keyed by slug. The Record type makes the compiler list a
 * destination that `DestinationSlug` names but this file forgets; a test checks each entry's
 * `slug` equals its key. Adding a destination: its folder, and one line here.
 */
import type { Destination, DestinationSlug } from './types.js';
import { meta } from './meta/index.js';

// Settings types differ per destination; each entry checks its own against its zod schema.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type DestinationRegistry = Record<DestinationSlug, Destination<any>>;

export const destinations: DestinationRegistry = {
  meta,
};

