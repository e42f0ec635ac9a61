// Which backup a RestoreRequest restores: a BackupRun by name, or the newest successful run of
// a schedule (optionally the newest whose snapshot is at or before notAfter). Runs recreated by
// catalog sync count like any other: on a new cluster the schedule's runs come back from the
// bucket, and a restore can pick them. Once status names a backup the choice is final, so a
// backup finishing later never changes what a started restore reads.
import type { RestoreRequestSpec } from '../../api/index.ts';
import { parseTime } from '../time.ts';
import type { BackupCandidate } from './types.ts';

export type Selection =
  | { ok: true; run: BackupCandidate }
  /** `wait`: the backup may still appear or finish (a run in progress, catalog sync behind). */
  | { ok: false; wait: boolean; message: string };

const FAILED = new Set(['Failed', 'PartiallyFailed']);

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
  if (run.phase !== 'Succeeded') {
    return { ok: false, wait: true, message: `BackupRun "${name}" is ${run.phase ?? 'not started'}; the restore starts when it has succeeded` };
  }
  return { ok: true, run };
}

function newestOfSchedule(schedule: string, notAfter: string | undefined, runs: readonly BackupCandidate[]): Selection {
  const limit = parseTime(notAfter);
  const ofSchedule = runs.filter((run) => run.schedule === schedule && !run.deleting);
  const eligible = ofSchedule
    .filter((run) => run.phase === 'Succeeded' && run.snapshotTime !== undefined)
    .filter((run) => !limit || parseTime(run.snapshotTime)!.getTime() <= limit.getTime())
    .sort((a, b) => parseTime(b.snapshotTime)!.getTime() - parseTime(a.snapshotTime)!.getTime() || (a.name < b.name ? 1 : -1));
  if (eligible[0]) return { ok: true, run: eligible[0] };
  const within = notAfter ? ` with a snapshot at or before ${notAfter} (spec.backup.notAfter)` : '';
  const seen = ofSchedule.length === 0 ? 'no BackupRun of it exists in this namespace (apply the schedule and wait for catalog sync, or fix scheduleRef)' : `its ${ofSchedule.length} run(s) are not Succeeded${notAfter ? ' or are newer' : ''}`;
  return { ok: false, wait: true, message: `no successful backup of BackupSchedule "${schedule}"${within}: ${seen}` };
}
