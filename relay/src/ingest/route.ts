/**
 * POST /v1/events — signed ingest (docs/CONTRACT.md).
 *
 * Order matters: the body is kept as raw bytes, the signature is verified over exactly those
 * bytes, and only then is anything parsed. Accepted events are durably committed (group commit)
 * before the 202 is sent, so an acknowledged conversion survives a crash.
 */
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { canonicalEventSchema, ingestEnvelopeSchema, type CanonicalEvent } from '../contract/event.js';
import { planDeliveries } from '../pipeline/event-map.js';
import { StoreUnavailableError, type IngestEvent } from '../store/types.js';
import { describeIssues } from './issues.js';
import { SiteRateLimiter } from './rate-limit.js';
import { readSignedHeaders, signatureMatches } from './signature.js';

export interface IngestRouteOptions {
  bodyLimitBytes: number;
  signatureToleranceSeconds: number;
  /** Browser/server merge window in seconds (0: no hold, no merge). */
  mergeWindowSeconds?: number;
  /** purchase/refund order_id dedup window in seconds (default 7 days). */
  dedupWindowSeconds?: number;
  /** Per-site events per second (0 or unset: no limit) and burst in events. */
  rateLimit?: { eventsPerSecond: number; burst: number };
  /** How often expired order dedup keys and idle rate buckets are dropped (ms). */
  pruneIntervalMs?: number;
}

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

function sendError(reply: FastifyReply, status: number, error: IngestErrorCode, message: string): FastifyReply {
  return reply.code(status).send({ error, message });
}

const DUPLICATE_REASON = 'an event with this event_id was already received for this site; it was not stored again';

export async function ingestRoutes(app: FastifyInstance, opts: IngestRouteOptions): Promise<void> {
  const mergeWindowMs = Math.round((opts.mergeWindowSeconds ?? 0) * 1000);
  const dedupWindowMs = (opts.dedupWindowSeconds ?? 7 * 86_400) * 1000;
  const limiter = new SiteRateLimiter({ ratePerSecond: opts.rateLimit?.eventsPerSecond ?? 0, burst: opts.rateLimit?.burst ?? 1000 });

  // Housekeeping: order keys older than the dedup window, and full (idle) rate buckets.
  const prune = setInterval(() => {
    const now = app.clock();
    limiter.sweep(now);
    app.store.pruneDedupKeys(now - dedupWindowMs).catch((err: unknown) => app.log.warn({ err }, 'could not prune order dedup keys'));
  }, opts.pruneIntervalMs ?? 60_000);
  prune.unref();
  app.addHook('onClose', async () => clearInterval(prune));

  // Keep the body as the exact bytes received: the signature covers bytes, not a re-serialization.
  // Only this plugin's scope is affected; other content types get 415 from fastify.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: opts.bodyLimitBytes }, (_req, body, done) =>
    done(null, body),
  );

  app.setErrorHandler((err: FastifyError, req, reply) => {
    switch (err.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return sendError(
          reply,
          413,
          'body_too_large',
          `the body is larger than ${opts.bodyLimitBytes} bytes; send fewer events per request (at most 500, and split large batches)`,
        );
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return sendError(reply, 415, 'unsupported_media_type', 'send the events as JSON with Content-Type: application/json');
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return sendError(reply, 400, 'invalid_body', 'the Content-Length header does not match the body; send the body exactly as signed');
    }
    if (err instanceof StoreUnavailableError) {
      req.log.error({ err }, 'store unavailable during ingest');
      reply.header('retry-after', '5');
      return sendError(reply, 503, 'store_unavailable', 'the relay cannot store events right now; retry later with a fresh request id and signature');
    }
    if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
      return sendError(reply, err.statusCode, 'invalid_body', err.message);
    }
    req.log.error({ err }, 'ingest failed');
    return sendError(reply, 500, 'internal_error', 'the relay failed to process the request; retry it later');
  });

  app.post('/v1/events', { bodyLimit: opts.bodyLimitBytes }, async (req, reply) => {
    const { store, registry, worker, clock } = app;
    const body = req.body;
    if (!Buffer.isBuffer(body)) {
      // No Content-Type and no body: fastify skipped parsing.
      return sendError(reply, 415, 'unsupported_media_type', 'send the events as JSON with Content-Type: application/json');
    }

    const headers = readSignedHeaders(req.headers);
    if (!headers.ok) return sendError(reply, 401, headers.problem.error, headers.problem.message);
    const signed = headers.value;

    const site = await store.getSite(signed.siteId);
    if (!site) {
      return sendError(
        reply,
        401,
        'unknown_site',
        `this relay has no site "${signed.siteId}"; check the site id in the plugin settings or add it with: layersync-relay sites add --id ${signed.siteId}`,
      );
    }

    const nowMs = clock();
    const nowS = Math.floor(nowMs / 1000);
    const skew = nowS - signed.timestamp;
    if (Math.abs(skew) > opts.signatureToleranceSeconds) {
      return sendError(
        reply,
        401,
        'stale_timestamp',
        `X-LayerSync-Timestamp is ${Math.abs(skew)} s ${skew > 0 ? 'in the past' : 'in the future'}; the relay accepts ±${opts.signatureToleranceSeconds} s. ` +
          `Sign each request when it is sent, and check the sender's clock (NTP)`,
      );
    }

    if (!signatureMatches(signed, site.secrets, body)) {
      return sendError(
        reply,
        401,
        'bad_signature',
        `the signature does not match: sign "{request_id}.{timestamp}.{body}" with HMAC-SHA256 and the site's current secret, ` +
          `over the exact bytes sent, and send it as "v1=<hex>"`,
      );
    }

    // A replayed request id is refused by the commit below (one insert in the same transaction),
    // not by a read here: that read cost every honest request a query.
    const requestIdExpiresAt = (signed.timestamp + opts.signatureToleranceSeconds + 1) * 1000;

    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch (err) {
      return sendError(reply, 400, 'invalid_json', `the body is not valid JSON (${(err as Error).message}); send {"events":[...]}`);
    }
    const envelope = ingestEnvelopeSchema.safeParse(json);
    if (!envelope.success) {
      return sendError(reply, 400, 'invalid_body', `${describeIssues(envelope.error)}; the body must be {"events":[ ... ]}`);
    }

    // Counted in events, after the signature (a forged request cannot drain a site's budget) and
    // before any work; a refused request costs nothing and may be sent again after Retry-After.
    const rate = limiter.take(signed.siteId, envelope.data.events.length, nowMs);
    if (!rate.ok) {
      reply.header('retry-after', String(rate.retryAfterSeconds));
      return sendError(
        reply,
        429,
        'rate_limited',
        `site "${signed.siteId}" is sending more than ${opts.rateLimit?.eventsPerSecond ?? 0} events per second; ` +
          `retry this batch after ${rate.retryAfterSeconds} s with a fresh request id and signature`,
      );
    }

    // Each event is validated on its own: one bad event must not sink the batch.
    const results: EventResult[] = [];
    const valid: Array<{ index: number; event: CanonicalEvent }> = [];
    envelope.data.events.forEach((raw, index) => {
      const parsed = canonicalEventSchema.safeParse(raw);
      if (parsed.success) {
        valid.push({ index, event: parsed.data });
        results.push({ index, event_id: parsed.data.event_id, status: 'accepted' });
      } else {
        results.push({ index, event_id: rawEventId(raw), status: 'rejected', reason: describeIssues(parsed.error) });
      }
    });

    if (valid.length === 0) {
      const response: IngestResponse = {
        accepted: 0,
        merged: 0,
        duplicate: 0,
        rejected: results.length,
        results,
        message: 'every event failed validation (see results[].reason); fix them and send them in a new request',
      };
      return reply.code(400).send(response);
    }

    const siteDestinations = await store.listDestinations({ siteId: signed.siteId, enabledOnly: true });
    const events: IngestEvent[] = valid.map(({ event }) => ({
      event,
      deliveries: planDeliveries(event, siteDestinations, registry),
    }));
    const commit = await store.ingest({
      siteId: signed.siteId,
      requestId: signed.requestId,
      requestIdExpiresAt,
      receivedAt: nowMs,
      events,
      mergeWindowMs,
      dedupWindowMs,
    });
    if (commit.replayed) return replayed(reply);

    const counts = { accepted: 0, merged: 0, duplicate: 0 };
    commit.results.forEach((status, i) => {
      const r = results[valid[i]!.index]!;
      r.status = status;
      counts[status]++;
      if (status !== 'accepted') r.reason = commit.details?.[i]?.reason ?? DUPLICATE_REASON;
    });
    // With a merge window the new rows become due only when it has passed.
    if (counts.accepted > 0) {
      if (mergeWindowMs === 0) worker?.kick();
      else worker?.kickAfter(mergeWindowMs);
    }
    const response: IngestResponse = { ...counts, rejected: results.length - valid.length, results };
    return reply.code(202).send(response);
  });
}

function replayed(reply: FastifyReply): FastifyReply {
  return sendError(
    reply,
    409,
    'replayed_request',
    'this X-LayerSync-Request-Id was already used; generate a fresh request id (and signature) for every request, including retries',
  );
}

function rawEventId(raw: unknown): string | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const id = (raw as Record<string, unknown>).event_id;
  return typeof id === 'string' ? id.slice(0, 128) : null;
}
