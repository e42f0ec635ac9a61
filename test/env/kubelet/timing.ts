// The kubelet's intervals and limits. Defaults are shorter than a real kubelet's where tests
// would otherwise wait (crash-loop back-off, config retries); tests may shorten them further.

export interface KubeletTiming {
  /** How often a container blocked by a missing Secret/ConfigMap or volume is retried. */
  readonly configRetryMs: number;
  /** Restart back-off: doubles from initial up to max (a real kubelet: 10s to 5min). */
  readonly restartBackoffInitialMs: number;
  readonly restartBackoffMaxMs: number;
  /** terminationGracePeriodSeconds is capped to this. */
  readonly maxGracePeriodSeconds: number;
  /** Grace given to processes when the kubelet stops or a pod vanishes from the API. */
  readonly shutdownGraceMs: number;
  readonly statusRetryMs: number;
  readonly leaseRenewMs: number;
  readonly leaseDurationSeconds: number;
  readonly nodeStatusMs: number;
  /** A full relist of the node's pods, in case a watch missed something. */
  readonly podResyncMs: number;
  readonly watchBackoffMaxMs: number;
}

export const defaultTiming: KubeletTiming = {
  configRetryMs: 3_000,
  restartBackoffInitialMs: 1_000,
  restartBackoffMaxMs: 10_000,
  maxGracePeriodSeconds: 30,
  shutdownGraceMs: 3_000,
  statusRetryMs: 1_000,
  leaseRenewMs: 10_000,
  leaseDurationSeconds: 40,
  nodeStatusMs: 30_000,
  podResyncMs: 300_000,
  watchBackoffMaxMs: 30_000,
};

export function restartBackoffMs(timing: KubeletTiming, restartCount: number): number {
  return Math.min(timing.restartBackoffInitialMs * 2 ** Math.min(restartCount, 20), timing.restartBackoffMaxMs);
}
