// The read-back verdict's schema: what the verify task writes and the operator reads back.
import { describe, expect, it } from '@jest/globals';
import { RunVerification } from './manifests.ts';

const location = { namespace: 'shop', schedule: 'nightly', run: 'nightly-1' };

describe('RunVerification', () => {
  it('takes a passed read-back with the sources it checked', () => {
    const verdict = { formatVersion: 1, location, verified: true, checkedAt: '2026-01-01T00:12:00.000Z', checked: ['db', 'files'] };
    expect(RunVerification.parse(verdict)).toEqual(verdict);
  });

  it('takes a failed one with the artifact that failed and why', () => {
    const failure = { source: 'db', key: 'p/shop/nightly/nightly-1/db/database.dump.zst', code: 'ChecksumMismatch', reason: 'artifact s3://b/k does not match its manifest' };
    expect(RunVerification.parse({ formatVersion: 1, location, verified: false, checkedAt: '2026-01-01T00:12:00Z', checked: [], failure }).failure).toEqual(failure);
  });

  it.each([
    ['another format version', { formatVersion: 2 }],
    ['a verdict that is not a boolean', { verified: 'yes' }],
    ['a time without a zone', { checkedAt: '2026-01-01T00:12:00' }],
    ['a run name that is not a Kubernetes name', { location: { ...location, run: '../other' } }],
    ['a reason longer than a line can be', { verified: false, failure: { source: 'db', code: 'ChecksumMismatch', reason: 'x'.repeat(1025) } }],
  ])('refuses %s', (_what, change) => {
    expect(RunVerification.safeParse({ formatVersion: 1, location, verified: true, checkedAt: '2026-01-01T00:12:00Z', checked: [], ...change }).success).toBe(false);
  });
});
