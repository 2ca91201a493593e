/**
 * Building delivery outcomes and connection diagnoses: the pieces every destination's classifier
 * and sender assemble the same way.
 */
import type { ConnectionDiagnosis, DeliveryOutcome } from '../types.js';
import { retryNote } from './retry-after.js';

export type RetryOutcome = Extract<DeliveryOutcome, { kind: 'retry' }>;

/** The outcome with `retryAfterMs` added when a wait is known, unchanged otherwise. */
export function withRetryAfter<T extends RetryOutcome>(outcome: T, retryAfterMs: number | undefined): T {
  return retryAfterMs === undefined ? outcome : { ...outcome, retryAfterMs };
}

/** One copy of `outcome` per event of a request that the platform answered as a whole. */
export function repeatOutcome(outcome: DeliveryOutcome, count: number): DeliveryOutcome[] {
  return Array.from({ length: count }, () => ({ ...outcome }));
}

/** HTTP 429, 408 and 5xx: the platform throttled the request or failed for now; a later attempt may succeed. */
export function isTransientStatus(status: number): boolean {
  return status === 429 || status === 408 || status >= 500;
}

/** The problem code of a transient status: 429 is rate limiting, the rest a temporary outage. */
export function transientProblem(status: number): 'rate_limited' | 'unavailable' {
  return status === 429 ? 'rate_limited' : 'unavailable';
}

export interface TemporaryFailureContext {
  /** "Meta", "LinkedIn", … */
  platform: string;
  status: number;
  /** What identifies the error: "HTTP 503", "code 17, subcode 2446079", … */
  ref: string;
  /** The platform's own words with a leading space, or "". */
  detail: string;
  retryAfterMs: number | undefined;
}

/**
 * The retry for a throttled or temporarily failing request, worded the way Meta, LinkedIn, X and
 * Klaviyo report it: "LinkedIn is rate limiting requests (HTTP 429). <detail> — LayerSync will
 * retry in 7 s." / "LinkedIn had a temporary problem (HTTP 503). — LayerSync will retry."
 */
export function temporaryFailure(
  problem: 'rate_limited' | 'unavailable',
  ctx: TemporaryFailureContext,
): { problem: 'rate_limited' | 'unavailable'; outcome: RetryOutcome } {
  const what = problem === 'rate_limited' ? 'is rate limiting requests' : 'had a temporary problem';
  return {
    problem,
    outcome: withRetryAfter(
      {
        kind: 'retry',
        status: ctx.status,
        error: `${ctx.platform} ${what} (${ctx.ref}).${ctx.detail} — LayerSync will retry${retryNote(ctx.retryAfterMs)}.`,
      },
      ctx.retryAfterMs,
    ),
  };
}

/**
 * The outcome of an event a sender did not attempt because an earlier event of its batch failed
 * in a way that would hit it too (a refused credential, a throttle, an outage). It is retried
 * later, not before the cause's own Retry-After.
 */
export function notSentAfter(cause: DeliveryOutcome): RetryOutcome {
  const why = 'error' in cause ? cause.error : 'an earlier event of this batch failed';
  const out: RetryOutcome = { kind: 'retry', error: `Not sent: an earlier event of this batch failed first. ${why}` };
  if (cause.kind === 'retry' && cause.retryAfterMs !== undefined) out.retryAfterMs = cause.retryAfterMs;
  return out;
}

/** The message of an outcome that was not a delivery: its error, or a deferral's reason. */
export function outcomeMessage(outcome: Exclude<DeliveryOutcome, { kind: 'delivered' }>): string {
  return 'error' in outcome ? outcome.error : outcome.reason;
}

export function diagnosis(ok: boolean, code: string, message: string): ConnectionDiagnosis {
  return { ok, code, message };
}

/** `items` in consecutive slices of at most `size` (a platform's per-request limit); `size` ≥ 1. */
export function chunked<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Sends `payloads` as requests of at most `size` payloads, one request after another, and returns
 * every payload's outcome in payload order. `sendChunk` answers one outcome per payload of its
 * slice. The worker already batches at a destination's maxBatchSize; splitting here too keeps a
 * direct caller within the platform's limit.
 */
export async function sendInChunks<T>(
  payloads: readonly T[],
  size: number,
  sendChunk: (chunk: T[]) => Promise<DeliveryOutcome[]>,
): Promise<DeliveryOutcome[]> {
  const outcomes: DeliveryOutcome[] = [];
  for (const chunk of chunked(payloads, size)) outcomes.push(...(await sendChunk(chunk)));
  return outcomes;
}
