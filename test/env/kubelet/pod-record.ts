// What the kubelet knows about a pod it runs: the state of each container instance, the pod's
// start time and whether it has been brought to an end. Pod status is derived from it.

export interface Waiting {
  readonly kind: 'waiting';
  readonly reason: string;
  readonly message?: string;
}

export interface Running {
  readonly kind: 'running';
  readonly startedAt: Date;
  /** `process://<pid>` or `runc://<id>`. */
  readonly containerID: string;
}

export interface Terminated {
  readonly kind: 'terminated';
  readonly exitCode: number;
  readonly signal?: number;
  readonly reason: string;
  readonly message?: string;
  readonly startedAt?: Date;
  readonly finishedAt: Date;
  readonly containerID?: string;
}

export type ContainerState = Waiting | Running | Terminated;

export interface ContainerRecord {
  readonly name: string;
  readonly image: string;
  state: ContainerState;
  lastTerminated?: Terminated;
  restartCount: number;
}

export interface PodRecord {
  startTime: Date;
  /** Volumes are in place: the PodReadyToStartContainers condition. */
  sandboxReady: boolean;
  readonly initContainers: ContainerRecord[];
  readonly containers: ContainerRecord[];
  /** The kubelet has stopped the pod for good (deleted, deadline): nothing will restart. */
  terminal: boolean;
  /** Why the pod as a whole failed, e.g. DeadlineExceeded. */
  failure?: { readonly reason: string; readonly message: string };
}

/** What the kubelet records for a container it lost track of (killed while the kubelet was away, or never started). */
export function containerStatusUnknown(now: Date, previous?: ContainerState): Terminated {
  return {
    kind: 'terminated',
    exitCode: 137,
    reason: 'ContainerStatusUnknown',
    message: 'The container could not be located when the pod was terminated',
    ...(previous?.kind === 'running' ? { startedAt: previous.startedAt, containerID: previous.containerID } : {}),
    finishedAt: now,
  };
}
