/**
 * A local webhook receiver that verifies requests the way a Standard Webhooks consumer does: with
 * the spec's own reference library (`standardwebhooks`, `Webhook#verify`), which checks the
 * signature AND the 5-minute timestamp tolerance. Anything it cannot verify is refused, so a
 * signing bug in the destination shows up as a 401 here.
 *
 *   POST {path}   (default /webhooks/layersync) → 200 {"ok":true}
 *   GET  /__received, GET /__requests, POST /__fail?n=&kind=, POST /__reset   (see base.ts)
 *
 * Standalone: `tsx relay/test/fakes/webhook-server.ts --port 8801 [--secret whsec_…] [--path /hook]
 * [--quiet]` prints `listening <url>` and one JSON line per request (the signature masked).
 *
 * Rules and sources (S = Standard Webhooks spec v1.0.0, L = its JavaScript reference library,
 * notes §8 of /work/shared/platforms/pinterest-snap-linkedin-reddit-x-klaviyo-webhooks.md). A
 * receiver's answers are its own choice; this one answers like a typical framework handler.
 */
import { Webhook } from 'standardwebhooks';
import { fakeHandle, isMainModule, logEach, runStandalone, standaloneOptions, startFakeServer, type FakeHandle, type FakeOptions, type FakeRequest, type FakeResponse, type Received } from './base.js';

/** A valid Standard Webhooks secret (24 random bytes, base64; S). */
export const FAKE_WEBHOOK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
export const FAKE_WEBHOOK_PATH = '/webhooks/layersync';
/** S: keep seen ids about as long as the timestamp tolerance. */
const REPLAY_WINDOW_MS = 5 * 60_000;

export type FakeWebhookFailure = 500 | 503 | 429 | 'timeout' | 'auth';

export interface StartFakeWebhookReceiverOptions extends FakeOptions {
  /** Secrets the receiver verifies with (any may match, S rotation). Default: [FAKE_WEBHOOK_SECRET]. */
  secrets?: string[];
  path?: string;
}

export interface WebhookReceived extends Received {
  /** The verified JSON payload. */
  payload?: unknown;
  /** True when the webhook-id was seen before (a retry or replay): acknowledged, not processed again. */
  duplicate?: boolean;
  /** Why verification failed (refused requests only). */
  verifyError?: string;
}

export interface FakeWebhookReceiver extends FakeHandle<WebhookReceived, FakeWebhookFailure> {
  /** url + path: what a webhook connection should be configured with. */
  endpoint: string;
  /** The next request gets this answer before any verification (redirects, 410, 4xx…). */
  respondNext(status: number, body?: unknown, headers?: Record<string, string>): void;
}

export async function startFakeWebhookReceiver(options: StartFakeWebhookReceiverOptions = {}): Promise<FakeWebhookReceiver> {
  const verifiers = (options.secrets ?? [FAKE_WEBHOOK_SECRET]).map((s) => new Webhook(s));
  const path = options.path ?? FAKE_WEBHOOK_PATH;
  const seen = new Map<string, number>();
  const scripted: FakeResponse[] = [];
  const retryAfter = options.retryAfterSeconds ?? 5;
  const log = options.log;

  const server = await startFakeServer(
    {
      name: 'webhook',
      handle(req) {
        const next = scripted.shift();
        if (next !== undefined) return next;
        return handle(req, { verifiers, path, seen });
      },
      failure(kind) {
        switch (kind) {
          case 'auth':
            return { status: 401, body: { error: 'invalid_signature', message: 'No matching signature found' } };
          case 429:
            return { status: 429, body: { error: 'rate_limited' }, headers: { 'retry-after': String(retryAfter) } };
          case 503:
            return { status: 503, body: { error: 'unavailable' } };
          default:
            return { status: 500, body: { error: 'internal_error' } };
        }
      },
      onRecord: logEach(log, logLine),
    },
    options.port ?? 0,
  );
  return fakeHandle<WebhookReceived, FakeWebhookFailure, Pick<FakeWebhookReceiver, 'endpoint' | 'respondNext'>>(server, {
    onReset: () => {
      seen.clear();
      scripted.length = 0;
    },
    extra: {
      endpoint: `${server.url}${path}`,
      respondNext(status: number, body: unknown = '', headers?: Record<string, string>) {
        scripted.push({ status, body, headers });
      },
    },
  });
}

interface HandleConfig {
  verifiers: Webhook[];
  path: string;
  seen: Map<string, number>;
}

function handle(req: FakeRequest, cfg: HandleConfig): FakeResponse {
  if (req.path !== cfg.path) return { status: 404, body: { error: 'not_found' } };
  if (req.method !== 'POST') return { status: 405, body: { error: 'method_not_allowed' } };
  // S: the payload should be JSON; this receiver only takes JSON.
  if (!/^application\/json\b/i.test(String(req.headers['content-type'] ?? ''))) return { status: 415, body: { error: 'unsupported_media_type' } };
  const id = header(req, 'webhook-id');
  const timestamp = header(req, 'webhook-timestamp');
  const signature = header(req, 'webhook-signature');
  // S: all three headers are required.
  if (id === undefined || timestamp === undefined || signature === undefined) {
    return { status: 400, body: { error: 'missing_headers', message: 'webhook-id, webhook-timestamp and webhook-signature are required' } };
  }
  // S: ids and timestamps must not contain "." (they are joined with "." for signing); the timestamp is integer seconds.
  if (id.includes('.') || !/^\d+$/.test(timestamp)) return { status: 400, body: { error: 'invalid_headers', message: 'webhook-id must not contain "." and webhook-timestamp must be integer seconds' } };

  // L: signature over "{id}.{timestamp}.{raw body}" with any secret, timestamp within 5 minutes.
  let lastError = 'No matching signature found';
  let verified = false;
  for (const v of cfg.verifiers) {
    try {
      v.verify(req.rawBody, { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature }, { jsonParse: false });
      verified = true;
      break;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
  }
  if (!verified) return { status: 401, body: { error: 'invalid_signature', message: lastError }, record: { verifyError: lastError } };
  let payload: unknown;
  try {
    payload = JSON.parse(req.rawBody);
  } catch {
    payload = undefined;
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return { status: 400, body: { error: 'invalid_payload', message: 'the body must be a JSON object' } };

  // S: webhook-id is the idempotency key; a repeat is acknowledged and not processed twice.
  const now = Date.now();
  for (const [k, t] of cfg.seen) if (now - t > REPLAY_WINDOW_MS) cfg.seen.delete(k);
  const duplicate = cfg.seen.has(id);
  if (!duplicate) cfg.seen.set(id, now);
  return { status: 200, body: { ok: true, duplicate }, record: { payload, duplicate } };
}

function header(req: FakeRequest, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

function logLine(entry: Received): string {
  const headers = { ...entry.headers };
  if (headers['webhook-signature'] !== undefined) headers['webhook-signature'] = 'v1,[redacted]';
  return JSON.stringify({ fake: 'webhook', status: entry.status, duplicate: entry.duplicate, path: entry.path, body: entry.body, headers });
}

if (isMainModule(import.meta.url)) {
  void runStandalone(async (port, args) =>
    startFakeWebhookReceiver({
      ...standaloneOptions(port, args, 'LAYERSYNC_FAKE_WEBHOOK_PORT', 8801),
      secrets: args.secret === undefined ? undefined : args.secret.split(','),
      path: args.path,
    }),
  );
}
