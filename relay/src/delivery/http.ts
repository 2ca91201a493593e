/**
 * Shared HTTP transport for destinations: one undici Pool per origin (keep-alive, bounded
 * connections) and explicit timeouts. Destinations see only this small interface, so their
 * tests can run against a local fake platform server with the real client.
 */
import { Agent, request } from 'undici';

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** Whole-request timeout in milliseconds. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface HttpClient {
  request(req: HttpRequest): Promise<HttpResponse>;
  close(): Promise<void>;
}

export interface HttpClientOptions {
  /** Connections kept per origin. */
  connectionsPerOrigin?: number;
  defaultTimeoutMs?: number;
  userAgent?: string;
}

export function createHttpClient(opts: HttpClientOptions = {}): HttpClient {
  const timeout = opts.defaultTimeoutMs ?? 10_000;
  // An Agent keeps one Pool per origin, which is exactly "one shared pool per platform origin".
  const agent = new Agent({
    connections: opts.connectionsPerOrigin ?? 8,
    keepAliveTimeout: 30_000,
    connectTimeout: Math.min(timeout, 5_000),
  });
  const userAgent = opts.userAgent ?? 'LayerSync-Relay/0.1 (+https://github.com/layersync)';
  return {
    async request(req) {
      const t = req.timeoutMs ?? timeout;
      const res = await request(req.url, {
        method: req.method,
        headers: { 'user-agent': userAgent, ...req.headers },
        body: req.body,
        dispatcher: agent,
        headersTimeout: t,
        bodyTimeout: t,
        signal: req.signal,
      });
      const body = await res.body.text();
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) {
        if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      }
      return { status: res.statusCode, headers, body };
    },
    close: () => agent.close(),
  };
}
