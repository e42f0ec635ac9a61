// The report of a finished drill run (report.ts renders it) and where it goes: next to the
// backups, under <prefix>/<namespace>/_drills/<run>/ — a folder no schedule can own (object
// names never start with "_"), so catalog sync never mistakes it for a run.
import type { BackupStorage, DRDrillRunStatus, DrillPlan } from '../../api/index.ts';
import { z } from 'zod';
import { optional } from '../job-set/index.ts';
import { drillJobName, scratchName, type DrillSource } from '../jobs/drill-jobs.ts';
import { renderDrillReport, type DrillReportCheck, type DrillReportNotListed, type DrillReportRestore } from './report.ts';
import type { DrillRunConfig, ObservedDrillRun } from './types.ts';

const RestoreSummary = z.object({
  sizeBytes: optional(z.int().min(0)),
  durationSeconds: optional(z.number().min(0)),
  tools: optional(z.record(z.string(), z.string())),
});

export function reportPrefix(storage: BackupStorage, namespace: string, run: string): string {
  const prefix = (storage.prefix ?? '').replace(/\/+$/, '');
  return `${prefix ? `${prefix}/` : ''}${namespace}/_drills/${run}/`;
}

export function drillReport(
  observed: ObservedDrillRun,
  status: DRDrillRunStatus,
  plan: DrillPlan,
  checks: { listed: readonly DrillReportCheck[]; notListed: readonly DrillReportNotListed[] },
  storage: BackupStorage,
  config: Pick<DrillRunConfig, 'operatorVersion'>,
  now: Date,
): { objects: { key: string; body: string; contentType: string }[]; status: NonNullable<DRDrillRunStatus['report']> } {
  const { metadata } = observed.run;
  const name = metadata.name ?? '';
  const namespace = metadata.namespace ?? '';
  const jobs = new Map(observed.jobs.map((job) => [job.name, job]));
  const runId = scratchRunId(status);
  const restores: DrillReportRestore[] = (status.backup?.sources ?? []).map((source, index) => {
    const drillSource: DrillSource = { name: source.name, kind: source.kind === 'Postgres' ? 'postgres' : 'bucket', index };
    const jobName = drillJobName(name, 'restore', source.name);
    const result = jobs.get(jobName)?.result;
    const summary = result?.ok ? RestoreSummary.safeParse(result.summary) : undefined;
    return {
      source: source.name,
      kind: drillSource.kind,
      jobName,
      scratchTarget: runId ? scratchName({ runId }, drillSource) : '',
      ...(summary?.success ? summary.data : {}),
    };
  });
  const report = renderDrillReport({
    namespace,
    run: name,
    drill: observed.run.spec.drillRef.name,
    schedule: plan.scheduleRef.name,
    plan,
    status,
    checks: checks.listed,
    notListed: checks.notListed,
    restores,
    operatorVersion: config.operatorVersion,
    generatedAt: now,
  });
  const prefix = reportPrefix(storage, namespace, name);
  return {
    objects: [
      { key: `${prefix}report.json`, body: report.json, contentType: 'application/json' },
      { key: `${prefix}report.md`, body: report.markdown, contentType: 'text/markdown; charset=utf-8' },
    ],
    status: { jsonKey: `${prefix}report.json`, jsonSha256: report.jsonSha256, markdownKey: `${prefix}report.md`, markdownSha256: report.markdownSha256 },
  };
}

/** The scratch names' id as the run used it, read back from a recorded scratch name. */
function scratchRunId(status: DRDrillRunStatus): string | undefined {
  const name = [...(status.scratch?.databases ?? []), ...(status.scratch?.buckets ?? [])][0];
  const match = name?.match(/^lifeboat[_-]scratch[_-]([a-z0-9]+)[_-]\d+$/);
  return match?.[1];
}
