// The queue holds keys, not objects (STYLE #1): "namespace/name", re-read at reconcile time.
import type { KubeObject } from '../kube/types.ts';

export type ObjectKey = string;

export function objectKey(namespace: string | undefined, name: string): ObjectKey {
  return namespace ? `${namespace}/${name}` : name;
}

export function keyOf(object: KubeObject): ObjectKey {
  return objectKey(object.metadata.namespace, object.metadata.name ?? '');
}

export function splitKey(key: ObjectKey): { namespace: string | undefined; name: string } {
  const slash = key.indexOf('/');
  return slash === -1 ? { namespace: undefined, name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/**
 * Keys of the owners of `object` that have the given kind (and API group, when given), for
 * mapping a child (a Job) to the object that reconciles it. Owners live in the child's namespace.
 */
export function ownerKeys(object: KubeObject, owner: { kind: string; group?: string }): ObjectKey[] {
  return (object.metadata.ownerReferences ?? [])
    .filter((reference) => reference.kind === owner.kind)
    .filter((reference) => owner.group === undefined || groupOf(reference.apiVersion) === owner.group)
    .map((reference) => objectKey(object.metadata.namespace, reference.name));
}

/** The key named by a label on `object` (same namespace), e.g. a Job's "lifeboat.dev/backup-run". */
export function labelKeys(object: KubeObject, label: string): ObjectKey[] {
  const name = object.metadata.labels?.[label];
  return name ? [objectKey(object.metadata.namespace, name)] : [];
}

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}
