// DRDrillRun: one disaster-recovery drill, from the declared incident to verified data, the
// measured RTO and RPO, cleanup and a report.
export { decideDrillRun } from './decide-drill-run.ts';
export { drillSecretNamesFor } from './needs.ts';
export { reportPrefix } from './report-input.ts';
export { DEFAULT_DRILL_RUN_CONFIG, type DrillRunAction, type DrillRunConfig, type DrillRunDecision, type ObservedDrillRun, type StoredManifest } from './types.ts';
