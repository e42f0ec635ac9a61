// Pure evaluation of drill checks: does a query's result meet its expectation, and do the
// restored row counts match the ones taken in the backup's snapshot.
import type { TableRowCount } from '../contract/manifests.ts';
import type { CheckExpectation } from '../contract/tasks.ts';

export interface CheckOutcome {
  ok: boolean;
  /** Why it failed, or what it saw; short. */
  message: string;
}

/** `value` is the first column of the first row (undefined when there are no rows). */
export function evaluateExpectation(expect: CheckExpectation, rowCount: number, value: unknown): CheckOutcome {
  const shown = show(value);
  if (expect.minRows !== undefined && rowCount < expect.minRows) {
    return { ok: false, message: `${rowCount} rows, expected at least ${expect.minRows}` };
  }
  if (expect.maxRows !== undefined && rowCount > expect.maxRows) {
    return { ok: false, message: `${rowCount} rows, expected at most ${expect.maxRows}` };
  }
  if (expect.equals !== undefined && !sameValue(value, expect.equals)) {
    return { ok: false, message: `got ${shown}, expected ${show(expect.equals)}` };
  }
  if (expect.min !== undefined || expect.max !== undefined) {
    const number = toNumber(value);
    if (number === undefined) return { ok: false, message: `got ${shown}, expected a number` };
    if (expect.min !== undefined && number < expect.min) return { ok: false, message: `got ${shown}, expected at least ${expect.min}` };
    if (expect.max !== undefined && number > expect.max) return { ok: false, message: `got ${shown}, expected at most ${expect.max}` };
  }
  return { ok: true, message: `${rowCount} rows, value ${shown}` };
}

function sameValue(actual: unknown, expected: string | number | boolean | null): boolean {
  if (expected === null) return actual === null || actual === undefined;
  if (typeof expected === 'number') return toNumber(actual) === expected;
  if (typeof expected === 'boolean') return actual === expected || String(actual) === String(expected);
  return actual instanceof Date ? actual.toISOString() === expected : String(actual) === expected;
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value);
  return undefined;
}

function show(value: unknown): string {
  if (value === undefined) return '(no row)';
  if (value instanceof Date) return value.toISOString();
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export interface RowCountMismatch {
  table: string;
  expected: number;
  actual: number | null;
}

/** Tables whose restored count differs from the snapshot's (null: missing after restore). */
export function compareRowCounts(expected: TableRowCount[], actual: Map<string, number | null>): RowCountMismatch[] {
  const mismatches: RowCountMismatch[] = [];
  for (const table of expected) {
    if (table.rows === null) continue; // not counted at backup time (estimate unknown, unpopulated)
    const name = tableName(table);
    const restored = actual.get(name);
    if (restored === undefined || restored === null || restored !== table.rows) {
      mismatches.push({ table: name, expected: table.rows, actual: restored ?? null });
    }
  }
  return mismatches;
}

export function tableName(table: Pick<TableRowCount, 'schema' | 'table'>): string {
  return `${table.schema}.${table.table}`;
}
