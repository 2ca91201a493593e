/**
 * Retry-After (RFC 9110 §10.2.3): how long a platform asks us to wait, as delta-seconds or as an
 * HTTP date. Some platforms add their own hint (Meta's business-use-case usage, X's rate-limit
 * reset); those are passed in as a fallback, read only when Retry-After says nothing usable.
 */
import { formatMs } from './text.js';

/**
 * Retry-After in milliseconds from `nowMs`: "120" → 120000, an HTTP date → the time until it (0
 * when it has passed). Undefined when absent, empty or neither form.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** A platform-specific wait hint read from the response headers, in ms from `nowMs`. */
export type RetryHint = (headers: Record<string, string>, nowMs: number) => number | undefined;

/**
 * The wait a response asks for: its Retry-After header (header names are lower-case, as the
 * relay's HttpClient returns them), else `fallback` when the platform has its own hint.
 */
export function retryAfterFromHeaders(headers: Record<string, string>, nowMs: number, fallback?: RetryHint): number | undefined {
  return parseRetryAfter(headers['retry-after'], nowMs) ?? fallback?.(headers, nowMs);
}

/** " in 7 s" for a known wait, "" otherwise: completes "LayerSync will retry…". */
export function retryNote(ms: number | undefined): string {
  return ms === undefined ? '' : ` in ${formatMs(ms)}`;
}
