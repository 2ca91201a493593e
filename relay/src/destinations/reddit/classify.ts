/**
 * Turns Reddit's answers into LayerSync delivery outcomes, one per event sent. Reddit's shapes
 * (R1 error tables; R2 a real v3 400 body):
 *   200 {"data":{"message":"Successfully processed N conversion events."}}
 *   400 {"error":{"code":400,"message":"There were N invalid conversion events. None were processed.",
 *        "fields":[{"field":"$.data.events[0].user.UUID","message":"…"}]}}  — the whole request refused
 *   400 "Bad Request" (more than 1,000 events), 401 "No bearer token provided" / "UNAUTHORIZED",
 *   403 not authorized for the Pixel ID / missing adsconversions scope,
 *   429 default user agent throttled / quota exhausted, 500 nothing processed
 *
 * A 400 processes nothing. When its `fields` name the refused events, those are dropped and the
 * others are retried (they were valid, only their neighbours were not); when they name none,
 * every event is dropped and the worker bisects the batch (`batchRejection: 'all-or-nothing'`).
 * UNCONFIRMED: that 401/403/429/500 use the same `error` envelope; they are classified by status.
 */
import { z } from 'zod';
import type { HttpResponse } from '../../delivery/http.js';
import { parseJson } from '../shared/json.js';
import { isTransientStatus, repeatOutcome, transientProblem, withRetryAfter } from '../shared/outcome.js';
import { redactBearerTokens, redactSecrets, type Redactor } from '../shared/redact.js';
import { retryAfterFromHeaders, retryNote } from '../shared/retry-after.js';
import { bodySnippet, truncate } from '../shared/text.js';
import { transportRetry } from '../shared/transport.js';
import type { DeliveryOutcome } from '../types.js';

export type RedditProblem =
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

export interface RedditClassification {
  outcomes: DeliveryOutcome[];
  problem: RedditProblem;
}

export interface RedditClassifyContext {
  accessToken: string;
  pixelId: string;
  nowMs: number;
}

const successSchema = z.object({ data: z.object({ message: z.string() }).loose() }).loose();
const errorSchema = z
  .object({
    error: z
      .object({
        code: z.coerce.number().int().optional(),
        message: z.string().optional(),
        fields: z.array(z.object({ field: z.string(), message: z.string().optional() }).loose()).optional(),
      })
      .loose(),
  })
  .loose();

const RECONNECT = 'generate a new conversion access token in Reddit Ads Manager (Events Manager → Conversions API) and save it in LayerSync.';
const EVENT_FIELD = /^\$\.data\.events\[(\d+)\]/;

/** Classifies Reddit's answer to a request that carried `count` events. */
export function classifyRedditResponse(res: HttpResponse, count: number, ctx: RedditClassifyContext): RedditClassification {
  const clean = (text: string) => scrub(text, ctx.accessToken);
  const json = parseJson(res.body);
  const all = (outcome: DeliveryOutcome, problem: RedditProblem): RedditClassification => ({
    outcomes: repeatOutcome(outcome, count),
    problem,
  });

  if (res.status >= 200 && res.status < 300) {
    const ok = successSchema.safeParse(json);
    if (ok.success) return all({ kind: 'delivered', status: res.status, response: clean(ok.data.data.message) }, 'ok');
    // Not Reddit's answer: nothing proves the events were processed. Resending is safe: Reddit
    // deduplicates on metadata.conversion_id (R1).
    return all(
      { kind: 'retry', status: res.status, error: `Reddit answered HTTP ${res.status} without confirming the events (${snippet(res.body, clean)}); LayerSync will retry.` },
      'unexpected_response',
    );
  }

  const parsed = errorSchema.safeParse(json);
  const said = parsed.success && parsed.data.error.message ? clean(parsed.data.error.message) : snippet(res.body, clean);
  const retryAfterMs = retryAfterFromHeaders(res.headers, ctx.nowMs);
  if (res.status === 401) {
    return all({ kind: 'auth', status: 401, error: `Reddit rejected the conversion access token (HTTP 401: ${said}) — ${RECONNECT}` }, 'invalid_credentials');
  }
  if (res.status === 403) {
    return all(
      {
        kind: 'auth',
        status: 403,
        error: `Reddit does not let this token post conversions to pixel ${ctx.pixelId} (HTTP 403: ${said}) — check the Pixel ID, and use a token created for that pixel (OAuth apps need the adsconversions scope).`,
      },
      'permission_denied',
    );
  }
  if (res.status === 404) {
    return all({ kind: 'auth', status: 404, error: `Reddit cannot find pixel ${ctx.pixelId} (HTTP 404: ${said}) — check the Pixel ID in Reddit Ads Manager.` }, 'not_found');
  }
  if (isTransientStatus(res.status)) {
    const what =
      res.status === 429
        ? /user agent/i.test(said)
          ? 'Reddit throttled the relay\'s user agent'
          : 'Reddit is rate limiting requests'
        : 'Reddit had a temporary problem and processed none of the events';
    const retry = withRetryAfter({ kind: 'retry', status: res.status, error: `${what} (HTTP ${res.status}: ${said}); LayerSync will retry${retryNote(retryAfterMs)}.` }, retryAfterMs);
    return all(retry, transientProblem(res.status));
  }

  // 400 and any other refusal: nothing was processed (R1).
  const byEvent = new Map<number, string[]>();
  for (const f of parsed.success ? (parsed.data.error.fields ?? []) : []) {
    const m = EVENT_FIELD.exec(f.field);
    const i = m ? Number(m[1]) : -1;
    if (i < 0 || i >= count) continue;
    byEvent.set(i, [...(byEvent.get(i) ?? []), clean(f.message ? `${f.field}: ${f.message}` : f.field)]);
  }
  if (byEvent.size === 0) {
    return all({ kind: 'drop', status: res.status, error: `Reddit refused the request (HTTP ${res.status}: ${said}).` }, 'rejected');
  }
  const outcomes = Array.from({ length: count }, (_, i): DeliveryOutcome => {
    const problems = byEvent.get(i);
    if (problems !== undefined) return { kind: 'drop', status: res.status, error: `Reddit refused the event (HTTP ${res.status}): ${problems.join('; ')}` };
    return {
      kind: 'retry',
      status: res.status,
      error: `Reddit processed none of the request because ${byEvent.size} other event(s) in it were invalid (${said}); LayerSync will send this event again.`,
    };
  });
  return { outcomes, problem: 'rejected' };
}

/** Classifies a request that never got an HTTP answer. */
export function classifyRedditTransportError(
  err: unknown,
  count: number,
  opts: { accessToken: string; timeoutMs: number; aborted: boolean },
): RedditClassification {
  const { problem, error } = transportRetry(err, { ...opts, platform: 'Reddit', redact: (text) => scrub(text, opts.accessToken) });
  return { outcomes: repeatOutcome({ kind: 'retry', error }, count), problem };
}

/**
 * Removes the token (8 characters or more) and anything shaped like a bearer token from Reddit's
 * or undici's text, then keeps it within 500 characters.
 */
export function scrub(text: string, accessToken: string): string {
  return truncate(redactBearerTokens(redactSecrets(text, [accessToken], 8)), 500);
}

/** The body on one line, scrubbed before it is cut to 200 characters, so a cut cannot leave part of a token behind. */
function snippet(body: string, clean: Redactor): string {
  return bodySnippet(body, clean, { empty: 'empty body' });
}
