/**
 * POST /v1/events — signed ingest (docs/CONTRACT.md).
 *
 * Order matters: the body is kept as raw bytes, the signature is verified over exactly those
 * bytes, and only then is anything parsed (process.ts). Accepted events are durably committed
 * (group commit) before the 202 is sent, so an acknowledged conversion survives a crash. From a
 * store file the parsing, validation and commit run on the ingest thread (thread.ts); the main
 * thread does the HTTP and the signature.
 */
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { StoreUnavailableError } from '../store/types.js';
import {
  eventMapTable,
  IngestProcessor,
  internalErrorAnswer,
  unavailableAnswer,
  type IngestAnswer,
  type IngestErrorCode,
  type VerifiedIngest,
} from './process.js';
import { readSignedHeaders, requestIdExpiry, signatureMatches } from './signature.js';
import { IngestThread } from './thread.js';

export type { EventResult, IngestErrorCode, IngestResponse } from './process.js';

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
  /** Process and commit on a thread with its own connection to this store file (see thread.ts). */
  thread?: { file: string; busyTimeoutMs?: number; youngGenerationMb?: number };
}

function sendError(reply: FastifyReply, status: number, error: IngestErrorCode, message: string): FastifyReply {
  return reply.code(status).send({ error, message });
}

export async function ingestRoutes(app: FastifyInstance, opts: IngestRouteOptions): Promise<void> {
  const mergeWindowMs = Math.round((opts.mergeWindowSeconds ?? 0) * 1000);
  const settings = {
    mergeWindowMs,
    dedupWindowMs: (opts.dedupWindowSeconds ?? 7 * 86_400) * 1000,
    rateLimit: { eventsPerSecond: opts.rateLimit?.eventsPerSecond ?? 0, burst: opts.rateLimit?.burst ?? 1000 },
  };
  const pruneIntervalMs = opts.pruneIntervalMs ?? 60_000;
  const eventMaps = eventMapTable(app.registry);

  // On the ingest thread when serving a store file, else here around store.ingest.
  let handle: (req: VerifiedIngest) => Promise<IngestAnswer>;
  if (opts.thread) {
    const thread = new IngestThread(
      { ...opts.thread, settings, eventMaps, sweepIntervalMs: pruneIntervalMs, bodyLimitBytes: opts.bodyLimitBytes },
      (err) => app.log.error({ err }, 'the ingest thread failed; a new one takes over'),
    );
    app.addHook('onClose', async () => thread.close());
    handle = (req) => thread.process(req);
  } else {
    const processor = new IngestProcessor(settings, eventMaps);
    const sweep = setInterval(() => processor.sweep(app.clock()), pruneIntervalMs);
    sweep.unref();
    app.addHook('onClose', async () => clearInterval(sweep));
    handle = async (req) => {
      // Asked first (a cache hit): planning is synchronous.
      const destinations = await app.store.listDestinations({ siteId: req.siteId, enabledOnly: true });
      const prepared = processor.prepare(req, () => destinations);
      if ('answer' in prepared) return prepared.answer;
      // A store failure throws to the error handler below (503 or 500).
      return processor.answer(prepared, await app.store.ingest(prepared.batch));
    };
  }

  // Housekeeping: order keys older than the dedup window.
  const prune = setInterval(() => {
    app.store.pruneDedupKeys(app.clock() - settings.dedupWindowMs).catch((err: unknown) => app.log.warn({ err }, 'could not prune order dedup keys'));
  }, pruneIntervalMs);
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
      return send(reply, unavailableAnswer());
    }
    if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
      return sendError(reply, err.statusCode, 'invalid_body', err.message);
    }
    req.log.error({ err }, 'ingest failed');
    return send(reply, internalErrorAnswer());
  });

  app.post('/v1/events', { bodyLimit: opts.bodyLimitBytes }, async (req, reply) => {
    const body = req.body;
    if (!Buffer.isBuffer(body)) {
      // No Content-Type and no body: fastify skipped parsing.
      return sendError(reply, 415, 'unsupported_media_type', 'send the events as JSON with Content-Type: application/json');
    }

    const headers = readSignedHeaders(req.headers);
    if (!headers.ok) return sendError(reply, 401, headers.problem.error, headers.problem.message);
    const signed = headers.value;

    const site = await app.store.getSite(signed.siteId);
    if (!site) {
      return sendError(
        reply,
        401,
        'unknown_site',
        `this relay has no site "${signed.siteId}"; check the site id in the plugin settings or add it with: layersync-relay sites add --id ${signed.siteId}`,
      );
    }

    const nowMs = app.clock();
    const skew = Math.floor(nowMs / 1000) - signed.timestamp;
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

    // A replayed request id is refused by the commit (one insert in the same transaction), not
    // by a read here: that read cost every honest request a query.
    const answer = await handle({
      siteId: signed.siteId,
      requestId: signed.requestId,
      requestIdExpiresAt: requestIdExpiry(nowMs, opts.signatureToleranceSeconds),
      receivedAt: nowMs,
      body: body.toString('utf8'),
    });
    if (answer.failure) req.log.error({ err: answer.failure }, answer.status === 503 ? 'store unavailable during ingest' : 'ingest failed');
    // With a merge window the new rows become due only when it has passed.
    if (answer.due) {
      if (mergeWindowMs === 0) app.worker?.kick();
      else app.worker?.kickAfter(mergeWindowMs);
    }
    return send(reply, answer);
  });
}

function send(reply: FastifyReply, answer: IngestAnswer): FastifyReply {
  if (answer.retryAfterSeconds !== undefined) reply.header('retry-after', String(answer.retryAfterSeconds));
  return reply.code(answer.status).send(answer.body);
}
