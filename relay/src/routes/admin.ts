/**
 * Admin read API, enabled by LAYERSYNC_ADMIN_TOKEN. Shows what arrived and what each
 * destination did with it, including the exact payload that was (or in dry-run would be) sent.
 * Never returns secrets: destination settings are not part of any answer.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { describeIssues } from '../ingest/issues.js';
import { SITE_ID_PATTERN } from '../ingest/signature.js';
import type { EventView } from '../store/types.js';

export interface AdminRouteOptions {
  adminToken: string | undefined;
}

const eventsQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(50),
    site: z.string().regex(SITE_ID_PATTERN, 'must be a site id').optional(),
  })
  .strict();

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The public shape of one event with its deliveries. */
export function eventToJson(e: EventView) {
  return {
    site_id: e.siteId,
    event_id: e.eventId,
    event_name: e.eventName,
    event_time: e.eventTime,
    source: e.source,
    received_at: iso(e.receivedAt),
    event: e.event,
    deliveries: e.deliveries.map((d) => ({
      destination: d.destination,
      mode: d.mode,
      platform_event_name: d.platformEventName,
      status: d.status,
      attempts: d.attempts,
      next_attempt_at: iso(d.nextAttemptAt),
      last_status: d.lastStatus,
      last_error: d.lastError,
      payload: d.payload,
      latency_ms: d.latencyMs,
      updated_at: iso(d.updatedAt),
    })),
  };
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export async function adminRoutes(app: FastifyInstance, opts: AdminRouteOptions): Promise<void> {
  // Comparing fixed-length digests keeps timingSafeEqual's equal-length requirement from
  // leaking the token's length.
  const expected = opts.adminToken === undefined ? undefined : digest(opts.adminToken);

  app.addHook('onRequest', async (req, reply) => {
    if (!expected) {
      return reply.code(404).send({
        error: 'not_found',
        message: 'the admin API is disabled; start the relay with LAYERSYNC_ADMIN_TOKEN set to enable it',
      });
    }
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!m || !timingSafeEqual(digest(m[1]!), expected)) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send({ error: 'unauthorized', message: 'send Authorization: Bearer <the relay\'s LAYERSYNC_ADMIN_TOKEN>' });
    }
  });

  app.get('/v1/admin/events', async (req, reply) => {
    const q = eventsQuery.safeParse(req.query);
    if (!q.success) {
      return reply.code(400).send({ error: 'invalid_query', message: `${describeIssues(q.error)}; use ?limit=1-500&site=<site id>` });
    }
    const events = await app.store.listEvents({ limit: q.data.limit, siteId: q.data.site });
    return { events: events.map(eventToJson) };
  });
}
