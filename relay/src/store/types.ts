/**
 * The relay's storage contract. SQLite (embedded default) implements it today; a PostgreSQL
 * implementation (several relays sharing one store, claims with FOR UPDATE SKIP LOCKED) must
 * pass the same contract tests (test/store/contract.ts). Everything is async for that reason,
 * even though better-sqlite3 is synchronous.
 *
 * Times are Unix milliseconds unless a name says otherwise (`eventTime` is seconds, as in the
 * canonical event).
 */
import type { CanonicalEvent } from '../contract/event.js';
import type { DestinationSlug } from '../destinations/types.js';

export const DELIVERY_STATUSES = ['pending', 'delivered', 'dry_run', 'retry', 'failed', 'dead', 'skipped'] as const;
/**
 * pending: waiting for its first attempt · retry: waiting for another attempt ·
 * delivered: the platform accepted it · dry_run: mapped and stored, deliberately not sent ·
 * failed: the platform refused it or credentials were wrong (reason kept) ·
 * dead: never sent because it became too old for the platform · skipped: not forwarded by design
 * (no mapping for this event name).
 */
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
/** Statuses the worker still has to act on. */
export const OPEN_STATUSES = ['pending', 'retry'] as const satisfies readonly DeliveryStatus[];

export type DestinationMode = 'live' | 'dry_run';

export interface SiteRecord {
  siteId: string;
  /** Active secrets, newest first: one normally, two during rotation. */
  secrets: string[];
  createdAt: number;
  updatedAt: number;
}

export interface DestinationRecord {
  id: number;
  siteId: string;
  slug: DestinationSlug;
  enabled: boolean;
  mode: DestinationMode;
  /** Destination settings as stored (validated by the destination's schema when used). Secret. */
  settings: unknown;
  /** Set when the platform refused the credentials: no deliveries until the settings change. */
  parkedAt: number | null;
  parkedReason: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface DestinationInput {
  siteId: string;
  slug: DestinationSlug;
  enabled: boolean;
  mode: DestinationMode;
  settings: unknown;
}

/** What ingest decided for one (event, destination) pair before the commit. */
export interface DeliveryPlan {
  destinationId: number;
  status: 'pending' | 'skipped';
  /** The platform's event name chosen by the event map; null when skipped. */
  platformEventName: string | null;
  /** Why it was skipped, in words a merchant understands. */
  reason?: string;
}

export interface IngestEvent {
  event: CanonicalEvent;
  /** Delivery rows to create when (and only when) the event is new. */
  deliveries: DeliveryPlan[];
}

export interface IngestBatch {
  siteId: string;
  requestId: string;
  /** Until when the request id must be remembered (ms): its timestamp plus the tolerance. */
  requestIdExpiresAt: number;
  receivedAt: number;
  events: IngestEvent[];
}

/** Per-event outcome, in input order. A repeated event_id (earlier request or same batch) is a duplicate. */
export type IngestEventResult = 'accepted' | 'duplicate';

export type IngestCommitResult =
  | { replayed: true }
  | { replayed: false; results: IngestEventResult[] };

/** A delivery leased to one worker. Only the holder of `leaseToken` may complete it. */
export interface ClaimedDelivery {
  id: number;
  leaseToken: string;
  status: 'pending' | 'retry';
  attempts: number;
  platformEventName: string | null;
  eventPk: number;
  event: CanonicalEvent;
}

export interface ClaimOptions {
  now: number;
  limit: number;
  /** How long the claim holds; after that another worker may take the row (crash recovery). */
  leaseMs: number;
}

export interface DeliveryUpdate {
  id: number;
  leaseToken: string;
  status: DeliveryStatus;
  attempts: number;
  /** When the next attempt is due (status retry); null otherwise. */
  nextAttemptAt: number | null;
  lastStatus: number | null;
  /** Already redacted and truncated by the caller. */
  lastError: string | null;
  /** The mapped wire payload; undefined leaves what is stored. */
  payload?: unknown;
  latencyMs: number | null;
}

export interface DeliveryView {
  id: number;
  destinationId: number;
  destination: DestinationSlug;
  mode: DestinationMode;
  platformEventName: string | null;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number | null;
  lastStatus: number | null;
  lastError: string | null;
  payload: unknown;
  latencyMs: number | null;
  updatedAt: number;
}

export interface EventView {
  /** Store-internal, increasing: a cursor for following new events. */
  id: number;
  siteId: string;
  eventId: string;
  eventName: string;
  eventTime: number;
  source: string;
  receivedAt: number;
  event: CanonicalEvent;
  deliveries: DeliveryView[];
}

export interface ListEventsOptions {
  siteId?: string;
  limit: number;
  /** Only events stored after this cursor, oldest first (following); otherwise newest first. */
  afterId?: number;
}

export interface Store {
  /** Cheap query proving the store answers (readiness). */
  ping(): Promise<void>;

  /** Creates the site or replaces its secrets; `created` tells which. */
  upsertSite(site: { siteId: string; secrets: string[] }, now?: number): Promise<{ created: boolean }>;
  getSite(siteId: string): Promise<SiteRecord | undefined>;
  listSites(): Promise<Array<Pick<SiteRecord, 'siteId' | 'createdAt'>>>;

  /** Creates or updates the (site, slug) destination; a change clears a parked state. */
  upsertDestination(input: DestinationInput, now?: number): Promise<DestinationRecord>;
  getDestination(id: number): Promise<DestinationRecord | undefined>;
  listDestinations(filter?: { siteId?: string; enabledOnly?: boolean }): Promise<DestinationRecord[]>;
  parkDestination(id: number, reason: string, now: number): Promise<void>;

  /** True when this request id was already used by the site and is still remembered at `now`. */
  isRequestIdSeen(siteId: string, requestId: string, now: number): Promise<boolean>;
  /**
   * Durably commits a batch: remembers the request id, inserts new events and their delivery
   * rows, all in one transaction. Resolves only after the commit. `replayed` when the request
   * id was already used (then nothing is written).
   */
  ingest(batch: IngestBatch): Promise<IngestCommitResult>;
  /** Forgets request ids whose window has passed; returns how many. */
  pruneRequestIds(now: number): Promise<number>;

  /** Enabled, unparked destinations that have deliveries due at `now`. */
  dueDestinationIds(now: number): Promise<number[]>;
  /** Atomically leases up to `limit` due deliveries of one destination, oldest due first. */
  claimDeliveries(destinationId: number, opts: ClaimOptions): Promise<ClaimedDelivery[]>;
  /** Records outcomes; rows whose lease was lost are left alone. Returns how many were updated. */
  completeDeliveries(updates: DeliveryUpdate[], now: number): Promise<number>;
  /** Gives leased rows back untouched (e.g. the destination was parked meanwhile). */
  releaseDeliveries(ids: Array<{ id: number; leaseToken: string }>): Promise<void>;

  listEvents(opts: ListEventsOptions): Promise<EventView[]>;

  /** Flushes pending writes and closes. Further calls fail. */
  close(): Promise<void>;
}

/** Thrown when the store cannot serve a request (I/O error, locked, closed): senders retry. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}
