/** What the infrastructure plugins add to the fastify instance. */
import type { DeliveryWorker } from '../delivery/worker.js';
import type { DestinationRegistry } from '../destinations/registry.js';
import type { Store } from '../store/types.js';

declare module 'fastify' {
  interface FastifyInstance {
    store: Store;
    registry: Partial<DestinationRegistry>;
    /** Null when the app runs without background deliveries (some tests, tools). */
    worker: DeliveryWorker | null;
    /** Now in Unix milliseconds; injectable so tests can move time. */
    clock: () => number;
  }
}
