// What a candidate does with the Lease it just read: the pure core of leader election.
// Expiry is judged by when *this* replica saw the record change, on its own clock, never by the
// holder's renewTime: clocks of different machines disagree, elapsed time on one machine does not.
import { microTime } from '../kube/micro-time.ts';

/** coordination.k8s.io/v1 LeaseSpec, the fields leader election uses. */
export interface LeaseRecord {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number;
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number;
}

export interface ObservedLease {
  record: LeaseRecord;
  /** Local time (ms) at which this replica first saw this version of the record. */
  observedAt: number;
}

export type LeaseDecision =
  /** No Lease yet: create it, held by us. */
  | { action: 'create'; record: LeaseRecord }
  /** Free or expired: take it over (a conditional update, so only one taker wins). */
  | { action: 'acquire'; record: LeaseRecord; previousHolder: string | undefined }
  /** Ours: extend it. */
  | { action: 'renew'; record: LeaseRecord }
  /** Someone else holds it until at least `expiresAt` (local time). */
  | { action: 'wait'; holder: string; expiresAt: number };

export function decideLease(
  observed: ObservedLease | undefined,
  identity: string,
  now: number,
  leaseDurationSeconds: number,
): LeaseDecision {
  const stamp = microTime(now);
  if (!observed) {
    return {
      action: 'create',
      record: { holderIdentity: identity, leaseDurationSeconds, acquireTime: stamp, renewTime: stamp, leaseTransitions: 0 },
    };
  }
  const { record } = observed;
  const holder = record.holderIdentity || undefined;
  if (holder === identity) {
    return { action: 'renew', record: { ...record, leaseDurationSeconds, renewTime: stamp } };
  }
  const expiresAt = observed.observedAt + (record.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
  if (holder && now < expiresAt) {
    return { action: 'wait', holder, expiresAt };
  }
  return {
    action: 'acquire',
    previousHolder: holder,
    record: {
      holderIdentity: identity,
      leaseDurationSeconds,
      acquireTime: stamp,
      renewTime: stamp,
      leaseTransitions: (record.leaseTransitions ?? 0) + 1,
    },
  };
}

/** The record a leader writes as it steps down, so a standby takes over at once. */
export function releasedLease(record: LeaseRecord, now: number): LeaseRecord {
  const stamp = microTime(now);
  return { ...record, holderIdentity: '', leaseDurationSeconds: 1, acquireTime: stamp, renewTime: stamp };
}
