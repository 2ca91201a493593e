/**
 * What the ingest bench's reference servers (bare-server.mjs, ceiling-server.mjs) share: the
 * relay's own fastify 5 with logging off and a 1 MB body limit, the relay's GET /healthz and
 * /readyz, command-line flags, and listening on 127.0.0.1 with "listening <url>" on stdout
 * (what bench/ingest.mjs waits for) until SIGINT/SIGTERM.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const RELAY_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'relay');
const Fastify = createRequire(path.join(RELAY_DIR, 'package.json'))('fastify');

/** The value after `--name` on the command line, if any. */
export function flag(name) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

/** A fastify app with the relay's health routes; the caller adds POST /v1/events, then calls serve(). */
export function referenceApp() {
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async () => ({ status: 'ready' }));
  return app;
}

/** Listens on 127.0.0.1:--port (0: any), prints "listening <url>" and closes on SIGINT/SIGTERM. */
export async function serve(app) {
  const url = await app.listen({ host: '127.0.0.1', port: Number(flag('port') ?? 0) });
  console.log(`listening ${url}`);
  const stop = () => void app.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
