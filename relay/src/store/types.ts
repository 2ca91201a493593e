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
import type { EventMapOverrides } from '../pipeline/event-map.js';
import type { SitePolicy } from '../pipeline/policy.js';

export const DELIVERY_STATUSES = ['pending', 'delivered', 'dry_run', 'retry', 'failed', 'dead', 'skipped'] as const;
/**
 * pending: waiting for its first attempt · retry: waiting for another attempt ·
 * delivered: the platform accepted it · dry_run: mapped and stored, deliberately not sent ·
 * failed: the platform refused it or credentials were wrong (reason kept) ·
 * dead: never sent because it became too old for the platform · skipped: not forwarded by design
 * (no mapping for this event name, the site's event map says null, or the consent gate said no;
 * the reason is in last_error).
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
  /** Per-site overrides of the destination's default event map (null: none). Set with setEventMap. */
  eventMap?: EventMapOverrides | null;
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
  /**
   * Browser/server merge window (ms, default 0): new delivery rows are due at
   * receivedAt + mergeWindowMs, and a copy of a stored event from a source not seen yet that
   * arrives within the window after the first copy is merged into it (src/pipeline/merge.ts).
   */
  mergeWindowMs?: number;
  /** How far back (ms) purchase/refund are deduplicated by order_id (default 7 days). */
  dedupWindowMs?: number;
}

/**
 * Per-event outcome, in input order. `merged`: a second half (other source, within the merge
 * window) updated the stored event. `duplicate`: a repeated event_id (earlier request or same
 * batch) outside that rule, or a purchase/refund whose order_id was already recorded.
 */
export type IngestEventResult = 'accepted' | 'merged' | 'duplicate';

/** Why a copy was merged or dropped, for the 202 answer. */
export interface IngestEventDetail {
  reason?: string;
  /** The event that was kept (differs from the copy's own id for an order_id duplicate). */
  keptEventId?: string;
}

export type IngestCommitResult =
  | { replayed: true }
  | { replayed: false; results: IngestEventResult[]; details?: IngestEventDetail[] };

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
  /** The platform event name resolved at send time; undefined leaves what is stored. */
  platformEventName?: string | null;
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

export const DECISION_ACTIONS = ['accepted', 'merged', 'duplicate'] as const;
export type DecisionAction = (typeof DECISION_ACTIONS)[number];

/**
 * One copy of an event and what dedup/merge did with it. Recorded for every event that had more
 * than one copy (the first copy's `accepted` row is written when the second arrives); an event
 * with a single copy gets a synthesized `accepted` entry (id null) when asked for by id or order.
 */
export interface DecisionView {
  id: number | null;
  siteId: string;
  /** The copy's own event_id. */
  eventId: string;
  /** The stored event this copy was kept as, merged into, or dropped in favour of. */
  keptEventId: string;
  eventName: string;
  orderId: string | null;
  source: string;
  receivedAt: number;
  action: DecisionAction;
  /** What a merge added: identity keys (`fbp`, `em`) and `context.x`, `commerce.x`, `consent`, `properties.x`. */
  mergedFields: string[];
  /** In words, e.g. "duplicate event_id from server 3.2 s after browser: merged identifiers fbp, em; delivered once". */
  reason: string;
}

export interface ListDecisionsOptions {
  siteId: string;
  /** Every copy of this event, and order duplicates dropped in its favour (or it in theirs); oldest first. */
  eventId?: string;
  /** Every copy of purchases/refunds with this order id; oldest first. */
  orderId?: string;
  /** Without eventId/orderId: the most recent merge/duplicate decisions of the site, newest first. Default 100. */
  limit?: number;
}

export interface ListEventsOptions {
  siteId?: string;
  limit: number;
  /** Only events stored after this cursor, oldest first (following); otherwise newest first. */
  afterId?: number;
}

/** Store methods of the operator surface (admin API, CLI, exports, metrics) are in OperatorStore below. */
export interface Store extends OperatorStore {
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

  /** Dedup/merge decisions (see DecisionView). */
  listDecisions(opts: ListDecisionsOptions): Promise<DecisionView[]>;
  /** Forgets order_id dedup keys recorded before `olderThan` (ms); returns how many. */
  pruneDedupKeys(olderThan: number): Promise<number>;
  /**
   * Retention: deletes events received before `olderThan` (ms), oldest first, with their
   * deliveries, decisions, order keys and replay items, except events that still have a delivery
   * to make (pending or retry). At most `maxEvents` per call; `more`: call again.
   */
  pruneEvents(olderThan: number, maxEvents: number): Promise<RetentionCounts>;

  /** The site's privacy policy; the defaults (DEFAULT_SITE_POLICY) when it never set one. */
  getSitePolicy(siteId: string): Promise<SitePolicy>;
  /** Replaces the site's privacy policy (validated by the caller with parseSitePolicy). */
  setSitePolicy(siteId: string, policy: SitePolicy, now?: number): Promise<void>;
  /** Replaces a destination's event map overrides; null removes them. False when there is no such destination. */
  setEventMap(destinationId: number, eventMap: EventMapOverrides | null, now?: number): Promise<boolean>;

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

// ── Operator surface: admin API, CLI, exports and metrics (src/admin, src/cli, src/export, src/metrics) ──

export interface DestinationPatch {
  enabled?: boolean;
  mode?: DestinationMode;
  /** Replaces the settings (the vault seals their secrets). */
  settings?: unknown;
  /** Clears a parked state: the credentials changed. */
  unpark?: boolean;
}

export interface EventSearch {
  siteId?: string;
  eventId?: string;
  /** purchase and refund events whose commerce.order_id is this. */
  orderId?: string;
  eventName?: string;
  /** event_time bounds, unix seconds, inclusive. */
  since?: number;
  until?: number;
  /** Newest first, events stored before this internal id (paging). */
  beforeId?: number;
  /** Oldest first, events stored after this internal id (exports). Wins over beforeId. */
  afterId?: number;
  limit: number;
}

/** One delivery with the keys of its event (listings and exports; no payload). */
export interface DeliveryRow {
  id: number;
  siteId: string;
  eventId: string;
  eventName: string;
  /** Unix seconds. */
  eventTime: number;
  destinationId: number;
  destination: DestinationSlug;
  mode: DestinationMode;
  platformEventName: string | null;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number | null;
  lastStatus: number | null;
  lastError: string | null;
  latencyMs: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface DeliverySearch {
  siteId?: string;
  destinationId?: number;
  slug?: DestinationSlug;
  statuses?: readonly DeliveryStatus[];
  /** event_time bounds, unix seconds, inclusive. */
  since?: number;
  until?: number;
  /** Newest (updated_at, id) first, rows before this position (paging). */
  before?: { updatedAt: number; id: number };
  /** Oldest id first, rows after this id (exports). Wins over `before`. */
  afterId?: number;
  limit: number;
}

export interface DeliveryStatsQuery {
  destinationId: number;
  /** Window on updated_at (when the delivery reached its status), ms, [since, until). */
  since: number;
  until: number;
  bucketMs: number;
}

export interface DeliveryStats {
  counts: Partial<Record<DeliveryStatus, number>>;
  /** Over deliveries that made a request (delivered, failed, retry, dead with a latency). */
  latencyMs: { p50: number | null; p95: number | null; samples: number };
  buckets: Array<{ start: number; counts: Partial<Record<DeliveryStatus, number>> }>;
}

export interface QueueDepth {
  slug: DestinationSlug;
  status: 'pending' | 'retry';
  count: number;
}

export interface ReplayCandidateQuery {
  siteId?: string;
  eventId?: string;
  destinationId?: number;
  slug?: DestinationSlug;
  /** event_time bounds, unix seconds, inclusive. */
  since?: number;
  until?: number;
  statuses: readonly DeliveryStatus[];
  limit: number;
}

export interface ReplayCandidate {
  deliveryId: number;
  destinationId: number;
  destination: DestinationSlug;
  siteId: string;
  eventId: string;
  eventTime: number;
  status: DeliveryStatus;
}

export type ReplayScope = 'event' | 'destination' | 'window';

export interface ReplayRequest {
  requestedBy: string;
  scope: ReplayScope;
  params: Record<string, unknown>;
  /** Deliveries to requeue; rows that are open (pending/retry) meanwhile are left alone. */
  deliveryIds: number[];
  refused: number;
  /** Why some or all were refused, in words. */
  reason: string | null;
}

export interface ReplayRecord {
  id: number;
  requestedAt: number;
  requestedBy: string;
  scope: ReplayScope;
  params: Record<string, unknown>;
  requeued: number;
  refused: number;
  reason: string | null;
}

/** Hashed identifiers (lowercase hex SHA-256) whose events a privacy request deletes. */
export interface PrivacyMatch {
  siteId?: string;
  externalId?: string[];
  email?: string[];
  phone?: string[];
}

export interface RetentionCounts {
  events: number;
  deliveries: number;
  /** Older events may remain (the call stopped at maxEvents). */
  more: boolean;
}

export interface PrivacyDeleteCounts {
  events: number;
  deliveries: number;
  /** Dedup/merge decisions and order keys of those events (they name the events). */
  decisions: number;
  orderKeys: number;
  replayItems: number;
  /** Identity rows linked to the events (none are kept beyond events today). */
  identities: number;
}

export interface OperatorStore {
  /** Changes a destination without touching what is not named; settings change does not unpark unless asked. */
  updateDestination(id: number, patch: DestinationPatch, now?: number): Promise<DestinationRecord | undefined>;
  /** Deletes a destination with its delivery history; undefined when there is none. */
  deleteDestination(id: number): Promise<{ deliveries: number } | undefined>;
  searchEvents(q: EventSearch): Promise<EventView[]>;
  searchDeliveries(q: DeliverySearch): Promise<DeliveryRow[]>;
  deliveryStats(q: DeliveryStatsQuery): Promise<DeliveryStats>;
  /** Open deliveries per destination kind and status (metrics gauge). */
  queueDepth(): Promise<QueueDepth[]>;
  replayCandidates(q: ReplayCandidateQuery): Promise<ReplayCandidate[]>;
  /** Records the replay and requeues its deliveries (pending, due now, attempts reset) in one transaction. */
  requeueForReplay(req: ReplayRequest, now: number): Promise<ReplayRecord>;
  listReplays(limit: number): Promise<ReplayRecord[]>;
  /**
   * Deletes the events carrying any of the identifiers, with everything that refers to them, and
   * records the request (kinds and counts only). `dryRun` only counts.
   */
  privacyDelete(match: PrivacyMatch, opts: { dryRun: boolean; requestedBy: string; now: number }): Promise<PrivacyDeleteCounts>;
}
