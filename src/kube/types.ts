// The shapes the adapter hands out: plain JSON exactly as the API server sends it (timestamps
// stay RFC 3339 strings), so zod schemas parse watch events and GET responses alike.

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

export interface ObjectList<T extends KubeObject> {
  items: T[];
  /** The collection's version at list time: where a watch resumes. */
  resourceVersion: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchEvent<T extends KubeObject> {
  type: WatchEventType;
  object: T;
}

/**
 * How a watch ended without an error: `closed` (the server or the idle timeout ended it; resume
 * from the last resourceVersion) or `expired` (410 Gone: the version was compacted; relist).
 */
export type WatchEnd = 'closed' | 'expired';

/** One collection (a resource type, optionally one namespace and a label selector) to list and watch. */
export interface ListWatchSource<T extends KubeObject> {
  /** For logs: "batch/v1 jobs in all namespaces (app=x)". */
  readonly description: string;
  list(signal?: AbortSignal): Promise<ObjectList<T>>;
  /**
   * Streams events from `resourceVersion` until the watch ends; rejects on errors other than
   * 410 Gone. Resolves `closed` soon after `signal` aborts.
   */
  watch(resourceVersion: string, onEvent: (event: WatchEvent<T>) => void, signal: AbortSignal): Promise<WatchEnd>;
}
