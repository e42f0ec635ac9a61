// How kstatus (sigs.k8s.io/cli-utils pkg/kstatus/status, Compute) reads a custom resource, for
// the core's table tests: a deletionTimestamp is Terminating, a status.observedGeneration other
// than metadata.generation is InProgress, Reconciling=True is InProgress, Stalled=True is Failed,
// and anything else is Current. (The Go library itself checks the statuses the operator writes
// in the end-to-end tests; this is the same rule, to read the pure core's decisions with.)
import type { Condition } from '../../api/index.ts';

export type KstatusVerdict = 'Terminating' | 'InProgress' | 'Failed' | 'Current';

export interface Readable {
  metadata: { generation?: number | undefined; deletionTimestamp?: string | Date | undefined };
  status?: { observedGeneration?: number | undefined; conditions?: readonly Condition[] | undefined } | undefined;
}

export function kstatusOf({ metadata, status }: Readable): KstatusVerdict {
  if (metadata.deletionTimestamp) return 'Terminating';
  if (metadata.generation !== undefined && status?.observedGeneration !== undefined && status.observedGeneration !== metadata.generation) return 'InProgress';
  const isTrue = (type: string) => status?.conditions?.some((condition) => condition.type === type && condition.status === 'True') ?? false;
  if (isTrue('Reconciling')) return 'InProgress';
  if (isTrue('Stalled')) return 'Failed';
  return 'Current';
}

/** Ready, Reconciling and Stalled as one line a table test compares: "Ready=False/Running Reconciling=True". */
export function healthLine(conditions: readonly Condition[] | undefined): string {
  const find = (type: string) => conditions?.find((condition) => condition.type === type);
  const ready = find('Ready');
  const parts = [ready ? `Ready=${ready.status}/${ready.reason}` : 'Ready absent'];
  for (const type of ['Reconciling', 'Stalled']) {
    const condition = find(type);
    if (!condition) continue;
    // Reconciling and Stalled say the same as Ready, or the line shows the difference.
    const same = condition.reason === ready?.reason && condition.message === ready?.message;
    parts.push(`${type}=${condition.status}${same ? '' : `/${condition.reason}: ${condition.message}`}`);
  }
  return parts.join(' ');
}
