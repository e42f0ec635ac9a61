// Which backup a RestoreRequest restores: a BackupRun by name, or the newest usable run of a
// schedule (optionally the newest whose snapshot is at or before notAfter). Usable is one
// definition (src/core/backup-run/usable-backup.ts): Succeeded, and its Verified condition True
// or absent. A run that failed its read-back is refused by name and passed over by the schedule's
// newest. A run still being read back is waited for, by name and as the schedule's newest alike:
// its phase already says Succeeded, so a user expects it, and the answer must not depend on
// whether the restore was created seconds before its read-back ended or after (a run still
// Running is passed over: it is not a backup yet). Runs recreated by
// catalog sync count like any other: on a new cluster the schedule's runs come back from the
// bucket, and a restore can pick them. Once status names a backup the choice is final, so a
// backup finishing later never changes what a started restore reads.
import type { RestoreRequestSpec } from '../../api/index.ts';
import { backupUsability, type BackupUsability } from '../backup-run/usable-backup.ts';
import { parseTime } from '../time.ts';
import type { BackupCandidate } from './types.ts';

export type Selection =
  | { ok: true; run: BackupCandidate }
  /** `wait`: the backup may still appear or finish (a run in progress, catalog sync behind). */
  | { ok: false; wait: boolean; message: string };

const FAILED = new Set(['Failed', 'PartiallyFailed']);
/** What the schedule's newest may be: usable, or still being read back (then it is waited for). */
const PICKABLE: ReadonlySet<BackupUsability> = new Set(['usable', 'verifying']);

export function selectBackup(selector: RestoreRequestSpec['backup'], runs: readonly BackupCandidate[], chosen?: string): Selection {
  const name = chosen ?? selector.backupRunRef?.name;
  if (name !== undefined) return byName(name, runs, chosen !== undefined);
  return newestOfSchedule(selector.scheduleRef!.name, selector.notAfter, runs);
}

function byName(name: string, runs: readonly BackupCandidate[], alreadyChosen: boolean): Selection {
  const run = runs.find((candidate) => candidate.name === name);
  const field = alreadyChosen ? 'status.backup.name' : 'spec.backup.backupRunRef';
  if (!run || run.deleting) {
    return { ok: false, wait: !alreadyChosen, message: `BackupRun "${name}" (${field}) does not exist${alreadyChosen ? ' any more' : ''}; ${alreadyChosen ? 'create a new RestoreRequest' : 'fix backupRunRef, or apply its schedule and wait for catalog sync to recreate it'}` };
  }
  if (FAILED.has(run.phase ?? '')) {
    return { ok: false, wait: false, message: `BackupRun "${name}" is ${run.phase}: only a Succeeded backup can be restored; pick another run` };
  }
  const usability = backupUsability(run);
  if (usability === 'verificationFailed') {
    return {
      ok: false,
      wait: false,
      message: `BackupRun "${name}" is Succeeded but failed verification (${run.verificationFailure ?? 'Verified is False'}): its artifacts do not read back as its manifest says, so it cannot be restored; pick another run, or restore the schedule's newest usable backup with scheduleRef`,
    };
  }
  if (usability === 'verifying') {
    return { ok: false, wait: true, message: `BackupRun "${name}" is Succeeded and its artifacts are being read back (Verified Unknown); the restore starts when they have been verified` };
  }
  if (usability !== 'usable') {
    return { ok: false, wait: true, message: `BackupRun "${name}" is ${run.phase ?? 'not started'}; the restore starts when it has succeeded` };
  }
  return { ok: true, run };
}

function newestOfSchedule(schedule: string, notAfter: string | undefined, runs: readonly BackupCandidate[]): Selection {
  const limit = parseTime(notAfter);
  const ofSchedule = runs.filter((run) => run.schedule === schedule && !run.deleting);
  const within = notAfter ? ` with a snapshot at or before ${notAfter} (spec.backup.notAfter)` : '';
  const eligible = ofSchedule
    .filter((run) => PICKABLE.has(backupUsability(run)) && run.snapshotTime !== undefined)
    .filter((run) => !limit || parseTime(run.snapshotTime)!.getTime() <= limit.getTime())
    .sort((a, b) => parseTime(b.snapshotTime)!.getTime() - parseTime(a.snapshotTime)!.getTime() || (a.name < b.name ? 1 : -1));
  const newest = eligible[0];
  if (newest && backupUsability(newest) === 'verifying') {
    return {
      ok: false,
      wait: true,
      message: `the newest backup of BackupSchedule "${schedule}"${within}, BackupRun "${newest.name}", is Succeeded and its artifacts are being read back (Verified Unknown); the restore starts when they have been verified, or name an older run with backupRunRef to restore now`,
    };
  }
  if (newest) return { ok: true, run: newest };
  const seen = ofSchedule.length === 0 ? 'no BackupRun of it exists in this namespace (apply the schedule and wait for catalog sync, or fix scheduleRef)' : `its ${ofSchedule.length} run(s) ${describeRuns(ofSchedule)}${notAfter ? ' or are newer' : ''}`;
  return { ok: false, wait: true, message: `no successful backup of BackupSchedule "${schedule}"${within}: ${seen}` };
}

const NOT_USABLE: [BackupUsability, string][] = [
  ['notSucceeded', 'not Succeeded'],
  ['verifying', 'still being verified'],
  ['verificationFailed', 'failed verification'],
];

/** "are not Succeeded", or with read-backs in the picture "are not usable (2 not Succeeded, 1 failed verification)". */
function describeRuns(runs: readonly BackupCandidate[]): string {
  const counts = new Map<BackupUsability, number>();
  for (const run of runs) {
    const usability = backupUsability(run);
    counts.set(usability, (counts.get(usability) ?? 0) + 1);
  }
  if (!counts.has('verifying') && !counts.has('verificationFailed')) return 'are not Succeeded';
  const parts = NOT_USABLE.filter(([state]) => counts.has(state)).map(([state, what]) => `${counts.get(state)} ${what}`);
  return `are not usable (${parts.join(', ')})`;
}
