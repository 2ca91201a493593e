/**
 * Per-site token bucket, counted in events (a 500-event batch costs 500), kept in memory per
 * relay process. A site may send `ratePerSecond` events per second on average and bursts up to
 * `burst` events; a request that does not fit is refused whole with 429 and how long to wait,
 * and costs nothing, so the sender can retry the same batch after Retry-After.
 */
export interface RateLimitOptions {
  /** Sustained events per second per site; 0 disables the limit. */
  ratePerSecond: number;
  /** Bucket size in events: the largest burst; at least the largest batch (500). */
  burst: number;
}

export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

export class SiteRateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly opts: RateLimitOptions) {}

  get enabled(): boolean {
    return this.opts.ratePerSecond > 0;
  }

  /** Takes `events` tokens from the site's bucket at `nowMs`, or says how long until they are there. */
  take(siteId: string, events: number, nowMs: number): RateDecision {
    if (!this.enabled || events <= 0) return { ok: true };
    const { ratePerSecond, burst } = this.opts;
    const b = this.buckets.get(siteId) ?? { tokens: burst, at: nowMs };
    // A clock that went backwards refills nothing rather than draining the bucket.
    const elapsed = Math.max(0, nowMs - b.at) / 1000;
    b.tokens = Math.min(burst, b.tokens + elapsed * ratePerSecond);
    b.at = nowMs;
    this.buckets.set(siteId, b);
    // A batch larger than the bucket passes when the bucket is full and leaves a debt.
    const needed = Math.min(events, burst) - b.tokens;
    if (needed <= 0) {
      b.tokens -= events;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(needed / ratePerSecond)) };
  }

  /** Forgets full buckets (idle sites) so the map does not grow with every site ever seen. */
  sweep(nowMs: number): void {
    for (const [site, b] of this.buckets) {
      if (b.tokens + ((nowMs - b.at) / 1000) * this.opts.ratePerSecond >= this.opts.burst) this.buckets.delete(site);
    }
  }
}
