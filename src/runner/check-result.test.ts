import { describe, expect, it } from '@jest/globals';
import { boundChecks, checkResult, clip, type CheckResult } from './check-result.ts';

const check = (name: string, ok: boolean, message = 'x'.repeat(100)): CheckResult => ({ name, type: 'Sql', ok, expected: '1 row', actual: '2 rows', message });

describe('checkResult', () => {
  it('keeps the fields within what a status takes', () => {
    const long = checkResult({ ...check('n'.repeat(300), false), expected: 'e'.repeat(300), actual: 'a'.repeat(300), message: 'm'.repeat(1000) });
    expect([long.name.length, long.expected.length, long.actual.length, long.message.length]).toEqual([200, 120, 120, 400]);
  });
});

describe('clip', () => {
  it('never cuts a surrogate pair in half', () => {
    expect(clip('ab😀cd', 4)).toBe('ab…');
    expect(clip('short', 10)).toBe('short');
  });
});

describe('boundChecks', () => {
  it('leaves checks that fit alone', () => {
    const checks = [check('a', true), check('b', false)];
    expect(boundChecks(checks, 4096)).toEqual({ checks, omitted: 0 });
  });

  it('gives up the passed checks before the failed ones, keeping the order', () => {
    const checks = Array.from({ length: 40 }, (_, i) => check(`c${i}`, i % 10 !== 3));
    const { checks: kept, omitted } = boundChecks(checks, 2200);
    expect(Buffer.byteLength(JSON.stringify(kept))).toBeLessThanOrEqual(2200);
    expect(kept.filter((c) => !c.ok).map((c) => c.name)).toEqual(['c3', 'c13', 'c23', 'c33']);
    expect(omitted).toBe(40 - kept.length);
    expect(kept.map((c) => c.name)).toEqual(checks.map((c) => c.name).filter((name) => kept.some((c) => c.name === name)));
    expect(kept.filter((c) => c.ok).every((c) => c.message === '')).toBe(true);
  });

  it('shortens failed checks, then drops the last of them, when even those do not fit', () => {
    const checks = Array.from({ length: 30 }, (_, i) => ({ ...check(`failed-${i}`, false, 'm'.repeat(300)), missing: ['TABLE public.a', 'TABLE public.b', 'TABLE public.c', 'TABLE public.d'] }));
    const { checks: kept, omitted } = boundChecks(checks, 2200);
    expect(Buffer.byteLength(JSON.stringify(kept))).toBeLessThanOrEqual(2200);
    expect(kept[0]).toMatchObject({ name: 'failed-0', missing: ['TABLE public.a', 'TABLE public.b', 'TABLE public.c'] });
    expect(kept[0]?.message).toHaveLength(80);
    expect(omitted).toBeGreaterThan(0);
  });
});
