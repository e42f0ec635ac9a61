import { describe, expect, it } from '@jest/globals';
import { compareRowCounts, evaluateExpectation } from './check-expectation.ts';

describe('evaluateExpectation', () => {
  it.each([
    ['no expectation passes any result', {}, 0, undefined, true],
    ['rows passes on the exact count', { rows: 2 }, 2, 'x', true],
    ['rows fails with fewer rows', { rows: 1 }, 0, undefined, false],
    ['rows fails with more rows', { rows: 0 }, 2, 'x', false],
    ['equals compares the text (count(*) comes back as "3")', { equals: '3' }, 1, '3', true],
    ['equals fails on a different value', { equals: '3' }, 1, '4', false],
    ['equals is exact text, not a number', { equals: '3' }, 1, '3.0', false],
    ['equals a boolean as PostgreSQL writes it', { equals: 't' }, 1, 't', true],
    ['equals fails on NULL', { equals: '' }, 1, null, false],
    ['equals fails without a row', { equals: 'ok' }, 0, undefined, false],
    ['atLeast passes at the bound', { atLeast: 10 }, 1, '10', true],
    ['atLeast fails below', { atLeast: 10 }, 1, '9.5', false],
    ['atMost passes at the bound', { atMost: 10 }, 1, '10.00', true],
    ['atMost fails above', { atMost: 10 }, 1, '11', false],
    ['atLeast on a non-number fails', { atLeast: 1 }, 1, 'abc', false],
    ['atMost on NULL fails', { atMost: 1 }, 1, null, false],
    ['atLeast without a row fails', { atLeast: 0 }, 0, undefined, false],
    ['every expectation set must hold', { rows: 1, equals: '5', atLeast: 1, atMost: 9 }, 1, '5', true],
  ] as const)('%s', (_name, expect_, rows, value, ok) => {
    expect(evaluateExpectation(expect_, rows, value).ok).toBe(ok);
  });

  it('says what it got and what it expected', () => {
    expect(evaluateExpectation({ equals: '3' }, 1, '4').message).toBe('got "4", expected "3"');
    expect(evaluateExpectation({ rows: 3 }, 1, '4').message).toBe('got 1 row, expected 3 rows');
    expect(evaluateExpectation({ atMost: 10 }, 1, '300').message).toBe('got "300", expected at most 10');
    expect(evaluateExpectation({ atLeast: 1 }, 1, null).message).toBe('got NULL, expected a number');
    expect(evaluateExpectation({ atLeast: 1 }, 0, undefined).message).toBe('got (no row), expected a number');
  });

  it('says what was expected and what was found, in a few words each', () => {
    const seen = (expect_: Parameters<typeof evaluateExpectation>[0], rows: number, value: string | null | undefined) => {
      const { expected, actual } = evaluateExpectation(expect_, rows, value);
      return [expected, actual];
    };
    expect(seen({ equals: '3' }, 1, '4')).toEqual(['"3"', '"4"']);
    expect(seen({ rows: 2 }, 1, 'x')).toEqual(['2 rows', '1 row']);
    expect(seen({ atLeast: 300, atMost: 300 }, 1, '299')).toEqual(['between 300 and 300', '"299"']);
    expect(seen({ atLeast: 1 }, 0, undefined)).toEqual(['at least 1', '(no row)']);
    expect(seen({ atMost: 9 }, 1, null)).toEqual(['at most 9', 'NULL']);
    expect(seen({ rows: 1, equals: 't' }, 1, 't')).toEqual(['1 row, "t"', '1 row, "t"']);
    expect(seen({}, 2, '1')).toEqual(['any result', '2 rows, value "1"']);
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
