/**
 * Turns Snap's answers into LayerSync delivery outcomes, one per event sent. Snap's shapes (S3,
 * S5 = the business SDK OpenAPI document):
 *   /events           EventResponse {status: "VALID"|"INVALID", reason, event, errors: {codes[], error_msgs[]}}
 *                     for the request as a whole; INVALID comes with HTTP 400 (S3)
 *   /events/validate  ValidateResponse {status, test_event, reason,
 *                     event_logs: [{event, status, errors: {codes[], error_msgs[]}, warnings[]}]}
 *
 * A production INVALID rejects the whole request (S3), so every event of it is dropped and the
 * worker bisects the batch (`batchRejection: 'all-or-nothing'`). `event` is read as the index of
 * the refused event (S5: "the event identifier, only present in error responses", an integer);
 * UNCONFIRMED that it counts from 0, so it only shapes the wording. The validation endpoint
 * reports each event, so its answers are per event. UNCONFIRMED: the bodies of 401, 403 and 429
 * (Snap documents none); they are classified by HTTP status.
 *
 * Every text that leaves this module went through `redactSnapToken`: the token travels in the
 * URL, and error bodies or transport errors may echo it.
 */
import { z } from 'zod';
import type { HttpResponse } from '../../delivery/http.js';
import { parseJson } from '../shared/json.js';
import { isTransientStatus, repeatOutcome, transientProblem, withRetryAfter } from '../shared/outcome.js';
import type { Redactor } from '../shared/redact.js';
import { retryAfterFromHeaders, retryNote } from '../shared/retry-after.js';
import { bodySnippet, truncate } from '../shared/text.js';
import { transportRetry } from '../shared/transport.js';
import type { DeliveryOutcome } from '../types.js';
import { redactSnapToken } from './api.js';

export type SnapProblem =
  | 'ok'
  | 'partially_rejected'
  | 'invalid_credentials'
  | 'permission_denied'
  | 'rate_limited'
  | 'unavailable'
  | 'unreachable'
  | 'timeout'
  | 'rejected'
  | 'unexpected_response';

export interface SnapClassification {
  outcomes: DeliveryOutcome[];
  problem: SnapProblem;
}

export interface SnapClassifyContext {
  accessToken: string;
  pixelId: string;
  nowMs: number;
  /** The request went to /events/validate. */
  validate: boolean;
}

const errorDetailsSchema = z.object({ codes: z.array(z.string()).optional(), error_msgs: z.array(z.string()).optional() }).loose();

const eventResponseSchema = z
  .object({
    status: z.enum(['VALID', 'INVALID']),
    reason: z.string().optional(),
    event: z.number().int().optional(),
    errors: errorDetailsSchema.optional(),
  })
  .loose();

const validateResponseSchema = z
  .object({
    status: z.enum(['VALID', 'INVALID']),
    test_event: z.boolean().optional(),
    reason: z.string().optional(),
    event_logs: z.array(
      z
        .object({
          event: z.number().int().optional(),
          status: z.string(),
          errors: errorDetailsSchema.optional(),
          warnings: z.array(z.string()).optional(),
        })
        .loose(),
    ),
  })
  .loose();

const RECONNECT =
  'generate a new Conversions API token in Snapchat Ads Manager with the organization that owns the pixel, and save it in LayerSync.';

/** Classifies Snap's answer to a request that carried `count` events. */
export function classifySnapResponse(res: HttpResponse, count: number, ctx: SnapClassifyContext): SnapClassification {
  const clean = (text: string) => cap(redactSnapToken(text, ctx.accessToken));
  const json = parseJson(res.body);
  const all = (outcome: DeliveryOutcome, problem: SnapProblem): SnapClassification => ({
    outcomes: repeatOutcome(outcome, count),
    problem,
  });

  if (ctx.validate && (res.status === 200 || res.status === 400)) {
    const v = validateResponseSchema.safeParse(json);
    if (v.success && v.data.event_logs.length === count) {
      let invalid = 0;
      const outcomes = v.data.event_logs.map((log): DeliveryOutcome => {
        if (log.status === 'VALID') {
          const response: Record<string, unknown> = { status: 'VALID', test_event: true };
          if (log.warnings !== undefined && log.warnings.length > 0) response.warnings = log.warnings.map(clean);
          return { kind: 'delivered', status: res.status, response: JSON.stringify(response) };
        }
        invalid++;
        return { kind: 'drop', status: res.status, error: `Snapchat's validation refused the event: ${clean(describe(log.errors, undefined))}` };
      });
      return { outcomes, problem: invalid === 0 ? 'ok' : 'partially_rejected' };
    }
  }

  const parsed = eventResponseSchema.safeParse(json);
  if (res.status >= 200 && res.status < 300) {
    if (parsed.success && parsed.data.status === 'VALID') {
      const response = JSON.stringify({ status: 'VALID', ...(parsed.data.reason ? { reason: clean(parsed.data.reason) } : {}) });
      return all({ kind: 'delivered', status: res.status, response }, 'ok');
    }
    // Not Snap's VALID answer (a proxy, a wrong base URL, or INVALID with a 2xx): nothing proves
    // the events were recorded. Resending is safe: Snap deduplicates on event_id (S4).
    return all(
      { kind: 'retry', status: res.status, error: `Snapchat answered HTTP ${res.status} without confirming the events (${snippet(res.body, clean)}); LayerSync will retry.` },
      'unexpected_response',
    );
  }

  const said = parsed.success ? describe(parsed.data.errors, parsed.data.reason) : snippet(res.body, clean);
  const retryAfterMs = retryAfterFromHeaders(res.headers, ctx.nowMs);
  if (res.status === 401) {
    return all({ kind: 'auth', status: 401, error: `Snapchat rejected the Conversions API token (HTTP 401: ${clean(said)}) — ${RECONNECT}` }, 'invalid_credentials');
  }
  if (res.status === 403) {
    return all(
      {
        kind: 'auth',
        status: 403,
        error: `Snapchat does not let this token send events for pixel ${ctx.pixelId} (HTTP 403: ${clean(said)}) — check the Pixel ID, or ${RECONNECT}`,
      },
      'permission_denied',
    );
  }
  if (isTransientStatus(res.status)) {
    const what = res.status === 429 ? 'Snapchat is rate limiting requests' : 'Snapchat had a temporary problem';
    const retry = withRetryAfter({ kind: 'retry', status: res.status, error: `${what} (HTTP ${res.status}: ${clean(said)}); LayerSync will retry${retryNote(retryAfterMs)}.` }, retryAfterMs);
    return all(retry, transientProblem(res.status));
  }

  // 400 INVALID and any other refusal: Snap processed none of the request (S3).
  const bad = parsed.success && parsed.data.event !== undefined && parsed.data.event >= 0 && parsed.data.event < count ? parsed.data.event : undefined;
  const outcomes = Array.from({ length: count }, (_, i): DeliveryOutcome => {
    if (bad === undefined || count === 1) return { kind: 'drop', status: res.status, error: `Snapchat refused the request (HTTP ${res.status}: ${clean(said)}).` };
    if (i === bad) return { kind: 'drop', status: res.status, error: `Snapchat refused the event (HTTP ${res.status}: ${clean(said)}).` };
    return { kind: 'drop', status: res.status, error: `Snapchat refused the whole request because event #${bad + 1} of it is invalid (${clean(said)}); this event was not recorded.` };
  });
  return { outcomes, problem: 'rejected' };
}

/** Classifies a request that never got an HTTP answer; the message is scrubbed of the token (undici may echo the URL). */
export function classifySnapTransportError(
  err: unknown,
  count: number,
  opts: { accessToken: string; timeoutMs: number; aborted: boolean },
): SnapClassification {
  const { problem, error } = transportRetry(err, { ...opts, platform: 'Snapchat', redact: (text) => cap(redactSnapToken(text, opts.accessToken)) });
  return { outcomes: repeatOutcome({ kind: 'retry', error }, count), problem };
}

/** Snap's own words: the error messages with their codes, else the reason. */
function describe(errors: z.infer<typeof errorDetailsSchema> | undefined, reason: string | undefined): string {
  const msgs = errors?.error_msgs ?? [];
  const codes = errors?.codes ?? [];
  const parts = msgs.length > 0 ? msgs.map((m, i) => (codes[i] ? `${m} [${codes[i]}]` : m)) : codes;
  // Snap may repeat the first error message as the reason; say it once.
  const lead = reason !== undefined && !msgs.includes(reason) ? [reason] : [];
  const text = [...lead, ...parts].filter((p) => p !== '').join('; ');
  return text === '' ? 'no reason given' : text;
}

/** Keeps a message within 500 characters. */
function cap(text: string): string {
  return truncate(text, 500);
}

/** The body on one line, redacted before it is cut to 200 characters, so a cut cannot leave part of a token behind. */
function snippet(body: string, clean: Redactor): string {
  return bodySnippet(body, clean, { empty: 'empty body' });
}
