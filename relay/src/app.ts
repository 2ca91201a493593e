/**
 * The relay as a fastify plugin (fastify/demo layout): infrastructure plugins first (store,
 * HTTP client and delivery worker), then app-wide behaviour, then routes. server.ts owns
 * listening, timeouts, logging and shutdown; tests build it with `buildApp` and `inject`.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import fp from 'fastify-plugin';
import { destinationBaseUrls, type Config } from './config.js';
import type { HttpClient } from './delivery/http.js';
import type { WorkerOptions } from './delivery/worker.js';
import type { DestinationRegistry } from './destinations/registry.js';
import { ingestRoutes } from './ingest/route.js';
import metricsPlugin from './metrics/plugin.js';
import deliveryPlugin from './plugins/delivery.js';
import storePlugin from './plugins/store.js';
import { adminRoutes } from './routes/admin.js';
import { healthRoutes } from './routes/health.js';
import type { Store } from './store/types.js';

export interface AppOptions {
  config: Config;
  /** Destinations by slug; production passes registry.ts, tests pass their own. */
  registry: Partial<DestinationRegistry>;
  /** Injected store (tests); otherwise the SQLite file at config.dbPath, closed with the app. */
  store?: Store;
  http?: HttpClient;
  /** Run the background delivery worker (default true). */
  startWorker?: boolean;
  /** Worker tuning beyond the configuration (tests: backoff, random). */
  worker?: Partial<Omit<WorkerOptions, 'store' | 'registry' | 'http' | 'logger' | 'now'>>;
  clock?: () => number;
  /**
   * Run ingest on its thread against this store file even though a store is injected (tests:
   * the injected store is then a connection to the same file). Without it, the thread runs only
   * for the store the app opens itself.
   */
  ingestThread?: { file: string };
}

async function app(fastify: FastifyInstance, opts: AppOptions): Promise<void> {
  const { config } = opts;
  const clock = opts.clock ?? Date.now;

  // Infrastructure.
  await fastify.register(storePlugin, {
    dbPath: config.dbPath,
    store: opts.store,
    retentionDays: config.retentionDays,
    clock,
    registry: opts.registry,
    vault: { vaultKey: config.vaultKey, vaultKeyFile: config.vaultKeyFile, vaultPreviousKeys: config.vaultPreviousKeys },
  });
  // Metrics before the worker (it reports to them) and before the routes (app-wide ingest hooks).
  await fastify.register(metricsPlugin, { adminToken: config.adminToken, public: config.metricsPublic ?? false });
  await fastify.register(deliveryPlugin, {
    registry: opts.registry,
    http: opts.http,
    startWorker: opts.startWorker ?? true,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    worker: {
      intervalMs: config.workerIntervalMs,
      concurrency: config.workerConcurrency,
      perDestinationConcurrency: config.destinationConcurrency,
      baseUrls: destinationBaseUrls(config),
      metrics: fastify.metrics,
      ...opts.worker,
    },
  });

  // One log line per request (server.ts turns fastify's own two off): failures at info, the rest
  // at debug, so a busy relay does not spend a third of its ingest CPU on access logs.
  fastify.addHook('onResponse', async (req, reply) => {
    if (reply.statusCode < 400 && fastify.log.level !== 'debug' && fastify.log.level !== 'trace') return;
    const line = { method: req.method, url: req.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) };
    if (reply.statusCode >= 400) req.log.info(line, 'request failed');
    else req.log.debug(line, 'request');
  });

  // App-wide behaviour: JSON answers for unknown routes, in the same shape as every error.
  fastify.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}; see docs/CONTRACT.md` }),
  );

  // Routes.
  await fastify.register(healthRoutes);
  await fastify.register(ingestRoutes, {
    bodyLimitBytes: config.bodyLimitBytes,
    signatureToleranceSeconds: config.signatureToleranceSeconds,
    mergeWindowSeconds: config.mergeWindowSeconds,
    dedupWindowSeconds: config.dedupWindowSeconds,
    rateLimit: { eventsPerSecond: config.rateLimitEventsPerSecond, burst: config.rateLimitBurst },
    // Parsing, validation and commits on a thread of their own, for the store file this app opened.
    thread:
      opts.ingestThread ??
      (opts.store === undefined && (config.ingestThread ?? true) && config.dbPath !== ':memory:'
        ? { file: config.dbPath, youngGenerationMb: config.ingestThreadYoungMb }
        : undefined),
  });
  await fastify.register(adminRoutes, {
    adminToken: config.adminToken,
    baseUrls: destinationBaseUrls(config),
    signatureToleranceSeconds: config.signatureToleranceSeconds,
    retentionDays: config.retentionDays,
  });
}

const relayApp = fp(app, { name: 'layersync-relay' });
export default relayApp;

/** A fastify instance with the relay registered and ready (tests use `inject` on it). */
export async function buildApp(opts: AppOptions, server: FastifyServerOptions = { logger: false }): Promise<FastifyInstance> {
  const instance = Fastify({ bodyLimit: opts.config.bodyLimitBytes, ...server });
  await instance.register(relayApp, opts);
  await instance.ready();
  return instance;
}
