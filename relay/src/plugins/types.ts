/** What the infrastructure plugins add to the fastify instance. */
import type { HttpClient } from '../delivery/http.js';
import type { DeliveryWorker } from '../delivery/worker.js';
import type { DestinationRegistry } from '../destinations/registry.js';
import type { Store } from '../store/types.js';

declare module 'fastify' {
  interface FastifyInstance {
    store: Store;
    registry: Partial<DestinationRegistry>;
    /** The shared HTTP client (connection tests use it too). */
    http: HttpClient;
    /** Null when the app runs without background deliveries (some tests, tools). */
    worker: DeliveryWorker | null;
    /** Now in Unix milliseconds; injectable so tests can move time. */
    clock: () => number;
    /** Runs the retention sweep now (it also runs hourly when LAYERSYNC_RETENTION_DAYS > 0). */
    sweepRetention: () => Promise<void>;
  }
}
