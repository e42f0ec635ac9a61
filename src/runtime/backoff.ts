// Capped exponential backoff, shared by the work queue (per key) and informers (per watch).

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** Growth per failure; 2 doubles. */
  factor?: number;
  /**
   * Spread as a fraction of the delay: 0.2 adds up to 20 %, so replicas and watches that failed
   * together do not retry in step. The cap still holds.
   */
  jitter?: number;
}

/** The delay before retry number `failures` (1 after the first failure). */
export function backoffDelay(policy: BackoffPolicy, failures: number, random: () => number = Math.random): number {
  const exponent = Math.max(0, failures - 1);
  // Stop multiplying once over the cap, so huge failure counts cannot overflow to Infinity.
  const base = Math.min(policy.maxMs, policy.initialMs * Math.pow(policy.factor ?? 2, Math.min(exponent, 64)));
  const spread = policy.jitter ? base * policy.jitter * random() : 0;
  return Math.min(policy.maxMs, Math.round(base + spread));
}
