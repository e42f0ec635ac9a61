// What the runtime and the controllers ask of the Kubernetes API, as a type: KubeClient
// (client.ts) serves it over HTTP, MemoryKubeClient (testing/memory-client.ts) from memory for
// unit tests. Depend on this, not on the class, wherever a client is passed in; only the process
// that owns the connections (src/operator) needs KubeClient itself, to close them.
import type { ResourceType } from './resource-type.ts';
import type { KubeObject, ListWatchSource, ObjectList } from './types.ts';

export interface ListOptions {
  /** Omit to list across all namespaces. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  signal?: AbortSignal;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface PatchOptions extends CallOptions {
  /** "status" writes through the status subresource. */
  subresource?: string;
}

export interface ApplyOptions extends PatchOptions {
  /** Take over fields another manager owns instead of failing with a conflict. */
  force?: boolean;
}

export interface DeleteOptions extends CallOptions {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  /** Delete only this incarnation / version of the object (409 otherwise). */
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface PatchStatusOptions extends CallOptions {
  /** Fail with a conflict if the object changed since this version was read. */
  resourceVersion?: string;
}

export interface ListWatchOptions {
  namespace?: string;
  labelSelector?: string;
}

export type CreateOutcome<T> = { created: true; object: T } | { created: false };

/** Failures are KubeApiError (errors.ts): isNotFound, isConflict, isAlreadyExists tell them apart. */
export interface KubeApi {
  get<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string, options?: CallOptions): Promise<T>;
  /** Like get, but a missing object is `undefined` instead of an error. */
  find<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string, options?: CallOptions): Promise<T | undefined>;
  /** The returned resourceVersion is where a watch would resume. */
  list<T extends KubeObject>(type: ResourceType, options?: ListOptions): Promise<ObjectList<T>>;
  create<T extends KubeObject>(type: ResourceType, object: T, options?: CallOptions): Promise<T>;
  /** A 409 AlreadyExists (a deterministic child made earlier) is `{ created: false }`. */
  createIfAbsent<T extends KubeObject>(type: ResourceType, object: T, options?: CallOptions): Promise<CreateOutcome<T>>;
  /** PUT: with metadata.resourceVersion set, a concurrent write makes this fail with a conflict. */
  replace<T extends KubeObject>(type: ResourceType, object: T, options?: PatchOptions): Promise<T>;
  /** JSON merge patch (RFC 7386); metadata.resourceVersion in the patch makes it conditional. */
  mergePatch<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string, patch: object, options?: PatchOptions): Promise<T>;
  /** Merges `status` through the status subresource; spec and metadata are never touched. */
  patchStatus<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string, status: unknown, options?: PatchStatusOptions): Promise<T>;
  /** Server-side apply. */
  apply<T extends KubeObject>(type: ResourceType, object: T, options?: ApplyOptions): Promise<T>;
  /** Returns false when the object was already gone. */
  delete(type: ResourceType, namespace: string | undefined, name: string, options?: DeleteOptions): Promise<boolean>;
  /** A collection to list and watch, for an informer. */
  listWatch<T extends KubeObject>(type: ResourceType, options?: ListWatchOptions): ListWatchSource<T>;
}
