// SettledVersions: the watch event of a settled write is dropped once, and only while nothing
// else has queued the key or begun a pass over it since the writing pass began.
import { describe, expect, it } from '@jest/globals';
import type { KubeObject } from '../kube/types.ts';
import type { InformerEvent } from '../runtime/informer.ts';
import { earlierRequeue, SettledVersions } from './settled-versions.ts';

const KEY = 'prod/app';

function updated(version: string, previous = '10'): InformerEvent<KubeObject> {
  const object = (resourceVersion: string): KubeObject => ({ metadata: { namespace: 'prod', name: 'app', resourceVersion } });
  return { type: 'updated', object: object(version), previous: object(previous) };
}

describe('SettledVersions', () => {
  it('drops the update to the settled version, once', () => {
    const settled = new SettledVersions();
    settled.settle(settled.begin(KEY), '11');
    expect(settled.isSettledEcho('prod/other', updated('11'))).toBe(false);
    expect(settled.isSettledEcho(KEY, updated('11'))).toBe(true);
    expect(settled.isSettledEcho(KEY, updated('11'))).toBe(false);
  });

  it('spends the mark on any other event of the object: another version, a resync, a deletion', () => {
    for (const event of [updated('12', '11'), { type: 'resync', object: updated('11').object }, { type: 'deleted', object: updated('11').object }] as InformerEvent<KubeObject>[]) {
      const settled = new SettledVersions();
      settled.settle(settled.begin(KEY), '11');
      expect(settled.isSettledEcho(KEY, event)).toBe(false);
      expect(settled.isSettledEcho(KEY, updated('11'))).toBe(false);
    }
  });

  it('keeps no mark when the key was queued while the writing pass ran', () => {
    const settled = new SettledVersions();
    const pass = settled.begin(KEY);
    settled.queued(KEY);
    settled.settle(pass, '11');
    expect(settled.isSettledEcho(KEY, updated('11'))).toBe(false);
  });

  it('clears the mark when the key is queued for another reason before the echo arrives', () => {
    const settled = new SettledVersions();
    settled.settle(settled.begin(KEY), '11');
    settled.queued(KEY);
    expect(settled.isSettledEcho(KEY, updated('11'))).toBe(false);
  });

  it('clears the mark when a pass over the key begins before the echo arrives (a due requeue)', () => {
    const settled = new SettledVersions();
    settled.settle(settled.begin(KEY), '11');
    const next = settled.begin(KEY);
    expect(settled.isSettledEcho(KEY, updated('11'))).toBe(false);
    // A pass that began before a later one cannot settle either.
    settled.begin(KEY);
    settled.settle(next, '12');
    expect(settled.isSettledEcho(KEY, updated('12', '11'))).toBe(false);
  });

  it('forgets a key', () => {
    const settled = new SettledVersions();
    settled.settle(settled.begin(KEY), '11');
    settled.forget(KEY);
    expect(settled.size).toBe(0);
  });

  it('asks for the earlier of two requeues', () => {
    expect(earlierRequeue(undefined, undefined)).toBeUndefined();
    expect(earlierRequeue(5, undefined)).toBe(5);
    expect(earlierRequeue(undefined, 7)).toBe(7);
    expect(earlierRequeue(9, 7)).toBe(7);
  });
});
