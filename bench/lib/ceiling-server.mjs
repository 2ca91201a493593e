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
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = (p) => import(pathToFileURL(path.join(root, 'relay', 'dist', 'src', p)).href);
const Fastify = createRequire(path.join(root, 'relay', 'package.json'))('fastify');
const { readSignedHeaders, signatureMatches } = await dist('ingest/signature.js');
const { IngestProcessor } = await dist('ingest/process.js');

const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const port = Number(arg('--port') ?? 0);
const secrets = [arg('--secret') ?? ''];

const processor = new IngestProcessor({ mergeWindowMs: 0, dedupWindowMs: 7 * 86_400_000, rateLimit: { eventsPerSecond: 0, burst: 1000 } }, {});
const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
app.removeAllContentTypeParsers();
app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
app.post('/v1/events', async (req, reply) => {
  const headers = readSignedHeaders(req.headers);
  if (!headers.ok) return reply.code(401).send(headers.problem);
  if (!signatureMatches(headers.value, secrets, req.body)) return reply.code(401).send({ error: 'bad_signature', message: 'no match' });
  const nowMs = Date.now();
  const prepared = processor.prepare(
    { siteId: headers.value.siteId, requestId: headers.value.requestId, requestIdExpiresAt: nowMs + 601_000, receivedAt: nowMs, body: req.body.toString('utf8') },
    () => [],
  );
  const answer = 'answer' in prepared
    ? prepared.answer
    : processor.answer(prepared, { replayed: false, results: prepared.batch.events.map(() => 'accepted'), details: prepared.batch.events.map(() => ({})) });
  return reply.code(answer.status).send(answer.body);
});
app.get('/healthz', async () => ({ status: 'ok' }));
app.get('/readyz', async () => ({ status: 'ready' }));

const url = await app.listen({ host: '127.0.0.1', port });
console.log(`listening ${url}`);
const stop = () => void app.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
