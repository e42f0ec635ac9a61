// The report of a DR drill: rendered once from a DRDrillRun's final status and written next to
// the backups in the schedule's storage (status.report holds the keys and SHA-256), so that it
// can be read without Lifeboat and without the cluster. Two renderings of one document:
//
// - JSON (`formatVersion: 1`, the shape is DrillReportJson below): every key is always present,
//   null when unknown; times are RFC 3339 in UTC; every duration is `{ seconds, text }` ("41m12s");
//   objects whose keys come from the user (plan, tools) are written with sorted keys.
// - Markdown (report-markdown.ts) for the on-call engineer, with what to do about each failure
//   (report-advice.ts).
//
// Pure and deterministic: the same input gives the same bytes. The clock is `generatedAt`.
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import {
  DrillStepName,
  formatBytes,
  formatDuration,
  parseDuration,
  type DRDrillRunStatus,
  type DrillCheck,
  type DrillPlan,
  type ObjectivesSummary,
} from '../../api/index.ts';
import { formatTime, parseTime } from '../time.ts';
import { drillAdvice, type DrillAdvice } from './report-advice.ts';
import { renderDrillMarkdown } from './report-markdown.ts';

export const DRILL_REPORT_FORMAT_VERSION = 1;

/** One verification of the restored data, as in the DRDrillRun API (status.checks). */
export type DrillReportCheck = z.infer<typeof DrillCheck>;

/**
 * Checks counted but not listed: a verify Job left them out of its result for size (its log
 * lists each one), or, with no source and Job, status kept only 64 and the Jobs are gone.
 */
export interface DrillReportNotListed {
  source: string | null;
  /** The verify Job whose log lists them. */
  jobName: string | null;
  passed: number;
  failed: number;
}

/** One restore Job of the drill: a source of the backup restored into a scratch target. */
export interface DrillReportRestore {
  source: string;
  kind: 'postgres' | 'bucket';
  jobName: string;
  /** The scratch database or bucket the source was restored into. */
  scratchTarget: string;
  sizeBytes?: number | undefined;
  durationSeconds?: number | undefined;
  /** Client tool versions the runner reported (pg_restore, node, lifeboat-runner, server...). */
  tools?: Record<string, string> | undefined;
}

export interface DrillReportInput {
  namespace: string;
  /** The DRDrillRun. */
  run: string;
  /** The DRDrill. */
  drill: string;
  /** The BackupSchedule whose backups the drill recovered from. */
  schedule: string;
  plan: DrillPlan;
  /** The final status the operator writes. Its `checks` are ignored: they are capped at 64. */
  status: DRDrillRunStatus;
  /** Every check, not only the 64 status.checks keeps... */
  checks: readonly DrillReportCheck[];
  /** ...except those a verify Job did not list in its result: counted, by Job. */
  notListed?: readonly DrillReportNotListed[] | undefined;
  restores: readonly DrillReportRestore[];
  operatorVersion: string;
  generatedAt: Date;
}

export interface DrillReport {
  json: string;
  markdown: string;
  /** Lower-case hex SHA-256 of `json` as UTF-8, the bytes written to storage. */
  jsonSha256: string;
  markdownSha256: string;
}

/** A duration in seconds and as text ("1h2m3s", whole seconds). */
export interface ReportDuration {
  seconds: number;
  text: string;
}

export interface DrillReportStep {
  name: DrillStepName;
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Skipped' | null;
  startTime: string | null;
  completionTime: string | null;
  duration: ReportDuration | null;
  message: string | null;
}

export interface DrillReportCheckEntry {
  name: string;
  type: DrillReportCheck['type'];
  source: string | null;
  result: 'Passed' | 'Failed';
  expected: string | null;
  actual: string | null;
  message: string | null;
}

export interface DrillReportRestoreEntry {
  source: string;
  kind: 'postgres' | 'bucket';
  jobName: string;
  scratchTarget: string;
  sizeBytes: number | null;
  size: string | null;
  duration: ReportDuration | null;
  /** Tool name to version, sorted by name. */
  tools: Record<string, string>;
}

/** A newer backup the drill did not recover from: its stored verdict says its read-back failed. */
export interface DrillReportSkippedBackup {
  run: string;
  manifestKey: string | null;
  snapshotTime: string | null;
  reason: string | null;
}

/** The JSON report, formatVersion 1. */
export interface DrillReportJson {
  formatVersion: typeof DRILL_REPORT_FORMAT_VERSION;
  kind: 'LifeboatDrillReport';
  generatedAt: string;
  operatorVersion: string;
  namespace: string;
  drill: string;
  run: string;
  schedule: string;
  scenario: DrillPlan['scenario'];
  result: 'Running' | 'Passed' | 'Failed' | null;
  reason: string | null;
  message: string | null;
  /** The declared incident: the run's start. */
  incidentTime: string | null;
  completionTime: string | null;
  /** From the incident to the completion, cleanup included. */
  wallTime: ReportDuration | null;
  /** Met, RTOMissed, RPOMissed or BothMissed. */
  objectives: z.infer<typeof ObjectivesSummary> | null;
  rto: {
    objective: ReportDuration | null;
    measured: ReportDuration | null;
    met: boolean | null;
    /** The restore Jobs, from the first start to the last end. */
    restore: ReportDuration | null;
    restoredBytes: number | null;
    throughputBytesPerSecond: number | null;
  };
  rpo: {
    objective: ReportDuration | null;
    measured: ReportDuration | null;
    met: boolean | null;
    /** Freshness (the plan's freshness query) or SnapshotTime (the backup's snapshot). */
    basis: 'Freshness' | 'SnapshotTime' | null;
    newestDataTime: string | null;
  };
  /** The worst-case RPO the schedule delivered over its retained backups. */
  deliveredRpo: {
    objective: ReportDuration | null;
    worstGap: ReportDuration | null;
    gapToIncident: ReportDuration | null;
    backupsConsidered: number | null;
    oldestConsidered: string | null;
    met: boolean | null;
  };
  backup: {
    run: string | null;
    manifestKey: string | null;
    snapshotTime: string | null;
    sizeBytes: number | null;
    size: string | null;
    /** Newer backups passed over because their stored read-back verdict says they failed, newest first; empty when none was. */
    skipped: DrillReportSkippedBackup[];
  };
  /** In the order the drill runs them. */
  steps: DrillReportStep[];
  /**
   * Every check: the counts take in those not listed (`notListed`, by the verify Job whose log
   * lists them); `items` are the listed ones, failed first, otherwise in the order given.
   */
  checks: { total: number; passed: number; failed: number; notListed: DrillReportNotListed[]; items: DrillReportCheckEntry[] };
  /** Sorted by source. */
  restores: DrillReportRestoreEntry[];
  scratch: {
    cleanup: 'Always' | 'OnSuccess' | 'Never';
    postgres: { host: string; port: number; connectionSecret: string } | null;
    s3: { endpoint: string | null; region: string; credentialsSecret: string | null } | null;
    databases: string[];
    buckets: string[];
    leftBehind: string[];
  };
  /** What to do, most important first; empty when there is nothing to do. */
  advice: DrillAdvice[];
  /** The plan the run executed, keys sorted. */
  plan: DrillPlan;
}

export function renderDrillReport(input: DrillReportInput): DrillReport {
  const report = buildDrillReportJson(input);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const markdown = renderDrillMarkdown(report);
  return { json, markdown, jsonSha256: sha256(json), markdownSha256: sha256(markdown) };
}

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The JSON document, as an object (renderDrillReport serializes it). */
export function buildDrillReportJson(input: DrillReportInput): DrillReportJson {
  const { status, plan } = input;
  const start = parseTime(status.startTime);
  const end = parseTime(status.completionTime);
  const rpoObjective = duration(undefined, plan.objectives.rpo);
  const items = orderChecks(input.checks);
  const notListed = (input.notListed ?? [])
    .filter((entry) => entry.passed + entry.failed > 0)
    .map((entry) => ({ source: entry.source, jobName: entry.jobName, passed: entry.passed, failed: entry.failed }));
  const unlisted = (key: 'passed' | 'failed') => notListed.reduce((sum, entry) => sum + entry[key], 0);
  const failed = items.filter((check) => check.result === 'Failed').length + unlisted('failed');
  const passed = items.filter((check) => check.result !== 'Failed').length + unlisted('passed');
  const base: Omit<DrillReportJson, 'advice' | 'plan'> = {
    formatVersion: DRILL_REPORT_FORMAT_VERSION,
    kind: 'LifeboatDrillReport',
    generatedAt: formatTime(input.generatedAt),
    operatorVersion: input.operatorVersion,
    namespace: input.namespace,
    drill: input.drill,
    run: input.run,
    schedule: input.schedule,
    scenario: plan.scenario,
    result: status.result ?? null,
    reason: status.reason ?? null,
    message: status.message ?? null,
    incidentTime: start ? formatTime(start) : null,
    completionTime: end ? formatTime(end) : null,
    wallTime: start && end && end >= start ? duration((end.getTime() - start.getTime()) / 1000) : null,
    objectives: status.objectives ?? null,
    rto: {
      objective: duration(status.rto?.objectiveSeconds, status.rto?.objective ?? plan.objectives.rto),
      measured: duration(status.rto?.measuredSeconds, status.rto?.measured),
      met: status.rto?.met ?? null,
      restore: duration(status.rto?.restoreSeconds),
      restoredBytes: status.rto?.restoredBytes ?? null,
      throughputBytesPerSecond: status.rto?.throughputBytesPerSecond ?? null,
    },
    rpo: {
      objective: duration(status.rpo?.objectiveSeconds, status.rpo?.objective ?? plan.objectives.rpo),
      measured: duration(status.rpo?.measuredSeconds, status.rpo?.measured),
      met: status.rpo?.met ?? null,
      basis: status.rpo?.basis ?? null,
      newestDataTime: time(status.rpo?.newestDataTime),
    },
    deliveredRpo: {
      objective: rpoObjective,
      worstGap: duration(status.deliveredRpo?.worstGapSeconds, status.deliveredRpo?.worstGap),
      gapToIncident: duration(undefined, status.deliveredRpo?.gapToIncident),
      backupsConsidered: status.deliveredRpo?.backupsConsidered ?? null,
      oldestConsidered: time(status.deliveredRpo?.oldestConsidered),
      met: status.deliveredRpo?.met ?? null,
    },
    backup: {
      run: status.backup?.run ?? null,
      manifestKey: status.backup?.manifestKey ?? null,
      snapshotTime: time(status.backup?.snapshotTime),
      sizeBytes: status.backup?.sizeBytes ?? null,
      size: status.backup?.sizeBytes === undefined ? null : formatBytes(status.backup.sizeBytes),
      skipped: (status.backup?.skipped ?? []).map((entry) => ({ run: entry.run, manifestKey: entry.manifestKey ?? null, snapshotTime: time(entry.snapshotTime), reason: entry.reason ?? null })),
    },
    steps: orderSteps(status.steps ?? []),
    checks: { total: passed + failed, passed, failed, notListed, items },
    restores: [...input.restores].sort((a, b) => compare(a.source, b.source) || compare(a.jobName, b.jobName)).map(restoreEntry),
    scratch: {
      cleanup: plan.scratch.cleanup,
      postgres: plan.scratch.postgres
        ? { host: plan.scratch.postgres.host, port: plan.scratch.postgres.port, connectionSecret: plan.scratch.postgres.connectionSecret.name }
        : null,
      s3: plan.scratch.s3
        ? { endpoint: plan.scratch.s3.endpoint ?? null, region: plan.scratch.s3.region, credentialsSecret: plan.scratch.s3.credentialsSecret?.name ?? null }
        : null,
      databases: [...(status.scratch?.databases ?? [])],
      buckets: [...(status.scratch?.buckets ?? [])],
      leftBehind: [...(status.scratch?.leftBehind ?? [])],
    },
  };
  return { ...base, advice: drillAdvice(base, plan), plan: sortKeys(plan) };
}

/** Seconds win over text; text alone is parsed ("1h30m"). Null when neither says anything. */
function duration(seconds: number | undefined, text?: string): ReportDuration | null {
  if (seconds !== undefined && Number.isFinite(seconds) && seconds >= 0) return { seconds, text: text ?? formatDuration(seconds * 1000) };
  if (text === undefined) return null;
  const ms = parseDuration(text);
  return ms === undefined ? null : { seconds: ms / 1000, text };
}

function time(value: string | undefined): string | null {
  const parsed = parseTime(value);
  return parsed ? formatTime(parsed) : null;
}

function orderSteps(steps: NonNullable<DRDrillRunStatus['steps']>): DrillReportStep[] {
  const rank = (name: DrillStepName) => DrillStepName.options.indexOf(name);
  return [...steps]
    .sort((a, b) => rank(a.name) - rank(b.name))
    .map((step) => {
      const start = parseTime(step.startTime);
      const end = parseTime(step.completionTime);
      const measured = duration(step.durationSeconds, step.duration);
      return {
        name: step.name,
        phase: step.phase ?? null,
        startTime: start ? formatTime(start) : null,
        completionTime: end ? formatTime(end) : null,
        duration: measured ?? (start && end && end >= start ? duration((end.getTime() - start.getTime()) / 1000) : null),
        message: step.message ?? null,
      };
    });
}

/** Failed first; otherwise the order given (a stable sort). */
function orderChecks(checks: readonly DrillReportCheck[]): DrillReportCheckEntry[] {
  const entries = checks.map((check) => ({
    name: check.name,
    type: check.type,
    source: check.source ?? null,
    result: check.result,
    expected: check.expected ?? null,
    actual: check.actual ?? null,
    message: check.message ?? null,
  }));
  return [...entries.filter((check) => check.result === 'Failed'), ...entries.filter((check) => check.result !== 'Failed')];
}

function restoreEntry(restore: DrillReportRestore): DrillReportRestoreEntry {
  return {
    source: restore.source,
    kind: restore.kind,
    jobName: restore.jobName,
    scratchTarget: restore.scratchTarget,
    sizeBytes: restore.sizeBytes ?? null,
    size: restore.sizeBytes === undefined ? null : formatBytes(restore.sizeBytes),
    duration: duration(restore.durationSeconds),
    tools: sortKeys(restore.tools ?? {}),
  };
}

/** Code-point order: the same in every locale. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A deep copy with object keys in code-point order and undefined values left out. */
function sortKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item) => sortKeys(item)) as T;
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => compare(a, b));
  return Object.fromEntries(entries.map(([key, item]) => [key, sortKeys(item)])) as T;
}
