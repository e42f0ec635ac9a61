// Pure evaluation of drill checks: does a query's result meet its expectation, and do the
// restored row counts match the ones taken in the backup's snapshot.
import type { TableRowCount } from '../contract/manifests.ts';
import type { CheckExpectation } from '../contract/tasks.ts';

export interface CheckOutcome {
  ok: boolean;
  /** Why it failed, or what it saw; short. */
  message: string;
  /** The expectation in a few words, e.g. `2 rows, at least 300`. */
  expected: string;
  /** What the query returned, in the same terms, e.g. `1 row, "299"`. */
  actual: string;
}

/**
 * `value` is the first column of the first row as PostgreSQL writes it as text (what psql
 * shows: `t` for true, timestamps in the server's style), null for NULL, undefined when there
 * are no rows. Text, because the API compares `equals` as text: a user writes what they see.
 */
export function evaluateExpectation(expect: CheckExpectation, rowCount: number, value: string | null | undefined): CheckOutcome {
  const shown = show(value);
  const seen = { expected: describeExpectation(expect), actual: describeResult(expect, rowCount, shown) };
  if (expect.rows !== undefined && rowCount !== expect.rows) {
    return { ok: false, message: `got ${rows(rowCount)}, expected ${rows(expect.rows)}`, ...seen };
  }
  if (expect.equals !== undefined && value !== expect.equals) {
    return { ok: false, message: `got ${shown}, expected ${JSON.stringify(expect.equals)}`, ...seen };
  }
  if (expect.atLeast !== undefined || expect.atMost !== undefined) {
    const number = toNumber(value);
    if (number === undefined) return { ok: false, message: `got ${shown}, expected a number`, ...seen };
    if (expect.atLeast !== undefined && number < expect.atLeast) return { ok: false, message: `got ${shown}, expected at least ${expect.atLeast}`, ...seen };
    if (expect.atMost !== undefined && number > expect.atMost) return { ok: false, message: `got ${shown}, expected at most ${expect.atMost}`, ...seen };
  }
  return { ok: true, message: `${rows(rowCount)}, value ${shown}`, ...seen };
}

/** `2 rows`, `"diagram 7"`, `between 1 and 9`, ...; `any result` when nothing is expected. */
export function describeExpectation(expect: CheckExpectation): string {
  const parts: string[] = [];
  if (expect.rows !== undefined) parts.push(rows(expect.rows));
  if (expect.equals !== undefined) parts.push(show(expect.equals));
  if (expect.atLeast !== undefined && expect.atMost !== undefined) parts.push(`between ${expect.atLeast} and ${expect.atMost}`);
  else if (expect.atLeast !== undefined) parts.push(`at least ${expect.atLeast}`);
  else if (expect.atMost !== undefined) parts.push(`at most ${expect.atMost}`);
  return parts.length > 0 ? parts.join(', ') : 'any result';
}

/** What was seen, in the terms of the expectation: the row count, the value, or both. */
function describeResult(expect: CheckExpectation, rowCount: number, shown: string): string {
  const aboutValue = expect.equals !== undefined || expect.atLeast !== undefined || expect.atMost !== undefined;
  if (expect.rows !== undefined && aboutValue) return `${rows(rowCount)}, ${shown}`;
  if (expect.rows !== undefined) return rows(rowCount);
  if (aboutValue) return shown;
  return `${rows(rowCount)}, value ${shown}`;
}

function toNumber(value: string | null | undefined): number | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const number = Number(value);
  return Number.isNaN(number) ? undefined : number;
}

function rows(count: number): string {
  return count === 1 ? '1 row' : `${count} rows`;
}

function show(value: string | null | undefined): string {
  if (value === undefined) return '(no row)';
  if (value === null) return 'NULL';
  const text = JSON.stringify(value);
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
