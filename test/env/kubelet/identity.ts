// The uid/gid a container process runs as. Enforced: runAsUser, runAsGroup (container level
// overrides pod level), runAsNonRoot (a default of uid 65532 when no user is given, a refusal
// when the user is 0), and fsGroup as the primary group when no runAsGroup is set (Node cannot
// set supplementary groups, so this is how volume group permissions still apply). NOT enforced:
// readOnlyRootFilesystem, capabilities, privileged, seccomp/AppArmor/SELinux profiles,
// allowPrivilegeEscalation, supplementalGroups: there is no container to apply them to.
// Switching users needs the kubelet to run as root; otherwise every process runs as the kubelet.
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { configError } from './container-errors.ts';

export interface ProcessIdentity {
  readonly uid: number;
  readonly gid: number;
}

/** The distroless "nonroot" user, what non-root images commonly default to. */
export const defaultNonRootUid = 65532;

/**
 * `undefined` means "run as the kubelet". Throws CreateContainerConfigError when the pod asks
 * for a non-root user and names root, as the real kubelet does.
 */
export function processIdentity(pod: V1Pod, container: V1Container, kubeletIsRoot: boolean): ProcessIdentity | undefined {
  const podContext = pod.spec?.securityContext ?? {};
  const own = container.securityContext ?? {};
  const runAsNonRoot = own.runAsNonRoot ?? podContext.runAsNonRoot ?? false;
  let uid = own.runAsUser ?? podContext.runAsUser;
  if (runAsNonRoot && uid === 0) {
    const podName = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    throw configError(`container's runAsUser breaks non-root policy (pod: "${podName}", container: ${container.name})`);
  }
  if (runAsNonRoot && uid === undefined) uid = defaultNonRootUid;
  const gid = own.runAsGroup ?? podContext.runAsGroup ?? podContext.fsGroup;
  if (uid === undefined && gid === undefined) return undefined;
  if (!kubeletIsRoot) return undefined;
  return { uid: uid ?? 0, gid: gid ?? 0 };
}
