import { describe, expect, it } from '@jest/globals';
import { compareRowCounts, evaluateExpectation } from './check-expectation.ts';

describe('evaluateExpectation', () => {
  it.each([
    ['no expectation passes any result', {}, 0, undefined, true],
    ['equals a number given as text (count(*) comes back as a string)', { equals: 3 }, 1, '3', true],
    ['equals fails on a different value', { equals: 3 }, 1, '4', false],
    ['equals a string', { equals: 'ok' }, 1, 'ok', true],
    ['equals true', { equals: true }, 1, true, true],
    ['equals null matches a missing row', { equals: null }, 0, undefined, true],
    ['min passes at the bound', { min: 10 }, 1, '10', true],
    ['min fails below', { min: 10 }, 1, 9, false],
    ['max fails above', { max: 10 }, 1, 11, false],
    ['min on a non-number fails', { min: 1 }, 1, 'abc', false],
    ['minRows fails with too few rows', { minRows: 1 }, 0, undefined, false],
    ['maxRows fails with too many rows', { maxRows: 0 }, 2, 'x', false],
  ])('%s', (_name, expect_, rows, value, ok) => {
    expect(evaluateExpectation(expect_, rows, value).ok).toBe(ok);
  });

  it('says what it got and what it expected', () => {
    expect(evaluateExpectation({ equals: 3 }, 1, '4').message).toBe('got "4", expected 3');
  });
});

describe('compareRowCounts', () => {
  const expected = [
    { schema: 'public', table: 'a', rows: 10 },
    { schema: 'public', table: 'b', rows: 5 },
    { schema: 'public', table: 'mv', rows: null },
  ];

  it('finds nothing when every counted table matches', () => {
    expect(compareRowCounts(expected, new Map([['public.a', 10], ['public.b', 5]]))).toEqual([]);
  });

  it('reports tables that differ or are missing, and skips uncounted ones', () => {
    expect(compareRowCounts(expected, new Map([['public.a', 9]]))).toEqual([
      { table: 'public.a', expected: 10, actual: 9 },
      { table: 'public.b', expected: 5, actual: null },
    ]);
  });
});
