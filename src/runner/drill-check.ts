// drill-check: runs the drill's SQL checks against the restored database, compares row
// counts with the backup's snapshot, checks that the schema objects of the dump's table of
// contents exist, and reads the freshness value (the RPO's basis). Every query runs in a
// read-only transaction with a statement timeout. Each check says what it expected and what
// it found (check-result.ts), for the DRDrillRun status.
import type pg from 'pg';
import type { ArtifactManifest } from '../contract/manifests.ts';
import type { ArtifactLocation } from '../contract/bucket-layout.ts';
import { MAX_RESULT_BYTES, type DrillChecksOmitted, type RunnerResult } from '../contract/result.ts';
import type { DrillCheckTask, Storage } from '../contract/tasks.ts';
import { RunnerError } from '../failures/runner-error.ts';
import { connect, connectionSettings, quoteIdent } from '../postgres/connection.ts';
import { postgresFailure } from '../postgres/errors.ts';
import { catalogKeys, catalogSchemas, compareSchemaObjects, readCatalogObjects } from '../postgres/schema-objects.ts';
import { describeEntry, listArchive, parseToc } from '../postgres/toc.ts';
import { isStorageError, storageFailure } from '../s3/errors.ts';
import { openArtifact } from './artifact-reader.ts';
import { compareRowCounts, describeExpectation, evaluateExpectation, tableName } from './check-expectation.ts';
import { boundChecks, checkResult, clip, plural, type CheckResult } from './check-result.ts';
import { oneLine } from './describe-failure.ts';
import type { RunnerContext, TaskSummary } from './context.ts';
import { resolveIdentities } from './keys.ts';
import { readArtifactManifest } from './manifest.ts';

type PostgresManifest = Extract<ArtifactManifest, { kind: 'postgres' }>;

/** No parsing: every value stays the text PostgreSQL sent (NULL stays null). */
const AS_TEXT: pg.CustomTypesConfig = { getTypeParser: (() => (text: string) => text) as pg.CustomTypesConfig['getTypeParser'] };

/** One RowCount check per differing table, up to this many (the summary check counts them all). */
const MAX_TABLE_CHECKS = 10;
/** Missing schema objects named in the check. */
const MAX_MISSING_NAMED = 10;
/** The failure's reason, in characters: under the result's own clip (1024), so that the room
 *  left for the checks is reckoned with the reason as it is written. */
const REASON_MAX_CHARS = 1000;

/** What the table of contents said, before the database is looked at. */
type SchemaListing = { format: 'plain' } | { format: 'custom' | 'tar'; toc: string };

export async function runDrillCheck(task: DrillCheckTask, ctx: RunnerContext): Promise<TaskSummary> {
  const manifests = new Map<string, Promise<PostgresManifest>>();
  const manifestOf = (storage: Storage, artifact: ArtifactLocation): Promise<PostgresManifest> => {
    const key = JSON.stringify([storage.endpoint, storage.bucket, storage.prefix, artifact]);
    let manifest = manifests.get(key);
    if (!manifest) {
      manifest = readPostgresManifest(storage, artifact, ctx);
      manifests.set(key, manifest);
    }
    return manifest;
  };
  // Storage and the dump first: what fails there fails before the database is touched.
  const rowCountsManifest = task.rowCounts ? await manifestOf(task.rowCounts.storage, task.rowCounts.artifact) : undefined;
  const schemaListing = task.schemaObjects ? await listSchema(task.schemaObjects, await manifestOf(task.schemaObjects.storage, task.schemaObjects.artifact), ctx) : undefined;

  const settings = connectionSettings(task.postgres, ctx.env);
  const db = await connect(settings).catch((error: unknown) => {
    throw postgresFailure(error, settings, 'connecting to the restored database');
  });
  try {
    const inReadOnly = async <T>(use: () => Promise<T>): Promise<T> => {
      await db.query('BEGIN READ ONLY');
      try {
        await db.query(`SET LOCAL statement_timeout = ${task.statementTimeoutSeconds * 1000}`);
        return await use();
      } finally {
        await db.query('ROLLBACK').catch(() => undefined);
      }
    };
    /** Rows as arrays; `asText` leaves every value as PostgreSQL wrote it (what SQL checks compare). */
    const readOnly = (sql: string, options: { asText?: boolean } = {}): Promise<{ rows: unknown[][]; rowCount: number }> =>
      inReadOnly(async () => {
        const result = await db.query<unknown[]>({ text: sql, rowMode: 'array', ...(options.asText ? { types: AS_TEXT } : {}) });
        return { rows: result.rows, rowCount: result.rowCount ?? result.rows.length };
      });

    const checks: CheckResult[] = [];
    for (const check of task.checks) {
      try {
        const result = await readOnly(check.query, { asText: true });
        const first = result.rows[0]?.[0] as string | null | undefined;
        checks.push(checkResult({ name: check.name, type: 'Sql', ...evaluateExpectation(check.expect, result.rowCount, first) }));
      } catch (error) {
        checks.push(
          checkResult({ name: check.name, type: 'Sql', ok: false, expected: describeExpectation(check.expect), actual: 'query failed', message: `query failed: ${firstLine(error)}` }),
        );
      }
    }

    let rowCounts: { tables: number; mismatched: number; mismatches: ReturnType<typeof compareRowCounts> } | undefined;
    if (rowCountsManifest) {
      const counted = rowCountsManifest.postgres.rowCounts.tables.filter((table) => table.rows !== null);
      const actual = new Map<string, number | null>();
      for (const table of counted) {
        try {
          const result = await readOnly(`SELECT count(*) FROM ONLY ${quoteIdent(table.schema)}.${quoteIdent(table.table)}`);
          actual.set(tableName(table), Number(result.rows[0]?.[0]));
        } catch {
          actual.set(tableName(table), null);
        }
      }
      const mismatches = compareRowCounts(counted, actual);
      rowCounts = { tables: counted.length, mismatched: mismatches.length, mismatches: mismatches.slice(0, 5) };
      for (const mismatch of mismatches.slice(0, MAX_TABLE_CHECKS)) {
        checks.push(
          checkResult({
            name: mismatch.table,
            type: 'RowCount',
            ok: false,
            expected: plural(mismatch.expected, 'row'),
            actual: mismatch.actual === null ? 'no such table' : plural(mismatch.actual, 'row'),
            message:
              mismatch.actual === null
                ? `table ${mismatch.table} is missing or cannot be read after the restore`
                : `${plural(mismatch.actual, 'row')}, the backup's snapshot counted ${mismatch.expected}`,
          }),
        );
      }
      checks.push(
        checkResult({
          name: 'row-counts',
          type: 'RowCount',
          ok: mismatches.length === 0,
          expected: `${plural(counted.length, 'table')} as in the backup's snapshot`,
          actual: `${counted.length - mismatches.length} match, ${mismatches.length} differ`,
          message:
            mismatches.length === 0
              ? `${plural(counted.length, 'table')} match the backup's snapshot`
              : `${mismatches.length} of ${plural(counted.length, 'table')} differ from the backup's snapshot`,
        }),
      );
    }

    let schemaObjects: TaskSummary | undefined;
    if (schemaListing) {
      if (schemaListing.format === 'plain') {
        schemaObjects = { format: 'plain', skipped: true };
        checks.push(
          checkResult({
            name: 'schema-objects',
            type: 'SchemaObjects',
            ok: true,
            skipped: true,
            expected: "the dump's table of contents",
            actual: 'not supported for a plain dump',
            message: 'not supported: a plain SQL dump has no table of contents to check against (custom and tar dumps have one)',
          }),
        );
      } else {
        const catalog = await inReadOnly(() => readCatalogObjects(db)).catch((error: unknown) => {
          throw postgresFailure(error, settings, 'reading the catalog of the restored database');
        });
        const entries = parseToc(schemaListing.toc, catalogSchemas(catalog));
        const comparison = compareSchemaObjects(entries, catalogKeys(catalog));
        const missing = comparison.missing.map(describeEntry);
        schemaObjects = { format: schemaListing.format, expected: comparison.expected, found: comparison.found, missing: missing.length };
        checks.push(
          checkResult({
            name: 'schema-objects',
            type: 'SchemaObjects',
            ok: missing.length === 0,
            expected: plural(comparison.expected, 'schema object'),
            actual: `${comparison.found} present`,
            message:
              missing.length === 0
                ? "every schema object in the dump's table of contents exists"
                : `${missing.length} missing: ${missing.slice(0, 3).map((name) => clip(name, 100)).join(', ')}${missing.length > 3 ? ', ...' : ''}`,
            ...(missing.length > 0 ? { missing: missing.slice(0, MAX_MISSING_NAMED).map((name) => clip(name, 100)) } : {}),
          }),
        );
      }
    }

    let freshness: string | null | undefined;
    if (task.freshness) {
      try {
        const result = await readOnly(task.freshness.query);
        freshness = toTimestamp(result.rows[0]?.[0]);
        checks.push(
          checkResult({
            name: 'freshness',
            type: 'Freshness',
            ok: freshness !== null,
            expected: 'a timestamp',
            actual: freshness ?? 'no timestamp',
            message: freshness === null ? 'the freshness query returned no timestamp' : `newest data ${freshness}`,
          }),
        );
      } catch (error) {
        freshness = null;
        checks.push(checkResult({ name: 'freshness', type: 'Freshness', ok: false, expected: 'a timestamp', actual: 'query failed', message: `query failed: ${firstLine(error)}` }));
      }
    }

    // The log has every check in full; the result may have room for only some of them.
    for (const check of checks) ctx.logger.info({ check }, check.ok ? 'check passed' : 'check failed');
    const outcome = drillCheckOutcome(checks, {
      ...(rowCounts ? { rowCounts } : {}),
      ...(schemaObjects ? { schemaObjects } : {}),
      ...(freshness !== undefined ? { freshness } : {}),
      ...(rowCountsManifest ? { snapshotTime: rowCountsManifest.snapshotTime } : {}),
    });
    if (outcome.failure !== undefined) throw new RunnerError('CheckFailed', outcome.failure, { details: outcome.summary });
    return outcome.summary;
  } finally {
    await db.end().catch(() => undefined);
  }
}

/**
 * The task's result from every check it ran. Passed only if every check held, listed or not.
 * The checks are cut down (boundChecks) to the room the 4096-byte result leaves next to the
 * other facts and the failure's reason: a list that did not fit would be dropped whole by
 * serializeResult. Those left out are counted by outcome in `checksOmitted`, so that the
 * operator's counts and the report stay whole; the log lists every check.
 */
export function drillCheckOutcome(checks: readonly CheckResult[], facts: TaskSummary): { summary: TaskSummary; failure?: string } {
  const failed = checks.filter((check) => !check.ok);
  const failure =
    failed.length === 0
      ? undefined
      : clip(oneLine(`${failed.length} of ${checks.length} checks failed: ${failed.map((c) => `${c.name} (${c.message})`).join('; ')}`), REASON_MAX_CHARS);
  const summaryOf = (listed: readonly CheckResult[], omitted: DrillChecksOmitted | undefined): TaskSummary => ({
    passed: failed.length === 0,
    checks: listed,
    ...(omitted ? { checksOmitted: omitted } : {}),
    ...facts,
  });
  const resultOf = (summary: TaskSummary): RunnerResult =>
    failure === undefined ? { ok: true, subcommand: 'drill-check', summary } : { ok: false, subcommand: 'drill-check', code: 'CheckFailed', reason: failure, details: summary };
  // The result with an empty list and omitted counts as wide as they can get: the rest is room.
  const bare = Buffer.byteLength(JSON.stringify(resultOf(summaryOf([], { passed: checks.length, failed: checks.length }))));
  const bounded = boundChecks(checks, Math.max(0, MAX_RESULT_BYTES - bare + '[]'.length));
  const omittedFailed = failed.length - bounded.checks.filter((check) => !check.ok).length;
  const omitted = bounded.omitted > 0 ? { passed: bounded.omitted - omittedFailed, failed: omittedFailed } : undefined;
  return { summary: summaryOf(bounded.checks, omitted), ...(failure === undefined ? {} : { failure }) };
}

async function readPostgresManifest(storage: Storage, artifact: ArtifactLocation, ctx: RunnerContext): Promise<PostgresManifest> {
  const manifest = await readArtifactManifest(ctx.s3(storage), storage, artifact, ctx.signal).catch((error: unknown) => {
    throw storageFailure(error, { bucket: storage.bucket, ...(storage.endpoint ? { endpoint: storage.endpoint } : {}) }, 'reading the manifest from');
  });
  if (manifest.kind !== 'postgres') throw new RunnerError('InvalidTask', `artifact ${artifact.source} is not a PostgreSQL backup`);
  return manifest;
}

/**
 * The dump's table of contents: the artifact streams through the verifying reader (decrypted,
 * decompressed) into `pg_restore --list`, which reads the archive's head only; the download
 * stops there. (The whole artifact's checksum was verified by the restore.)
 */
async function listSchema(task: NonNullable<DrillCheckTask['schemaObjects']>, manifest: PostgresManifest, ctx: RunnerContext): Promise<SchemaListing> {
  const { format } = manifest.postgres;
  if (format === 'plain') return { format };
  const identities = manifest.artifact.encryption ? resolveIdentities(task.decryption, ctx.env) : [];
  const archive = openArtifact(ctx.s3(task.storage), { bucket: task.storage.bucket, artifact: manifest.artifact, identities, signal: ctx.signal });
  try {
    return { format, toc: await listArchive(archive, { format, toolEnv: ctx.env, signal: ctx.signal }) };
  } catch (error) {
    if (!isStorageError(error)) throw error;
    throw storageFailure(
      error,
      { bucket: task.storage.bucket, key: manifest.artifact.key, ...(task.storage.endpoint ? { endpoint: task.storage.endpoint } : {}) },
      'reading',
    );
  }
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

function toTimestamp(value: unknown): string | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (typeof value === 'string' || typeof value === 'number') {
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? null : date.toISOString();
  }
  return null;
}
