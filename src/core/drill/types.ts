// What decideDrill reads and what it asks for. The I/O layer fills ObservedDrill from the
// informer caches (toDrillRunView turns each DRDrillRun of the drill into a DrillRunView),
// carries out the actions in order, stopping at the first that fails, and writes the status
// once, only when statusChanged.
import type { DRDrillRun, DRDrillSpec, DRDrillStatus, Problem } from '../../api/index.ts';
import type { RecordEvent } from '../events.ts';
import type { Decision } from '../job-set/actions.ts';
import type { DrillRunView } from './run-view.ts';

export interface ObservedDrill {
  name: string;
  namespace: string;
  uid: string;
  generation: number;
  creationTime: Date;
  spec: DRDrillSpec;
  status?: DRDrillStatus | undefined;
  /** validateDRDrill(spec): errors make the drill not Ready, warnings become events. */
  problems: Problem[];
  /** The BackupSchedule of spec.scheduleRef exists. */
  scheduleExists: boolean;
  /** Every DRDrillRun of this drill (runBelongsToDrill): created by it or by hand, deleting ones too. */
  runs: DrillRunView[];
}

export type DrillAction =
  | { type: 'CreateRun'; run: DRDrillRun }
  /** A finished run beyond historyLimit. */
  | { type: 'DeleteRun'; name: string }
  | RecordEvent;

export type DrillDecision = Decision<DRDrillStatus, DrillAction> & {
  /** The runs history pruned, oldest first; for logs and tests. */
  pruned: string[];
};
