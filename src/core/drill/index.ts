// DRDrill: the plan of a drill and when it runs. decideDrill decides; the rest is for the
// controller (observe: which runs belong, their view) and the metrics (the same view and order).
export { decideDrill, DrillReasons } from './decide-drill.ts';
export { buildDrillRun, planOf } from './drill-run.ts';
export { pruneHistory } from './history.ts';
export { finishedRuns, isRunning, newestCreatedFirst, runBelongsToDrill, toDrillRunView, type DrillRunView } from './run-view.ts';
export { LAST_RUN_PASSED } from './summary.ts';
export type { DrillAction, DrillDecision, ObservedDrill } from './types.ts';
