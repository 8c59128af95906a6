/**
 * Per-API-key request budget: a token bucket per key, refilled continuously. Kept in this process: with N API
 * instances behind a load balancer a key gets up to N times the budget, which is the usual trade for not
 * adding a shared store; the limit exists to stop runaway clients, not to meter billing.
 */
export interface RateLimitOptions {
  /** Sustained requests per minute per key. */
  perMinute: number;
  /** Burst size: requests a quiet key may send at once. */
  burst: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();

  /** Limits come from the config (RATE_LIMIT_PER_MINUTE, RATE_LIMIT_BURST). */
  constructor(readonly options: RateLimitOptions) {}

  /** Takes one token for `key`; returns 0 when allowed, else the seconds until a token is available. */
  take(key: string, now = Date.now()): number {
    const rate = this.options.perMinute / 60_000;
    const bucket = this.#buckets.get(key) ?? { tokens: this.options.burst, updatedAt: now };
    bucket.tokens = Math.min(this.options.burst, bucket.tokens + (now - bucket.updatedAt) * rate);
    bucket.updatedAt = now;
    this.#buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - bucket.tokens) / rate / 1000);
  }
}
