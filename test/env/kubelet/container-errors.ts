// Why a container cannot start yet. The reason is what `kubectl get pod` shows in STATUS; the
// kubelet keeps the container waiting and tries again a few seconds later.

export type WaitingReason =
  | 'CreateContainerConfigError'
  | 'CreateContainerError'
  | 'ContainerCreating'
  | 'ErrImageNeverPull'
  | 'ErrImagePull';

export class ContainerStartBlocked extends Error {
  readonly reason: WaitingReason;
  constructor(reason: WaitingReason, message: string) {
    super(message);
    this.name = 'ContainerStartBlocked';
    this.reason = reason;
  }
}

export function configError(message: string): ContainerStartBlocked {
  return new ContainerStartBlocked('CreateContainerConfigError', message);
}
