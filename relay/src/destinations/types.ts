/**
 * What every destination supplies. Mappers are pure; transport, batching, retry and the ledger
 * are shared (relay/src/delivery). A destination reports outcomes as typed results, never by
 * throwing a bare Error.
 */
import type { z } from 'zod';
import type { CanonicalEvent, StandardEventName } from '../contract/event.js';
import type { HttpClient } from '../delivery/http.js';

/** Every destination LayerSync ships. Adding one means a folder, its slug here and one line in registry.ts. */
export const DESTINATION_SLUGS = [
  'meta',
  'ga4',
  'tiktok',
  'google_ads',
  'pinterest',
  'snapchat',
  'reddit',
  'linkedin',
  'x',
  'klaviyo',
  'webhook',
] as const;
export type DestinationSlug = (typeof DESTINATION_SLUGS)[number];

/** The outcome of sending one event; a batch yields one per event, in order. */
export type DeliveryOutcome =
  | { kind: 'delivered'; status: number; response?: string }
  /** Transient: 5xx, timeouts, network errors, rate limits. retryAfterMs from Retry-After when given. */
  | { kind: 'retry'; status?: number; error: string; retryAfterMs?: number }
  /** The platform rejected the payload itself: retrying cannot help. Kept with the reason. */
  | { kind: 'drop'; status?: number; error: string }
  /** Credentials are wrong or expired: park the destination and alert until they change. */
  | { kind: 'auth'; status?: number; error: string }
  /**
   * Not an error and not an attempt: the platform wants this event later (e.g. Google Ads
   * refuses conversions less than ~6 h after the click). The worker re-queues it for `untilMs`.
   */
  | { kind: 'defer'; untilMs: number; reason: string };

/** Site privacy policy that shapes payloads (the consent gate itself runs before mapping). */
export interface PrivacyContext {
  /** Meta Limited Data Use / TikTok limited_data_use and similar restricted-processing flags. */
  limitedDataUse: boolean;
  /** ISO 3166-1 alpha-2 country and state for LDU geolocation, when known; else the platform geolocates. */
  lduCountry?: string;
  lduState?: string;
}

/** What a connection test tells a merchant, in words they can act on. */
export interface ConnectionDiagnosis {
  ok: boolean;
  /** Short machine code: ok, token_expired, invalid_credentials, not_found, unreachable, … */
  code: string;
  /** A sentence for the merchant, e.g. "Meta rejected the access token: it expired. Reconnect Meta." */
  message: string;
}

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
  privacy?: PrivacyContext;
}

export interface SendContext<S> {
  settings: S;
  http: HttpClient;
  /** Overrides the platform's API origin (fake servers in tests, regional endpoints). */
  baseUrl?: string;
  signal?: AbortSignal;
  /**
   * Per-destination-instance memory kept by the worker between sends (e.g. a cached OAuth
   * access token and its expiry). Lost on restart; never persisted or logged.
   */
  state?: Map<string, unknown>;
  /** Now in milliseconds, injectable for tests. */
  nowMs?: number;
}

export interface Destination<S = unknown> {
  /** Equals its key in registry.ts (checked by a test); a plain string so a new destination compiles before it is registered. */
  slug: string;
  label: string;
  /** Settings schema; secret fields carry `.meta({ secret: true })` so the API can mask them. */
  settings: z.ZodType<S>;
  /** Most events one request may carry. */
  maxBatchSize: number;
  /**
   * How the platform treats one bad event in a batch: 'all-or-nothing' platforms (Meta, TikTok,
   * Reddit) reject the whole request, so the worker bisects a rejected batch to isolate it;
   * 'per-item' platforms report each event's status.
   */
  batchRejection?: 'all-or-nothing' | 'per-item';
  /** Oldest event the platform accepts, in seconds; older ones become dead letters, never sent. */
  maxEventAgeSeconds: number;
  /** Default canonical → platform event names. Unlisted names are stored but not forwarded. */
  defaultEventMap: Partial<Record<StandardEventName, string>>;
  defaultBaseUrl: string;
  map(event: CanonicalEvent, ctx: MapContext<S>): MapResult;
  /** Sends mapped payloads in one request; returns one outcome per payload, in order. */
  send(payloads: unknown[], ctx: SendContext<S>): Promise<DeliveryOutcome[]>;
  /** The clearest check the platform allows (test event code, validation endpoint, validate-only). */
  testConnection?(ctx: SendContext<S>): Promise<ConnectionDiagnosis>;
}
