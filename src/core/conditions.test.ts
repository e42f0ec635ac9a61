import { describe, expect, it } from '@jest/globals';
import { setCondition } from './conditions.ts';

const t1 = new Date('2025-01-01T00:00:00Z');
const t2 = new Date('2025-01-02T00:00:00Z');

describe('setCondition', () => {
  const ready = { type: 'Ready', status: 'True' as const, reason: 'Valid', message: 'ok' };

  it('stamps a new condition with now', () => {
    expect(setCondition([], ready, t1)).toEqual([{ ...ready, lastTransitionTime: '2025-01-01T00:00:00Z' }]);
  });

  it('keeps lastTransitionTime when only the reason or message changes', () => {
    const first = setCondition([], ready, t1);
    expect(setCondition(first, { ...ready, message: 'still ok' }, t2)[0]).toMatchObject({ message: 'still ok', lastTransitionTime: '2025-01-01T00:00:00Z' });
  });

  it('moves lastTransitionTime when the status flips', () => {
    const first = setCondition([], ready, t1);
    expect(setCondition(first, { ...ready, status: 'False' }, t2)[0]?.lastTransitionTime).toBe('2025-01-02T00:00:00Z');
  });

  it('keeps other conditions and their order', () => {
    const list = setCondition(setCondition([], ready, t1), { type: 'RPOMet', status: 'True', reason: 'WithinObjective', message: '' }, t1);
    expect(setCondition(list, { ...ready, status: 'False' }, t2).map((condition) => condition.type)).toEqual(['Ready', 'RPOMet']);
  });
});
