/**
 * Prometheus metrics (prom-client). One registry per relay instance (not prom-client's global
 * one), so tests can build many apps in one process. Label values are bounded: destination slugs,
 * statuses and outcomes, HTTP status codes — never site ids, event ids or anything a sender picks.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DeliveryStatus, QueueDepth } from '../store/types.js';

/** What the delivery worker reports (src/delivery/worker.ts). */
export interface DeliveryMetrics {
  /** One platform request (a batch, bisected or not) took `seconds`. */
  observeSend(destination: string, seconds: number): void;
  /** The statuses a batch's deliveries were settled with. */
  countOutcomes(destination: string, statuses: readonly DeliveryStatus[]): void;
}

export interface RelayMetricsOptions {
  /** Collected on scrape: open deliveries per destination and status. */
  queueDepth?: () => Promise<QueueDepth[]>;
  /** Collected on scrape: parked destinations per slug. */
  parked?: () => Promise<Array<{ slug: string; count: number }>>;
  /** Process and Node.js runtime metrics (default true). */
  processMetrics?: boolean;
}

export class RelayMetrics implements DeliveryMetrics {
  readonly registry = new Registry();
  readonly ingestRequests: Counter<'status_code'>;
  readonly ingestEvents: Counter<'result'>;
  readonly dedupDecisions: Counter<'decision'>;
  readonly deliveries: Counter<'destination' | 'outcome'>;
  readonly deliveryDuration: Histogram<'destination'>;

  constructor(opts: RelayMetricsOptions = {}) {
    const registers = [this.registry];
    this.ingestRequests = new Counter({
      name: 'layersync_ingest_requests_total',
      help: 'Signed ingest requests (POST /v1/events) by HTTP status code.',
      labelNames: ['status_code'],
      registers,
    });
    this.ingestEvents = new Counter({
      name: 'layersync_ingest_events_total',
      help: 'Events in ingest requests by result: accepted, merged, duplicate or rejected.',
      labelNames: ['result'],
      registers,
    });
    this.dedupDecisions = new Counter({
      name: 'layersync_dedup_decisions_total',
      help: 'Dedup decisions on ingested events: new (stored), merged (second half joined a stored event) or duplicate (dropped).',
      labelNames: ['decision'],
      registers,
    });
    this.deliveries = new Counter({
      name: 'layersync_deliveries_total',
      help: 'Deliveries settled by the worker, by destination and outcome (delivered, dry_run, retry, failed, dead, skipped, pending = deferred).',
      labelNames: ['destination', 'outcome'],
      registers,
    });
    this.deliveryDuration = new Histogram({
      name: 'layersync_delivery_duration_seconds',
      help: 'Duration of requests to each platform (one batch each), in seconds.',
      labelNames: ['destination'],
      buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    const queueDepth = opts.queueDepth;
    new Gauge({
      name: 'layersync_delivery_queue_depth',
      help: 'Deliveries waiting to be sent, by destination and status (pending: first attempt, retry: backing off). Read from the store on scrape.',
      labelNames: ['destination', 'status'],
      registers,
      async collect() {
        if (!queueDepth) return;
        this.reset();
        for (const q of await queueDepth()) this.set({ destination: q.slug, status: q.status }, q.count);
      },
    });
    const parked = opts.parked;
    new Gauge({
      name: 'layersync_destinations_parked',
      help: 'Connections parked because the platform refused their credentials, by destination. Read from the store on scrape.',
      labelNames: ['destination'],
      registers,
      async collect() {
        if (!parked) return;
        this.reset();
        for (const p of await parked()) this.set({ destination: p.slug }, p.count);
      },
    });
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  observeSend(destination: string, seconds: number): void {
    this.deliveryDuration.observe({ destination }, seconds);
  }

  countOutcomes(destination: string, statuses: readonly DeliveryStatus[]): void {
    for (const outcome of statuses) this.deliveries.inc({ destination, outcome });
  }

  /** Counts the events of one ingest answer (called with the body the route sent). */
  countIngestBody(body: unknown): void {
    if (typeof body !== 'object' || body === null) return;
    const b = body as { accepted?: unknown; merged?: unknown; duplicate?: unknown; rejected?: unknown };
    for (const result of ['accepted', 'merged', 'duplicate', 'rejected'] as const) {
      const n = b[result];
      if (typeof n === 'number' && n > 0) this.ingestEvents.inc({ result }, n);
    }
    const decisions = { new: b.accepted, merged: b.merged, duplicate: b.duplicate };
    for (const [decision, n] of Object.entries(decisions)) {
      if (typeof n === 'number' && n > 0) this.dedupDecisions.inc({ decision }, n);
    }
  }

  contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
