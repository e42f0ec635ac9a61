// The OCI runtime config (a bundle's config.json) for one container instance, built from what
// runc-launch.ts resolved. The root is an overlay runc itself mounts at "/" inside the
// container's mount namespace, over the bundle's empty rootfs dir: the host's mount table never
// sees it, it goes with the container, and nothing is left to unmount after a crash. The rest
// follows `runc spec`'s defaults (proc, a tmpfs /dev with devpts, shm and mqueue, a read-only
// sysfs, the masked and read-only /proc paths) with three deliberate differences:
//   - no network namespace: there is no CNI here, so a container shares the host's network
//     and reaches the test servers on 127.0.0.1, as the pod IP 127.0.0.1 in its status says;
//   - no cgroup mount and no resource limits: limits only feed the downward API;
//   - no seccomp profile: RuntimeDefault is accepted and not applied.
// Capabilities start from the container runtime default set (containerd's) and follow the
// securityContext's add/drop; rlimits are inherited from the kubelet.

export interface BindMount {
  readonly destination: string;
  readonly source: string;
  readonly readOnly: boolean;
}

export interface ContainerUser {
  readonly uid: number;
  readonly gid: number;
  readonly additionalGids: readonly number[];
}

export interface RuncContainerSpec {
  readonly args: readonly string[];
  /** "NAME=value", image env first, later entries win (runc keeps the last of a name). */
  readonly env: readonly string[];
  readonly cwd: string;
  readonly user: ContainerUser;
  readonly capabilities: readonly string[];
  readonly noNewPrivileges: boolean;
  readonly readOnlyRoot: boolean;
  readonly hostname: string;
  /** The root file system: an overlay of the unpacked image and this instance's own upper dir. */
  readonly rootfs: { readonly lowerDir: string; readonly upperDir: string; readonly workDir: string };
  /** Volume mounts, the termination message file and /etc files, in mount order. */
  readonly mounts: readonly BindMount[];
}

/** What a container gets without add/drop: containerd's default set. */
export const defaultCapabilities = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
] as const;

/** Every capability runc 1.1 knows, for `add: [ALL]` and privileged containers. */
const allCapabilities = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER',
  'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/**
 * The capability set for a securityContext, as containerd computes it: ALL in add gives every
 * capability, ALL in drop clears the set, then the named adds and drops apply. Names may come
 * with or without the CAP_ prefix.
 */
export function containerCapabilities(
  capabilities: { add?: readonly string[]; drop?: readonly string[] } | undefined,
  privileged: boolean,
): string[] {
  if (privileged) return [...allCapabilities];
  const normalize = (name: string) => (name.toUpperCase().startsWith('CAP_') ? name.toUpperCase() : `CAP_${name.toUpperCase()}`);
  const add = (capabilities?.add ?? []).map(normalize);
  const drop = (capabilities?.drop ?? []).map(normalize);
  let set = new Set<string>(defaultCapabilities);
  if (add.includes('CAP_ALL')) set = new Set(allCapabilities);
  if (drop.includes('CAP_ALL')) set.clear();
  for (const name of add) if (name !== 'CAP_ALL') set.add(name);
  for (const name of drop) set.delete(name);
  return [...set];
}

const maskedPaths = [
  '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi',
];
const readonlyPaths = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

const systemMounts = [
  { destination: '/proc', type: 'proc', source: 'proc' },
  { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
  { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
  { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
  { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
  { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
];

/** config.json for a bundle with an empty `rootfs` dir beside it (the overlay's mount point). */
export function runcConfig(spec: RuncContainerSpec): Record<string, unknown> {
  const capabilities = [...spec.capabilities];
  return {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: false,
      user: { uid: spec.user.uid, gid: spec.user.gid, ...(spec.user.additionalGids.length > 0 ? { additionalGids: [...spec.user.additionalGids] } : {}) },
      args: [...spec.args],
      env: [...spec.env],
      cwd: spec.cwd,
      capabilities: { bounding: capabilities, effective: capabilities, permitted: capabilities },
      noNewPrivileges: spec.noNewPrivileges,
    },
    root: { path: 'rootfs', readonly: spec.readOnlyRoot },
    hostname: spec.hostname,
    mounts: [
      {
        destination: '/',
        type: 'overlay',
        source: 'overlay',
        options: [`lowerdir=${spec.rootfs.lowerDir}`, `upperdir=${spec.rootfs.upperDir}`, `workdir=${spec.rootfs.workDir}`],
      },
      ...systemMounts,
      ...spec.mounts.map((m) => ({
        destination: m.destination,
        type: 'bind',
        source: m.source,
        options: ['rbind', 'rprivate', m.readOnly ? 'ro' : 'rw'],
      })),
    ],
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      maskedPaths,
      readonlyPaths,
    },
  };
}
