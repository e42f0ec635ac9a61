// The starting record for a pod: fresh when the kubelet meets it for the first time, or rebuilt
// from the status a previous kubelet wrote. Containers do not survive a kubelet (a new one
// kills any left behind), so a container the old status shows running is recorded as lost
// (ContainerStatusUnknown, exit 137) and the restart policy decides what happens next: with
// Never the pod fails, it is not run again.
import type { V1Container, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { toDate } from './kube-api.ts';
import { type ContainerRecord, containerStatusUnknown, type PodRecord, type Terminated } from './pod-record.ts';

export function initialRecord(pod: V1Pod, now: Date): PodRecord {
  const status = pod.status ?? {};
  const initSpecs = pod.spec?.initContainers ?? [];
  const regularWaitingReason = initSpecs.length > 0 ? 'PodInitializing' : 'ContainerCreating';
  const record: PodRecord = {
    startTime: toDate(status.startTime) ?? now,
    sandboxReady: false,
    initContainers: initSpecs.map((c) => containerRecord(c, status.initContainerStatuses, 'PodInitializing', now)),
    containers: (pod.spec?.containers ?? []).map((c) =>
      containerRecord(c, status.containerStatuses, regularWaitingReason, now),
    ),
    terminal: status.phase === 'Succeeded' || status.phase === 'Failed',
  };
  if (status.phase === 'Failed' && status.reason) {
    record.failure = { reason: status.reason, message: status.message ?? '' };
  }
  return record;
}

function containerRecord(
  container: V1Container,
  statuses: readonly V1ContainerStatus[] | undefined,
  waitingReason: string,
  now: Date,
): ContainerRecord {
  const image = container.image ?? '';
  const fresh: ContainerRecord = { name: container.name, image, state: { kind: 'waiting', reason: waitingReason }, restartCount: 0 };
  const status = statuses?.find((s) => s.name === container.name);
  if (!status) return fresh;
  const lastTerminated = terminatedFrom(status.lastState?.terminated);
  const current = terminatedFrom(status.state?.terminated);
  const base = { name: container.name, image, restartCount: status.restartCount ?? 0 };
  if (status.state?.running) {
    const lost: Terminated = {
      ...containerStatusUnknown(now),
      startedAt: toDate(status.state.running.startedAt) ?? now,
      ...(status.containerID ? { containerID: status.containerID } : {}),
    };
    return { ...base, state: lost, ...(lastTerminated ? { lastTerminated } : {}) };
  }
  if (current) return { ...base, state: current, ...(lastTerminated ? { lastTerminated } : {}) };
  // Waiting after an earlier run means a restart was due: resume from that run's end.
  if (lastTerminated) return { ...base, state: lastTerminated };
  return { ...fresh, restartCount: base.restartCount };
}

function terminatedFrom(terminated: NonNullable<V1ContainerStatus['state']>['terminated']): Terminated | undefined {
  if (!terminated) return undefined;
  const startedAt = toDate(terminated.startedAt);
  return {
    kind: 'terminated',
    exitCode: terminated.exitCode,
    reason: terminated.reason ?? (terminated.exitCode === 0 ? 'Completed' : 'Error'),
    ...(terminated.message ? { message: terminated.message } : {}),
    ...(startedAt ? { startedAt } : {}),
    finishedAt: toDate(terminated.finishedAt) ?? new Date(0),
    ...(terminated.containerID ? { containerID: terminated.containerID } : {}),
  };
}

