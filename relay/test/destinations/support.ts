/**
 * Shared by the destination test files: a port nothing listens on (connection refused), and a
 * run of events through the real delivery worker and an in-memory SQLite store.
 */
import { createServer } from 'node:net';
import type { CanonicalEvent } from '../../src/contract/event.js';
import type { HttpClient } from '../../src/delivery/http.js';
import { DeliveryWorker, planDeliveries } from '../../src/delivery/worker.js';
import type { DestinationRegistry } from '../../src/destinations/registry.js';
import type { Destination, DestinationSlug } from '../../src/destinations/types.js';
import type { DeliveryView } from '../../src/store/types.js';
import { openSqliteStore } from '../../src/store/sqlite.js';

/** A loopback port that was free a moment ago: connecting to it is refused. */
export async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const SILENT = { info() {}, warn() {}, error() {}, debug() {} };

/**
 * Runs events through the real delivery worker and an in-memory SQLite store, with `baseUrl`
 * (a fake) as the platform, and returns each event's delivery row.
 */
export async function throughWorker<S>(
  destination: Destination<S>,
  http: HttpClient,
  events: CanonicalEvent[],
  settings: unknown,
  baseUrl?: string,
): Promise<DeliveryView[]> {
  const slug = destination.slug as DestinationSlug;
  const registry = { [slug]: destination } as unknown as Partial<DestinationRegistry>;
  const store = openSqliteStore(':memory:');
  const nowMs = Date.now();
  try {
    await store.upsertSite({ siteId: 's1', secrets: ['k'.repeat(32)] });
    const dest = await store.upsertDestination({ siteId: 's1', slug, enabled: true, mode: 'live', settings });
    await store.ingest({
      siteId: 's1',
      requestId: 'request-0001-0000',
      requestIdExpiresAt: nowMs + 300_000,
      receivedAt: nowMs,
      events: events.map((event) => ({ event, deliveries: planDeliveries(event, [dest], registry) })),
    });
    const worker = new DeliveryWorker({ store, registry, http, logger: SILENT, intervalMs: 20, concurrency: 2, baseUrls: baseUrl ? { [slug]: baseUrl } : {}, now: () => Date.now(), random: () => 0.5 });
    await worker.runUntilIdle();
    await worker.stop(1000);
    const views = await store.listEvents({ limit: 100 });
    return events.map((e) => views.find((v) => v.eventId === e.event_id)!.deliveries[0]!);
  } finally {
    await store.close();
  }
}
