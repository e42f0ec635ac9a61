// The pod phase from its containers' states: a port of the kubelet's getPhase
// (pkg/kubelet/kubelet_pods.go), without sidecar (restartable init) containers.
import type { ContainerRecord } from './pod-record.ts';

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';
export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

export function podPhase(
  restartPolicy: RestartPolicy,
  initContainers: readonly ContainerRecord[],
  containers: readonly ContainerRecord[],
  podIsTerminal: boolean,
): PodPhase {
  let pendingInitialization = 0;
  let failedInitialization = 0;
  for (const { state, lastTerminated } of initContainers) {
    if (state.kind === 'running') pendingInitialization++;
    else if (state.kind === 'terminated') {
      if (state.exitCode !== 0) failedInitialization++;
    } else if (lastTerminated) {
      if (lastTerminated.exitCode !== 0) failedInitialization++;
    } else pendingInitialization++;
  }

  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const { state, lastTerminated } of containers) {
    if (state.kind === 'running') running++;
    else if (state.kind === 'terminated') {
      stopped++;
      if (state.exitCode === 0) succeeded++;
    } else if (lastTerminated) stopped++;
    else waiting++;
  }

  if (failedInitialization > 0 && restartPolicy === 'Never') return 'Failed';
  if (pendingInitialization > 0 || waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (podIsTerminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (restartPolicy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (restartPolicy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}
