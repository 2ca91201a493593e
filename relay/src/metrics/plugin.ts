/**
 * Metrics infrastructure: creates the relay's RelayMetrics (decorated as `app.metrics`), counts
 * ingest answers with app-wide hooks (no change to the ingest route), and serves `GET /metrics`
 * in the Prometheus text format. /metrics needs the admin token unless LAYERSYNC_METRICS_PUBLIC
 * is set (then keep it off the public internet at the proxy).
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { bearerGuard } from '../routes/auth.js';
import { RelayMetrics } from './metrics.js';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: RelayMetrics;
  }
}

export interface MetricsPluginOptions {
  adminToken: string | undefined;
  public: boolean;
  /** Process and runtime metrics (default true). */
  processMetrics?: boolean;
}

const INGEST_URL = '/v1/events';

export default fp<MetricsPluginOptions>(
  async (app, opts) => {
    const metrics = new RelayMetrics({
      processMetrics: opts.processMetrics,
      queueDepth: () => app.store.queueDepth(),
      parked: async () => {
        const counts = new Map<string, number>();
        for (const d of await app.store.listDestinations()) {
          if (d.parkedAt !== null) counts.set(d.slug, (counts.get(d.slug) ?? 0) + 1);
        }
        return [...counts].map(([slug, count]) => ({ slug, count }));
      },
    });
    app.decorate('metrics', metrics);

    app.addHook('preSerialization', async (req, _reply, payload) => {
      if (req.routeOptions.url === INGEST_URL) metrics.countIngestBody(payload);
      return payload;
    });
    app.addHook('onResponse', async (req, reply) => {
      if (req.routeOptions.url === INGEST_URL) metrics.ingestRequests.inc({ status_code: String(reply.statusCode) });
    });

    await app.register(metricsRoute, { metrics, adminToken: opts.adminToken, public: opts.public });
  },
  { name: 'layersync-metrics', dependencies: ['layersync-store'] },
);

async function metricsRoute(app: FastifyInstance, opts: { metrics: RelayMetrics; adminToken: string | undefined; public: boolean }) {
  if (!opts.public) {
    app.addHook(
      'onRequest',
      bearerGuard({
        token: opts.adminToken,
        disabledMessage:
          '/metrics needs the admin token: start the relay with LAYERSYNC_ADMIN_TOKEN set (then scrape with it as a bearer token), ' +
          'or set LAYERSYNC_METRICS_PUBLIC=1',
      }),
    );
  }
  app.get('/metrics', async (req, reply) => {
    const text = await opts.metrics.render();
    return reply.header('content-type', opts.metrics.contentType()).header('cache-control', 'no-store').send(text);
  });
}
