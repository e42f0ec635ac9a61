// Resolves a container's environment the way the kubelet does: envFrom first, then env in
// order (later entries win), each value expanded against the variables defined before it.
// A missing non-optional Secret, ConfigMap or key blocks the start with
// CreateContainerConfigError. Values are returned as the container would see them; path
// translation happens later, exactly once (see path-translation.ts).
import type { V1Container, V1EnvVar, V1Pod } from '@kubernetes/client-node';
import { type ConfigKind, type ConfigSource, memoized, missingKeyMessage, notFoundMessage } from './config-source.ts';
import { configError } from './container-errors.ts';
import { type NodeAllocatable, podFieldValue, resourceFieldValue } from './downward-api.ts';
import { expandVariables, lookupIn } from './expansion.ts';

export interface EnvContext {
  readonly pod: V1Pod;
  readonly container: V1Container;
  readonly source: ConfigSource;
  readonly allocatable: NodeAllocatable;
  /** Variables every container gets before its own (KUBERNETES_SERVICE_HOST, ...). */
  readonly baseVariables: ReadonlyMap<string, string>;
}

export async function resolveContainerEnv(context: EnvContext): Promise<Map<string, string>> {
  const { pod, container } = context;
  const namespace = pod.metadata?.namespace ?? 'default';
  const source = memoized(context.source);
  const variables = new Map(context.baseVariables);

  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    const ref = from.secretRef ?? from.configMapRef;
    if (!ref) continue;
    const kind: ConfigKind = from.secretRef ? 'Secret' : 'ConfigMap';
    const name = ref.name ?? '';
    const values = await read(source, kind, namespace, name);
    if (!values) {
      if (ref.optional) continue;
      throw configError(notFoundMessage(kind, name));
    }
    for (const [key, value] of Object.entries(values)) {
      // Names with '=' cannot be environment variables; the kubelet skips them too.
      if (key.includes('=')) continue;
      variables.set(prefix + key, value.toString('utf8'));
    }
  }

  for (const env of container.env ?? []) {
    const value = await envValue(env, context, source, namespace, variables);
    if (value !== undefined) variables.set(env.name, value);
  }
  return variables;
}

async function envValue(
  env: V1EnvVar,
  context: EnvContext,
  source: ConfigSource,
  namespace: string,
  defined: ReadonlyMap<string, string>,
): Promise<string | undefined> {
  if (env.value !== undefined) return expandVariables(env.value, lookupIn(defined));
  const from = env.valueFrom;
  if (!from) return '';
  const { fieldRef, resourceFieldRef } = from;
  if (fieldRef) return asConfigError(() => podFieldValue(context.pod, fieldRef));
  if (resourceFieldRef) {
    const target = resourceFieldRef.containerName
      ? findContainer(context.pod, resourceFieldRef.containerName)
      : context.container;
    return asConfigError(() => resourceFieldValue(target, resourceFieldRef, context.allocatable));
  }
  const keyRef = from.secretKeyRef ?? from.configMapKeyRef;
  if (keyRef) {
    const kind: ConfigKind = from.secretKeyRef ? 'Secret' : 'ConfigMap';
    const name = keyRef.name ?? '';
    const values = await read(source, kind, namespace, name);
    if (!values) {
      if (keyRef.optional) return undefined;
      throw configError(notFoundMessage(kind, name));
    }
    const value = values[keyRef.key];
    if (value === undefined) {
      if (keyRef.optional) return undefined;
      throw configError(missingKeyMessage(kind, namespace, name, keyRef.key));
    }
    return value.toString('utf8');
  }
  throw configError(`env var ${env.name}: unsupported valueFrom source`);
}

function asConfigError(compute: () => string): string {
  try {
    return compute();
  } catch (error) {
    throw configError((error as Error).message);
  }
}

function read(source: ConfigSource, kind: ConfigKind, namespace: string, name: string) {
  return kind === 'Secret' ? source.secret(namespace, name) : source.configMap(namespace, name);
}

function findContainer(pod: V1Pod, name: string): V1Container {
  const all = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  const found = all.find((c) => c.name === name);
  if (!found) throw configError(`resourceFieldRef names unknown container ${JSON.stringify(name)}`);
  return found;
}
