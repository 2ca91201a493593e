/**
 * The baseline: the same fastify 5 the relay uses, in its own Node process like the relay,
 * with a POST /v1/events route that parses the JSON body (fastify's default parser) and answers
 * 202 — no signature, no validation, no storage, no logging. GET /healthz as the relay's.
 *
 *   node bench/lib/bare-server.mjs --port N     prints "listening <url>"
 */
import { referenceApp, serve } from './reference-server.mjs';

const app = referenceApp();
app.post('/v1/events', async (req, reply) => {
  const events = Array.isArray(req.body?.events) ? req.body.events.length : 0;
  return reply.code(202).send({ accepted: events, duplicate: 0, rejected: 0 });
});
await serve(app);
