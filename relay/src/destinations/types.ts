/**
 * What every destination supplies. Mappers are pure; transport, batching, retry and the ledger
 * are shared (relay/src/delivery). A destination reports outcomes as typed results, never by
 * throwing a bare Error.
 */
import type { z } from 'zod';
import type { CanonicalEvent, StandardEventName } from '../contract/event.js';
import type { HttpClient } from '../delivery/http.js';

/** Every destination LayerSync ships. Adding one means a folder and one line in registry.ts. */
export type DestinationSlug = 'meta';

/** The outcome of sending one event; a batch yields one per event, in order. */
export type DeliveryOutcome =
  | { kind: 'delivered'; status: number; response?: string }
  /** Transient: 5xx, timeouts, network errors, rate limits. retryAfterMs from Retry-After when given. */
  | { kind: 'retry'; status?: number; error: string; retryAfterMs?: number }
  /** The platform rejected the payload itself: retrying cannot help. Kept with the reason. */
  | { kind: 'drop'; status?: number; error: string }
  /** Credentials are wrong or expired: park the destination and alert until they change. */
  | { kind: 'auth'; status?: number; error: string };

/** Result of mapping one canonical event. `skip` is not an error: the event is stored, not forwarded. */
export type MapResult =
  | { ok: true; payload: unknown }
  | { ok: false; skip: true; reason: string }
  | { ok: false; skip: false; reason: string };

export interface MapContext<S> {
  settings: S;
  /** The platform's event name chosen by the event map (default map, then per-site overrides). */
  platformEventName: string;
  /** Now, injectable for tests (unix seconds). */
  now: number;
}

export interface SendContext<S> {
  settings: S;
  http: HttpClient;
  /** Overrides the platform's API origin (fake servers in tests, regional endpoints). */
  baseUrl?: string;
  signal?: AbortSignal;
}

export interface Destination<S = unknown> {
  slug: DestinationSlug;
  label: string;
  /** Settings schema; secret fields carry `.meta({ secret: true })` so the API can mask them. */
  settings: z.ZodType<S>;
  /** Most events one request may carry. */
  maxBatchSize: number;
  /** Oldest event the platform accepts, in seconds; older ones become dead letters, never sent. */
  maxEventAgeSeconds: number;
  /** Default canonical → platform event names. Unlisted names are stored but not forwarded. */
  defaultEventMap: Partial<Record<StandardEventName, string>>;
  defaultBaseUrl: string;
  map(event: CanonicalEvent, ctx: MapContext<S>): MapResult;
  /** Sends mapped payloads in one request; returns one outcome per payload, in order. */
  send(payloads: unknown[], ctx: SendContext<S>): Promise<DeliveryOutcome[]>;
}
