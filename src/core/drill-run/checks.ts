// The checks a drill's verify Jobs report, as status entries: drill-check (SQL, row counts,
// schema objects, freshness) for a PostgreSQL source, bucket-check (object count and SHA-256)
// for a bucket. A verify Job that failed for another reason than a check (the scratch server
// unreachable...) is one failed check that says so. Failed checks come first; status keeps 64.
// A verify Job may leave checks out of its result for size (drill-check's checksOmitted): they
// are counted, by outcome, not listed.
import { z } from 'zod';
import { DrillChecksOmitted } from '../../contract/result.ts';
import { optional, type RunnerResult } from '../job-set/index.ts';
import { compact } from '../same-status.ts';
import type { DrillCheckStatus } from './types.ts';

const CheckType = z.enum(['Sql', 'RowCount', 'ObjectCount', 'Checksum', 'SchemaObjects', 'Freshness']);
const text = z.union([z.string(), z.number(), z.boolean(), z.null()]).transform((value) => (value === null ? 'NULL' : String(value)));

const DrillCheckSummary = z.object({
  checks: optional(
    z.array(
      z.object({
        name: z.string(),
        type: optional(CheckType),
        ok: z.boolean(),
        expected: optional(text),
        actual: optional(text),
        message: optional(z.string()),
      }),
    ),
  ),
  freshness: optional(z.string().nullable()),
  checksOmitted: optional(DrillChecksOmitted),
});

const BucketCheckSummary = z.object({
  objectCount: optional(z.object({ expected: z.number(), actual: z.number() })),
  checked: optional(z.number()),
  missing: optional(z.number()),
  extra: optional(z.number()),
  mismatches: optional(z.array(z.object({ key: z.string(), expected: optional(text), actual: optional(text) }))),
});

export const MAX_STATUS_CHECKS = 64;

const clip = (value: string | undefined, max: number) => (value === undefined || value.length <= max ? value : `${value.slice(0, max - 1)}…`);

function entry(check: { name: string; type: DrillCheckStatus['type']; source: string; ok: boolean; expected?: string | undefined; actual?: string | undefined; message?: string | undefined }): DrillCheckStatus {
  return compact({
    name: clip(check.name, 253)!,
    type: check.type,
    source: check.source,
    result: check.ok ? ('Passed' as const) : ('Failed' as const),
    expected: clip(check.expected, 256),
    actual: clip(check.actual, 256),
    message: clip(check.message, 512),
  });
}

/** The checks of one source's verify Job; what a failed result carries in its details counts too. */
export function checksOf(source: { name: string; kind: 'postgres' | 'bucket' }, result: RunnerResult | undefined, failure: string | undefined): DrillCheckStatus[] {
  const body = resultBody(result);
  const parsed = source.kind === 'postgres' ? postgresChecks(source.name, body) : bucketChecks(source.name, body);
  // Checks counted but not listed are checks too: the failure is theirs, not one of its own.
  if (parsed.length > 0 || unlistedChecksOf(result)) return parsed;
  if (failure === undefined) return [];
  return [entry({ name: `verify ${source.name}`, type: source.kind === 'postgres' ? 'Sql' : 'Checksum', source: source.name, ok: false, message: failure })];
}

function postgresChecks(source: string, body: unknown): DrillCheckStatus[] {
  const summary = DrillCheckSummary.safeParse(body ?? {});
  if (!summary.success) return [];
  return (summary.data.checks ?? []).map((check) =>
    entry({ name: check.name, type: check.type ?? typeFromName(check.name), source, ok: check.ok, expected: check.expected, actual: check.actual, message: check.message }),
  );
}

function typeFromName(name: string): DrillCheckStatus['type'] {
  if (name === 'row-counts') return 'RowCount';
  if (name === 'freshness') return 'Freshness';
  if (name === 'schema-objects') return 'SchemaObjects';
  return 'Sql';
}

function bucketChecks(source: string, body: unknown): DrillCheckStatus[] {
  const summary = BucketCheckSummary.safeParse(body ?? {});
  if (!summary.success || !summary.data.objectCount) return [];
  const { objectCount, checked, missing = 0, extra = 0, mismatches = [] } = summary.data;
  const checks = [
    entry({
      name: `${source} object count`,
      type: 'ObjectCount',
      source,
      ok: objectCount.expected === objectCount.actual && missing === 0 && extra === 0,
      expected: String(objectCount.expected),
      actual: String(objectCount.actual),
      message: missing > 0 || extra > 0 ? `${missing} missing, ${extra} not in the backup` : undefined,
    }),
    entry({
      name: `${source} checksums`,
      type: 'Checksum',
      source,
      ok: mismatches.length === 0,
      expected: `${checked ?? objectCount.expected} objects with the manifest's size and SHA-256`,
      actual: mismatches.length === 0 ? 'all match' : `${mismatches.length} differ`,
    }),
  ];
  for (const mismatch of mismatches) {
    checks.push(entry({ name: `${source}: ${mismatch.key}`, type: 'Checksum', source, ok: false, expected: mismatch.expected, actual: mismatch.actual }));
  }
  return checks;
}

const ChecksumDetails = z.object({
  checksum: z.object({
    expected: z.object({ sha256: z.string(), sizeBytes: z.number() }),
    actual: z.object({ sha256: z.string(), sizeBytes: z.number() }),
  }),
});

/**
 * A restore that found the stored artifact corrupt (ChecksumMismatch) is a failed Checksum
 * check of the artifact against its manifest: both SHA-256 in full, next to the other checks.
 */
export function restoreChecksOf(source: { name: string }, result: RunnerResult | undefined): DrillCheckStatus[] {
  if (!result || result.ok || result.code !== 'ChecksumMismatch') return [];
  const parsed = ChecksumDetails.safeParse(result.details ?? {});
  const describe = (side: { sha256: string; sizeBytes: number }) => `SHA-256 ${side.sha256}, ${side.sizeBytes} bytes`;
  return [
    entry({
      name: `${source.name} artifact`,
      type: 'Checksum',
      source: source.name,
      ok: false,
      expected: parsed.success ? describe(parsed.data.checksum.expected) : "the manifest's SHA-256",
      actual: parsed.success ? describe(parsed.data.checksum.actual) : 'a different SHA-256',
      message: result.reason,
    }),
  ];
}

/**
 * The checks a source's verify Job ran but left out of its result for size, by outcome (the
 * Job's log lists them); undefined when it left none out. They count in checksSummary and the
 * report like the listed ones.
 */
export function unlistedChecksOf(result: RunnerResult | undefined): DrillChecksOmitted | undefined {
  const body = resultBody(result);
  const summary = DrillCheckSummary.safeParse(body ?? {});
  const omitted = summary.success ? summary.data.checksOmitted : undefined;
  return omitted && omitted.passed + omitted.failed > 0 ? omitted : undefined;
}

/** The newest data time a PostgreSQL source's drill-check read with the freshness query. */
export function freshnessOf(result: RunnerResult | undefined): string | undefined {
  const body = resultBody(result);
  const summary = DrillCheckSummary.safeParse(body ?? {});
  return summary.success ? (summary.data.freshness ?? undefined) : undefined;
}

/** Failed first, then in the order found; at most MAX_STATUS_CHECKS (the report has them all). */
export function forStatus(checks: readonly DrillCheckStatus[]): DrillCheckStatus[] {
  return [...checks.filter((check) => check.result === 'Failed'), ...checks.filter((check) => check.result === 'Passed')].slice(0, MAX_STATUS_CHECKS);
}

/** What a verify Job reported: its summary, or a failure's details (a failed check still reports every check). */
function resultBody(result: RunnerResult | undefined): unknown {
  return result ? (result.ok ? result.summary : result.details) : undefined;
}
