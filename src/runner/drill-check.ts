// drill-check: runs the drill's SQL checks against the restored database, compares row
// counts with the backup's snapshot, and reads the freshness value (the RPO's basis). Every
// query runs in a read-only transaction with a statement timeout.
import type pg from 'pg';
import type { DrillCheckTask } from '../contract/tasks.ts';
import { RunnerError } from '../failures/runner-error.ts';
import { connect, connectionSettings, quoteIdent } from '../postgres/connection.ts';
import { postgresFailure } from '../postgres/errors.ts';
import { storageFailure } from '../s3/errors.ts';
import { compareRowCounts, evaluateExpectation, tableName } from './check-expectation.ts';
import type { RunnerContext, TaskSummary } from './context.ts';
import { readArtifactManifest } from './manifest.ts';

/** No parsing: every value stays the text PostgreSQL sent (NULL stays null). */
const AS_TEXT: pg.CustomTypesConfig = { getTypeParser: (() => (text: string) => text) as pg.CustomTypesConfig['getTypeParser'] };

interface CheckResult {
  name: string;
  ok: boolean;
  message: string;
}

export async function runDrillCheck(task: DrillCheckTask, ctx: RunnerContext): Promise<TaskSummary> {
  const settings = connectionSettings(task.postgres, ctx.env);
  const db = await connect(settings).catch((error: unknown) => {
    throw postgresFailure(error, settings, 'connecting to the restored database');
  });
  try {
    /** Rows as arrays; `asText` leaves every value as PostgreSQL wrote it (what SQL checks compare). */
    const readOnly = async (sql: string, options: { asText?: boolean } = {}): Promise<{ rows: unknown[][]; rowCount: number }> => {
      await db.query('BEGIN READ ONLY');
      try {
        await db.query(`SET LOCAL statement_timeout = ${task.statementTimeoutSeconds * 1000}`);
        const result = await db.query<unknown[]>({ text: sql, rowMode: 'array', ...(options.asText ? { types: AS_TEXT } : {}) });
        return { rows: result.rows, rowCount: result.rowCount ?? result.rows.length };
      } finally {
        await db.query('ROLLBACK').catch(() => undefined);
      }
    };

    const checks: CheckResult[] = [];
    for (const check of task.checks) {
      try {
        const result = await readOnly(check.query, { asText: true });
        const first = result.rows[0]?.[0] as string | null | undefined;
        checks.push({ name: check.name, ...evaluateExpectation(check.expect, result.rowCount, first) });
      } catch (error) {
        checks.push({ name: check.name, ok: false, message: `query failed: ${(error as Error).message.split('\n')[0]}` });
      }
    }

    let rowCounts: { tables: number; mismatches: ReturnType<typeof compareRowCounts> } | undefined;
    let snapshotTime: string | undefined;
    if (task.rowCounts) {
      const { storage, artifact } = task.rowCounts;
      const manifest = await readArtifactManifest(ctx.s3(storage), storage, artifact, ctx.signal).catch((error: unknown) => {
        throw storageFailure(error, { bucket: storage.bucket }, 'reading the manifest from');
      });
      if (manifest.kind !== 'postgres') throw new RunnerError('InvalidTask', `artifact ${artifact.source} is not a PostgreSQL backup`);
      snapshotTime = manifest.snapshotTime;
      const actual = new Map<string, number | null>();
      for (const table of manifest.postgres.rowCounts.tables) {
        if (table.rows === null) continue;
        try {
          const result = await readOnly(`SELECT count(*) FROM ONLY ${quoteIdent(table.schema)}.${quoteIdent(table.table)}`);
          actual.set(tableName(table), Number(result.rows[0]?.[0]));
        } catch {
          actual.set(tableName(table), null);
        }
      }
      const counted = manifest.postgres.rowCounts.tables.filter((table) => table.rows !== null);
      rowCounts = { tables: counted.length, mismatches: compareRowCounts(counted, actual) };
      checks.push({
        name: 'row-counts',
        ok: rowCounts.mismatches.length === 0,
        message:
          rowCounts.mismatches.length === 0
            ? `${counted.length} tables match the backup's snapshot`
            : `${rowCounts.mismatches.length} of ${counted.length} tables differ from the backup's snapshot`,
      });
    }

    let freshness: string | null | undefined;
    if (task.freshness) {
      try {
        const result = await readOnly(task.freshness.query);
        freshness = toTimestamp(result.rows[0]?.[0]);
        checks.push({
          name: 'freshness',
          ok: freshness !== null,
          message: freshness === null ? 'the freshness query returned no timestamp' : `newest data ${freshness}`,
        });
      } catch (error) {
        freshness = null;
        checks.push({ name: 'freshness', ok: false, message: `query failed: ${(error as Error).message.split('\n')[0]}` });
      }
    }

    const failed = checks.filter((check) => !check.ok);
    const summary: TaskSummary = {
      passed: failed.length === 0,
      checks,
      ...(rowCounts ? { rowCounts: { tables: rowCounts.tables, mismatches: rowCounts.mismatches.slice(0, 10) } } : {}),
      ...(freshness !== undefined ? { freshness } : {}),
      ...(snapshotTime ? { snapshotTime } : {}),
    };
    for (const check of checks) ctx.logger.info({ check }, check.ok ? 'check passed' : 'check failed');
    if (failed.length > 0) {
      throw new RunnerError('CheckFailed', `${failed.length} of ${checks.length} checks failed: ${failed.map((c) => `${c.name} (${c.message})`).join('; ')}`, {
        details: summary,
      });
    }
    return summary;
  } finally {
    await db.end().catch(() => undefined);
  }
}

function toTimestamp(value: unknown): string | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (typeof value === 'string' || typeof value === 'number') {
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? null : date.toISOString();
  }
  return null;
}
