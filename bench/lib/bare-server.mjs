/**
 * The baseline: the same fastify 5 the relay uses, in its own Node process like the relay,
 * with a POST /v1/events route that parses the JSON body (fastify's default parser) and answers
 * 202 — no signature, no validation, no storage, no logging. GET /healthz as the relay's.
 *
 *   node bench/lib/bare-server.mjs --port N     prints "listening <url>"
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const Fastify = createRequire(path.join(root, 'relay', 'package.json'))('fastify');
const portArg = process.argv.indexOf('--port');
const port = portArg > 0 ? Number(process.argv[portArg + 1]) : 0;

const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
app.post('/v1/events', async (req, reply) => {
  const events = Array.isArray(req.body?.events) ? req.body.events.length : 0;
  return reply.code(202).send({ accepted: events, duplicate: 0, rejected: 0 });
});
app.get('/healthz', async () => ({ status: 'ok' }));
app.get('/readyz', async () => ({ status: 'ready' }));

const url = await app.listen({ host: '127.0.0.1', port });
console.log(`listening ${url}`);
const stop = () => void app.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
