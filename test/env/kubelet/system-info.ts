// Facts about this machine for node.status.nodeInfo and capacity.
import { readFile } from 'node:fs/promises';
import { arch, release, totalmem } from 'node:os';

export interface SystemInfo {
  machineID: string;
  systemUUID: string;
  bootID: string;
  kernelVersion: string;
  osImage: string;
  architecture: string;
  memoryKi: number;
}

export async function readSystemInfo(): Promise<SystemInfo> {
  const read = (file: string) => readFile(file, 'utf8').then((s) => s.trim(), () => '');
  const machineID = await read('/etc/machine-id');
  const osRelease = await read('/etc/os-release');
  const prettyName = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(osRelease)?.[1];
  return {
    machineID,
    systemUUID: machineID,
    bootID: await read('/proc/sys/kernel/random/boot_id'),
    kernelVersion: release(),
    osImage: prettyName ?? 'Linux',
    architecture: goArch(arch()),
    memoryKi: Math.floor(totalmem() / 1024),
  };
}

/** Kubernetes names architectures the Go way. */
function goArch(nodeArch: string): string {
  const names: Record<string, string> = { x64: 'amd64', ia32: '386', arm: 'arm' };
  return names[nodeArch] ?? nodeArch;
}
