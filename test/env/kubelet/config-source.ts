// Where Secrets and ConfigMaps come from when env vars and volumes are resolved. The kubelet
// reads them from the API; tests can hand in a map.

/** Key → raw bytes; a ConfigMap's data and binaryData merged. `undefined` when it does not exist. */
export type KeyValues = Readonly<Record<string, Buffer>>;

export interface ConfigSource {
  secret(namespace: string, name: string): Promise<KeyValues | undefined>;
  configMap(namespace: string, name: string): Promise<KeyValues | undefined>;
}

export type ConfigKind = 'Secret' | 'ConfigMap';

/** Reads each object at most once while one container's config is resolved. */
export function memoized(source: ConfigSource): ConfigSource {
  const seen = new Map<string, Promise<KeyValues | undefined>>();
  const once = (key: string, load: () => Promise<KeyValues | undefined>) => {
    let value = seen.get(key);
    if (!value) {
      value = load();
      seen.set(key, value);
    }
    return value;
  };
  return {
    secret: (namespace, name) => once(`secret/${namespace}/${name}`, () => source.secret(namespace, name)),
    configMap: (namespace, name) => once(`configmap/${namespace}/${name}`, () => source.configMap(namespace, name)),
  };
}

/** The kubelet's wording, e.g. `secret "db" not found`. */
export function notFoundMessage(kind: ConfigKind, name: string): string {
  return `${kind === 'Secret' ? 'secret' : 'configmap'} "${name}" not found`;
}

export function missingKeyMessage(kind: ConfigKind, namespace: string, name: string, key: string): string {
  return `couldn't find key ${key} in ${kind} ${namespace}/${name}`;
}
