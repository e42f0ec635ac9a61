// What decideSchedule reads: the schedule, parsed, with its problems, and every run of it from
// the cache (including manual and deleting runs).
import { BackupScheduleSpec, validateBackupSchedule } from '../../api/index.ts';
import { runBelongsToSchedule, toRunView, type ObservedSchedule } from '../../core/index.ts';
import { parseTime } from '../../core/time.ts';
import type { StoredRun, StoredSchedule } from '../informers.ts';
import { parseOrFail } from '../parse.ts';

export function observeSchedule(schedule: StoredSchedule, runsInNamespace: readonly StoredRun[]): ObservedSchedule {
  const name = schedule.metadata.name ?? '';
  const namespace = schedule.metadata.namespace ?? '';
  const spec = parseOrFail(BackupScheduleSpec, schedule.spec, `BackupSchedule ${namespace}/${name} spec`);
  return {
    name,
    namespace,
    uid: schedule.metadata.uid ?? '',
    generation: schedule.metadata.generation ?? 0,
    creationTime: parseTime(schedule.metadata.creationTimestamp) ?? new Date(0),
    spec,
    status: schedule.status,
    problems: validateBackupSchedule(spec),
    runs: runsInNamespace.filter((run) => runBelongsToSchedule(run, name)).map((run) => toRunView(run, name)),
  };
}
