/**
 * Turns LinkedIn's answers into LayerSync delivery outcomes.
 *
 * LinkedIn's error body has four fields [FIELD]: {"status", "serviceErrorCode", "code", "message"}
 * (validation errors may carry only status and a multi-line message with JSON paths). A batch
 * create answers 200 with one status per element: {"elements":[{"status":201}, …]} (L1 schema);
 * a failed element carries {"status":4xx, "error":{"message", …}} (Rest.li batch convention,
 * UNCONFIRMED for this endpoint). Whole-request refusals (400 too old, 422 validation) hit every
 * event of the request; the worker bisects such batches (`batchRejection: 'all-or-nothing'`).
 *
 * Sources: /work/shared/platforms/pinterest-snap-linkedin-reddit-x-klaviyo-webhooks.md §3.
 */
import { z } from 'zod';
import type { HttpResponse } from '../../delivery/http.js';
import type { DeliveryOutcome } from '../types.js';

const errorBodySchema = z
  .object({
    status: z.coerce.number().int().optional(),
    serviceErrorCode: z.coerce.number().int().optional(),
    code: z.string().optional(),
    message: z.string().optional(),
  })
  .loose();
type LinkedinErrorBody = z.infer<typeof errorBodySchema>;

const batchResultSchema = z
  .object({
    elements: z.array(
      z
        .object({
          status: z.coerce.number().int(),
          error: errorBodySchema.optional(),
        })
        .loose(),
    ),
  })
  .loose();

/**
 * Machine code shared by delivery outcomes and the connection test: ok, token_expired,
 * invalid_credentials, permission_denied, outdated_api_version, rate_limited, unavailable,
 * unreachable, timeout, rejected, unexpected_response.
 */
export type LinkedinProblem =
  | 'ok'
  | 'token_expired'
  | 'invalid_credentials'
  | 'permission_denied'
  | 'outdated_api_version'
  | 'rate_limited'
  | 'unavailable'
  | 'unreachable'
  | 'timeout'
  | 'rejected'
  | 'unexpected_response';

export interface LinkedinClassification {
  /** One outcome per event of the request, in order. */
  outcomes: DeliveryOutcome[];
  /** The request-level problem ('ok' when LinkedIn answered with per-element results). */
  problem: LinkedinProblem;
}

export interface ClassifyContext {
  /** Censored wherever it appears in LinkedIn's text. */
  accessToken: string;
  /** The LinkedIn-Version the request carried. */
  version: string;
  /** How many events the request carried. */
  count: number;
  /** Now in ms, for Retry-After given as an HTTP date. */
  nowMs: number;
}

const RECONNECT =
  'reconnect LinkedIn: issue a new access token (scopes rw_conversions and r_ads) for a member who manages the ad account, and save it in LayerSync.';

/** Classifies LinkedIn's answer to a batch create. */
export function classifyLinkedinResponse(res: HttpResponse, ctx: ClassifyContext): LinkedinClassification {
  const json = parseJson(res.body);
  const all = (problem: LinkedinProblem, outcome: DeliveryOutcome): LinkedinClassification => ({
    problem,
    outcomes: Array.from({ length: ctx.count }, () => ({ ...outcome })),
  });

  if (res.status >= 200 && res.status < 300) {
    const batch = batchResultSchema.safeParse(json);
    if (batch.success && batch.data.elements.length === ctx.count) {
      return { problem: 'ok', outcomes: batch.data.elements.map((el, i) => elementOutcome(el.status, el.error, i, res, ctx)) };
    }
    // A 2xx that is not a batch result for exactly these events proves nothing about them
    // (a proxy, a misrouted base URL). Resending is the safe choice: LinkedIn keeps the first
    // event per eventId when the Insight Tag sent it too (L1).
    return all('unexpected_response', {
      kind: 'retry',
      status: res.status,
      error: `LinkedIn answered HTTP ${res.status} without a result for each of the ${ctx.count} events (${snippet(res.body, ctx)}); LayerSync will retry.`,
    });
  }

  const parsed = errorBodySchema.safeParse(json);
  const err: LinkedinErrorBody = parsed.success && typeof json === 'object' ? parsed.data : {};
  const { problem, outcome } = classifyError(res.status, err, res, ctx);
  return all(problem, outcome);
}

function elementOutcome(
  status: number,
  error: LinkedinErrorBody | undefined,
  index: number,
  res: HttpResponse,
  ctx: ClassifyContext,
): DeliveryOutcome {
  if (status >= 200 && status < 300) return { kind: 'delivered', status };
  const { outcome } = classifyError(status, error ?? {}, res, ctx);
  if ('error' in outcome) return { ...outcome, error: `Event ${index + 1} of the batch: ${outcome.error}` };
  return outcome;
}

function classifyError(
  status: number,
  err: LinkedinErrorBody,
  res: HttpResponse,
  ctx: ClassifyContext,
): { problem: LinkedinProblem; outcome: DeliveryOutcome } {
  const ref = [err.code, err.serviceErrorCode !== undefined ? `serviceErrorCode ${err.serviceErrorCode}` : undefined]
    .filter((x) => x !== undefined)
    .join(', ');
  const refPart = ref === '' ? `HTTP ${status}` : `HTTP ${status}, ${ref}`;
  const text = describe(err, res.body, ctx);
  const detail = text === '' ? '' : ` ${text}`;
  const code = err.code ?? '';

  // The relay's pinned version is missing, unknown or sunset: every request fails the same way
  // until the relay (or the api_version setting) is updated. 426 is LinkedIn's answer for a
  // version that is not active (UNCONFIRMED); VERSION_MISSING is [FIELD].
  if (status === 426 || /VERSION/i.test(code)) {
    return {
      problem: 'outdated_api_version',
      outcome: {
        kind: 'auth',
        status,
        error: `LinkedIn does not accept API version ${ctx.version} (${refPart}).${detail} — update the LayerSync relay, or set api_version to a version LinkedIn currently supports.`,
      },
    };
  }
  if (status === 401) {
    const expired = /EXPIRED/i.test(code) || /expired/i.test(err.message ?? '');
    return {
      problem: expired ? 'token_expired' : 'invalid_credentials',
      outcome: {
        kind: 'auth',
        status,
        error: `LinkedIn rejected the access token (${refPart}): ${expired ? 'it has expired' : 'it is invalid or was revoked'}.${detail} — ${RECONNECT}`,
      },
    };
  }
  if (status === 403) {
    // LinkedIn answers 403 "No ad accounts found" for a well-formed rule URN it cannot resolve for
    // this member, as well as for a missing scope or role [FIELD]: all configuration problems.
    return {
      problem: 'permission_denied',
      outcome: {
        kind: 'auth',
        status,
        error: `LinkedIn refused permission (${refPart}).${detail} — check that every conversion rule in conversion_rules exists, uses the Conversions API, and belongs to an ad account on which the token's member is Account Billing Admin, Account Manager, Campaign Manager or Creative Manager; the token needs the rw_conversions scope.`,
      },
    };
  }
  const retryAfterMs = retryAfterFromHeaders(res.headers, ctx.nowMs);
  if (status === 429) {
    return {
      problem: 'rate_limited',
      outcome: withRetryAfter(
        { kind: 'retry', status, error: `LinkedIn is rate limiting requests (${refPart}).${detail} — LayerSync will retry${retryNote(retryAfterMs)}.` },
        retryAfterMs,
      ),
    };
  }
  if (status >= 500 || status === 408) {
    return {
      problem: 'unavailable',
      outcome: withRetryAfter(
        { kind: 'retry', status, error: `LinkedIn had a temporary problem (${refPart}).${detail} — LayerSync will retry${retryNote(retryAfterMs)}.` },
        retryAfterMs,
      ),
    };
  }
  // 400 (e.g. older than 90 days), 422 (validation: wrong URN format, unknown field, number where
  // a string is expected) and anything else: the event itself was refused.
  return {
    problem: 'rejected',
    outcome: { kind: 'drop', status, error: `LinkedIn rejected the event (${refPart}).${detail}` },
  };
}

/** Classifies a request that never got an HTTP answer. */
export function classifyLinkedinTransportError(
  err: unknown,
  opts: { accessToken: string; timeoutMs: number; aborted: boolean; count: number },
): LinkedinClassification {
  const code = errorCode(err);
  const all = (problem: LinkedinProblem, error: string): LinkedinClassification => ({
    problem,
    outcomes: Array.from({ length: opts.count }, () => ({ kind: 'retry', error }) as DeliveryOutcome),
  });
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') {
    return all('timeout', `LinkedIn did not answer within ${formatMs(opts.timeoutMs)}; LayerSync will retry.`);
  }
  if (opts.aborted) return all('unreachable', 'Sending to LinkedIn was interrupted (the relay is stopping); LayerSync will retry.');
  const message = scrub(err instanceof Error ? err.message : String(err), opts.accessToken);
  return all('unreachable', `Could not reach LinkedIn (${code ?? 'network error'}: ${message}); LayerSync will retry.`);
}

/** LinkedIn's own message (multi-line validation messages are flattened), scrubbed. */
function describe(err: LinkedinErrorBody, body: string, ctx: ClassifyContext): string {
  let text = err.message !== undefined ? err.message : parseJson(body) === undefined ? body : '';
  text = scrub(text.replace(/\s+/g, ' ').trim(), ctx.accessToken);
  if (text.length > 400) text = `${text.slice(0, 399)}…`;
  if (/[\p{L}\p{N})\]]$/u.test(text)) text += '.';
  return text;
}

/** Retry-After in seconds or as an HTTP date. */
export function retryAfterFromHeaders(headers: Record<string, string>, nowMs: number): number | undefined {
  const ra = headers['retry-after']?.trim();
  if (!ra) return undefined;
  if (/^\d+$/.test(ra)) return Number(ra) * 1000;
  const at = Date.parse(ra);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
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

/** Removes the access token (and anything shaped like a bearer token) from LinkedIn's or undici's text. */
export function scrub(text: string, accessToken: string): string {
  const out = accessToken.length >= 8 ? text.split(accessToken).join('[redacted]') : text;
  return out.replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi, '$1[redacted]');
}

function snippet(body: string, ctx: ClassifyContext): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat === '' ? 'empty body' : scrub(flat.length > 200 ? `${flat.slice(0, 199)}…` : flat, ctx.accessToken);
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
