/**
 * Retry timing: exponential backoff with full jitter (a random delay between 0 and the capped
 * exponential), so many events that failed together do not retry together and hammer a
 * recovering platform. A platform's Retry-After is a floor, never shortened by jitter.
 */
export interface BackoffOptions {
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 2_000, capMs: 60 * 60_000 };

/**
 * Delay before the attempt after `attempts` failed ones (attempts >= 1).
 * @param random injectable for tests; returns [0, 1).
 */
export function retryDelayMs(
  attempts: number,
  retryAfterMs: number | undefined,
  opts: BackoffOptions = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const exp = Math.min(opts.capMs, opts.baseMs * 2 ** Math.max(0, attempts - 1));
  const jittered = Math.floor(random() * exp);
  const floor = retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs > 0 ? retryAfterMs : 0;
  return Math.max(jittered, Math.min(floor, opts.capMs * 24));
}
