// Which REST collection a kind lives in. Declared up front instead of discovered, so no request
// is spent on discovery and a typo fails in a unit test rather than at run time.

export interface ResourceType {
  /** API group; '' for the core group (Pods, ConfigMaps, Secrets). */
  group: string;
  version: string;
  kind: string;
  /** Lower-case plural used in URLs: "jobs", "backupschedules". */
  plural: string;
  namespaced: boolean;
}

export function apiVersionOf(type: ResourceType): string {
  return type.group === '' ? type.version : `${type.group}/${type.version}`;
}

function groupVersionPath(type: ResourceType): string {
  return type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
}

/** The collection URL path; without a namespace it spans all namespaces. */
export function collectionPath(type: ResourceType, namespace?: string): string {
  if (type.namespaced && namespace !== undefined) {
    return `${groupVersionPath(type)}/namespaces/${encodeURIComponent(namespace)}/${type.plural}`;
  }
  return `${groupVersionPath(type)}/${type.plural}`;
}

/** The URL path of one object, or of its subresource ("status"). */
export function objectPath(type: ResourceType, namespace: string | undefined, name: string, subresource?: string): string {
  if (type.namespaced && !namespace) {
    throw new Error(`${type.kind} is namespaced: a namespace is required to address ${name}`);
  }
  const path = `${collectionPath(type, type.namespaced ? namespace : undefined)}/${encodeURIComponent(name)}`;
  return subresource ? `${path}/${subresource}` : path;
}

export function describeType(type: ResourceType): string {
  return `${apiVersionOf(type)} ${type.plural}`;
}

// Built-in kinds the runtime and the controllers use.
export const JOBS: ResourceType = { group: 'batch', version: 'v1', kind: 'Job', plural: 'jobs', namespaced: true };
export const PODS: ResourceType = { group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true };
export const SECRETS: ResourceType = { group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true };
export const CONFIG_MAPS: ResourceType = { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true };
export const NAMESPACES: ResourceType = { group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false };
export const LEASES: ResourceType = {
  group: 'coordination.k8s.io',
  version: 'v1',
  kind: 'Lease',
  plural: 'leases',
  namespaced: true,
};
export const EVENTS: ResourceType = { group: 'events.k8s.io', version: 'v1', kind: 'Event', plural: 'events', namespaced: true };
