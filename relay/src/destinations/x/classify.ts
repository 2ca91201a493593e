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
import { parseJson } from '../shared/json.js';
import { temporaryFailure } from '../shared/outcome.js';
import { REDACTED, redactSecrets } from '../shared/redact.js';
import { retryAfterFromHeaders, type RetryHint } from '../shared/retry-after.js';
import { bodySnippet, sentence } from '../shared/text.js';
import { transportRetry } from '../shared/transport.js';
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
  const retryAfterMs = retryAfterFromHeaders(res.headers, ctx.nowMs, rateLimitReset);
  if (status === 429) return temporaryFailure('rate_limited', { platform: 'X', status, ref, detail, retryAfterMs });
  if (status >= 500 || status === 408) return temporaryFailure('unavailable', { platform: 'X', status, ref, detail, retryAfterMs });
  return {
    problem: 'rejected',
    outcome: { kind: 'drop', status, error: `X rejected the conversion (${ref}).${detail}` },
  };
}

/** Classifies a request that never got an HTTP answer. */
export function classifyXTransportError(err: unknown, opts: { secrets: string[]; timeoutMs: number; aborted: boolean }): XClassification {
  const { problem, error } = transportRetry(err, { ...opts, platform: 'X', redact: (text) => scrub(text, opts.secrets) });
  return { problem, outcome: { kind: 'retry', error } };
}

/**
 * The Ads API's own wait hint, read when there is no usable Retry-After: x-rate-limit-reset, the
 * unix second the rate-limit window resets (9 to 11 digits; the X Ads SDKs read both headers).
 */
const rateLimitReset: RetryHint = (headers, nowMs) => {
  const reset = headers['x-rate-limit-reset']?.trim();
  if (reset && /^\d{9,11}$/.test(reset)) return Math.max(0, Number(reset) * 1000 - nowMs);
  return undefined;
};

/** Removes every credential (8 characters or more), and anything shaped like an OAuth parameter value, from X's or undici's text. */
export function scrub(text: string, secrets: string[]): string {
  return redactSecrets(text, secrets, 8).replace(/(oauth_[a-z_]+=")[^"]*"/gi, `$1${REDACTED}"`);
}

/** The body on one line, cut to 200 characters, then scrubbed. */
function snippet(body: string, ctx: { secrets: string[] }): string {
  return bodySnippet(body, (text) => scrub(text, ctx.secrets), { empty: 'empty body' });
}
