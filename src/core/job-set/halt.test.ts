// An owner that cannot start its Jobs: while it waits for a missing reference it is in progress
// (Pending, Ready False, Reconciling True, with a requeue); once it gives up, or at once for an
// invalid spec, it has failed (Failed, Ready False, Stalled True, Complete True). Conditions move
// their lastTransitionTime only when their status flips, so halting again changes nothing.
import { describe, expect, it } from '@jest/globals';
import type { Condition } from '../../api/index.ts';
import { halt } from './halt.ts';

const first = new Date('2025-01-02T10:00:05Z');
const later = new Date('2025-01-02T10:05:00Z');
const until = new Date('2025-01-02T10:10:00Z');
const message = 'Secret "pg" (spec.targets[0].postgres.connectionSecret) does not exist; create it with the key(s) username, password';

const byType = (conditions: readonly Condition[]) => Object.fromEntries(conditions.map(({ type, ...rest }) => [type, rest]));

describe('halt', () => {
  it('waiting: Pending and in progress, Complete False saying until when, with the requeue', () => {
    const stop = halt([], { verdict: 'waiting', message, until, requeueAfterMs: 15_000 }, first, 3);
    expect(stop).toMatchObject({ phase: 'Pending', message, requeueAfterMs: 15_000, health: { state: 'InProgress', reason: 'ReferenceNotFound', message } });
    expect(byType(stop.conditions)).toEqual({
      Ready: { status: 'False', reason: 'ReferenceNotFound', message, observedGeneration: 3, lastTransitionTime: '2025-01-02T10:00:05Z' },
      Reconciling: { status: 'True', reason: 'ReferenceNotFound', message, observedGeneration: 3, lastTransitionTime: '2025-01-02T10:00:05Z' },
      Complete: { status: 'False', reason: 'Pending', message: 'waiting until 2025-01-02T10:10:00Z for the reference to be fixed', observedGeneration: 3, lastTransitionTime: '2025-01-02T10:00:05Z' },
    });
  });

  it('gave up: Failed and stalled, Reconciling gone, Complete True; Ready keeps its transition time (False both times)', () => {
    const waiting = halt([], { verdict: 'waiting', message, until, requeueAfterMs: 15_000 }, first, 1).conditions;
    const stop = halt(waiting, { verdict: 'missing', message }, later, 1);
    expect(stop.phase).toBe('Failed');
    expect(stop.requeueAfterMs).toBeUndefined();
    expect(stop.health).toEqual({ state: 'Failed', reason: 'ReferenceNotFound', message });
    expect(byType(stop.conditions)).toEqual({
      Ready: { status: 'False', reason: 'ReferenceNotFound', message, observedGeneration: 1, lastTransitionTime: '2025-01-02T10:00:05Z' },
      Stalled: { status: 'True', reason: 'ReferenceNotFound', message, observedGeneration: 1, lastTransitionTime: '2025-01-02T10:05:00Z' },
      Complete: { status: 'True', reason: 'Failed', message, observedGeneration: 1, lastTransitionTime: '2025-01-02T10:05:00Z' },
    });
  });

  it('an invalid spec fails at once with InvalidSpec', () => {
    const invalid = 'target files: source files is a Bucket in the backup, but the target restores into PostgreSQL; use a bucket target';
    const stop = halt([], { verdict: 'invalid', message: invalid }, first, 1);
    expect(stop).toMatchObject({ phase: 'Failed', message: invalid, health: { state: 'Failed', reason: 'InvalidSpec' } });
    expect(byType(stop.conditions)).toMatchObject({ Ready: { status: 'False', reason: 'InvalidSpec' }, Stalled: { status: 'True', reason: 'InvalidSpec' }, Complete: { status: 'True', reason: 'Failed', message: invalid } });
    expect(byType(stop.conditions).Reconciling).toBeUndefined();
  });

  it('halting again for the same reason later changes no condition', () => {
    for (const blocked of [{ verdict: 'waiting', message, until, requeueAfterMs: 15_000 }, { verdict: 'missing', message }, { verdict: 'invalid', message }] as const) {
      const once = halt([], blocked, first, 2).conditions;
      expect(halt(once, blocked, later, 2).conditions).toEqual(once);
    }
  });

  it('leaves conditions it does not own as they are', () => {
    const other: Condition = { type: 'SpecWarning', status: 'True', reason: 'Deprecated', message: 'x', lastTransitionTime: '2025-01-01T00:00:00Z' };
    expect(halt([other], { verdict: 'missing', message }, first, 1).conditions).toContainEqual(other);
  });
});
