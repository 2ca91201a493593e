/**
 * Turns Pinterest's answers into LayerSync delivery outcomes, one per event sent. Pinterest's
 * shapes (P1, the v5.13 OpenAPI document):
 *   200 ConversionApiResponse {num_events_received, num_events_processed,
 *       events: [{status: "processed"|"failed", error_message, warning_message}]}, in request order
 *   422 DetailedError {code, message, details}: "Not all events were successfully processed"
 *   400 {code: 4196, message}, 401 {code: 2}, 403 {code: 29}, 429 {code: 8}, 503 {code: 4197}
 *
 * Per-event statuses let one refused event be dropped while the rest of the request counts as
 * delivered. UNCONFIRMED: where a 422 puts its per-event statuses. The OpenAPI document only
 * says `details` is an object; this classifier reads `events` from the body or from `details`,
 * and when it finds none it cannot tell which events failed and drops the request's events with
 * Pinterest's message (P1 warns against resending a whole batch blindly).
 */
import { z } from 'zod';
import type { HttpResponse } from '../../delivery/http.js';
import { parseJson } from '../shared/json.js';
import { isTransientStatus, repeatOutcome, transientProblem, withRetryAfter } from '../shared/outcome.js';
import { redactBearerTokens, redactSecrets } from '../shared/redact.js';
import { retryAfterFromHeaders, retryNote } from '../shared/retry-after.js';
import { bodySnippet, truncate } from '../shared/text.js';
import { transportRetry } from '../shared/transport.js';
import type { DeliveryOutcome } from '../types.js';

/** Machine codes shared by delivery outcomes and the connection test. */
export type PinterestProblem =
  | 'ok'
  | 'partially_rejected'
  | 'invalid_credentials'
  | 'permission_denied'
  | 'not_found'
  | 'rate_limited'
  | 'unavailable'
  | 'unreachable'
  | 'timeout'
  | 'rejected'
  | 'unexpected_response';

export interface PinterestClassification {
  /** One outcome per event of the request, in request order. */
  outcomes: DeliveryOutcome[];
  problem: PinterestProblem;
  /**
   * HTTP 400: Pinterest's schema check refused the request as a whole, so nothing says which
   * event was at fault (the sender may split the request to find out).
   */
  wholeRequestRejected: boolean;
}

export interface PinterestClassifyContext {
  /** Censored wherever it appears in Pinterest's text. */
  accessToken: string;
  adAccountId: string;
  /** Now in ms, for Retry-After given as an HTTP date. */
  nowMs: number;
  /** The request carried ?test=true: processed events were checked, not recorded. */
  test?: boolean;
}

const eventStatusSchema = z
  .object({
    status: z.enum(['processed', 'failed']),
    error_message: z.string().nullish(),
    warning_message: z.string().nullish(),
  })
  .loose();
type PinterestEventStatus = z.infer<typeof eventStatusSchema>;

const conversionResponseSchema = z
  .object({
    num_events_received: z.number().int().nonnegative(),
    num_events_processed: z.number().int().nonnegative(),
    events: z.array(eventStatusSchema),
  })
  .loose();

const errorSchema = z
  .object({
    code: z.coerce.number().int().optional(),
    message: z.string().optional(),
    details: z.unknown().optional(),
  })
  .loose();

const RECONNECT =
  'generate a new conversion access token in Pinterest Ads Manager (Conversions → Conversion access token) and save it in LayerSync.';

/**
 * Failed-event messages that read as a temporary problem on Pinterest's side. UNCONFIRMED:
 * Pinterest documents no per-event error codes, so this is a text heuristic; everything else a
 * failed event reports is treated as a problem with the event itself.
 */
const TRANSIENT_EVENT_ERROR = /internal (server )?error|temporar|try again|timed? ?out|unavailable/i;

/** Classifies Pinterest's answer to a request that carried `count` events. */
export function classifyPinterestResponse(res: HttpResponse, count: number, ctx: PinterestClassifyContext): PinterestClassification {
  const json = parseJson(res.body);
  const all = (outcome: DeliveryOutcome, problem: PinterestProblem, wholeRequestRejected = false): PinterestClassification => ({
    outcomes: repeatOutcome(outcome, count),
    problem,
    wholeRequestRejected,
  });

  if (res.status >= 200 && res.status < 300) {
    const statuses = eventStatuses(json, count);
    if (statuses !== undefined) return perEvent(statuses, res.status, ctx);
    // A 2xx that is not Pinterest's answer (a captive proxy, a wrong base URL) proves nothing
    // was received. Resending is safe: Pinterest deduplicates on event_id (P1).
    return all(
      {
        kind: 'retry',
        status: res.status,
        error: `Pinterest answered HTTP ${res.status} without the per-event statuses it always returns (${snippet(res.body, ctx)}); LayerSync will retry.`,
      },
      'unexpected_response',
    );
  }

  const err = errorSchema.safeParse(json);
  const code = err.success ? err.data.code : undefined;
  const said = err.success && err.data.message ? scrub(err.data.message, ctx.accessToken) : snippet(res.body, ctx);
  const ref = `HTTP ${res.status}${code !== undefined ? `, code ${code}` : ''}`;
  const retryAfterMs = retryAfterFromHeaders(res.headers, ctx.nowMs);

  if (res.status === 422) {
    const statuses = eventStatuses(json, count) ?? (err.success ? eventStatuses(err.data.details, count) : undefined);
    if (statuses !== undefined) return perEvent(statuses, res.status, ctx);
    return all(
      {
        kind: 'drop',
        status: 422,
        error: `Pinterest did not process every event of the request (${ref}: ${said}) and did not say which failed.`,
      },
      'rejected',
    );
  }
  if (res.status === 401) {
    return all({ kind: 'auth', status: 401, error: `Pinterest rejected the conversion access token (${ref}: ${said}) — ${RECONNECT}` }, 'invalid_credentials');
  }
  if (res.status === 403) {
    return all(
      {
        kind: 'auth',
        status: 403,
        error: `Pinterest does not let this token send conversions for ad account ${ctx.adAccountId} (${ref}: ${said}) — the token's owner must own the ad account or hold its Admin, Analyst, Audience or Campaign role; check the ad account ID, or ${RECONNECT}`,
      },
      'permission_denied',
    );
  }
  if (res.status === 404) {
    // UNCONFIRMED that Pinterest answers 404 for an unknown ad account; every later request
    // would fail the same way, so the destination is parked rather than events dropped.
    return all(
      { kind: 'auth', status: 404, error: `Pinterest cannot find ad account ${ctx.adAccountId} (${ref}: ${said}) — check the ad account ID in Pinterest Ads Manager.` },
      'not_found',
    );
  }
  if (isTransientStatus(res.status)) {
    const what =
      res.status === 429
        ? 'Pinterest is rate limiting requests (5,000 per minute per ad account)'
        : res.status === 503
          ? 'Pinterest is not accepting conversions right now'
          : 'Pinterest had a temporary problem';
    const retry = withRetryAfter({ kind: 'retry', status: res.status, error: `${what} (${ref}: ${said}); LayerSync will retry${retryNote(retryAfterMs)}.` }, retryAfterMs);
    return all(retry, transientProblem(res.status));
  }
  return all(
    { kind: 'drop', status: res.status, error: `Pinterest refused the request (${ref}: ${said}).` },
    'rejected',
    res.status === 400,
  );
}

function perEvent(statuses: PinterestEventStatus[], status: number, ctx: PinterestClassifyContext): PinterestClassification {
  let failed = 0;
  const outcomes = statuses.map((s, i): DeliveryOutcome => {
    if (s.status === 'processed') {
      const response: Record<string, unknown> = { status: 'processed' };
      if (s.warning_message) response.warning = scrub(s.warning_message, ctx.accessToken);
      if (ctx.test === true) response.test = true;
      return { kind: 'delivered', status, response: JSON.stringify(response) };
    }
    failed++;
    const why = s.error_message ? scrub(s.error_message, ctx.accessToken) : 'no reason given';
    if (TRANSIENT_EVENT_ERROR.test(why)) {
      return { kind: 'retry', status, error: `Pinterest could not process event #${i + 1} of the request for now (${why}); LayerSync will retry.` };
    }
    return { kind: 'drop', status, error: `Pinterest refused the event: ${why}` };
  });
  return { outcomes, problem: failed === 0 ? 'ok' : 'partially_rejected', wholeRequestRejected: false };
}

/** The per-event statuses, when `value` carries exactly one per event sent. */
function eventStatuses(value: unknown, count: number): PinterestEventStatus[] | undefined {
  const parsed = conversionResponseSchema.safeParse(value);
  if (!parsed.success || parsed.data.events.length !== count) return undefined;
  return parsed.data.events;
}

/** Classifies a request that never got an HTTP answer. */
export function classifyPinterestTransportError(
  err: unknown,
  count: number,
  opts: { accessToken: string; timeoutMs: number; aborted: boolean },
): PinterestClassification {
  const { problem, error } = transportRetry(err, { ...opts, platform: 'Pinterest', redact: (text) => scrub(text, opts.accessToken) });
  return { outcomes: repeatOutcome({ kind: 'retry', error }, count), problem, wholeRequestRejected: false };
}

/**
 * Removes the token (8 characters or more) and anything shaped like a bearer token from
 * Pinterest's or undici's text, then keeps it within 500 characters.
 */
export function scrub(text: string, accessToken: string): string {
  return truncate(redactBearerTokens(redactSecrets(text, [accessToken], 8)), 500);
}

/** The body on one line, scrubbed before it is cut to 200 characters, so a cut cannot leave part of a token behind. */
function snippet(body: string, ctx: { accessToken: string }): string {
  return bodySnippet(body, (text) => scrub(text, ctx.accessToken), { empty: 'empty body' });
}
