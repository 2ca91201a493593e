/**
 * Logging and text redaction. Logs are shipped to places merchants do not treat as secret
 * stores, so signatures, tokens, secrets and identity fields are censored by pino `redact`,
 * and free text that may echo a platform response (errors) goes through `redactText`.
 */
import type { LoggerOptions } from 'pino';
import type { Config } from './config.js';

export const REDACTED = '[redacted]';

/**
 * pino redact paths. `*` matches one level, so each sensitive key is listed at the depths where
 * our own log calls put it (top level, one object deep, request headers).
 */
export const REDACT_PATHS: string[] = [
  'req.headers.authorization',
  'req.headers["x-layersync-signature"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-layersync-signature"]',
  ...['secret', 'secrets', 'secret_previous', 'token', 'access_token', 'accessToken', 'adminToken', 'password', 'signature', 'settings', 'identity', 'em', 'ph', 'email', 'phone',
    // Platform credentials by their settings names, the vault key, and hashed identifiers of privacy requests.
    'api_secret', 'client_secret', 'refresh_token', 'developer_token', 'api_key', 'private_key', 'vaultKey', 'vaultPreviousKeys',
    'external_id', 'external_id_sha256', 'email_sha256', 'phone_sha256', 'authorization']
    .flatMap((k) => [k, `*.${k}`]),
  'event.identity',
  'events[*].identity',
  '*.event.identity',
];

/** pino options shared by the server and the tests that check redaction. */
export function loggerOptions(config: Pick<Config, 'logLevel'>): LoggerOptions {
  return {
    level: config.logLevel,
    redact: { paths: REDACT_PATHS, censor: REDACTED },
  };
}

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
// access_token=…, "access_token":"…", Bearer …, and the like, in URLs, JSON or prose.
const TOKEN_PARAM = /((?:access_token|token|api_secret|secret|password|signature)["']?\s*[=:]\s*["']?)[^\s"'&,}]+/gi;
const BEARER = /(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi;

/**
 * Removes secrets and raw PII from free text (platform error bodies, exception messages)
 * before it is stored or logged, then caps its length.
 * @param knownSecrets exact values to censor wherever they appear (a destination's tokens).
 */
export function redactText(text: string, knownSecrets: readonly string[] = [], maxBytes = 2048): string {
  let out = text;
  for (const s of knownSecrets) {
    // Short values would censor ordinary words; real tokens are long.
    if (s.length >= 6) out = out.split(s).join(REDACTED);
  }
  out = out.replace(TOKEN_PARAM, `$1${REDACTED}`).replace(BEARER, `$1${REDACTED}`).replace(EMAIL, '[email]');
  return truncateUtf8(out, maxBytes);
}

/** Cuts a string to at most maxBytes of UTF-8 without splitting a character, marking the cut. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const marker = '…[truncated]';
  const budget = maxBytes - Buffer.byteLength(marker, 'utf8');
  let cut = Buffer.from(text, 'utf8').subarray(0, budget).toString('utf8');
  // A split multi-byte character decodes as U+FFFD at the end; drop it.
  if (cut.endsWith('\uFFFD')) cut = cut.slice(0, -1);
  return cut + marker;
}

const LOG_METHODS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent', 'child']);

/**
 * fastify's childLoggerFactory, made lazy: fastify builds a child logger (bindings serialized
 * through redaction) for every request, although an accepted ingest request logs nothing. The
 * child is built on first use instead; until then its log methods are cheap forwarding stubs
 * (fastify checks that they exist) and fastify's own symbol-keyed markers live on the stand-in.
 */
export function lazyChildLogger<L extends { child(bindings: object, opts?: object): L }>(parent: L, bindings: object, opts?: object): L {
  let real: L | undefined;
  const child = (): L => (real ??= parent.child(bindings, opts));
  const stubs = new Map<string, (...args: unknown[]) => unknown>();
  return new Proxy({} as Record<PropertyKey, unknown>, {
    get(target, p) {
      if (typeof p === 'symbol' && p in target) return target[p];
      if (typeof p === 'string' && LOG_METHODS.has(p)) {
        let stub = stubs.get(p);
        if (!stub) stubs.set(p, (stub = (...args: unknown[]) => (child() as unknown as Record<string, (...a: unknown[]) => unknown>)[p]!(...args)));
        return stub;
      }
      const r = child() as unknown as Record<PropertyKey, unknown>;
      const v = r[p];
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(r) : v;
    },
    set(target, p, v) {
      if (typeof p === 'symbol') target[p] = v;
      else (child() as unknown as Record<PropertyKey, unknown>)[p] = v;
      return true;
    },
    has(target, p) {
      return (typeof p === 'symbol' && p in target) || p in (child() as object);
    },
  }) as unknown as L;
}
