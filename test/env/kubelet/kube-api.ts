// The one module of the kubelet that talks to the Kubernetes API. Every patch names its
// content type (merge-patch); reads that find nothing return undefined instead of throwing.
import {
  CoordinationV1Api,
  CoreV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Lease,
  type V1Node,
  type V1Pod,
  VersionApi,
  Watch,
} from '@kubernetes/client-node';
import type { ConfigSource, KeyValues } from './config-source.ts';
import type { TokenRequest } from './volume-files.ts';

export const nodeLeaseNamespace = 'kube-node-lease';

const mergePatch = () => setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export type PodEvent = { type: 'ADDED' | 'MODIFIED' | 'DELETED'; pod: V1Pod } | { type: 'BOOKMARK'; resourceVersion: string };

export class KubeApi {
  readonly #config: KubeConfig;
  readonly #core: CoreV1Api;
  readonly #coordination: CoordinationV1Api;

  constructor(config: KubeConfig) {
    this.#config = config;
    this.#core = config.makeApiClient(CoreV1Api);
    this.#coordination = config.makeApiClient(CoordinationV1Api);
  }

  /** The API server's address; in-cluster clients get it as KUBERNETES_SERVICE_HOST/PORT. */
  serverAddress(): { host: string; port: string } {
    const server = new URL(this.#config.getCurrentCluster()?.server ?? 'https://127.0.0.1:443');
    return { host: server.hostname.replace(/^\[|\]$/g, ''), port: server.port || '443' };
  }

  async serverVersion(): Promise<string> {
    return (await this.#config.makeApiClient(VersionApi).getCode()).gitVersion;
  }

  async createNode(node: V1Node): Promise<V1Node | 'exists'> {
    return this.#core.createNode({ body: node }).catch((error: unknown) => {
      if (statusCode(error) === 409) return 'exists' as const;
      throw error;
    });
  }

  async readNode(name: string): Promise<V1Node | undefined> {
    return orUndefinedIfMissing(this.#core.readNode({ name }));
  }

  async patchNodeStatus(name: string, status: object): Promise<void> {
    await this.#core.patchNodeStatus({ name, body: { status } }, mergePatch());
  }

  /** Merge-patches the Node (not its status); the body may carry a resourceVersion precondition. */
  async patchNode(name: string, body: object): Promise<void> {
    await this.#core.patchNode({ name, body }, mergePatch());
  }

  async createLease(lease: V1Lease): Promise<'created' | 'exists'> {
    return this.#coordination
      .createNamespacedLease({ namespace: nodeLeaseNamespace, body: lease })
      .then(() => 'created' as const)
      .catch((error: unknown) => {
        if (statusCode(error) === 409) return 'exists' as const;
        throw error;
      });
  }

  /** Returns false when the Lease does not exist. */
  async patchLease(name: string, body: object): Promise<boolean> {
    const patched = await orUndefinedIfMissing(
      this.#coordination.patchNamespacedLease({ name, namespace: nodeLeaseNamespace, body }, mergePatch()),
    );
    return patched !== undefined;
  }

  async listPods(nodeName: string): Promise<{ pods: V1Pod[]; resourceVersion: string }> {
    const list = await this.#core.listPodForAllNamespaces({ fieldSelector: nodeSelector(nodeName) });
    return { pods: list.items, resourceVersion: list.metadata?.resourceVersion ?? '' };
  }

  /**
   * Watches the node's pods from a resourceVersion. `done` gets null when the stream ended
   * normally (server close, client timeout), else the error; a 410 arrives as an error with
   * statusCode 410 whether it came as an HTTP status or as an ERROR event.
   */
  async watchPods(
    nodeName: string,
    resourceVersion: string,
    onEvent: (event: PodEvent) => void,
    done: (error: unknown) => void,
  ): Promise<AbortController> {
    let ended = false;
    const finish = (error: unknown) => {
      if (ended) return;
      ended = true;
      done(error);
    };
    const controller = await new Watch(this.#config).watch(
      '/api/v1/pods',
      { fieldSelector: nodeSelector(nodeName), resourceVersion, allowWatchBookmarks: true },
      (type: string, object: unknown) => {
        if (type === 'ERROR') {
          const code = (object as { code?: number }).code;
          finish(Object.assign(new Error(`watch error: ${JSON.stringify(object)}`), { statusCode: code }));
          return;
        }
        if (type === 'BOOKMARK') {
          const rv = (object as V1Pod).metadata?.resourceVersion;
          if (rv) onEvent({ type, resourceVersion: rv });
          return;
        }
        if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') {
          // Raw JSON: times stay strings here, where listed pods carry Dates; see toDate().
          onEvent({ type, pod: object as V1Pod });
        }
      },
      finish,
    );
    if (ended) controller.abort();
    return controller;
  }

  configSource(): ConfigSource {
    return {
      secret: async (namespace, name) => {
        const secret = await orUndefinedIfMissing(this.#core.readNamespacedSecret({ namespace, name }));
        return secret ? decodeValues(secret.data, 'base64') : undefined;
      },
      configMap: async (namespace, name) => {
        const configMap = await orUndefinedIfMissing(this.#core.readNamespacedConfigMap({ namespace, name }));
        if (!configMap) return undefined;
        return { ...decodeValues(configMap.data, 'utf8'), ...decodeValues(configMap.binaryData, 'base64') };
      },
    };
  }

  async requestToken(pod: V1Pod, request: TokenRequest): Promise<string> {
    const response = await this.#core.createNamespacedServiceAccountToken({
      name: request.serviceAccountName,
      namespace: pod.metadata?.namespace ?? 'default',
      body: {
        spec: {
          audiences: request.audience ? [request.audience] : [],
          expirationSeconds: request.expirationSeconds,
          boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name, uid: pod.metadata?.uid },
        },
      },
    });
    return response.status?.token ?? '';
  }

  /** Returns false when the pod is gone. */
  async patchPodStatus(pod: V1Pod, status: object): Promise<boolean> {
    const { name = '', namespace = 'default' } = pod.metadata ?? {};
    const patched = await orUndefinedIfMissing(
      this.#core.patchNamespacedPodStatus({ name, namespace, body: { status } }, mergePatch()),
    );
    return patched !== undefined;
  }

  /** Removes a pod whose containers are all stopped; only this incarnation (uid precondition). */
  async deletePod(pod: V1Pod): Promise<void> {
    const { name = '', namespace = 'default', uid } = pod.metadata ?? {};
    await this.#core
      .deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0, body: { gracePeriodSeconds: 0, preconditions: { uid } } })
      .catch((error: unknown) => {
        // 404: already gone; 409: the uid precondition failed, so it is a new pod with the same name.
        if (statusCode(error) === 404 || statusCode(error) === 409) return;
        throw error;
      });
  }
}

/** Times in client-node objects are Dates when listed and strings when watched. */
export function toDate(time: Date | string | undefined): Date | undefined {
  if (time === undefined || time === null) return undefined;
  return time instanceof Date ? time : new Date(time);
}

export function statusCode(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, statusCode } = error as { code?: unknown; statusCode?: unknown };
  if (typeof code === 'number') return code;
  if (typeof statusCode === 'number') return statusCode;
  return undefined;
}

function nodeSelector(nodeName: string): string {
  return `spec.nodeName=${nodeName}`;
}

async function orUndefinedIfMissing<T>(request: Promise<T>): Promise<T | undefined> {
  try {
    return await request;
  } catch (error) {
    if (statusCode(error) === 404) return undefined;
    throw error;
  }
}

function decodeValues(values: Record<string, string> | undefined, encoding: BufferEncoding): KeyValues {
  return Object.fromEntries(Object.entries(values ?? {}).map(([key, value]) => [key, Buffer.from(value, encoding)]));
}
