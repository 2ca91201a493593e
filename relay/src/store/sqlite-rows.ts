/**
 * Event and delivery rows as SQLite returns them, and their mapping to the store's views. Shared
 * by the ingest store (`sqlite.ts`, listEvents) and the operator queries (`sqlite-operator.ts`,
 * searchEvents) so both return events with their deliveries in exactly the same shape.
 */
import type { CanonicalEvent } from '../contract/event.js';
import type { DestinationSlug } from '../destinations/types.js';
import type { DeliveryStatus, DeliveryView, DestinationMode, EventView } from './types.js';

export interface EventRow {
  id: number;
  site_id: string;
  event_id: string;
  event_name: string;
  event_time: number;
  source: string;
  received_at: number;
  body: string;
}

export interface DeliveryViewRow {
  id: number;
  event_pk: number;
  destination_id: number;
  slug: string;
  mode: string;
  platform_event_name: string | null;
  status: string;
  attempts: number;
  next_attempt_at: number | null;
  last_status: number | null;
  last_error: string | null;
  payload: string | null;
  latency_ms: number | null;
  updated_at: number;
}

/** The deliveries of a set of events; the one parameter is a JSON array of event primary keys. */
export const DELIVERIES_OF_EVENTS_SQL = `SELECT d.id, d.event_pk, d.destination_id, ds.slug, ds.mode, d.platform_event_name, d.status, d.attempts,
       d.next_attempt_at, d.last_status, d.last_error, d.payload, d.latency_ms, d.updated_at
FROM deliveries d JOIN destinations ds ON ds.id = d.destination_id
WHERE d.event_pk IN (SELECT value FROM json_each(?)) ORDER BY d.id`;

/** A delivery row's own fields as the views name them (event views add the payload, searches the event). */
export function toDeliveryFields(d: Omit<DeliveryViewRow, 'event_pk' | 'payload'>): Omit<DeliveryView, 'payload'> {
  return {
    id: d.id,
    destinationId: d.destination_id,
    destination: d.slug as DestinationSlug,
    mode: d.mode as DestinationMode,
    platformEventName: d.platform_event_name,
    status: d.status as DeliveryStatus,
    attempts: d.attempts,
    nextAttemptAt: d.next_attempt_at,
    lastStatus: d.last_status,
    lastError: d.last_error,
    latencyMs: d.latency_ms,
    updatedAt: d.updated_at,
  };
}

/** Event rows with their deliveries (as read by DELIVERIES_OF_EVENTS_SQL), in the rows' order. */
export function toEventViews(rows: EventRow[], deliveries: DeliveryViewRow[]): EventView[] {
  const byEvent = new Map<number, DeliveryView[]>();
  for (const d of deliveries) {
    const list = byEvent.get(d.event_pk) ?? [];
    list.push({ ...toDeliveryFields(d), payload: d.payload === null ? null : (JSON.parse(d.payload) as unknown) });
    byEvent.set(d.event_pk, list);
  }
  return rows.map((r) => ({
    id: r.id,
    siteId: r.site_id,
    eventId: r.event_id,
    eventName: r.event_name,
    eventTime: r.event_time,
    source: r.source,
    receivedAt: r.received_at,
    event: JSON.parse(r.body) as CanonicalEvent,
    deliveries: byEvent.get(r.id) ?? [],
  }));
}
