// An API server in memory, for controller unit tests: KubeApi with the semantics a controller
// leans on (status subresource, resourceVersion conflicts, generation, finalizers, not-found,
// already-exists, merge patch, label-selected list and watch), and a record of every write so a
// test can say "this pass wrote nothing". README.md next to this file shows how to use it and
// lists what it does not model.
import { isDeepStrictEqual } from 'node:util';
import { isAlreadyExists, isNotFound, type KubeApiError } from '../errors.ts';
import type {
  ApplyOptions,
  CreateOutcome,
  DeleteOptions,
  KubeApi,
  ListOptions,
  ListWatchOptions,
  PatchOptions,
  PatchStatusOptions,
} from '../kube-api.ts';
import { apiVersionOf, collectionPath, describeType, objectPath, type ResourceType } from '../resource-type.ts';
import type { KubeObject, ListWatchSource, ObjectList, WatchEnd, WatchEvent, WatchEventType } from '../types.ts';
import { parseLabelSelector } from './label-selector.ts';
import { applyMergePatch } from './merge-patch.ts';
import { alreadyExists, badRequest, conflict, invalid, notFound } from './server-errors.ts';

export type WriteMethod = 'create' | 'replace' | 'mergePatch' | 'patchStatus' | 'apply' | 'delete';

/** One write request, as the caller sent it, and what came of it. */
export interface RecordedWrite {
  method: WriteMethod;
  type: ResourceType;
  namespace: string | undefined;
  name: string;
  /** The object, patch, status or delete options as sent. */
  body: unknown;
  /** `unchanged`: accepted, but the stored object stayed the same (no new resourceVersion, no watch event). */
  outcome: 'changed' | 'unchanged' | 'failed';
  /** The API's reason when it failed: Conflict, AlreadyExists, NotFound, Invalid. */
  reason?: string;
}

export interface MemoryKubeClientOptions {
  /** Sets creationTimestamp and deletionTimestamp; a FakeClock fits. Default: the system clock. */
  clock?: { now(): number };
  /** Kinds whose status is written only through /status. Default: hasStatusSubresource. */
  statusSubresource?: (type: ResourceType) => boolean;
}

/** Built-in kinds with a status subresource (of those an operator is likely to touch). */
const BUILT_IN_WITH_STATUS = new Set(['batch/Job', 'batch/CronJob', '/Pod', '/Namespace', '/PersistentVolumeClaim', '/Service', 'apps/Deployment', 'apps/StatefulSet', 'apps/DaemonSet', 'apps/ReplicaSet']);

/** Every Lifeboat CRD declares `subresources.status` (crds/); so do the built-ins above. */
export function hasStatusSubresource(type: ResourceType): boolean {
  return type.group === 'lifeboat.dev' || BUILT_IN_WITH_STATUS.has(`${type.group}/${type.kind}`);
}

interface Change {
  typeId: string;
  version: number;
  type: Exclude<WatchEventType, 'BOOKMARK'>;
  object: KubeObject;
  previous?: KubeObject;
}

interface Watcher {
  typeId: string;
  inScope: (object: KubeObject | undefined) => boolean;
  deliver: (event: WatchEvent<KubeObject>) => void;
}

const SERVER_MANAGED = ['name', 'namespace', 'uid', 'creationTimestamp', 'deletionTimestamp', 'generation', 'resourceVersion'] as const;

export class MemoryKubeClient implements KubeApi {
  /** Every write request in order, failed ones included. Reads are not recorded. */
  readonly writes: RecordedWrite[] = [];
  readonly #clock: { now(): number };
  readonly #withStatus: (type: ResourceType) => boolean;
  /** typeId -> "namespace/name" -> stored object. */
  readonly #objects = new Map<string, Map<string, KubeObject>>();
  /** Every change since the start, so a watch can resume from any resourceVersion. */
  readonly #changes: Change[] = [];
  readonly #watchers = new Set<Watcher>();
  #version = 0;
  #uids = 0;

  constructor(options: MemoryKubeClientOptions = {}) {
    this.#clock = options.clock ?? { now: Date.now };
    this.#withStatus = options.statusSubresource ?? hasStatusSubresource;
  }

  // --- for tests: arrange and inspect, as another actor would, without a recorded write --------

  /**
   * Stores `object` as given, status included (as the Job controller or kubectl would have left
   * it): fills uid, creationTimestamp and generation when absent, always a new resourceVersion,
   * and tells the watches. Not recorded in `writes`.
   */
  set<T extends KubeObject>(type: ResourceType, object: T): T {
    const namespace = namespaceOf(type, object);
    const name = nameOf(object);
    const existing = this.#stored(type, namespace, name);
    const metadata = object.metadata;
    const stored = withTypeMeta(type, clone(object));
    stored.metadata = {
      ...stored.metadata,
      uid: metadata.uid ?? existing?.metadata.uid ?? this.#newUid(),
      creationTimestamp: metadata.creationTimestamp ?? existing?.metadata.creationTimestamp ?? this.#timestamp(),
      generation: metadata.generation ?? existing?.metadata.generation ?? 1,
    };
    return this.#commit(type, existing, stored) as T;
  }

  /** Removes an object outright (as the garbage collector would), finalizers or not. Not recorded. */
  remove(type: ResourceType, namespace: string | undefined, name: string): void {
    const existing = this.#stored(type, namespace, name);
    if (existing) this.#commit(type, existing, undefined);
  }

  /** The stored object, or undefined; a copy. */
  peek<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string): T | undefined {
    const object = this.#stored(type, namespace, name);
    return object ? (clone(object) as T) : undefined;
  }

  /** The current global resourceVersion. */
  get resourceVersion(): string {
    return String(this.#version);
  }

  // --- KubeApi: reads ---------------------------------------------------------------------------

  async get<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string): Promise<T> {
    const object = this.#stored(type, namespace, name);
    if (!object) throw notFound(`GET ${objectPath(type, namespace, name)}`, type, name);
    return clone(object) as T;
  }

  async find<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string): Promise<T | undefined> {
    try {
      return await this.get<T>(type, namespace, name);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async list<T extends KubeObject>(type: ResourceType, options: ListOptions = {}): Promise<ObjectList<T>> {
    const inScope = scopeFilter(type, options.namespace, options.labelSelector, options.fieldSelector);
    const items = [...(this.#objects.get(typeId(type))?.entries() ?? [])]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, object]) => object)
      .filter(inScope)
      .map((object) => clone(object) as T);
    return { items, resourceVersion: this.resourceVersion };
  }

  // --- KubeApi: writes --------------------------------------------------------------------------

  async create<T extends KubeObject>(type: ResourceType, object: T): Promise<T> {
    const namespace = namespaceOf(type, object);
    const name = object.metadata.name ?? generatedName(object.metadata.generateName);
    const write = this.#record('create', type, namespace, name ?? '', object);
    const request = `POST ${collectionPath(type, namespace)}`;
    return this.#outcome(write, () => {
      if (!name) throw invalid(request, type, '', 'metadata.name: Required value: name or generateName is required');
      if (object.metadata.resourceVersion) throw badRequest(request, 'resourceVersion should not be set on objects to be created');
      if (this.#stored(type, namespace, name)) throw alreadyExists(request, type, name);
      const stored = withTypeMeta(type, clone(object));
      // Fresh server-managed metadata; a kind with a status subresource starts without status.
      stored.metadata = { ...stored.metadata, name, uid: this.#newUid(), creationTimestamp: this.#timestamp(), generation: 1 };
      delete stored.metadata.resourceVersion;
      delete stored.metadata.deletionTimestamp;
      if (this.#withStatus(type)) delete (stored as { status?: unknown }).status;
      return this.#commit(type, undefined, stored) as T;
    });
  }

  async createIfAbsent<T extends KubeObject>(type: ResourceType, object: T): Promise<CreateOutcome<T>> {
    try {
      return { created: true, object: await this.create(type, object) };
    } catch (error) {
      if (isAlreadyExists(error)) return { created: false };
      throw error;
    }
  }

  async replace<T extends KubeObject>(type: ResourceType, object: T, options: PatchOptions = {}): Promise<T> {
    const namespace = namespaceOf(type, object);
    const name = nameOf(object);
    const write = this.#record('replace', type, namespace, name, object);
    const request = `PUT ${objectPath(type, namespace, name, options.subresource)}`;
    return this.#outcome(write, () => {
      const existing = this.#require(request, type, namespace, name);
      checkPreconditions(request, type, existing, object.metadata);
      return this.#update(request, type, existing, withTypeMeta(type, clone(object)), options.subresource) as T;
    });
  }

  async mergePatch<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string, patch: object, options: PatchOptions = {}): Promise<T> {
    const write = this.#record('mergePatch', type, namespace, name, patch);
    return this.#outcome(write, () => this.#patch(type, namespace, name, patch, options.subresource) as T);
  }

  async patchStatus<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string, status: unknown, options: PatchStatusOptions = {}): Promise<T> {
    const write = this.#record('patchStatus', type, namespace, name, status);
    const patch = options.resourceVersion ? { metadata: { resourceVersion: options.resourceVersion }, status } : { status };
    return this.#outcome(write, () => this.#patch(type, namespace, name, patch, 'status') as T);
  }

  /** Modelled as create when absent, else a merge patch of the applied fields (see README.md). */
  async apply<T extends KubeObject>(type: ResourceType, object: T, options: ApplyOptions = {}): Promise<T> {
    const namespace = namespaceOf(type, object);
    const name = nameOf(object);
    const write = this.#record('apply', type, namespace, name, object);
    const request = `PATCH ${objectPath(type, namespace, name, options.subresource)}`;
    return this.#outcome(write, () => {
      const existing = this.#stored(type, namespace, name);
      if (!existing) {
        if (options.subresource) throw notFound(request, type, name);
        const stored = withTypeMeta(type, clone(object));
        stored.metadata = { ...stored.metadata, uid: this.#newUid(), creationTimestamp: this.#timestamp(), generation: 1 };
        if (this.#withStatus(type)) delete (stored as { status?: unknown }).status;
        return this.#commit(type, undefined, stored) as T;
      }
      return this.#patch(type, namespace, name, object, options.subresource) as T;
    });
  }

  async delete(type: ResourceType, namespace: string | undefined, name: string, options: DeleteOptions = {}): Promise<boolean> {
    const write = this.#record('delete', type, namespace, name, { propagationPolicy: options.propagationPolicy, preconditions: options.preconditions });
    const request = `DELETE ${objectPath(type, namespace, name)}`;
    try {
      return this.#outcome(write, () => {
        const existing = this.#require(request, type, namespace, name);
        checkPreconditions(request, type, existing, options.preconditions ?? {});
        if ((existing.metadata.finalizers ?? []).length === 0) {
          this.#commit(type, existing, undefined);
          return true;
        }
        // Finalizers hold it: marked for deletion, removed when the last one goes.
        if (existing.metadata.deletionTimestamp) return true;
        const marked = clone(existing);
        marked.metadata.deletionTimestamp = this.#timestamp();
        this.#commit(type, existing, marked);
        return true;
      });
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  // --- KubeApi: list and watch ------------------------------------------------------------------

  /**
   * A source an Informer (or InformerFactory) reads like the real one: list, then a watch that
   * first replays every change after the listed resourceVersion and then delivers each write as
   * it happens (synchronously, inside the write), until the signal aborts.
   */
  listWatch<T extends KubeObject>(type: ResourceType, options: ListWatchOptions = {}): ListWatchSource<T> {
    const where = options.namespace === undefined ? 'all namespaces' : `namespace ${options.namespace}`;
    const inScope = scopeFilter(type, options.namespace, options.labelSelector);
    return {
      description: `memory: ${describeType(type)} in ${where}${options.labelSelector ? ` (${options.labelSelector})` : ''}`,
      list: () => this.list<T>(type, { namespace: options.namespace, labelSelector: options.labelSelector }),
      watch: (resourceVersion, onEvent, signal) => this.#watch(type, inScope, resourceVersion, onEvent as (event: WatchEvent<KubeObject>) => void, signal),
    };
  }

  #watch(
    type: ResourceType,
    inScope: (object: KubeObject) => boolean,
    resourceVersion: string,
    onEvent: (event: WatchEvent<KubeObject>) => void,
    signal: AbortSignal,
  ): Promise<WatchEnd> {
    const watcher: Watcher = {
      typeId: typeId(type),
      inScope: (object) => object !== undefined && inScope(object),
      deliver: onEvent,
    };
    return new Promise((resolve) => {
      if (signal.aborted) return resolve('closed');
      const from = Number(resourceVersion || '0');
      for (const change of this.#changes) {
        if (change.typeId === watcher.typeId && change.version > from) notify(watcher, change);
      }
      this.#watchers.add(watcher);
      signal.addEventListener('abort', () => {
        this.#watchers.delete(watcher);
        resolve('closed');
      }, { once: true });
    });
  }

  // --- the server's write path ------------------------------------------------------------------

  #patch(type: ResourceType, namespace: string | undefined, name: string, patch: object, subresource: string | undefined): KubeObject {
    const request = `PATCH ${objectPath(type, namespace, name, subresource)}`;
    const existing = this.#require(request, type, namespace, name);
    const meta = (patch as { metadata?: { resourceVersion?: string; uid?: string } }).metadata ?? {};
    checkPreconditions(request, type, existing, meta);
    const patched = applyMergePatch(existing, patch) as KubeObject;
    return this.#update(request, type, existing, patched, subresource);
  }

  /** An update of `existing` to `candidate` through the main resource or /status. */
  #update(request: string, type: ResourceType, existing: KubeObject, candidate: KubeObject, subresource: string | undefined): KubeObject {
    const name = existing.metadata.name ?? '';
    let next: KubeObject;
    if (subresource === 'status') {
      if (!this.#withStatus(type)) throw notFound(request, type, name);
      // Only status is taken from the write; spec and metadata stay as stored.
      next = clone(existing);
      const status = (candidate as { status?: unknown }).status;
      if (status === undefined) delete (next as { status?: unknown }).status;
      else (next as { status?: unknown }).status = clone(status);
    } else if (subresource) {
      throw new Error(`memory client: subresource "${subresource}" is not modelled`);
    } else {
      next = candidate;
      next.metadata = { ...next.metadata };
      for (const key of SERVER_MANAGED) {
        if (existing.metadata[key] === undefined) delete next.metadata[key];
        else (next.metadata as Record<string, unknown>)[key] = existing.metadata[key];
      }
      // The main resource ignores status when the kind has a status subresource.
      if (this.#withStatus(type)) {
        const status = (existing as { status?: unknown }).status;
        if (status === undefined) delete (next as { status?: unknown }).status;
        else (next as { status?: unknown }).status = clone(status);
      }
      const added = (next.metadata.finalizers ?? []).filter((finalizer) => !(existing.metadata.finalizers ?? []).includes(finalizer));
      if (existing.metadata.deletionTimestamp && added.length > 0) {
        throw invalid(request, type, name, 'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted');
      }
    }
    return this.#commit(type, existing, next);
  }

  /**
   * Stores `next` (undefined: removes), unless nothing changed. Bumps generation when anything
   * but metadata (and status, for kinds with the subresource) changed, or deletion began; gives
   * a new resourceVersion; removes a deleting object whose last finalizer went; tells watches.
   */
  #commit(type: ResourceType, existing: KubeObject | undefined, next: KubeObject | undefined): KubeObject {
    const id = typeId(type);
    if (next && existing && isDeepStrictEqual(withoutVersion(next), withoutVersion(existing))) return clone(existing);
    const version = ++this.#version;
    let change: Change;
    if (next && existing?.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0) {
      next = undefined;
    }
    if (!next) {
      if (!existing) throw new Error('memory client: nothing to remove');
      const last = clone(existing);
      last.metadata.resourceVersion = String(version);
      this.#bucket(id).delete(keyOfObject(type, existing));
      change = { typeId: id, version, type: 'DELETED', object: last };
    } else {
      const stored = clone(next);
      if (existing) {
        const generation = existing.metadata.generation ?? 0;
        const bump = !isDeepStrictEqual(this.#specPart(type, existing), this.#specPart(type, stored))
          || (!existing.metadata.deletionTimestamp && stored.metadata.deletionTimestamp !== undefined);
        if (bump && stored.metadata.generation === generation) stored.metadata.generation = generation + 1;
      }
      stored.metadata.resourceVersion = String(version);
      this.#bucket(id).set(keyOfObject(type, stored), stored);
      change = existing ? { typeId: id, version, type: 'MODIFIED', object: stored, previous: existing } : { typeId: id, version, type: 'ADDED', object: stored };
    }
    this.#changes.push(change);
    for (const watcher of this.#watchers) {
      if (watcher.typeId === id) notify(watcher, change);
    }
    return clone(change.object);
  }

  /** What generation counts: everything but metadata (and status where it is a subresource). */
  #specPart(type: ResourceType, object: KubeObject): unknown {
    const rest: Record<string, unknown> = { ...object };
    delete rest.metadata;
    if (this.#withStatus(type)) delete rest.status;
    return rest;
  }

  #record(method: WriteMethod, type: ResourceType, namespace: string | undefined, name: string, body: unknown): RecordedWrite {
    const write: RecordedWrite = { method, type, namespace, name, body: clone(body), outcome: 'changed' };
    this.writes.push(write);
    return write;
  }

  /** Runs one write and notes in its record whether it changed anything or failed. */
  #outcome<R>(write: RecordedWrite, run: () => R): R {
    const before = this.#version;
    try {
      const result = run();
      write.outcome = this.#version === before ? 'unchanged' : 'changed';
      return result;
    } catch (error) {
      write.outcome = 'failed';
      write.reason = (error as Partial<KubeApiError>).reason ?? 'Error';
      throw error;
    }
  }

  #require(request: string, type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const existing = this.#stored(type, namespace, name);
    if (!existing) throw notFound(request, type, name);
    return existing;
  }

  #stored(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    if (type.namespaced && !namespace) throw new Error(`${type.kind} is namespaced: a namespace is required to address ${name}`);
    return this.#objects.get(typeId(type))?.get(`${type.namespaced ? namespace : ''}/${name}`);
  }

  #bucket(id: string): Map<string, KubeObject> {
    let bucket = this.#objects.get(id);
    if (!bucket) this.#objects.set(id, (bucket = new Map()));
    return bucket;
  }

  #newUid(): string {
    // Deterministic, UUID-shaped: a failing test names the same uids every run.
    return `00000000-0000-4000-8000-${(++this.#uids).toString(16).padStart(12, '0')}`;
  }

  /** metav1.Time: RFC 3339 in whole seconds. */
  #timestamp(): string {
    return new Date(Math.floor(this.#clock.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  }
}

/** Sends a change to a watch as the server would for its scope: an object leaving a label selector is DELETED for it. */
function notify(watcher: Watcher, change: Change): void {
  const isIn = watcher.inScope(change.object);
  let type: WatchEventType | undefined;
  if (change.type === 'MODIFIED') {
    const wasIn = watcher.inScope(change.previous);
    type = wasIn && isIn ? 'MODIFIED' : isIn ? 'ADDED' : wasIn ? 'DELETED' : undefined;
  } else if (isIn) {
    type = change.type;
  }
  if (type) watcher.deliver({ type, object: clone(change.object) });
}

function checkPreconditions(request: string, type: ResourceType, existing: KubeObject, wanted: { resourceVersion?: string; uid?: string }): void {
  const name = existing.metadata.name ?? '';
  if (wanted.resourceVersion && wanted.resourceVersion !== existing.metadata.resourceVersion) throw conflict(request, type, name);
  if (wanted.uid && wanted.uid !== existing.metadata.uid) throw conflict(request, type, name);
}

function scopeFilter(type: ResourceType, namespace: string | undefined, labelSelector: string | undefined, fieldSelector?: string): (object: KubeObject) => boolean {
  const labels = parseLabelSelector(labelSelector);
  const fields = parseFieldSelector(fieldSelector);
  return (object) =>
    (!type.namespaced || namespace === undefined || object.metadata.namespace === namespace) && labels(object.metadata.labels) && fields(object);
}

/** Only metadata.name and metadata.namespace equality, which every kind supports. */
function parseFieldSelector(selector: string | undefined): (object: KubeObject) => boolean {
  const tests = (selector ?? '').split(',').filter((part) => part.trim() !== '').map((part) => {
    const match = /^\s*metadata\.(name|namespace)\s*==?\s*(.*?)\s*$/.exec(part);
    if (!match) throw new Error(`field selector "${part}": only metadata.name and metadata.namespace are modelled`);
    const [, field, value] = match as unknown as [string, 'name' | 'namespace', string];
    return (object: KubeObject) => object.metadata[field] === value;
  });
  return (object) => tests.every((test) => test(object));
}

/**
 * Objects travel as JSON, as over the wire: the copy drops undefined and cannot share state.
 * (Not structuredClone: under Jest its copies come from another realm, and deep equality
 * checks prototypes.)
 */
function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

function typeId(type: ResourceType): string {
  return `${type.group}/${type.plural}`;
}

function keyOfObject(type: ResourceType, object: KubeObject): string {
  return `${type.namespaced ? (object.metadata.namespace ?? '') : ''}/${object.metadata.name ?? ''}`;
}

function withoutVersion(object: KubeObject): KubeObject {
  return { ...object, metadata: { ...object.metadata, resourceVersion: undefined } };
}

function withTypeMeta<T extends KubeObject>(type: ResourceType, object: T): T {
  return { ...object, apiVersion: apiVersionOf(type), kind: type.kind };
}

function namespaceOf(type: ResourceType, object: KubeObject): string | undefined {
  if (type.namespaced && !object.metadata.namespace) {
    throw new Error(`${type.kind} ${object.metadata.name ?? object.metadata.generateName ?? ''} has no metadata.namespace`);
  }
  return type.namespaced ? object.metadata.namespace : undefined;
}

function nameOf(object: KubeObject): string {
  if (!object.metadata.name) throw new Error(`${object.kind ?? 'object'} has no metadata.name`);
  return object.metadata.name;
}

/** generateName plus five characters, as the server makes them. */
function generatedName(prefix: string | undefined): string | undefined {
  if (!prefix) return undefined;
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += alphabet[Math.floor(Math.random() * alphabet.length)];
  return prefix + suffix;
}
