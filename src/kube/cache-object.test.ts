import { describe, expect, it } from '@jest/globals';
import { forCache } from './cache-object.ts';

describe('forCache', () => {
  it('drops managedFields and keeps the rest of the object', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'n', resourceVersion: '7', labels: { a: 'b' }, managedFields: [{ manager: 'kubelet', operation: 'Update', time: '2026-12-02T04:00:00Z' }] },
      status: { phase: 'Succeeded' },
    };
    expect(forCache(pod)).toEqual({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'n', resourceVersion: '7', labels: { a: 'b' } }, status: { phase: 'Succeeded' } });
    expect(pod.metadata.managedFields).toHaveLength(1);
  });

  it('returns an object without managedFields as it is', () => {
    const job = { metadata: { name: 'j' } };
    expect(forCache(job)).toBe(job);
  });
});
