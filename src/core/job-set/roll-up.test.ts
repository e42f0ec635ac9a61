// The phase of a Job set from its items: Pending until one started, Running until every item is
// final, then Succeeded, PartiallyFailed or Failed, with the counts the Complete message quotes.
import { describe, expect, it } from '@jest/globals';
import type { ItemPhase } from './item-state.ts';
import { isTerminal, rollUp } from './roll-up.ts';

describe('rollUp', () => {
  const table: [ItemPhase[], ReturnType<typeof rollUp>][] = [
    [['Pending'], { phase: 'Pending', total: 1, done: 0, failed: 0 }],
    [['Pending', 'Pending', 'Pending'], { phase: 'Pending', total: 3, done: 0, failed: 0 }],
    [['Pending', 'Running'], { phase: 'Running', total: 2, done: 0, failed: 0 }],
    // One finished while another has not started: the set has started, so Running.
    [['Succeeded', 'Pending'], { phase: 'Running', total: 2, done: 1, failed: 0 }],
    // A failure does not end the set while another item still runs.
    [['Failed', 'Running'], { phase: 'Running', total: 2, done: 1, failed: 1 }],
    [['Failed', 'Pending'], { phase: 'Running', total: 2, done: 1, failed: 1 }],
    [['Succeeded'], { phase: 'Succeeded', total: 1, done: 1, failed: 0 }],
    [['Succeeded', 'Succeeded', 'Succeeded'], { phase: 'Succeeded', total: 3, done: 3, failed: 0 }],
    [['Succeeded', 'Failed', 'Succeeded'], { phase: 'PartiallyFailed', total: 3, done: 3, failed: 1 }],
    [['Failed', 'Succeeded', 'Failed'], { phase: 'PartiallyFailed', total: 3, done: 3, failed: 2 }],
    [['Failed'], { phase: 'Failed', total: 1, done: 1, failed: 1 }],
    [['Failed', 'Failed'], { phase: 'Failed', total: 2, done: 2, failed: 2 }],
  ];
  it.each(table)('%j rolls up to %j', (phases, expected) => {
    expect(rollUp(phases)).toEqual(expected);
  });

  it('isTerminal: the three final phases only', () => {
    expect((['Pending', 'Running', 'Succeeded', 'PartiallyFailed', 'Failed', undefined] as const).map(isTerminal)).toEqual([false, false, true, true, true, false]);
  });

  it('is terminal exactly when every item is final', () => {
    const phases: ItemPhase[] = ['Pending', 'Running', 'Succeeded', 'Failed'];
    for (const a of phases) {
      for (const b of phases) {
        const final = ['Succeeded', 'Failed'].includes(a) && ['Succeeded', 'Failed'].includes(b);
        expect({ items: [a, b], terminal: isTerminal(rollUp([a, b]).phase) }).toEqual({ items: [a, b], terminal: final });
      }
    }
  });
});
