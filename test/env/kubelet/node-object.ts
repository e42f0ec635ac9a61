// The Node this kubelet registers and the status it reports. Pure: callers pass the time.
import type { V1Node } from '@kubernetes/client-node';
import type { NodeAllocatable } from './downward-api.ts';
import { formatTime } from './pod-status.ts';
import type { SystemInfo } from './system-info.ts';

export const maxPods = '110';

export function nodeAllocatable(system: SystemInfo): NodeAllocatable {
  return { cpu: '2', memory: `${system.memoryKi}Ki`, 'ephemeral-storage': '20Gi' };
}

/**
 * The taint of a kubelet in fast mode (--complete-runner-pods): only pods that tolerate it are
 * scheduled there, so no other test's runner pod is completed unrun by accident.
 */
export const COMPLETE_RUNNER_PODS_TAINT = { key: 'lifeboat.dev/complete-runner-pods', value: 'true', effect: 'NoSchedule' } as const;

/** unschedulable: a cordoned node; pods reach it only by setting spec.nodeName themselves. */
export function nodeObject(nodeName: string, system: SystemInfo, unschedulable = false, completeRunnerPods = false): V1Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: nodeName,
      labels: {
        'kubernetes.io/hostname': nodeName,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': system.architecture,
        'beta.kubernetes.io/os': 'linux',
        'beta.kubernetes.io/arch': system.architecture,
      },
    },
    spec: { ...(unschedulable ? { unschedulable: true } : {}), ...(completeRunnerPods ? { taints: [{ ...COMPLETE_RUNNER_PODS_TAINT }] } : {}) },
  };
}

export interface NodeStatusInput {
  readonly system: SystemInfo;
  readonly hostname: string;
  readonly kubeletPort: number;
  readonly kubeletVersion: string;
  /** When the kubelet became ready: the Ready condition's lastTransitionTime. */
  readonly readySince: Date;
  readonly now: Date;
}

/** The status as merge-patch JSON (daemonEndpoints' port is spelled "Port" on the wire). */
export function nodeStatus(input: NodeStatusInput): Record<string, unknown> {
  const { system, now, readySince } = input;
  const allocatable = nodeAllocatable(system);
  const resources = { ...allocatable, pods: maxPods };
  const condition = (type: string, status: 'True' | 'False', reason: string, message: string) => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: formatTime(now),
    lastTransitionTime: formatTime(readySince),
  });
  return {
    capacity: resources,
    allocatable: resources,
    conditions: [
      condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
      condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
      condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
      condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status (process kubelet: containers run as local processes)'),
    ],
    addresses: [
      { type: 'InternalIP', address: '127.0.0.1' },
      { type: 'Hostname', address: input.hostname },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: input.kubeletPort } },
    nodeInfo: {
      machineID: system.machineID,
      systemUUID: system.systemUUID,
      bootID: system.bootID,
      kernelVersion: system.kernelVersion,
      osImage: system.osImage,
      containerRuntimeVersion: 'process://lifeboat-process-kubelet',
      kubeletVersion: input.kubeletVersion,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: system.architecture,
    },
  };
}
