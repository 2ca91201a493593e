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
import { parseJson } from '../shared/json.js';
import { repeatOutcome, temporaryFailure } from '../shared/outcome.js';
import { redactBearerTokens, redactSecrets } from '../shared/redact.js';
import { retryAfterFromHeaders } from '../shared/retry-after.js';
import { bodySnippet, collapseWhitespace, sentence } from '../shared/text.js';
import { transportRetry } from '../shared/transport.js';
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
    outcomes: repeatOutcome(outcome, ctx.count),
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
  if (status === 429) return temporaryFailure('rate_limited', { platform: 'LinkedIn', status, ref: refPart, detail, retryAfterMs });
  if (status >= 500 || status === 408) return temporaryFailure('unavailable', { platform: 'LinkedIn', status, ref: refPart, detail, retryAfterMs });
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
  const { problem, error } = transportRetry(err, { ...opts, platform: 'LinkedIn', redact: (text) => scrub(text, opts.accessToken) });
  return { problem, outcomes: repeatOutcome({ kind: 'retry', error }, opts.count) };
}

/** LinkedIn's own message (multi-line validation messages are flattened), scrubbed, as a sentence of at most 400 characters. */
function describe(err: LinkedinErrorBody, body: string, ctx: ClassifyContext): string {
  const text = err.message !== undefined ? err.message : parseJson(body) === undefined ? body : '';
  return sentence(scrub(collapseWhitespace(text), ctx.accessToken));
}

/** Removes the access token (8 characters or more) and anything shaped like a bearer token from LinkedIn's or undici's text. */
export function scrub(text: string, accessToken: string): string {
  return redactBearerTokens(redactSecrets(text, [accessToken], 8));
}

/** The body on one line, cut to 200 characters, then scrubbed. */
function snippet(body: string, ctx: ClassifyContext): string {
  return bodySnippet(body, (text) => scrub(text, ctx.accessToken), { empty: 'empty body' });
}
