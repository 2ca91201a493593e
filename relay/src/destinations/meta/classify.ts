/**
 * Turns Meta's answers into LayerSync delivery outcomes. Meta signals errors with an HTTP 4xx/5xx
 * and a Graph error envelope (S9):
 *   {"error":{"message","type","code","error_subcode","error_user_title","error_user_msg","is_transient","fbtrace_id"}}
 * The decision rests on `code` / `error_subcode` / `is_transient`, never on the text: Meta
 * localizes error_user_title/msg to the token owner's language, and `type` is "OAuthException"
 * for throttling as well as for bad tokens.
 *
 * Sources: /work/shared/platforms/meta-ga4-googleads-tiktok.md §1.8 (S9 Graph error codes, S10
 * rate limiting), RudderStack's fb error map and fixtures (3P) for 100/33 and 2804003.
 */
import { z } from 'zod';
import type { HttpResponse } from '../../delivery/http.js';
import { parseJson } from '../shared/json.js';
import { temporaryFailure, withRetryAfter } from '../shared/outcome.js';
import { REDACTED, redactBearerTokens, redactSecrets } from '../shared/redact.js';
import { retryAfterFromHeaders, retryNote, type RetryHint } from '../shared/retry-after.js';
import { bodySnippet, truncate } from '../shared/text.js';
import { transportRetry } from '../shared/transport.js';
import type { DeliveryOutcome } from '../types.js';
import { META_GRAPH_API_VERSION } from './api.js';

const graphErrorSchema = z.object({
  error: z
    .object({
      message: z.string().optional(),
      type: z.string().optional(),
      code: z.coerce.number().int().optional(),
      error_subcode: z.coerce.number().int().optional(),
      error_user_title: z.string().optional(),
      error_user_msg: z.string().optional(),
      is_transient: z.boolean().optional(),
      fbtrace_id: z.string().optional(),
    })
    .loose(),
});
export type MetaGraphError = z.infer<typeof graphErrorSchema>['error'];

const eventsSuccessSchema = z
  .object({
    events_received: z.number().int().nonnegative(),
    messages: z.array(z.unknown()).optional(),
    fbtrace_id: z.string().optional(),
  })
  .loose();

/**
 * Machine code for what went wrong, shared by delivery outcomes and the connection test:
 * ok, token_expired, invalid_credentials, permission_denied, not_found, outdated_api_version,
 * rate_limited, unavailable, unreachable, timeout, rejected, unexpected_response.
 */
export type MetaProblem =
  | 'ok'
  | 'token_expired'
  | 'invalid_credentials'
  | 'permission_denied'
  | 'not_found'
  | 'outdated_api_version'
  | 'rate_limited'
  | 'unavailable'
  | 'unreachable'
  | 'timeout'
  | 'rejected'
  | 'unexpected_response';

export interface MetaClassification {
  outcome: DeliveryOutcome;
  problem: MetaProblem;
}

export interface ClassifyContext {
  /** Censored wherever it appears in Meta's text. */
  accessToken: string;
  pixelId: string;
  /** Now in ms, for Retry-After given as an HTTP date. */
  nowMs: number;
}

/** Throttling codes (S9, S10): 4 app, 17 user, 32 page, 341 app limit, 613 calls within a time window, 80003/80004 ad-account. */
const RATE_LIMIT_CODES = new Set([4, 17, 32, 341, 613, 80003, 80004]);
/** Temporary server-side problems (S9): 1 unknown error, 2 service unavailable. */
const TRANSIENT_CODES = new Set([1, 2]);

const RECONNECT =
  'reconnect Meta: generate a new Conversions API access token in Events Manager (your pixel → Settings → Conversions API) and save it in LayerSync.';

/** Classifies an HTTP answer from the events edge (or, for the connection test, the pixel node). */
export function classifyMetaResponse(res: HttpResponse, ctx: ClassifyContext): MetaClassification {
  const json = parseJson(res.body);

  if (res.status >= 200 && res.status < 300) {
    const ok = eventsSuccessSchema.safeParse(json);
    if (ok.success) {
      const { events_received, fbtrace_id } = ok.data;
      return {
        problem: 'ok',
        outcome: { kind: 'delivered', status: res.status, response: JSON.stringify({ events_received, fbtrace_id }) },
      };
    }
    // A 2xx that is not Meta's answer (a captive proxy, a misrouted base URL) proves nothing was
    // received. Retrying is safe because Meta deduplicates on event_name + event_id.
    return {
      problem: 'unexpected_response',
      outcome: {
        kind: 'retry',
        status: res.status,
        error: `Meta answered HTTP ${res.status} without confirming how many events it received (${snippet(res.body, ctx)}); LayerSync will retry.`,
      },
    };
  }

  const retryAfterMs = retryAfterFromHeaders(res.headers, ctx.nowMs, businessUseCaseWait);
  const parsed = graphErrorSchema.safeParse(json);
  if (parsed.success) return classifyGraphError(parsed.data.error, res.status, retryAfterMs, ctx);

  // No Graph envelope: a proxy, load balancer or outage page answered.
  if (res.status >= 500 || res.status === 429 || res.status === 408) {
    return {
      problem: res.status === 429 ? 'rate_limited' : 'unavailable',
      outcome: withRetryAfter(
        { kind: 'retry', status: res.status, error: `Meta answered HTTP ${res.status}${retryNote(retryAfterMs)}.` },
        retryAfterMs,
      ),
    };
  }
  if (res.status === 401 || res.status === 403) {
    return {
      problem: 'invalid_credentials',
      outcome: { kind: 'auth', status: res.status, error: `Meta refused the request (HTTP ${res.status}) — ${RECONNECT}` },
    };
  }
  return {
    problem: 'rejected',
    outcome: {
      kind: 'drop',
      status: res.status,
      error: `Meta rejected the request (HTTP ${res.status}): ${snippet(res.body, ctx)}`,
    },
  };
}

function classifyGraphError(
  err: MetaGraphError,
  status: number,
  retryAfterMs: number | undefined,
  ctx: ClassifyContext,
): MetaClassification {
  const code = err.code;
  const sub = err.error_subcode;
  const ref = `code ${code ?? '?'}${sub !== undefined ? `, subcode ${sub}` : ''}`;
  const detail = describe(err, ctx);
  const d = detail === '' ? '' : ` ${detail}`;
  const auth = (problem: MetaProblem, error: string): MetaClassification => ({
    problem,
    outcome: { kind: 'auth', status, error },
  });

  // Credentials and configuration: every later event would fail the same way, so park the
  // destination and alert instead of dropping events one by one.
  if (code === 190) {
    const why =
      sub === 463
        ? 'the token has expired'
        : sub === 460
          ? 'the token was invalidated (password change or a security reset on the Meta account)'
          : sub === 458
            ? 'the app behind the token was removed'
            : 'the token is invalid';
    return auth(sub === 463 ? 'token_expired' : 'invalid_credentials', `Meta rejected the access token (${ref}): ${why}.${d} — ${RECONNECT}`);
  }
  if (code === 102 || code === 104) {
    return auth('invalid_credentials', `Meta did not accept the access token (${ref}).${d} — ${RECONNECT}`);
  }
  if (code === 10 || code === 3 || (code !== undefined && code >= 200 && code <= 299)) {
    return auth(
      'permission_denied',
      `Meta refused permission (${ref}).${d} — the access token must be allowed to send events for pixel ${ctx.pixelId}; generate it from that pixel's Conversions API settings in Events Manager.`,
    );
  }
  if ((code === 100 && sub === 33) || code === 803) {
    // "Object with ID … does not exist, cannot be loaded due to missing permissions, or does not
    // support this operation" — a wrong Pixel ID or a token from another business.
    return auth(
      'not_found',
      `Meta cannot find pixel ${ctx.pixelId}, or this access token cannot use it (${ref}).${d} — check the Pixel ID, and generate the token from that pixel's settings in Events Manager.`,
    );
  }
  if (code === 2635) {
    // UNCONFIRMED for CAPI: the Marketing API answers 2635 for a deprecated version. Waiting for
    // a relay upgrade beats dropping every event, so this parks the destination too.
    return auth(
      'outdated_api_version',
      `Meta no longer accepts Graph API ${META_GRAPH_API_VERSION}, which this LayerSync relay uses (${ref}).${d} — update the LayerSync relay.`,
    );
  }

  if (code !== undefined && RATE_LIMIT_CODES.has(code)) {
    return temporaryFailure('rate_limited', { platform: 'Meta', status, ref, detail: d, retryAfterMs });
  }
  if ((code !== undefined && TRANSIENT_CODES.has(code)) || code === 368 || err.is_transient === true || status >= 500) {
    return temporaryFailure('unavailable', { platform: 'Meta', status, ref, detail: d, retryAfterMs });
  }

  // 100 "Invalid parameter" and everything else Meta does not call transient: the payload itself
  // was refused (e.g. 2804003 event too old, 2804050 too little customer information).
  return {
    problem: 'rejected',
    outcome: { kind: 'drop', status, error: `Meta rejected the event (${ref}).${d}` },
  };
}

/** Classifies a request that never got an HTTP answer. */
export function classifyMetaTransportError(
  err: unknown,
  opts: { accessToken: string; timeoutMs: number; aborted: boolean },
): MetaClassification {
  const { problem, error } = transportRetry(err, { ...opts, platform: 'Meta', redact: (text) => scrub(text, opts.accessToken) });
  return { problem, outcome: { kind: 'retry', error } };
}

/** Meta's own words: the user-facing title and message when present, else the developer message, plus the trace id Meta support asks for. */
function describe(err: MetaGraphError, ctx: ClassifyContext): string {
  const parts: string[] = [];
  if (err.error_user_title) parts.push(err.error_user_title);
  if (err.error_user_msg) parts.push(err.error_user_msg);
  if (parts.length === 0 && err.message) parts.push(err.message);
  let text = scrub(parts.join(': '), ctx.accessToken);
  if (/[\p{L}\p{N}]$/u.test(text)) text += '.';
  if (err.fbtrace_id) text += `${text === '' ? '' : ' '}(fbtrace_id ${scrub(err.fbtrace_id, ctx.accessToken)})`;
  return text;
}

/**
 * Meta's own wait hint, read when there is no usable Retry-After: X-Business-Use-Case-Usage
 * `estimated_time_to_regain_access` in minutes, the largest across the usage entries (S10;
 * whether CAPI responses carry it is UNCONFIRMED).
 */
const businessUseCaseWait: RetryHint = (headers) => {
  const buc = headers['x-business-use-case-usage'];
  if (buc) {
    try {
      const usage = JSON.parse(buc) as Record<string, Array<{ estimated_time_to_regain_access?: unknown }>>;
      let minutes = 0;
      for (const entries of Object.values(usage)) {
        for (const e of Array.isArray(entries) ? entries : []) {
          const m = Number(e.estimated_time_to_regain_access);
          if (Number.isFinite(m) && m > minutes) minutes = m;
        }
      }
      if (minutes > 0) return minutes * 60_000;
    } catch {
      // Not JSON: no hint.
    }
  }
  return undefined;
};

/** `access_token=…`, `"access_token": "…"` and the like, whatever token they hold. */
const ACCESS_TOKEN_PARAM = /(access_token["']?\s*[=:]\s*["']?)[^\s"'&,}]+/gi;

/**
 * Removes the access token (8 characters or more), anything shaped like a token parameter and
 * any bearer token from Meta's or undici's text, then keeps it within 500 characters.
 */
function scrub(text: string, accessToken: string): string {
  const out = redactBearerTokens(redactSecrets(text, [accessToken], 8).replace(ACCESS_TOKEN_PARAM, `$1${REDACTED}`));
  return truncate(out, 500);
}

/** The body on one line, cut to 200 characters, then scrubbed. */
function snippet(body: string, ctx: ClassifyContext): string {
  return bodySnippet(body, (text) => scrub(text, ctx.accessToken), { empty: 'empty body' });
}
