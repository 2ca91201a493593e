/**
 * Turns X's answers into LayerSync delivery outcomes. The Ads API answers errors with a non-2xx
 * status and {"errors":[{"code":"CAPS_CASE_CONSTANT","message", …}],"request":{"params":{…}}}
 * (X3); the decision rests on the HTTP status, the code names only sharpen the message. Success is
 * HTTP 200 (X1) with {"data":{"conversions_processed":N,"debug_id":…}} (shape from a third-party
 * fixture; UNCONFIRMED in X's own docs). X1 lists its 400 causes — no identifier, hashed_email
 * not SHA-256, event_id not a single event tag, more than 500 conversions — all permanent; 429 and
 * 5xx are retried. Whether one bad conversion fails the whole request is UNCONFIRMED; the
 * destination declares 'all-or-nothing' so the worker bisects a refused batch.
 */
import { z } from 'zod';
import type { HttpResponse } from '../../delivery/http.js';
import type { DeliveryOutcome } from '../types.js';

const errorsSchema = z
  .object({
    errors: z.array(z.object({ code: z.union([z.string(), z.number()]).optional(), message: z.string().optional() }).loose()).min(1),
  })
  .loose();

const successSchema = z
  .object({ data: z.object({ conversions_processed: z.number().int().nonnegative() }).loose() })
  .loose();

/** ok, invalid_credentials, permission_denied, not_found, rate_limited, unavailable, unreachable, timeout, rejected, unexpected_response. */
export type XProblem =
  | 'ok'
  | 'invalid_credentials'
  | 'permission_denied'
  | 'not_found'
  | 'rate_limited'
  | 'unavailable'
  | 'unreachable'
  | 'timeout'
  | 'rejected'
  | 'unexpected_response';

export interface XClassification {
  outcome: DeliveryOutcome;
  problem: XProblem;
}

export interface ClassifyContext {
  /** Credentials censored wherever they appear in X's text. */
  secrets: string[];
  pixelId: string;
  version: string;
  nowMs: number;
}

const CREDENTIALS_HINT =
  'check the API key and secret and the access token and secret in LayerSync (regenerating any of them in the X developer portal invalidates the saved one).';

/** Classifies X's answer to a conversions request (or, for the connection test, to GET accounts). */
export function classifyXResponse(res: HttpResponse, ctx: ClassifyContext): XClassification {
  const json = parseJson(res.body);
  if (res.status >= 200 && res.status < 300) {
    const ok = successSchema.safeParse(json);
    if (ok.success) {
      return {
        problem: 'ok',
        outcome: { kind: 'delivered', status: res.status, response: JSON.stringify({ conversions_processed: ok.data.data.conversions_processed }) },
      };
    }
    // Not X's answer (a proxy, a misrouted base URL): nothing proves X got the conversions.
    // A resend is safe because X deduplicates on conversion_id (X1).
    return {
      problem: 'unexpected_response',
      outcome: {
        kind: 'retry',
        status: res.status,
        error: `X answered HTTP ${res.status} without confirming the conversions (${snippet(res.body, ctx)}); LayerSync will retry.`,
      },
    };
  }

  const parsed = errorsSchema.safeParse(json);
  const codes = parsed.success ? parsed.data.errors.map((e) => e.code).filter((c) => c !== undefined).join(', ') : '';
  const ref = codes === '' ? `HTTP ${res.status}` : `HTTP ${res.status}, ${codes}`;
  const words = parsed.success
    ? scrub(parsed.data.errors.map((e) => e.message ?? '').filter(Boolean).join('; '), ctx.secrets)
    : json === undefined
      ? snippet(res.body, ctx)
      : '';
  const detail = words === '' || words === 'empty body' ? '' : ` ${sentence(words)}`;
  const status = res.status;

  if (status === 401) {
    return {
      problem: 'invalid_credentials',
      outcome: { kind: 'auth', status, error: `X refused the OAuth 1.0a credentials (${ref}).${detail} — ${CREDENTIALS_HINT}` },
    };
  }
  if (status === 403) {
    return {
      problem: 'permission_denied',
      outcome: {
        kind: 'auth',
        status,
        error: `X refused permission (${ref}).${detail} — the access token's user needs AD_MANAGER or ACCOUNT_ADMIN access to the ad account that owns pixel ${ctx.pixelId}, and the app needs Ads API access.`,
      },
    };
  }
  if (status === 404) {
    // A wrong pixel id or a retired API version: every conversion would fail the same way.
    return {
      problem: 'not_found',
      outcome: {
        kind: 'auth',
        status,
        error: `X could not find pixel ${ctx.pixelId} on Ads API version ${ctx.version} (${ref}).${detail} — check the Pixel (Base Tag) ID in X Events Manager; if it is right, update the LayerSync relay.`,
      },
    };
  }
  const retryAfterMs = retryAfterFromHeaders(res.headers, ctx.nowMs);
  if (status === 429) {
    return {
      problem: 'rate_limited',
      outcome: withRetryAfter(
        { kind: 'retry', status, error: `X is rate limiting requests (${ref}).${detail} — LayerSync will retry${retryNote(retryAfterMs)}.` },
        retryAfterMs,
      ),
    };
  }
  if (status >= 500 || status === 408) {
    return {
      problem: 'unavailable',
      outcome: withRetryAfter(
        { kind: 'retry', status, error: `X had a temporary problem (${ref}).${detail} — LayerSync will retry${retryNote(retryAfterMs)}.` },
        retryAfterMs,
      ),
    };
  }
  return {
    problem: 'rejected',
    outcome: { kind: 'drop', status, error: `X rejected the conversion (${ref}).${detail}` },
  };
}

/** Classifies a request that never got an HTTP answer. */
export function classifyXTransportError(err: unknown, opts: { secrets: string[]; timeoutMs: number; aborted: boolean }): XClassification {
  const code = errorCode(err);
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') {
    return { problem: 'timeout', outcome: { kind: 'retry', error: `X did not answer within ${formatMs(opts.timeoutMs)}; LayerSync will retry.` } };
  }
  if (opts.aborted) {
    return { problem: 'unreachable', outcome: { kind: 'retry', error: 'Sending to X was interrupted (the relay is stopping); LayerSync will retry.' } };
  }
  const message = scrub(err instanceof Error ? err.message : String(err), opts.secrets);
  return { problem: 'unreachable', outcome: { kind: 'retry', error: `Could not reach X (${code ?? 'network error'}: ${message}); LayerSync will retry.` } };
}

/**
 * Retry-After (seconds or HTTP date), else the Ads API's x-rate-limit-reset (unix seconds when the
 * window resets; the X Ads SDKs read both).
 */
export function retryAfterFromHeaders(headers: Record<string, string>, nowMs: number): number | undefined {
  const ra = headers['retry-after']?.trim();
  if (ra) {
    if (/^\d+$/.test(ra)) return Number(ra) * 1000;
    const at = Date.parse(ra);
    if (!Number.isNaN(at)) return Math.max(0, at - nowMs);
  }
  const reset = headers['x-rate-limit-reset']?.trim();
  if (reset && /^\d{9,11}$/.test(reset)) return Math.max(0, Number(reset) * 1000 - nowMs);
  return undefined;
}

function withRetryAfter(outcome: Extract<DeliveryOutcome, { kind: 'retry' }>, retryAfterMs: number | undefined): DeliveryOutcome {
  return retryAfterMs === undefined ? outcome : { ...outcome, retryAfterMs };
}

function retryNote(ms: number | undefined): string {
  return ms === undefined ? '' : ` in ${formatMs(ms)}`;
}

function formatMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s` : `${Math.round(s / 60)} min`;
}

function sentence(text: string): string {
  const t = text.length > 400 ? `${text.slice(0, 399)}…` : text;
  return /[\p{L}\p{N})\]]$/u.test(t) ? `${t}.` : t;
}

/** Removes every credential, and anything shaped like an OAuth parameter value, from X's or undici's text. */
export function scrub(text: string, secrets: string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 8) out = out.split(s).join('[redacted]');
  return out.replace(/(oauth_[a-z_]+=")[^"]*"/gi, '$1[redacted]"');
}

function snippet(body: string, ctx: { secrets: string[] }): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat === '' ? 'empty body' : scrub(flat.length > 200 ? `${flat.slice(0, 199)}…` : flat, ctx.secrets);
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const cause = (err as { cause?: unknown }).cause;
    if (cause !== undefined && cause !== err) return errorCode(cause);
  }
  return undefined;
}
