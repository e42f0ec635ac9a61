// The one place that talks to the Kubernetes API (STYLE #8). Every kind goes through the same
// few JSON requests, built from a ResourceType; every write names its content type.
// docs/adr/0004-kubernetes-adapter-and-informers.md says why this is not the generated clients.
import { HttpMethod, IsomorphicFetchHttpLibrary, type KubeConfig, RequestContext } from '@kubernetes/client-node';
import type { RequestOptions as HttpsRequestOptions } from 'node:https';
import { Agent } from 'undici';
import { forCache } from './cache-object.ts';
import { isAlreadyExists, isNotFound, KubeApiError } from './errors.ts';
import type {
  ApplyOptions,
  CallOptions,
  CreateOutcome,
  DeleteOptions,
  KubeApi,
  ListOptions,
  ListWatchOptions,
  PatchOptions,
  PatchStatusOptions,
} from './kube-api.ts';
import { loadKubeConfig } from './kube-config.ts';
import { apiVersionOf, collectionPath, describeType, objectPath, type ResourceType } from './resource-type.ts';
import type { KubeObject, ListWatchSource, ObjectList, WatchEnd, WatchEvent } from './types.ts';
import { watchCollection } from './watch.ts';

const CONTENT_TYPE = {
  json: 'application/json',
  mergePatch: 'application/merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

type Query = Record<string, string | number | boolean | undefined>;
type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

interface RequestOptions {
  query?: Query;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
}

export interface KubeClientOptions {
  /** Recorded in managedFields for every write. */
  fieldManager?: string;
  /** Bound on each request (not on watches), so a stalled connection cannot hang a reconcile. */
  requestTimeoutMs?: number;
  /** Page size of list requests. */
  listPageSize?: number;
}

export class KubeClient implements KubeApi {
  readonly config: KubeConfig;
  readonly fieldManager: string;
  readonly #server: string;
  readonly #http = new IsomorphicFetchHttpLibrary();
  readonly #timeoutMs: number;
  readonly #pageSize: number;
  /** One connection pool for all requests (client-node makes a new one per request). */
  #dispatcher: Promise<Dispatcher | undefined> | undefined;

  constructor(config: KubeConfig, options: KubeClientOptions = {}) {
    const cluster = config.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    this.config = config;
    this.#server = cluster.server.replace(/\/+$/, '');
    this.fieldManager = options.fieldManager ?? 'lifeboat-operator';
    this.#timeoutMs = options.requestTimeoutMs ?? 30_000;
    this.#pageSize = options.listPageSize ?? 500;
  }

  /** In a pod: its service account; elsewhere KUBECONFIG or ~/.kube/config (or the given file). */
  static load(kubeconfigPath?: string, options?: KubeClientOptions): KubeClient {
    return new KubeClient(loadKubeConfig(kubeconfigPath), options);
  }

  async get<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string, options: CallOptions = {}): Promise<T> {
    return this.#request<T>(HttpMethod.GET, objectPath(type, namespace, name), { signal: options.signal });
  }

  /** Like get, but a missing object is `undefined` instead of an error. */
  async find<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string, options: CallOptions = {}): Promise<T | undefined> {
    try {
      return await this.get<T>(type, namespace, name, options);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** All pages of a list; the returned resourceVersion is where a watch would resume. */
  async list<T extends KubeObject>(type: ResourceType, options: ListOptions = {}): Promise<ObjectList<T>> {
    const items: T[] = [];
    let continueToken: string | undefined;
    let resourceVersion = '';
    do {
      const page = await this.#request<{ items?: T[]; metadata?: { resourceVersion?: string; continue?: string } }>(
        HttpMethod.GET,
        collectionPath(type, options.namespace),
        {
          query: {
            labelSelector: options.labelSelector,
            fieldSelector: options.fieldSelector,
            limit: this.#pageSize,
            continue: continueToken,
          },
          signal: options.signal,
        },
      );
      // List items carry no apiVersion/kind; fill them so every object looks the same downstream.
      for (const item of page.items ?? []) items.push(withTypeMeta(type, item));
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken);
    return { items, resourceVersion };
  }

  async create<T extends KubeObject>(type: ResourceType, object: T, options: CallOptions = {}): Promise<T> {
    return this.#request<T>(HttpMethod.POST, collectionPath(type, namespaceOf(type, object)), {
      query: { fieldManager: this.fieldManager },
      body: withTypeMeta(type, object),
      contentType: CONTENT_TYPE.json,
      signal: options.signal,
    });
  }

  /**
   * Creates an object with a deterministic name; a 409 AlreadyExists means an earlier pass (or
   * another replica) created it already, which is success too (STYLE #4).
   */
  async createIfAbsent<T extends KubeObject>(type: ResourceType, object: T, options: CallOptions = {}): Promise<CreateOutcome<T>> {
    try {
      return { created: true, object: await this.create(type, object, options) };
    } catch (error) {
      if (isAlreadyExists(error)) return { created: false };
      throw error;
    }
  }

  /** PUT: with metadata.resourceVersion set, a concurrent write makes this fail with a conflict. */
  async replace<T extends KubeObject>(type: ResourceType, object: T, options: PatchOptions = {}): Promise<T> {
    return this.#request<T>(HttpMethod.PUT, objectPath(type, namespaceOf(type, object), nameOf(object), options.subresource), {
      query: { fieldManager: this.fieldManager },
      body: withTypeMeta(type, object),
      contentType: CONTENT_TYPE.json,
      signal: options.signal,
    });
  }

  /**
   * JSON merge patch (RFC 7386): objects merge, arrays and scalars replace, null deletes.
   * Put metadata.resourceVersion in the patch to make it conditional.
   */
  async mergePatch<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patch: object,
    options: PatchOptions = {},
  ): Promise<T> {
    return this.#request<T>(HttpMethod.PATCH, objectPath(type, namespace, name, options.subresource), {
      query: { fieldManager: this.fieldManager },
      body: patch,
      contentType: CONTENT_TYPE.mergePatch,
      signal: options.signal,
    });
  }

  /**
   * Writes `status` through the status subresource (spec is never touched). With
   * `resourceVersion`, the write fails with a conflict if the object changed since it was read.
   */
  async patchStatus<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    status: unknown,
    options: PatchStatusOptions = {},
  ): Promise<T> {
    const patch = options.resourceVersion ? { metadata: { resourceVersion: options.resourceVersion }, status } : { status };
    return this.mergePatch<T>(type, namespace, name, patch, { subresource: 'status', signal: options.signal });
  }

  /** Server-side apply: the fields in `object` become owned by this client's field manager. */
  async apply<T extends KubeObject>(type: ResourceType, object: T, options: ApplyOptions = {}): Promise<T> {
    return this.#request<T>(HttpMethod.PATCH, objectPath(type, namespaceOf(type, object), nameOf(object), options.subresource), {
      query: { fieldManager: this.fieldManager, force: options.force || undefined },
      body: withTypeMeta(type, object),
      contentType: CONTENT_TYPE.apply,
      signal: options.signal,
    });
  }

  /** Returns false when the object was already gone. */
  async delete(type: ResourceType, namespace: string | undefined, name: string, options: DeleteOptions = {}): Promise<boolean> {
    try {
      await this.#request(HttpMethod.DELETE, objectPath(type, namespace, name), {
        body: {
          apiVersion: 'v1',
          kind: 'DeleteOptions',
          propagationPolicy: options.propagationPolicy,
          preconditions: options.preconditions,
        },
        contentType: CONTENT_TYPE.json,
        signal: options.signal,
      });
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /** A collection to list and watch, for an informer; its objects come without managedFields (forCache). */
  listWatch<T extends KubeObject>(type: ResourceType, options: ListWatchOptions = {}): ListWatchSource<T> {
    const where = options.namespace === undefined ? 'all namespaces' : `namespace ${options.namespace}`;
    const description = `${describeType(type)} in ${where}${options.labelSelector ? ` (${options.labelSelector})` : ''}`;
    return {
      description,
      list: async (signal) => {
        const listed = await this.list<T>(type, { namespace: options.namespace, labelSelector: options.labelSelector, signal });
        return { ...listed, items: listed.items.map(forCache) };
      },
      watch: (resourceVersion: string, onEvent: (event: WatchEvent<T>) => void, signal: AbortSignal): Promise<WatchEnd> =>
        watchCollection<T>(
          this.config,
          collectionPath(type, options.namespace),
          {
            resourceVersion,
            labelSelector: options.labelSelector,
            allowWatchBookmarks: true,
            // The server ends each watch after 5–10 minutes (spread so replicas do not reconnect in step).
            timeoutSeconds: 300 + Math.floor(Math.random() * 300),
          },
          (event) => onEvent({ type: event.type, object: forCache(withTypeMeta(type, event.object)) }),
          signal,
        ),
    };
  }

  /**
   * Lets go of the connection pool. It is not closed: undici's close() waits for running requests
   * (a watch being aborted at the same moment) and then destroys its clients with a
   * ClientDestroyedError that can reach an emitter nobody listens to. Idle sockets are unref'd by
   * undici, so they never keep the process alive, and they end after its keep-alive timeout
   * (4 s unless the API server hints otherwise).
   */
  async close(): Promise<void> {
    this.#dispatcher = undefined;
    await Promise.resolve();
  }

  /**
   * The pool every request shares: client-node's TLS settings on HTTP/1.1. undici 8 speaks HTTP/2
   * by default, and its HTTP/2 teardown still races (an idle session reaped while Node delivers a
   * late error to a released stream, nodejs/undici#5936 and its kin) into an 'error' event nobody
   * listens to, which ends the process. Each watch takes its own HTTP/1.1 connection, as client-go
   * watches do when HTTP/2 is off; the operator holds one per watched kind.
   * Through a proxy client-node's own dispatcher is kept.
   */
  async #pool(clientNodeDispatcher: Dispatcher | undefined): Promise<Dispatcher | undefined> {
    const cluster = this.config.getCurrentCluster();
    if (!cluster || cluster.proxyUrl || !this.#server.startsWith('https:')) return clientNodeDispatcher;
    const tls: HttpsRequestOptions = {};
    await this.config.applyToHTTPSOptions(tls);
    return new Agent({
      allowH2: false,
      connect: {
        ca: tls.ca,
        cert: tls.cert,
        key: tls.key,
        pfx: tls.pfx,
        passphrase: tls.passphrase,
        servername: tls.servername,
        ...(tls.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: tls.rejectUnauthorized }),
        // client-node's choice, as client-go: probe a silent connection after 30 s.
        keepAlive: true,
        keepAliveInitialDelay: 30_000,
      },
    }) as unknown as Dispatcher;
  }

  async #request<T>(method: HttpMethod, path: string, options: RequestOptions = {}): Promise<T> {
    const url = new URL(this.#server + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const request = `${method} ${path}`;
    const context = new RequestContext(url.toString(), method);
    await this.config.applySecurityAuthentication(context);
    this.#dispatcher ??= this.#pool(context.getDispatcher());
    const dispatcher = await this.#dispatcher;
    if (dispatcher) context.setDispatcher(dispatcher);
    context.setHeaderParam('Accept', CONTENT_TYPE.json);
    if (options.body !== undefined) {
      context.setHeaderParam('Content-Type', options.contentType ?? CONTENT_TYPE.json);
      context.setBody(JSON.stringify(options.body));
    }
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    context.setSignal(options.signal ? AbortSignal.any([options.signal, timeout]) : timeout);

    let status: number;
    let text: string;
    try {
      const response = await this.#http.send(context).toPromise();
      status = response.httpStatusCode;
      text = await response.body.text();
    } catch (error) {
      throw KubeApiError.noResponse(request, error);
    }
    if (status < 200 || status > 299) throw KubeApiError.fromResponse(request, status, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

function withTypeMeta<T extends KubeObject>(type: ResourceType, object: T): T {
  if (object.apiVersion && object.kind) return object;
  return { ...object, apiVersion: apiVersionOf(type), kind: type.kind };
}

function namespaceOf(type: ResourceType, object: KubeObject): string | undefined {
  if (type.namespaced && !object.metadata.namespace) {
    throw new Error(`${type.kind} ${object.metadata.name ?? object.metadata.generateName ?? ''} has no metadata.namespace`);
  }
  return object.metadata.namespace;
}

function nameOf(object: KubeObject): string {
  if (!object.metadata.name) throw new Error(`${object.kind ?? 'object'} has no metadata.name`);
  return object.metadata.name;
}
