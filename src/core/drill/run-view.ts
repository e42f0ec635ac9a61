// One DRDrillRun as its drill sees it, which runs belong to a drill, and the two orders the
// drill walks them in: by creation (the newest run, the running one) and by completion (the
// newest result, history).
import type { DRDrillRun } from '../../api/index.ts';
import { Labels } from '../metadata.ts';
import { scheduledTimeOf } from '../schedule/run-name.ts';
import { parseTime } from '../time.ts';

export type DrillRunResult = NonNullable<NonNullable<DRDrillRun['status']>['result']>;

export interface DrillRunView {
  name: string;
  /** Undefined until the run's first reconcile. */
  result?: DrillRunResult | undefined;
  reason?: string | undefined;
  message?: string | undefined;
  /** The time the drill created it for (annotation, else name suffix); undefined for runs created by hand. */
  scheduledTime?: Date | undefined;
  creationTime: Date;
  /** As the run's status spells them, copied verbatim into the drill's summaries. */
  startTime?: string | undefined;
  completionTime?: string | undefined;
  rto?: string | undefined;
  rpo?: string | undefined;
  rtoSeconds?: number | undefined;
  rpoSeconds?: number | undefined;
  objectives?: NonNullable<DRDrillRun['status']>['objectives'];
  /** It has a deletionTimestamp (its cleanup finalizer may still be running). */
  deleting: boolean;
}

export interface DrillIdentity {
  name: string;
  uid: string;
}

type RunLike = Pick<DRDrillRun, 'metadata' | 'spec' | 'status'>;

/**
 * Runs the drill created (label) and runs created by hand with drillRef to it. A run whose
 * controller is another DRDrill of the same name (an earlier drill deleted and applied again,
 * its runs not yet garbage-collected) belongs to that one, not to this.
 */
export function runBelongsToDrill(run: RunLike, drill: DrillIdentity): boolean {
  const named = run.metadata.labels?.[Labels.drill] === drill.name || run.spec?.drillRef?.name === drill.name;
  if (!named) return false;
  const controller = run.metadata.ownerReferences?.find((reference) => reference.controller === true && reference.kind === 'DRDrill');
  return !controller || controller.uid === drill.uid;
}

export function toDrillRunView(run: RunLike, drill: string): DrillRunView {
  const name = run.metadata.name ?? '';
  const status = run.status;
  return {
    name,
    result: status?.result,
    reason: status?.reason,
    message: status?.message,
    scheduledTime: scheduledTimeOf({ name, annotations: run.metadata.annotations }, drill),
    creationTime: parseTime(run.metadata.creationTimestamp) ?? new Date(0),
    startTime: status?.startTime,
    completionTime: status?.completionTime,
    rto: status?.rto?.measured,
    rpo: status?.rpo?.measured,
    rtoSeconds: status?.rto?.measuredSeconds,
    rpoSeconds: status?.rpo?.measuredSeconds,
    objectives: status?.objectives,
    deleting: run.metadata.deletionTimestamp !== undefined,
  };
}

export function isFinished(run: DrillRunView): boolean {
  return run.result === 'Passed' || run.result === 'Failed';
}

/** Not finished and not being deleted: what Forbid waits for. A run with no status yet counts. */
export function isRunning(run: DrillRunView): boolean {
  return !run.deleting && !isFinished(run);
}

function byName(a: DrillRunView, b: DrillRunView): number {
  return a.name < b.name ? 1 : a.name > b.name ? -1 : 0;
}

/** Newest created first; ties (creation times have whole seconds) broken by name. */
export function newestCreatedFirst(a: DrillRunView, b: DrillRunView): number {
  return b.creationTime.getTime() - a.creationTime.getTime() || byName(a, b);
}

/** The instant a finished run finished: its completionTime, else its creation. */
export function finishedAt(run: DrillRunView): Date {
  return parseTime(run.completionTime) ?? run.creationTime;
}

/** Newest finished first (by completion), then by creation and name. */
export function newestFinishedFirst(a: DrillRunView, b: DrillRunView): number {
  return finishedAt(b).getTime() - finishedAt(a).getTime() || newestCreatedFirst(a, b);
}

/** The runs that finished and are not being deleted, newest finished first. */
export function finishedRuns(runs: readonly DrillRunView[]): DrillRunView[] {
  return runs.filter((run) => isFinished(run) && !run.deleting).sort(newestFinishedFirst);
}
