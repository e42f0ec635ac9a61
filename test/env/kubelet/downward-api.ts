// The downward API: pod fields and container resources exposed to env vars and volume files,
// with the same field paths and formatting the real kubelet accepts.
import type { V1Container, V1ObjectFieldSelector, V1Pod, V1ResourceFieldSelector } from '@kubernetes/client-node';
import { divideQuantity } from './quantity.ts';

/** What the node offers; limits that a container leaves unset default to it. */
export interface NodeAllocatable {
  readonly cpu: string;
  readonly memory: string;
  readonly 'ephemeral-storage': string;
}

/** Addresses the process kubelet gives every pod: processes share the host's network. */
export const podIP = '127.0.0.1';
export const hostIP = '127.0.0.1';

const subscript = /^metadata\.(labels|annotations)\['(.+)'\]$/;

export function podFieldValue(pod: V1Pod, selector: V1ObjectFieldSelector): string {
  const path = selector.fieldPath;
  const metadata = pod.metadata ?? {};
  switch (path) {
    case 'metadata.name':
      return metadata.name ?? '';
    case 'metadata.namespace':
      return metadata.namespace ?? '';
    case 'metadata.uid':
      return metadata.uid ?? '';
    case 'metadata.labels':
      return formatMap(metadata.labels);
    case 'metadata.annotations':
      return formatMap(metadata.annotations);
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.podIP':
    case 'status.podIPs':
      return podIP;
    case 'status.hostIP':
    case 'status.hostIPs':
      return hostIP;
  }
  const keyed = subscript.exec(path);
  if (keyed) {
    const map = keyed[1] === 'labels' ? metadata.labels : metadata.annotations;
    return map?.[keyed[2] ?? ''] ?? '';
  }
  throw new Error(`unsupported fieldRef fieldPath ${JSON.stringify(path)}`);
}

/** `key="value"` lines sorted by key, as the kubelet writes labels and annotations to files. */
function formatMap(map: Record<string, string> | undefined): string {
  return Object.keys(map ?? {})
    .sort()
    .map((key) => `${key}=${JSON.stringify(map?.[key] ?? '')}`)
    .join('\n');
}

export function resourceFieldValue(
  container: V1Container,
  selector: V1ResourceFieldSelector,
  allocatable: NodeAllocatable,
): string {
  const [kind, resource] = selector.resource.split('.', 2) as [string, string | undefined];
  if ((kind !== 'limits' && kind !== 'requests') || !resource) {
    throw new Error(`unsupported resourceFieldRef resource ${JSON.stringify(selector.resource)}`);
  }
  const divisor = selector.divisor ?? 1;
  const declared = container.resources?.[kind]?.[resource];
  if (declared !== undefined) return divideQuantity(resource, declared, divisor);
  if (kind === 'limits' && resource in allocatable) {
    return divideQuantity(resource, allocatable[resource as keyof NodeAllocatable], divisor);
  }
  return divideQuantity(resource, 0, divisor);
}
