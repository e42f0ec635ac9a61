// drillCheckOutcome: what drill-check leaves as its result when its checks do not all fit the
// 4096-byte termination message: the list cut down, never dropped whole, and every check left
// out counted by outcome, so that the operator counts them all.
import { describe, expect, it } from '@jest/globals';
import { DrillChecksOmitted, MAX_RESULT_BYTES, RunnerResult, serializeResult } from '../contract/result.ts';
import type { CheckResult } from './check-result.ts';
import { drillCheckOutcome } from './drill-check.ts';

const sql = (i: number, ok: boolean): CheckResult => ({
  name: `orders-check-${i}`,
  type: 'Sql',
  ok,
  expected: 'at least 1 row',
  actual: ok ? '18233 rows' : '0 rows',
  message: ok ? `${i}: the orders of the day are there` : `${i}: no order for that day was restored`,
});

/** The result as the runner writes it and the operator reads it back. */
function written(outcome: ReturnType<typeof drillCheckOutcome>): RunnerResult {
  const result: RunnerResult =
    outcome.failure === undefined
      ? { ok: true, subcommand: 'drill-check', summary: outcome.summary }
      : { ok: false, subcommand: 'drill-check', code: 'CheckFailed', reason: outcome.failure, details: outcome.summary };
  const text = serializeResult(result);
  expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_RESULT_BYTES);
  return RunnerResult.parse(JSON.parse(text));
}

const bodyOf = (result: RunnerResult) => (result.ok ? result.summary : result.details!);
const listed = (result: RunnerResult) => bodyOf(result).checks as CheckResult[];
const omitted = (result: RunnerResult) => DrillChecksOmitted.parse(bodyOf(result).checksOmitted);

describe('drillCheckOutcome', () => {
  it('lists every check when they fit, and counts none as left out', () => {
    const checks = [sql(1, true), sql(2, true)];
    const outcome = drillCheckOutcome(checks, { freshness: '2025-01-01T01:59:30Z' });
    expect(outcome.failure).toBeUndefined();
    expect(outcome.summary).toEqual({ passed: true, checks, freshness: '2025-01-01T01:59:30Z' });
  });

  it('passed, with 120 checks: lists what fits and counts the rest as passed', () => {
    const checks = Array.from({ length: 120 }, (_, i) => sql(i, true));
    const result = written(drillCheckOutcome(checks, {}));
    expect(result.ok).toBe(true);
    expect(listed(result).length).toBeGreaterThan(10);
    expect(listed(result).length).toBeLessThan(120);
    expect(omitted(result)).toEqual({ passed: 120 - listed(result).length, failed: 0 });
  });

  it('failed, with the failures among those left out: counts them as failed, and the reason counts them all', () => {
    // 100 checks; the last 30 fail, more than the result can list even without the passed ones.
    const checks = Array.from({ length: 100 }, (_, i) => sql(i, i < 70));
    const outcome = drillCheckOutcome(checks, {});
    expect(outcome.failure).toMatch(/^30 of 100 checks failed: orders-check-70 \(70: no order/);
    const result = written(outcome);
    expect(result).toMatchObject({ ok: false, code: 'CheckFailed', reason: outcome.failure });
    const shown = listed(result);
    expect(shown.every((check) => !check.ok)).toBe(true);
    expect(shown.length).toBeLessThan(30);
    expect(omitted(result)).toEqual({ passed: 70, failed: 30 - shown.length });
    expect(bodyOf(result).passed).toBe(false);
  });

  it('leaves room for large facts and a long reason, so the list is cut, never dropped whole', () => {
    // Row-count facts with long table names, and failure messages that fill the reason.
    const rowCounts = {
      tables: 400,
      mismatched: 5,
      mismatches: Array.from({ length: 5 }, (_, i) => ({ table: `"${'schema_with_a_long_name'.repeat(2)}"."${'table_with_a_long_name'.repeat(2)}_${i}"`, expected: 1000, actual: 999 })),
    };
    const checks = Array.from({ length: 40 }, (_, i) => ({ ...sql(i, i % 2 === 0), message: `${i}: ${'the restored rows do not match the expectation; '.repeat(8)}` }));
    const result = written(drillCheckOutcome(checks, { rowCounts, schemaObjects: { format: 'custom', expected: 412, found: 412, missing: 0 }, snapshotTime: '2025-01-01T02:00:00.123Z' }));
    expect(Array.isArray(bodyOf(result).checks)).toBe(true);
    expect(bodyOf(result).rowCounts).toEqual(rowCounts);
    const shown = listed(result);
    expect(shown.length).toBeGreaterThan(0);
    const { passed, failed } = omitted(result);
    expect(shown.length + passed + failed).toBe(40);
    expect(shown.filter((check) => !check.ok).length + failed).toBe(20);
  });
});
