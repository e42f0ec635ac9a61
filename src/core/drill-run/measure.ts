// What the drill measured, against the objectives: RTO from the declared incident (the run's
// start) to verified data; RPO from the newest data in the restored copy (the freshness query's
// value, else the backup's snapshot time) to the incident.
import { formatDuration, parseDuration, type DRDrillRunStatus, type DrillPlan } from '../../api/index.ts';
import { compact } from '../same-status.ts';
import { formatTime } from '../time.ts';

export interface Measurement {
  rto: NonNullable<DRDrillRunStatus['rto']>;
  rpo: NonNullable<DRDrillRunStatus['rpo']>;
  objectives: NonNullable<DRDrillRunStatus['objectives']>;
}

export interface MeasureInput {
  plan: DrillPlan;
  incident: Date;
  /** When the last check finished: the data counts as recovered from here. */
  verifiedAt: Date;
  snapshotTime: Date;
  /** The freshness query's value, when the plan has one and it returned a time. */
  freshness?: Date | undefined;
  restore: { seconds?: number | undefined; bytes?: number | undefined };
}

export function measure({ plan, incident, verifiedAt, snapshotTime, freshness, restore }: MeasureInput): Measurement {
  const rtoObjective = parseDuration(plan.objectives.rto) ?? 0;
  const rpoObjective = parseDuration(plan.objectives.rpo) ?? 0;
  const rtoMs = Math.max(0, verifiedAt.getTime() - incident.getTime());
  const newest = freshness ?? snapshotTime;
  const rpoMs = Math.max(0, incident.getTime() - newest.getTime());
  const rtoMet = rtoMs <= rtoObjective;
  const rpoMet = rpoMs <= rpoObjective;
  const throughput = restore.seconds && restore.bytes !== undefined && restore.seconds > 0 ? Math.round(restore.bytes / restore.seconds) : undefined;
  return {
    rto: compact({
      objective: plan.objectives.rto,
      objectiveSeconds: Math.round(rtoObjective / 1000),
      measured: formatDuration(rtoMs),
      measuredSeconds: Math.round(rtoMs / 1000),
      met: rtoMet,
      restoreSeconds: restore.seconds,
      restoredBytes: restore.bytes,
      throughputBytesPerSecond: throughput,
    }),
    rpo: {
      objective: plan.objectives.rpo,
      objectiveSeconds: Math.round(rpoObjective / 1000),
      measured: formatDuration(rpoMs),
      measuredSeconds: Math.round(rpoMs / 1000),
      met: rpoMet,
      basis: freshness ? 'Freshness' : 'SnapshotTime',
      newestDataTime: formatTime(newest),
    },
    objectives: rtoMet && rpoMet ? 'Met' : !rtoMet && !rpoMet ? 'BothMissed' : rtoMet ? 'RPOMissed' : 'RTOMissed',
  };
}
