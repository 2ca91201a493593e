/**
 * What POST /v1/events does with a body once its signature is verified: parse, validate, rate
 * limit, plan the deliveries, and — after the store's commit — the answer.
 *
 * It is plain synchronous code with no fastify in it, because it runs in one of two places with
 * exactly the same results:
 * - on the ingest thread (thread.ts), next to the commit, so the main thread only does HTTP and
 *   the signature (the relay as served from a SQLite file, the default);
 * - on the main thread, around `store.ingest` (an injected store, or LAYERSYNC_INGEST_THREAD=0).
 */
import { canonicalEventSchema, ingestEnvelopeSchema, type CanonicalEvent } from '../contract/event.js';
import { planDeliveries, type EventMapSource } from '../pipeline/event-map.js';
import type { DestinationRecord, IngestBatch, IngestCommitResult } from '../store/types.js';
import { describeIssues } from './issues.js';
import { SiteRateLimiter } from './rate-limit.js';

export type IngestErrorCode =
  | 'invalid_json'
  | 'invalid_body'
  | 'bad_signature'
  | 'unknown_site'
  | 'stale_timestamp'
  | 'missing_headers'
  | 'replayed_request'
  | 'body_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'store_unavailable'
  | 'internal_error';

export interface EventResult {
  index: number;
  event_id: string | null;
  status: 'accepted' | 'merged' | 'duplicate' | 'rejected';
  reason?: string;
}

export interface IngestResponse {
  accepted: number;
  merged: number;
  duplicate: number;
  rejected: number;
  results: EventResult[];
  message?: string;
}

export interface IngestErrorBody {
  error: IngestErrorCode;
  message: string;
}

/** A signed request, verified: what the processing needs from HTTP. */
export interface VerifiedIngest {
  siteId: string;
  requestId: string;
  /** Until when the request id must be remembered (ms). */
  requestIdExpiresAt: number;
  receivedAt: number;
  /** The body as received (UTF-8 JSON text). */
  body: string;
}

/** The HTTP answer to one ingest request. */
export interface IngestAnswer {
  status: number;
  body: IngestResponse | IngestErrorBody;
  /** Seconds, for a Retry-After header (429, 503). */
  retryAfterSeconds?: number;
  /** Delivery rows became due (the route wakes the delivery worker). */
  due?: boolean;
  /** The store failed: logged by the route (never sent: its message may name internals). */
  failure?: WireError;
}

export interface IngestSettings {
  /** Browser/server merge window (ms; 0: no hold, no merge). */
  mergeWindowMs: number;
  /** purchase/refund order_id dedup window (ms). */
  dedupWindowMs: number;
  /** Per-site events per second (0: no limit) and burst in events. */
  rateLimit: { eventsPerSecond: number; burst: number };
}

/** What planning needs of each destination type, by slug: a copy of the registry's event maps. */
export type EventMapTable = Record<string, EventMapSource>;

export function eventMapTable(registry: Readonly<Record<string, EventMapSource | undefined>>): EventMapTable {
  const table: EventMapTable = {};
  for (const [slug, d] of Object.entries(registry)) if (d) table[slug] = { label: d.label, defaultEventMap: { ...d.defaultEventMap } };
  return table;
}

/** A request that passed validation and the rate limit: its batch for the store, and its results so far. */
export interface PreparedIngest {
  batch: IngestBatch;
  results: EventResult[];
  /** Index in `results` of each event of `batch.events`. */
  positions: number[];
}

const DUPLICATE_REASON = 'an event with this event_id was already received for this site; it was not stored again';

/** An error as it crosses the thread boundary and reaches the log: enough to map and report it. */
export interface WireError {
  name: string;
  message: string;
  code?: string;
}

export function toWireError(err: unknown): WireError {
  const e = err as { name?: unknown; message?: unknown; code?: unknown } | null;
  return {
    name: typeof e?.name === 'string' ? e.name : 'Error',
    message: typeof e?.message === 'string' ? e.message : String(err),
    ...(typeof e?.code === 'string' ? { code: e.code } : {}),
  };
}

/** 503: nothing was committed (the store cannot answer, or the ingest thread was lost); retry later. */
export function unavailableAnswer(failure?: WireError): IngestAnswer {
  return {
    status: 503,
    body: { error: 'store_unavailable', message: 'the relay cannot store events right now; retry later with a fresh request id and signature' },
    retryAfterSeconds: 5,
    ...(failure ? { failure } : {}),
  };
}

/** 500: processing or the commit failed for another reason. */
export function internalErrorAnswer(failure?: WireError): IngestAnswer {
  return {
    status: 500,
    body: { error: 'internal_error', message: 'the relay failed to process the request; retry it later' },
    ...(failure ? { failure } : {}),
  };
}

export function errorAnswer(status: number, error: IngestErrorCode, message: string, retryAfterSeconds?: number): IngestAnswer {
  return { status, body: { error, message }, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) };
}

export class IngestProcessor {
  private readonly limiter: SiteRateLimiter;

  constructor(
    private readonly settings: IngestSettings,
    private readonly eventMaps: EventMapTable,
  ) {
    this.limiter = new SiteRateLimiter({ ratePerSecond: settings.rateLimit.eventsPerSecond, burst: settings.rateLimit.burst });
  }

  /** Drops idle rate buckets. */
  sweep(nowMs: number): void {
    this.limiter.sweep(nowMs);
  }

  /**
   * Parses and validates a verified request. Either the answer (nothing to store) or the batch
   * to commit; `destinations` are the site's enabled destinations, asked only when needed.
   */
  prepare(req: VerifiedIngest, destinations: (siteId: string) => readonly DestinationRecord[]): { answer: IngestAnswer } | PreparedIngest {
    let json: unknown;
    try {
      json = JSON.parse(req.body);
    } catch (err) {
      return { answer: errorAnswer(400, 'invalid_json', `the body is not valid JSON (${(err as Error).message}); send {"events":[...]}`) };
    }
    const envelope = ingestEnvelopeSchema.safeParse(json);
    if (!envelope.success) {
      return { answer: errorAnswer(400, 'invalid_body', `${describeIssues(envelope.error)}; the body must be {"events":[ ... ]}`) };
    }

    // Counted in events, after the signature (a forged request cannot drain a site's budget) and
    // before any work; a refused request costs nothing and may be sent again after Retry-After.
    const rate = this.limiter.take(req.siteId, envelope.data.events.length, req.receivedAt);
    if (!rate.ok) {
      return {
        answer: errorAnswer(
          429,
          'rate_limited',
          `site "${req.siteId}" is sending more than ${this.settings.rateLimit.eventsPerSecond} events per second; ` +
            `retry this batch after ${rate.retryAfterSeconds} s with a fresh request id and signature`,
          rate.retryAfterSeconds,
        ),
      };
    }

    // Each event is validated on its own: one bad event must not sink the batch.
    const results: EventResult[] = [];
    const valid: CanonicalEvent[] = [];
    const positions: number[] = [];
    envelope.data.events.forEach((raw, index) => {
      const parsed = canonicalEventSchema.safeParse(raw);
      if (parsed.success) {
        valid.push(parsed.data);
        positions.push(index);
        results.push({ index, event_id: parsed.data.event_id, status: 'accepted' });
      } else {
        results.push({ index, event_id: rawEventId(raw), status: 'rejected', reason: describeIssues(parsed.error) });
      }
    });
    if (valid.length === 0) {
      const body: IngestResponse = {
        accepted: 0,
        merged: 0,
        duplicate: 0,
        rejected: results.length,
        results,
        message: 'every event failed validation (see results[].reason); fix them and send them in a new request',
      };
      return { answer: { status: 400, body } };
    }

    const siteDestinations = destinations(req.siteId);
    return {
      batch: {
        siteId: req.siteId,
        requestId: req.requestId,
        requestIdExpiresAt: req.requestIdExpiresAt,
        receivedAt: req.receivedAt,
        events: valid.map((event) => ({ event, deliveries: planDeliveries(event, siteDestinations, this.eventMaps) })),
        mergeWindowMs: this.settings.mergeWindowMs,
        dedupWindowMs: this.settings.dedupWindowMs,
      },
      results,
      positions,
    };
  }

  /** The answer once the batch is committed. */
  answer(prepared: PreparedIngest, commit: IngestCommitResult): IngestAnswer {
    if (commit.replayed) {
      return errorAnswer(
        409,
        'replayed_request',
        'this X-LayerSync-Request-Id was already used; generate a fresh request id (and signature) for every request, including retries',
      );
    }
    const { results, positions } = prepared;
    const counts = { accepted: 0, merged: 0, duplicate: 0 };
    let due = false;
    commit.results.forEach((status, i) => {
      const r = results[positions[i]!]!;
      r.status = status;
      counts[status]++;
      if (status !== 'accepted') r.reason = commit.details?.[i]?.reason ?? DUPLICATE_REASON;
      else due ||= prepared.batch.events[i]!.deliveries.some((d) => d.status === 'pending');
    });
    return { status: 202, body: { ...counts, rejected: results.length - positions.length, results }, ...(due ? { due } : {}) };
  }
}

function rawEventId(raw: unknown): string | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const id = (raw as Record<string, unknown>).event_id;
  return typeof id === 'string' ? id.slice(0, 128) : null;
}
