// Catalog sync: object storage is the source of truth. A schedule applied to a cluster that has
// never seen it (rebuilt, or a new namespace by GitOps) finds its runs' manifests in the bucket
// and recreates them as BackupRun objects with their status, so restores and drills can use them.
//
// When: only while the schedule has never had a status written (catalogSyncDue). The I/O layer
// lists the run manifests under catalogPrefix() as part of observing; if storage is unreachable
// the reconcile fails and is retried, so the sync is neither skipped nor repeated. Running it
// only then also means a run the user deleted with deletionPolicy Retain does not come back.
//
// A recreated run carries only scheduleRef in spec, its status says Succeeded with the sources,
// storage and artifacts from the manifest, and the annotation lifeboat.dev/imported-from tells
// decideBackupRun never to start Jobs for it, even before its status is written. Where the
// verify task's verdict is stored next to the manifest, the run gets the Verified condition it
// says, with the health a read-back gives a run (src/core/backup-run/verification.ts): one that
// failed looks failed to kstatus, Argo CD and Flux, as it did in the cluster it came from.
import { API_VERSION, ConditionReasons, formatBytes, type BackupRun, type BackupRunStatus, type BackupScheduleSpec, type BackupScheduleStatus } from '../../api/index.ts';
import { setCondition, type ConditionInput } from '../conditions.ts';
import { applyHealth } from '../health.ts';
import { jobSetHealth } from '../job-set/health.ts';
import { normal, type RecordEvent } from '../events.ts';
import { Annotations, controllerReference, Labels, MANAGED_BY } from '../metadata.ts';
import { compact } from '../same-status.ts';
import { scheduledTimeOf } from '../schedule/run-name.ts';
import { formatTime, keepSpelling, parseTime } from '../time.ts';
import { schedulePrefix, VERIFICATION_FILE } from '../../contract/bucket-layout.ts';
import type { RunManifest, RunVerification } from '../../contract/manifests.ts';
import { CHECKSUMS_MATCH_MESSAGE, failedVerificationReason, RunConditionReasons, verificationHealth } from '../backup-run/verification.ts';

export interface CatalogEntry {
  /** Object key of the run manifest. */
  key: string;
  manifest: RunManifest;
  /** The verify task's verdict stored next to it; undefined when there is none (or it is unreadable). */
  verification?: RunVerification | undefined;
}

export interface ObservedCatalog {
  schedule: { name: string; namespace: string; uid: string; spec: BackupScheduleSpec };
  /** Run manifests found under catalogPrefix(). */
  manifests: CatalogEntry[];
  /** Every BackupRun in the namespace, whatever schedule it belongs to. */
  runs: { name: string; imported: boolean; phase?: string | undefined }[];
}

export type CatalogAction =
  /** Create the run, then write `status` through the status subresource. */
  | { type: 'CreateBackupRun'; run: BackupRun; status: BackupRunStatus }
  /** A run recreated earlier whose status write did not happen. */
  | { type: 'WriteBackupRunStatus'; name: string; status: BackupRunStatus }
  | RecordEvent;

export function catalogSyncDue(status: BackupScheduleStatus | undefined): boolean {
  return status?.observedGeneration === undefined;
}

/** Where the schedule's runs are: <prefix>/<namespace>/<schedule>/ (each run a folder with manifest.json). */
export function catalogPrefix(schedule: { name: string; namespace: string; spec: BackupScheduleSpec }): string {
  return `${schedulePrefix(schedule.spec.storage.prefix ?? '', { namespace: schedule.namespace, schedule: schedule.name })}/`;
}

export function decideCatalogSync(observed: ObservedCatalog, now: Date): CatalogAction[] {
  const { schedule } = observed;
  const existing = new Map(observed.runs.map((run) => [run.name, run]));
  const actions: CatalogAction[] = [];
  const ours = observed.manifests
    .filter(({ manifest }) => manifest.location.namespace === schedule.namespace && manifest.location.schedule === schedule.name)
    .sort((a, b) => (a.manifest.location.run < b.manifest.location.run ? -1 : 1));
  let recreated = 0;
  for (const entry of ours) {
    const name = entry.manifest.location.run;
    const run = existing.get(name);
    if (!run) {
      actions.push({ type: 'CreateBackupRun', run: importedRun(schedule, entry), status: importedStatus(schedule, entry, now) });
      recreated++;
    } else if (run.imported && !run.phase) {
      actions.push({ type: 'WriteBackupRunStatus', name, status: importedStatus(schedule, entry, now) });
    }
  }
  if (recreated > 0) {
    const created = actions.filter((action) => action.type === 'CreateBackupRun');
    const bad = ours.filter((entry) => entry.verification?.verified === false && created.some((action) => action.run.metadata.name === entry.manifest.location.run)).length;
    const failedNote = bad > 0 ? `; ${bad} of them failed verification (their stored read-back verdict says so)` : '';
    actions.push(normal('CatalogSynced', `recreated ${recreated} BackupRun(s) from the run manifests under s3://${schedule.spec.storage.bucket}/${catalogPrefix(schedule)}${failedNote}`));
  }
  return actions;
}

function importedRun(schedule: ObservedCatalog['schedule'], entry: CatalogEntry): BackupRun {
  const name = entry.manifest.location.run;
  const scheduledTime = scheduledTimeOf({ name }, schedule.name);
  return {
    apiVersion: API_VERSION as BackupRun['apiVersion'],
    kind: 'BackupRun',
    metadata: {
      name,
      namespace: schedule.namespace,
      labels: { [Labels.managedBy]: MANAGED_BY, [Labels.schedule]: schedule.name },
      annotations: {
        [Annotations.importedFrom]: entry.key,
        ...(scheduledTime ? { [Annotations.scheduledTime]: formatTime(scheduledTime) } : {}),
      },
      ownerReferences: [controllerReference({ kind: 'BackupSchedule', name: schedule.name, uid: schedule.uid })],
    },
    spec: { scheduleRef: { name: schedule.name }, deletionPolicy: 'Delete' },
  };
}

export function importedStatus(schedule: ObservedCatalog['schedule'], entry: CatalogEntry, now: Date): BackupRunStatus {
  const { manifest } = entry;
  const names = new Set(manifest.sources.map((source) => source.name));
  const sources = schedule.spec.sources.filter((source) => names.has(source.name));
  const where = `s3://${schedule.spec.storage.bucket}/${entry.key}`;
  // A new object's generation is 1. Ready says the same as Complete, as on any Succeeded run.
  const complete = { type: 'Complete', status: 'True' as const, reason: ConditionReasons.Imported, message: `recreated from the run manifest ${where}`, observedGeneration: 1 };
  const verified = verifiedCondition(entry.verification, `s3://${schedule.spec.storage.bucket}/${verdictKeyOf(entry.key)}`);
  const health = verificationHealth('Succeeded', verified ? setCondition([], verified, now) : []) ?? jobSetHealth('Succeeded', complete);
  let conditions = setCondition(applyHealth([], health, now, 1), complete, now);
  if (verified) conditions = setCondition(conditions, verified, now);
  return compact({
    observedGeneration: 1,
    conditions,
    phase: 'Succeeded' as const,
    completionTime: keepSpelling(manifest.completedAt, parseTime(manifest.completedAt)),
    snapshotTime: keepSpelling(manifest.snapshotTime, parseTime(manifest.snapshotTime)),
    sizeBytes: manifest.totalSizeBytes,
    size: formatBytes(manifest.totalSizeBytes),
    manifestKey: entry.key,
    resolved: compact({
      schedule: schedule.name,
      sources: sources.length > 0 ? sources : undefined,
      storage: schedule.spec.storage,
    }),
    artifacts: manifest.sources.map((source) => ({
      source: source.name,
      type: source.kind === 'postgres' ? ('Postgres' as const) : ('Bucket' as const),
      phase: 'Succeeded' as const,
      key: source.artifactKey,
      sizeBytes: source.sizeBytes,
      size: formatBytes(source.sizeBytes),
      sha256: source.sha256,
      encrypted: source.encrypted,
    })),
  });
}

/** The Verified condition the stored verdict tells, with the reasons the run's own read-back uses. */
function verifiedCondition(verdict: RunVerification | undefined, where: string): ConditionInput | undefined {
  if (!verdict) return undefined;
  const base = { type: 'Verified', observedGeneration: 1 };
  if (verdict.verified) return { ...base, status: 'True', reason: RunConditionReasons.ChecksumsMatch, message: `${CHECKSUMS_MATCH_MESSAGE} (read back ${verdict.checkedAt}, verdict ${where})` };
  const failure = verdict.failure;
  const what = failure ? `source ${failure.source}: ${failure.reason}` : 'no reason recorded';
  return { ...base, status: 'False', reason: failedVerificationReason(failure?.code), message: `the read-back of ${verdict.checkedAt} failed: ${what} (verdict ${where})` };
}

/** verification.json next to a run manifest's key. */
function verdictKeyOf(manifestKey: string): string {
  return `${manifestKey.slice(0, manifestKey.lastIndexOf('/') + 1)}${VERIFICATION_FILE}`;
}
