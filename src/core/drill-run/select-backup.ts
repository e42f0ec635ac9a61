// Which backup a drill recovers from, found the way a team would after losing the cluster: by
// listing the run manifests in the schedule's storage (a run manifest exists only for a
// complete run), never by reading BackupRuns or status. The newest whose snapshot is before the
// incident (or, with backup.olderThan, at least that much older) and that holds what the
// scenario restores, passing over those whose stored read-back verdict (verification.json, next
// to the manifest) says they failed: a team in an incident would not restore a backup known to
// be corrupt, they would take the newest good one. A backup with no verdict (never read back,
// or read back before verdicts were stored) is not known bad and stays a candidate. Beside it,
// the worst-case RPO the schedule actually delivered, from the backups not known bad.
import { formatDuration, parseDuration, type DrillPlan, type DRDrillRunStatus } from '../../api/index.ts';
import type { DrillSource } from '../jobs/drill-jobs.ts';
import { formatTime, parseTime } from '../time.ts';
import type { StoredManifest } from './types.ts';

export interface DrillBackup {
  key: string;
  run: string;
  schedule: string;
  snapshotTime: Date;
  /** What this drill restores, in manifest order. */
  sources: DrillSource[];
  sizeBytes: number;
  encrypted: boolean;
}

/** A newer backup passed over because its stored verdict says its read-back failed. */
export interface SkippedBackup {
  key: string;
  run: string;
  snapshotTime: Date;
  /** One line: when it was read back, which source, and the runner's reason. */
  reason: string;
}

/** `skipped` is newest first, whether or not a backup was found. */
export type DrillSelection = { ok: true; backup: DrillBackup; skipped: SkippedBackup[] } | { ok: false; message: string; skipped: SkippedBackup[] };

/** True when the verdict stored with the backup says its read-back failed (not when there is none). */
export function failedVerification(entry: StoredManifest): boolean {
  return entry.verification?.verified === false;
}

const KINDS: Record<DrillPlan['scenario'], ReadonlySet<'postgres' | 'bucket'>> = {
  DatabaseLoss: new Set(['postgres']),
  StorageLoss: new Set(['bucket']),
  CompleteFailure: new Set(['postgres', 'bucket']),
};

export function selectDrillBackup(entries: readonly StoredManifest[], plan: DrillPlan, incident: Date): DrillSelection {
  const kinds = KINDS[plan.scenario];
  const olderThanMs = plan.backup?.olderThan ? (parseDuration(plan.backup.olderThan) ?? 0) : 0;
  const latest = incident.getTime() - olderThanMs;
  const usable = entries
    .map((entry) => ({ entry, snapshot: parseTime(entry.manifest.snapshotTime)! }))
    .filter(({ entry, snapshot }) => snapshot.getTime() <= latest && entry.manifest.sources.some((source) => kinds.has(source.kind)))
    .sort((a, b) => b.snapshot.getTime() - a.snapshot.getTime() || (a.entry.key < b.entry.key ? 1 : -1));
  const chosen = usable.find(({ entry }) => !failedVerification(entry));
  const skipped = usable.slice(0, chosen ? usable.indexOf(chosen) : usable.length).map(({ entry, snapshot }) => skippedBackup(entry, snapshot));
  if (!chosen) {
    const what = plan.scenario === 'DatabaseLoss' ? 'a PostgreSQL source' : plan.scenario === 'StorageLoss' ? 'a bucket source' : 'a source';
    const when = olderThanMs > 0 ? ` with a snapshot at or before ${formatTime(new Date(latest))} (backup.olderThan ${plan.backup!.olderThan})` : ' from before the incident';
    if (skipped.length === 0) return { ok: false, message: `no complete backup${when} holding ${what} among the ${entries.length} run manifest(s) in storage`, skipped };
    const first = skipped[0]!;
    return {
      ok: false,
      message:
        `no backup${when} holding ${what} ${NONE_VERIFIED}: all ${skipped.length} such backup(s) among the ${entries.length} run manifest(s) in storage failed verification ` +
        `(${skipped.map((entry) => entry.run).join(', ')}); the newest, ${first.run}: ${first.reason}`,
      skipped,
    };
  }
  const { manifest } = chosen.entry;
  const restored = manifest.sources.filter((source) => kinds.has(source.kind));
  return {
    ok: true,
    skipped,
    backup: {
      key: chosen.entry.key,
      run: manifest.location.run,
      schedule: manifest.location.schedule,
      snapshotTime: chosen.snapshot,
      sources: restored.map((source, index) => ({ name: source.name, kind: source.kind, index })),
      sizeBytes: restored.reduce((sum, source) => sum + source.sizeBytes, 0),
      encrypted: restored.some((source) => source.encrypted),
    },
  };
}

/** What the NoBackup message says when backups were found but every one failed its read-back. */
const NONE_VERIFIED = 'passed its read-back';

/**
 * Whether a NoBackup message is the one for backups that all failed verification (the report's
 * advice tells the two cases apart; status records no backup either way).
 */
export function noBackupPassedVerification(message: string | null | undefined): boolean {
  return message?.includes(NONE_VERIFIED) === true;
}

function skippedBackup(entry: StoredManifest, snapshotTime: Date): SkippedBackup {
  const verdict = entry.verification!;
  const failure = verdict.failure;
  const what = failure ? `source ${failure.source}: ${failure.code}: ${failure.reason}` : 'no reason recorded';
  return { key: entry.key, run: entry.manifest.location.run, snapshotTime, reason: `failed verification (read back ${formatTime(parseTime(verdict.checkedAt)!)}): ${what}` };
}

/** How far back the delivered RPO looks when retention does not keep the newest backups in full. */
export const DELIVERED_RPO_WINDOW_MS = 7 * 24 * 3_600_000;

/**
 * The worst-case RPO the schedule delivered: the largest gap between consecutive backups, or from
 * the newest one to the incident, whichever is larger. A daily schedule against a 5-minute
 * objective shows as about 24h here, whatever one drill measured. Only the recent history that
 * retention keeps in full counts (the newest keepLast backups, or else the last 7 days): older
 * backups were thinned by the weekly and monthly rules, and a gap retention made is not a gap
 * the schedule left. A backup whose stored verdict says its read-back failed does not count: a
 * corrupt backup delivered no recovery point (one without a verdict does).
 */
export function deliveredRpo(entries: readonly StoredManifest[], incident: Date, objectiveMs: number, keepLast?: number | undefined): DRDrillRunStatus['deliveredRpo'] {
  const all = entries
    .filter((entry) => !failedVerification(entry))
    .map((entry) => parseTime(entry.manifest.snapshotTime)!.getTime())
    .filter((time) => time <= incident.getTime())
    .sort((a, b) => a - b);
  const times = keepLast !== undefined && keepLast >= 2 ? all.slice(-keepLast) : all.filter((time, index) => time >= incident.getTime() - DELIVERED_RPO_WINDOW_MS || index >= all.length - 2);
  if (times.length === 0) return { backupsConsidered: 0, met: false };
  let worst = incident.getTime() - times.at(-1)!;
  for (let index = 1; index < times.length; index++) worst = Math.max(worst, times[index]! - times[index - 1]!);
  const gapToIncident = incident.getTime() - times.at(-1)!;
  return {
    worstGap: formatDuration(worst),
    worstGapSeconds: Math.round(worst / 1000),
    gapToIncident: formatDuration(gapToIncident),
    backupsConsidered: times.length,
    oldestConsidered: formatTime(new Date(times[0]!)),
    met: worst <= objectiveMs,
  };
}
