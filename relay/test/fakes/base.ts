/**
 * Shared machinery for the local fake platform servers: an HTTP server on loopback that
 * records what it received, can be told to fail the next N requests (5xx, 429, timeout,
 * auth), exposes GET /__received for tests in another process, and runs standalone
 * (`tsx relay/test/fakes/<name>-server.ts --port N`). Each fake supplies only its
 * platform's routing, validation and real response shapes.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';

export interface FakeRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  rawBody: string;
  /** Parsed JSON body, or undefined when the body is not JSON. */
  json: unknown;
}

export interface FakeResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** Extra fields stored on the Received entry (e.g. the pixel id a path addressed, or a decoded form body). */
  record?: Record<string, unknown>;
}

export type FailureKind = 500 | 503 | 429 | 'timeout' | 'auth';

export interface Received<T = unknown> {
  at: number;
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  body: T;
  /** The status the fake answered with. */
  status: number;
  /** Whatever the fake's handler added through FakeResponse.record. */
  [extra: string]: unknown;
}

export interface FakeServer<T = unknown> {
  url: string;
  port: number;
  /** Every request the fake answered, accepted or not, in order. */
  requests: Received<T>[];
  /** Only the requests the fake accepted (2xx). */
  readonly received: Received<T>[];
  /** The next n requests fail the given way, before any validation. */
  failNext(n: number, kind: FailureKind): void;
  reset(): void;
  close(): Promise<void>;
}

export interface FakeDefinition {
  name: string;
  /** Handles one request after failure injection; returns the platform's real response. */
  handle(req: FakeRequest): FakeResponse;
  /** The platform's real answer for a failure kind (rate-limit body, auth error body…). */
  failure(kind: Exclude<FailureKind, 'timeout'>): FakeResponse;
  /** Called after each answered request is recorded (standalone fakes log it as a JSON line). */
  onRecord?(entry: Received): void;
}

export async function startFakeServer<T = unknown>(def: FakeDefinition, port = 0): Promise<FakeServer<T>> {
  const requests: Received<T>[] = [];
  const pending: FailureKind[] = [];
  const hanging = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      if (req.method === 'GET' && url.pathname === '/__received') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(requests.filter((r) => r.status >= 200 && r.status < 300)));
        return;
      }
      if (req.method === 'GET' && url.pathname === '/__requests') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(requests));
        return;
      }
      // Failure injection and reset for tests that drive the fake from another process:
      // POST /__fail?n=2&kind=500 (kind: 500, 503, 429, timeout, auth), POST /__reset.
      if (req.method === 'POST' && url.pathname === '/__fail') {
        const n = Number(url.searchParams.get('n') ?? '1');
        const raw = url.searchParams.get('kind') ?? '500';
        const kind = (/^\d+$/.test(raw) ? Number(raw) : raw) as FailureKind;
        if (!Number.isInteger(n) || n < 0 || ![500, 503, 429, 'timeout', 'auth'].includes(kind)) {
          res.writeHead(400, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: 'use /__fail?n=<count>&kind=500|503|429|timeout|auth' }));
          return;
        }
        for (let i = 0; i < n; i++) pending.push(kind);
        res.writeHead(204).end();
        return;
      }
      if (req.method === 'POST' && url.pathname === '/__reset') {
        requests.length = 0;
        pending.length = 0;
        res.writeHead(204).end();
        return;
      }
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = rawBody ? JSON.parse(rawBody) : undefined;
      } catch {
        json = undefined;
      }
      const fail = pending.shift();
      if (fail === 'timeout') {
        hanging.add(res); // never answered: the client's timeout must fire
        res.on('close', () => hanging.delete(res));
        return;
      }
      const out = fail !== undefined ? def.failure(fail) : def.handle({
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        rawBody,
        json,
      });
      const entry: Received<T> = {
        at: Date.now(),
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body: (json ?? rawBody) as T,
        status: out.status,
        ...out.record,
      };
      requests.push(entry);
      def.onRecord?.(entry as Received);
      if (process.env.LAYERSYNC_FAKE_LOG === '1') {
        console.log(JSON.stringify({ fake: def.name, path: url.pathname, status: out.status }));
      }
      const body = typeof out.body === 'string' ? out.body : JSON.stringify(out.body);
      res.writeHead(out.status, { 'content-type': 'application/json', ...out.headers });
      res.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const actualPort = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actualPort}`,
    port: actualPort,
    requests,
    get received() {
      return requests.filter((r) => r.status >= 200 && r.status < 300);
    },
    failNext(n, kind) {
      for (let i = 0; i < n; i++) pending.push(kind);
    },
    reset() {
      requests.length = 0;
      pending.length = 0;
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** Parses `--port N` and `--flag value` pairs for standalone runs. */
export function cliArgs(argv = process.argv.slice(2)): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) out[a.slice(2)] = argv[i + 1] && !argv[i + 1]!.startsWith('--') ? argv[++i]! : 'true';
  }
  return out;
}

/** Standalone entry: start, print the URL, stop cleanly on SIGINT/SIGTERM. */
export async function runStandalone(
  start: (port: number, args: Record<string, string>) => Promise<Pick<FakeServer, 'url' | 'close'>>,
): Promise<void> {
  const args = cliArgs();
  const fake = await start(Number(args.port ?? 0), args);
  console.log(`listening ${fake.url}`);
  const stop = () => void fake.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

// ---------------------------------------------------------------------------------------------
// What the platform fakes share on top of the server: options, their typed handle, log lines and
// standalone runs.

/** Options every platform fake takes. */
export interface FakeOptions {
  /** 0 or absent: a free port. */
  port?: number;
  /** Retry-After seconds sent with injected 429s (each fake has its own default). */
  retryAfterSeconds?: number;
  /** Called with one JSON line per answered request (the standalone server prints them). */
  log?: (line: string) => void;
}

/**
 * What a test holds of a platform fake: its URL, what it answered (typed as the fake's own
 * Received, with the fields its handler records), failure injection in the fake's own terms.
 */
export interface FakeHandle<R extends Received = Received, K = FailureKind> {
  url: string;
  port: number;
  /** Requests the fake accepted (2xx), in order. */
  readonly received: R[];
  /** Every answered request, accepted or not. */
  readonly requests: R[];
  /** The next n requests fail this way before any validation. */
  failNext(n: number, kind: K): void;
  reset(): void;
  close(): Promise<void>;
}

export interface FakeHandleOptions<K, E extends object> {
  /** The fake's failure names in base terms (e.g. Meta's 'token' is base 'auth'); default: the same. */
  failure?: (kind: K) => FailureKind;
  /** Clears the fake's own state (deduplication memory, scripted answers) after the base reset. */
  onReset?: () => void;
  /** The fake's extra members; getters stay live. */
  extra?: E;
}

/** Wraps a started base server as a fake's typed handle. */
export function fakeHandle<R extends Received, K = FailureKind, E extends object = Record<never, never>>(
  server: FakeServer,
  opts: FakeHandleOptions<K, E> = {},
): FakeHandle<R, K> & E {
  const handle: FakeHandle<R, K> = {
    url: server.url,
    port: server.port,
    get received() {
      return server.received as R[];
    },
    get requests() {
      return server.requests as R[];
    },
    failNext: (n, kind) => server.failNext(n, opts.failure === undefined ? (kind as FailureKind) : opts.failure(kind)),
    reset: () => {
      server.reset();
      opts.onReset?.();
    },
    close: () => server.close(),
  };
  return Object.defineProperties(handle, Object.getOwnPropertyDescriptors(opts.extra ?? {})) as FakeHandle<R, K> & E;
}

/** FakeDefinition.onRecord that passes each entry, formatted, to `log`; none without a log. */
export function logEach(log: ((line: string) => void) | undefined, format: (entry: Received) => string): FakeDefinition['onRecord'] {
  return log === undefined ? undefined : (entry) => log(format(entry));
}

/** "Bearer abc…" → "Bearer [redacted]": keeps the scheme a request used, hides its credentials. */
export function maskCredentials(authorization: unknown): string {
  return String(authorization).replace(/^(\S+\s+).*/, '$1[redacted]');
}

/** A plain JSON object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** What the contract's hashed identity values look like: 64 lowercase hex characters. */
export const SHA256_HEX = /^[a-f0-9]{64}$/;

/** The module whose `import.meta.url` this is was started directly (`tsx …-server.ts`), not imported. */
export function isMainModule(importMetaUrl: string): boolean {
  return process.argv[1] !== undefined && importMetaUrl === pathToFileURL(process.argv[1]).href;
}

/** `--tokens a, b,` → ['a', 'b']; an absent flag stays undefined. */
export function listArg(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : value.split(',').map((s) => s.trim()).filter(Boolean);
}

/**
 * The port and log of a standalone fake: --port, else the environment variable `portVariable`,
 * else `defaultPort`; one JSON line per request on stdout unless --quiet.
 */
export function standaloneOptions(
  port: number,
  args: Record<string, string>,
  portVariable: string,
  defaultPort: number,
): Required<Pick<FakeOptions, 'port'>> & Pick<FakeOptions, 'log'> {
  return {
    port: port || Number(process.env[portVariable] ?? defaultPort),
    log: args.quiet === 'true' ? undefined : (line) => console.log(line),
  };
}
