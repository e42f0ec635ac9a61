// Pod status as the kubelet reports it, derived from what it knows (a PodRecord). Pure: the
// caller passes the pod (for its spec and the conditions others own) and the time.
import type { V1Pod } from '@kubernetes/client-node';
import { hostIP, podIP } from './downward-api.ts';
import { type PodPhase, podPhase, type RestartPolicy } from './pod-phase.ts';
import type { ContainerRecord, ContainerState, PodRecord, Terminated } from './pod-record.ts';

/** JSON as it goes into a merge patch of the status subresource (times as RFC 3339 strings). */
export interface ContainerStatusJson {
  name: string;
  image: string;
  imageID: string;
  containerID?: string;
  ready: boolean;
  started: boolean;
  restartCount: number;
  state: Record<string, unknown>;
  lastState: Record<string, unknown>;
}

export interface ConditionJson {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastProbeTime: null;
  lastTransitionTime: string;
}

export interface PodStatusJson {
  phase: PodPhase;
  reason: string | null;
  message: string | null;
  /** Ours, then the ones other components own (PodScheduled, DisruptionTarget) as they were. */
  conditions: (ConditionJson | Record<string, unknown>)[];
  hostIP: string;
  hostIPs: { ip: string }[];
  podIP: string;
  podIPs: { ip: string }[];
  startTime: string;
  initContainerStatuses: ContainerStatusJson[];
  containerStatuses: ContainerStatusJson[];
}

/** A condition as last written (ours) or as read from the API (client-node turns times into Dates). */
export interface PreviousCondition {
  readonly type?: unknown;
  readonly status?: unknown;
  readonly lastTransitionTime?: unknown;
}

const ownedConditions = new Set(['PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'Ready']);

export function formatTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function restartPolicyOf(pod: V1Pod): RestartPolicy {
  const policy = pod.spec?.restartPolicy;
  return policy === 'Never' || policy === 'OnFailure' ? policy : 'Always';
}

export function buildPodStatus(
  pod: V1Pod,
  record: PodRecord,
  now: Date,
  previousConditions: readonly PreviousCondition[] = pod.status?.conditions ?? [],
): PodStatusJson {
  const phase = record.failure
    ? 'Failed'
    : podPhase(restartPolicyOf(pod), record.initContainers, record.containers, record.terminal);
  const completed = phase === 'Succeeded' || phase === 'Failed';

  const transitionTime = (type: string, status: string): string => {
    const before = previousConditions.find((c) => c.type === type);
    if (before && before.status === status && before.lastTransitionTime) {
      const time = before.lastTransitionTime;
      return time instanceof Date ? formatTime(time) : String(time);
    }
    return formatTime(now);
  };
  const condition = (type: string, ok: boolean, reason?: string, message?: string): ConditionJson => {
    const status = ok ? 'True' : 'False';
    return {
      type,
      status,
      ...(reason ? { reason } : {}),
      ...(message ? { message } : {}),
      lastProbeTime: null,
      lastTransitionTime: transitionTime(type, status),
    };
  };

  const incompleteInit = record.initContainers.filter(
    (c) => !(c.state.kind === 'terminated' && c.state.exitCode === 0),
  );
  const initialized = incompleteInit.length === 0 || record.containers.some((c) => c.state.kind !== 'waiting' || c.lastTerminated);
  const unready = record.containers.filter((c) => c.state.kind !== 'running');
  const readyReason = completed ? 'PodCompleted' : 'ContainersNotReady';
  const ready = !completed && unready.length === 0;
  const unreadyMessage = `containers with unready status: [${unready.map((c) => c.name).join(' ')}]`;

  const foreign: (ConditionJson | Record<string, unknown>)[] = (pod.status?.conditions ?? [])
    .filter((c) => !ownedConditions.has(c.type))
    .map((c) => JSON.parse(JSON.stringify(c)) as Record<string, unknown>);
  // A pod bound by setting nodeName directly never met the scheduler; the kubelet adds it then.
  if (!foreign.some((c) => c['type'] === 'PodScheduled')) foreign.push(condition('PodScheduled', true));

  return {
    phase,
    reason: record.failure?.reason ?? null,
    message: record.failure?.message ?? null,
    conditions: [
      condition('PodReadyToStartContainers', record.sandboxReady && !record.terminal),
      initialized
        ? condition('Initialized', true)
        : condition(
            'Initialized',
            false,
            'ContainersNotInitialized',
            `containers with incomplete status: [${incompleteInit.map((c) => c.name).join(' ')}]`,
          ),
      ready ? condition('ContainersReady', true) : condition('ContainersReady', false, readyReason, completed ? undefined : unreadyMessage),
      ready ? condition('Ready', true) : condition('Ready', false, readyReason, completed ? undefined : unreadyMessage),
      ...foreign,
    ],
    hostIP,
    hostIPs: [{ ip: hostIP }],
    podIP,
    podIPs: [{ ip: podIP }],
    startTime: formatTime(record.startTime),
    initContainerStatuses: record.initContainers.map((c) => containerStatus(c, false)),
    containerStatuses: record.containers.map((c) => containerStatus(c, true)),
  };
}

function containerStatus(record: ContainerRecord, regular: boolean): ContainerStatusJson {
  const running = record.state.kind === 'running';
  const everStarted = record.state.kind !== 'waiting' || record.lastTerminated !== undefined;
  const containerID = 'containerID' in record.state ? record.state.containerID : record.lastTerminated?.containerID;
  return {
    name: record.name,
    image: record.image,
    imageID: everStarted ? record.image : '',
    ...(containerID !== undefined ? { containerID } : {}),
    // No probes: a running regular container is ready; an init container is ready once it succeeded.
    ready: regular ? running : record.state.kind === 'terminated' && record.state.exitCode === 0,
    started: running,
    restartCount: record.restartCount,
    state: stateJson(record.state),
    lastState: record.lastTerminated ? stateJson(record.lastTerminated) : {},
  };
}

function stateJson(state: ContainerState | Terminated): Record<string, unknown> {
  switch (state.kind) {
    case 'waiting':
      return { waiting: { reason: state.reason, ...(state.message ? { message: state.message } : {}) } };
    case 'running':
      return { running: { startedAt: formatTime(state.startedAt) } };
    case 'terminated':
      return {
        terminated: {
          exitCode: state.exitCode,
          ...(state.signal ? { signal: state.signal } : {}),
          reason: state.reason,
          ...(state.message ? { message: state.message } : {}),
          ...(state.startedAt ? { startedAt: formatTime(state.startedAt) } : {}),
          finishedAt: formatTime(state.finishedAt),
          ...(state.containerID !== undefined ? { containerID: state.containerID } : {}),
        },
      };
  }
}
