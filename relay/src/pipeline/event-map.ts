/**
 * Event maps: which platform event a canonical event becomes at one destination.
 *
 * Each destination ships a `defaultEventMap`; a site can override it per destination
 * (`store.setEventMap`, stored on the destination row), e.g.
 * `{"custom:quote_request": "Lead", "page_view": null}`: a string maps (or re-maps) the name, null
 * stops forwarding it. Overrides take precedence over the default. A name mapped by neither is
 * stored but not forwarded, and its delivery row says so (status `skipped`).
 *
 * The map is applied twice: at ingest, so an unmapped event shows as skipped at once, and again
 * at send time, so an override changed in between applies to deliveries not yet sent.
 */
import { z } from 'zod';
import { STANDARD_EVENT_NAMES, type CanonicalEvent, type StandardEventName } from '../contract/event.js';
import type { Destination } from '../destinations/types.js';
import type { DeliveryPlan, DestinationRecord } from '../store/types.js';

const STANDARD = new Set<string>(STANDARD_EVENT_NAMES);
const CUSTOM = /^custom:[A-Za-z0-9_]{1,40}$/;

export const eventMapOverridesSchema = z
  .record(
    z.string().refine((k) => STANDARD.has(k) || CUSTOM.test(k), {
      message: 'keys must be canonical event names (page_view, purchase, …) or custom:<name>',
    }),
    z.string().min(1).max(100).nullable(),
  )
  .refine((m) => Object.keys(m).length <= 200, 'at most 200 entries');

/** Canonical event name → platform event name, or null for "do not forward". */
export type EventMapOverrides = Record<string, string | null>;

/** What planning and name resolution need of a destination type (plain data, so a thread can have it too). */
export type EventMapSource = Pick<Destination<unknown>, 'label' | 'defaultEventMap'>;

export type EventNameResolution = { ok: true; name: string; overridden: boolean } | { ok: false; reason: string };

export function resolveEventName(
  eventName: string,
  impl: EventMapSource,
  overrides: EventMapOverrides | null | undefined,
): EventNameResolution {
  if (overrides && Object.prototype.hasOwnProperty.call(overrides, eventName)) {
    const name = overrides[eventName];
    if (name === null || name === undefined) {
      return { ok: false, reason: `the site's event map for ${impl.label} does not forward "${eventName}"; the event is stored but not sent` };
    }
    return { ok: true, name, overridden: true };
  }
  const own = Object.prototype.hasOwnProperty.call(impl.defaultEventMap, eventName);
  const name = own ? impl.defaultEventMap[eventName as StandardEventName] : undefined;
  if (name === undefined) {
    return {
      ok: false,
      reason: `${impl.label} has no mapping for "${eventName}"; the event is stored but not forwarded`,
    };
  }
  return { ok: true, name, overridden: false };
}

/**
 * Decides, at ingest, which delivery rows a new event gets: one per enabled destination of its
 * site, `pending` when the destination's event map (overrides, then default) names it, else
 * `skipped` with the reason. Consent is decided later, at send time.
 */
export function planDeliveries(
  event: Pick<CanonicalEvent, 'event_name'>,
  siteDestinations: readonly DestinationRecord[],
  registry: Readonly<Record<string, EventMapSource | undefined>>,
): DeliveryPlan[] {
  const plans: DeliveryPlan[] = [];
  for (const d of siteDestinations) {
    if (!d.enabled) continue;
    const impl = registry[d.slug];
    if (!impl) {
      plans.push({
        destinationId: d.id,
        status: 'skipped',
        platformEventName: null,
        reason: `this relay has no destination named "${d.slug}"; upgrade the relay or remove the connection`,
      });
      continue;
    }
    const r = resolveEventName(event.event_name, impl, d.eventMap);
    plans.push(
      r.ok
        ? { destinationId: d.id, status: 'pending', platformEventName: r.name }
        : { destinationId: d.id, status: 'skipped', platformEventName: null, reason: r.reason },
    );
  }
  return plans;
}
