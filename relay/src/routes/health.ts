/**
 * Liveness and readiness. /healthz answers while the process runs (restart it when it does
 * not); /readyz answers 200 only when the store answers a query (route traffic elsewhere).
 */
import type { FastifyInstance } from 'fastify';

export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (req, reply) => {
    try {
      await app.store.ping();
      return { status: 'ready' };
    } catch (err) {
      req.log.warn({ err }, 'readiness check failed');
      return reply.code(503).send({
        status: 'unavailable',
        error: 'store_unavailable',
        message: 'the store does not answer; check the LAYERSYNC_DB file, its disk and permissions',
      });
    }
  });
}
