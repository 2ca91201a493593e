/**
 * Infrastructure: the shared HTTP client and the delivery worker. The worker starts when the
 * server is ready and, on shutdown, stops taking work and finishes in-flight batches before the
 * store closes (fastify runs onClose hooks in reverse registration order).
 */
import fp from 'fastify-plugin';
import { createHttpClient, type HttpClient } from '../delivery/http.js';
import { DeliveryWorker, type WorkerOptions } from '../delivery/worker.js';
import type { DestinationRegistry } from '../destinations/registry.js';
import './types.js';

export interface DeliveryPluginOptions {
  registry: Partial<DestinationRegistry>;
  http?: HttpClient;
  /** False: no background worker (the route still plans delivery rows). */
  startWorker: boolean;
  worker: Omit<WorkerOptions, 'store' | 'registry' | 'http' | 'logger' | 'now'>;
  shutdownTimeoutMs: number;
}

export default fp<DeliveryPluginOptions>(
  async (app, opts) => {
    const ownedHttp = opts.http === undefined;
    const http = opts.http ?? createHttpClient();
    app.decorate('registry', opts.registry);
    app.decorate('http', http);
    const worker = opts.startWorker
      ? new DeliveryWorker({
          ...opts.worker,
          store: app.store,
          registry: opts.registry,
          http,
          logger: app.log.child({ component: 'delivery' }),
          now: app.clock,
        })
      : null;
    app.decorate('worker', worker);
    if (worker) app.addHook('onReady', async () => worker.start());
    app.addHook('onClose', async () => {
      if (worker) await worker.stop(opts.shutdownTimeoutMs);
      if (ownedHttp) await http.close();
    });
  },
  { name: 'layersync-delivery', dependencies: ['layersync-store'] },
);
