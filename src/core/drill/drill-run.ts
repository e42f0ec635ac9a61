// The DRDrillRun a drill creates for one time: named <drill>-<Unix seconds of that time> (the
// cron time, or the drill's creation for a one-off drill), so a create repeated after a restart
// is a harmless 409; labelled with its drill, owned by it, and with the drill's plan copied into
// its spec, so that editing the drill never changes a run in progress.
import { API_VERSION, drillPlanShape, type DRDrillRun, type DRDrillSpec, type DrillPlan } from '../../api/index.ts';
import { Annotations, controllerReference, Labels, MANAGED_BY } from '../metadata.ts';
import { scheduledRunName } from '../schedule/run-name.ts';
import { formatTime } from '../time.ts';

export interface DrillObjectIdentity {
  name: string;
  namespace: string;
  uid: string;
}

/** The plan fields of a drill's spec (every field a run's spec.plan has), deep-copied. */
export function planOf(spec: DRDrillSpec): DrillPlan {
  const plan: Record<string, unknown> = {};
  for (const key of Object.keys(drillPlanShape)) {
    const value = (spec as Record<string, unknown>)[key];
    if (value !== undefined) plan[key] = structuredClone(value);
  }
  return plan as DrillPlan;
}

export function buildDrillRun(drill: DrillObjectIdentity, spec: DRDrillSpec, scheduledTime: Date): DRDrillRun {
  return {
    apiVersion: API_VERSION as DRDrillRun['apiVersion'],
    kind: 'DRDrillRun',
    metadata: {
      name: scheduledRunName(drill.name, scheduledTime),
      namespace: drill.namespace,
      labels: { [Labels.managedBy]: MANAGED_BY, [Labels.drill]: drill.name },
      annotations: { [Annotations.scheduledTime]: formatTime(scheduledTime) },
      ownerReferences: [controllerReference({ kind: 'DRDrill', name: drill.name, uid: drill.uid })],
    },
    spec: { drillRef: { name: drill.name }, plan: planOf(spec) },
  };
}
