/**
 * Event types come from the canonical zod schema in the relay (type-only import: nothing of zod
 * reaches the bundle). The browser sends the event without `source`; the WordPress route adds it.
 */
import type { CanonicalEventInput, StandardEventName } from '../../../relay/src/contract/event';

export type { StandardEventName };

/** What the tracker queues and POSTs: a canonical event without `source`. */
export type BrowserEvent = Omit<CanonicalEventInput, 'source'> & {
  identity: Identity;
  context: Context;
};
export type Context = NonNullable<CanonicalEventInput['context']>;
export type Identity = NonNullable<CanonicalEventInput['identity']>;
export type Commerce = NonNullable<CanonicalEventInput['commerce']>;
export type Item = NonNullable<Commerce['items']>[number];
export type Consent = NonNullable<CanonicalEventInput['consent']>;
export type Properties = NonNullable<CanonicalEventInput['properties']>;

/** Properties as a caller passes them to `track()`; validated at run time. */
export type TrackProps = Record<string, unknown>;
