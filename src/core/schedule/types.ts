// What decideSchedule reads and what it asks for. The I/O layer fills ObservedSchedule from the
// informer caches (toRunView turns each BackupRun into a ScheduleRunView) and carries out the
// actions in order, stopping at the first that fails.
import type { BackupRun, BackupScheduleSpec, BackupScheduleStatus, Problem } from '../../api/index.ts';
import type { RecordEvent } from '../events.ts';
import type { RetentionDecision } from '../retention/retention.ts';
import type { ScheduleRunView } from '../schedule-run.ts';

export interface ObservedSchedule {
  name: string;
  namespace: string;
  uid: string;
  generation: number;
  creationTime: Date;
  spec: BackupScheduleSpec;
  status?: BackupScheduleStatus | undefined;
  /** validateBackupSchedule(spec): errors make the schedule InvalidSpec, warnings become events. */
  problems: Problem[];
  /** Every BackupRun of this schedule (runBelongsToSchedule), including manual and deleting ones. */
  runs: ScheduleRunView[];
}

export type ScheduleAction =
  | { type: 'CreateBackupRun'; run: BackupRun }
  | {
      type: 'DeleteBackupRun';
      name: string;
      /** Replaced: concurrencyPolicy Replace; Pruned: retention. */
      cause: 'Replaced' | 'Pruned';
    }
  | RecordEvent;

export interface ScheduleDecision {
  actions: ScheduleAction[];
  /** The whole new status; deep-equal to the observed one when nothing changed. */
  status: BackupScheduleStatus;
  /** Write status only when this is true (one write per pass). */
  statusChanged: boolean;
  /** Reconcile again after this many milliseconds: the next fire time or the RPOMet flip, whichever comes first. */
  requeueAfterMs?: number | undefined;
  /** What retention decided, for logs and tests; undefined when the spec is invalid. */
  retention?: RetentionDecision | undefined;
}
