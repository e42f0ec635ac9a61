import { describe, expect, it } from '@jest/globals';
import { decideLease, type LeaseRecord, releasedLease } from './lease-decision.ts';

const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);
const seconds = (n: number): number => n * 1000;

function seen(record: LeaseRecord, secondsAgo: number) {
  return { record, observedAt: NOW - seconds(secondsAgo) };
}

const heldBy = (holderIdentity: string | null, extra: Partial<LeaseRecord> = {}): LeaseRecord => ({
  holderIdentity,
  leaseDurationSeconds: 15,
  acquireTime: '2025-06-01T11:00:00.000000Z',
  renewTime: '2025-06-01T11:59:58.000000Z',
  leaseTransitions: 3,
  ...extra,
});

describe('decideLease', () => {
  it('creates the Lease, held by us, when there is none', () => {
    expect(decideLease(undefined, 'me', NOW, 15)).toEqual({
      action: 'create',
      record: {
        holderIdentity: 'me',
        leaseDurationSeconds: 15,
        acquireTime: '2025-06-01T12:00:00.000000Z',
        renewTime: '2025-06-01T12:00:00.000000Z',
        leaseTransitions: 0,
      },
    });
  });

  it('renews its own lease, keeping acquireTime and the transition count', () => {
    const decision = decideLease(seen(heldBy('me'), 5), 'me', NOW, 15);
    expect(decision).toEqual({
      action: 'renew',
      record: { ...heldBy('me'), renewTime: '2025-06-01T12:00:00.000000Z' },
    });
  });

  it.each([
    ['just changed', 0],
    ['changed 14.999 s ago', 14.999],
  ])('waits while another holder\'s lease is live (%s)', (_, secondsAgo) => {
    expect(decideLease(seen(heldBy('other'), secondsAgo), 'me', NOW, 15)).toEqual({
      action: 'wait',
      holder: 'other',
      expiresAt: NOW - seconds(secondsAgo) + seconds(15),
    });
  });

  it('judges expiry by when it saw the record change, not by the holder\'s renewTime', () => {
    // renewTime says an hour ago (a skewed clock), but this replica saw it change just now.
    const stale = heldBy('other', { renewTime: '2025-06-01T11:00:00.000000Z' });
    expect(decideLease(seen(stale, 1), 'me', NOW, 15).action).toBe('wait');
  });

  it('uses the lease duration the holder wrote', () => {
    const shortLease = heldBy('other', { leaseDurationSeconds: 5 });
    expect(decideLease(seen(shortLease, 5), 'me', NOW, 15).action).toBe('acquire');
  });

  it.each([
    ['expired', heldBy('other'), 15, 'other'],
    ['released (empty holder)', heldBy(''), 0, undefined],
    ['released (null holder)', heldBy(null), 0, undefined],
  ])('takes over a lease that is %s and counts a transition', (_, record, secondsAgo, previousHolder) => {
    expect(decideLease(seen(record, secondsAgo), 'me', NOW, 15)).toEqual({
      action: 'acquire',
      previousHolder,
      record: {
        holderIdentity: 'me',
        leaseDurationSeconds: 15,
        acquireTime: '2025-06-01T12:00:00.000000Z',
        renewTime: '2025-06-01T12:00:00.000000Z',
        leaseTransitions: 4,
      },
    });
  });

  it('releases by emptying the holder and shortening the lease', () => {
    expect(releasedLease(heldBy('me'), NOW)).toEqual({
      holderIdentity: '',
      leaseDurationSeconds: 1,
      acquireTime: '2025-06-01T12:00:00.000000Z',
      renewTime: '2025-06-01T12:00:00.000000Z',
      leaseTransitions: 3,
    });
  });
});
