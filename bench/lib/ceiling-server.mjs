/**
 * A second reference point: the relay's own per-request checks with storage left out. The same
 * fastify 5, one thread, POST /v1/events that keeps the raw body, reads the signing headers,
 * checks the HMAC (the relay's readSignedHeaders and signatureMatches), then runs the relay's
 * IngestProcessor — JSON.parse, envelope and per-event zod validation, rate limit, delivery
 * planning (no destinations) — and answers 202 with the per-event results as if every event had
 * been stored. No replay check, no store, no commit, no logging, no metrics.
 *
 * It is not something to ship (nothing is kept); it shows how much of the bare route's
 * throughput is left once the checks the contract requires are done, before any durability.
 *
 *   node bench/lib/ceiling-server.mjs --port N --secret S     prints "listening <url>"
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { flag, referenceApp, RELAY_DIR, serve } from './reference-server.mjs';

const dist = (p) => import(pathToFileURL(path.join(RELAY_DIR, 'dist', 'src', p)).href);
const { readSignedHeaders, requestIdExpiry, signatureMatches } = await dist('ingest/signature.js');
const { IngestProcessor } = await dist('ingest/process.js');

const secrets = [flag('secret') ?? ''];

const processor = new IngestProcessor({ mergeWindowMs: 0, dedupWindowMs: 7 * 86_400_000, rateLimit: { eventsPerSecond: 0, burst: 1000 } }, {});
const app = referenceApp();
app.removeAllContentTypeParsers();
app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
app.post('/v1/events', async (req, reply) => {
  const headers = readSignedHeaders(req.headers);
  if (!headers.ok) return reply.code(401).send(headers.problem);
  if (!signatureMatches(headers.value, secrets, req.body)) return reply.code(401).send({ error: 'bad_signature', message: 'no match' });
  const nowMs = Date.now();
  const prepared = processor.prepare(
    { siteId: headers.value.siteId, requestId: headers.value.requestId, requestIdExpiresAt: requestIdExpiry(nowMs, 300), receivedAt: nowMs, body: req.body.toString('utf8') },
    () => [],
  );
  const answer = 'answer' in prepared
    ? prepared.answer
    : processor.answer(prepared, { replayed: false, results: prepared.batch.events.map(() => 'accepted'), details: prepared.batch.events.map(() => ({})) });
  return reply.code(answer.status).send(answer.body);
});
await serve(app);
