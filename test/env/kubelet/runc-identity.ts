// The user a runc container runs as, decided the way kubelet and containerd decide it:
// runAsUser/runAsGroup (container over pod), else the image's User ("uid", "uid:gid", or names
// looked up in the image's /etc/passwd and /etc/group); a uid without a group takes its
// passwd entry's group, else 0. runAsNonRoot refuses an effective uid 0 with the kubelet's own
// message, and a non-numeric image user it cannot verify. fsGroup and supplementalGroups
// become additional groups.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { ContainerStartBlocked, configError } from './container-errors.ts';
import type { ContainerUser } from './runc-spec.ts';

export async function runcUser(
  pod: V1Pod,
  container: V1Container,
  imageUser: string | undefined,
  rootfs: string,
): Promise<ContainerUser> {
  const podContext = pod.spec?.securityContext ?? {};
  const own = container.securityContext ?? {};
  const runAsNonRoot = own.runAsNonRoot ?? podContext.runAsNonRoot ?? false;
  const runAsUser = own.runAsUser ?? podContext.runAsUser;
  const runAsGroup = own.runAsGroup ?? podContext.runAsGroup;
  const { name = '', namespace = '', uid: podUid = '' } = pod.metadata ?? {};
  const podText = `pod: "${name}_${namespace}(${podUid})", container: ${container.name}`;

  if (runAsNonRoot && runAsUser === 0) throw configError(`container's runAsUser breaks non-root policy (${podText})`);
  const [userPart = '', groupPart] = (imageUser ?? '').split(':');
  if (runAsNonRoot && runAsUser === undefined && userPart !== '' && !/^\d+$/.test(userPart)) {
    throw configError(`container has runAsNonRoot and image has non-numeric user (${userPart}), cannot verify user is non-root (${podText})`);
  }

  const files = lazyFiles(rootfs);
  let uid: number;
  let gid: number | undefined;
  if (runAsUser !== undefined) {
    uid = runAsUser;
  } else if (userPart === '') {
    uid = 0;
  } else {
    const resolved = await lookUpUser(userPart, files);
    uid = resolved.uid;
    gid = resolved.gid;
  }
  if (runAsNonRoot && uid === 0) throw configError(`container has runAsNonRoot and image will run as root (${podText})`);

  if (runAsGroup !== undefined) gid = runAsGroup;
  else if (runAsUser === undefined && groupPart !== undefined && groupPart !== '') gid = await lookUpGroup(groupPart, files);
  else if (runAsUser !== undefined || gid === undefined) gid = (await passwdEntry(files, (e) => e.uid === uid))?.gid ?? 0;

  const additional = [podContext.fsGroup, ...(podContext.supplementalGroups ?? [])].filter((g): g is number => g !== undefined && g !== gid);
  return { uid, gid, additionalGids: [...new Set(additional)] };
}

interface Entry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

interface ImageFiles {
  passwd(): Promise<Entry[]>;
  group(): Promise<Entry[]>;
}

function lazyFiles(rootfs: string): ImageFiles {
  let passwd: Promise<Entry[]> | undefined;
  let group: Promise<Entry[]> | undefined;
  return {
    passwd: () => (passwd ??= readEntries(join(rootfs, 'etc/passwd'), 2, 3)),
    group: () => (group ??= readEntries(join(rootfs, 'etc/group'), 2, 2)),
  };
}

async function readEntries(file: string, idField: number, gidField: number): Promise<Entry[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .map((line) => line.split(':'))
    .filter((fields) => fields.length > gidField && fields[0])
    .map((fields) => ({ name: fields[0] ?? '', uid: Number(fields[idField]), gid: Number(fields[gidField]) }));
}

async function passwdEntry(files: ImageFiles, match: (e: Entry) => boolean): Promise<Entry | undefined> {
  return (await files.passwd()).find(match);
}

async function lookUpUser(user: string, files: ImageFiles): Promise<{ uid: number; gid: number | undefined }> {
  if (/^\d+$/.test(user)) return { uid: Number(user), gid: undefined };
  const entry = await passwdEntry(files, (e) => e.name === user);
  if (!entry) throw new ContainerStartBlocked('CreateContainerError', `unable to find user ${user}: no matching entries in passwd file`);
  return { uid: entry.uid, gid: entry.gid };
}

async function lookUpGroup(group: string, files: ImageFiles): Promise<number> {
  if (/^\d+$/.test(group)) return Number(group);
  const entry = (await files.group()).find((e) => e.name === group);
  if (!entry) throw new ContainerStartBlocked('CreateContainerError', `unable to find group ${group}: no matching entries in group file`);
  return entry.uid;
}
