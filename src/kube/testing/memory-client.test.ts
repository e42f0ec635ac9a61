import { describe, expect, it } from '@jest/globals';
import { isAlreadyExists, isConflict, isNotFound, KubeApiError } from '../errors.ts';
import { CONFIG_MAPS, JOBS, type ResourceType } from '../resource-type.ts';
import type { KubeObject, WatchEvent } from '../types.ts';
import { MemoryKubeClient } from './memory-client.ts';

// A custom kind with a status subresource, as every Lifeboat CRD has.
const WIDGETS: ResourceType = { group: 'lifeboat.dev', version: 'v1alpha1', kind: 'Widget', plural: 'widgets', namespaced: true };

interface Widget extends KubeObject {
  spec?: { size?: number; tags?: string[]; nested?: { a?: number; b?: number } };
  status?: { phase?: string; count?: number };
}

const widget = (name = 'w', extra: Partial<Widget> = {}): Widget => ({ spec: { size: 1 }, ...extra, metadata: { name, namespace: 'prod', ...extra.metadata } });

function setup() {
  let now = Date.UTC(2025, 0, 1, 12, 0, 0, 500);
  const client = new MemoryKubeClient({ clock: { now: () => now } });
  return { client, advance: (ms: number) => (now += ms) };
}

async function failure(promise: Promise<unknown>): Promise<KubeApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof KubeApiError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

describe('MemoryKubeClient create and read', () => {
  it('fills the server-managed metadata and drops status for a kind with a status subresource', async () => {
    const { client } = setup();
    const created = await client.create<Widget>(WIDGETS, widget('w', { status: { phase: 'Done' } }));
    expect(created).toMatchObject({
      apiVersion: 'lifeboat.dev/v1alpha1',
      kind: 'Widget',
      metadata: { name: 'w', namespace: 'prod', generation: 1, resourceVersion: '1', creationTimestamp: '2025-01-01T12:00:00Z' },
      spec: { size: 1 },
    });
    expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.status).toBeUndefined();
    expect(await client.get(WIDGETS, 'prod', 'w')).toEqual(created);
  });

  it('keeps status on create for a kind without the subresource', async () => {
    const { client } = setup();
    const created = await client.create<Widget>(CONFIG_MAPS, widget('c', { status: { phase: 'x' } }));
    expect(created.status).toEqual({ phase: 'x' });
  });

  it('answers a missing object with 404 NotFound, and find with undefined', async () => {
    const { client } = setup();
    const error = await failure(client.get(WIDGETS, 'prod', 'nope'));
    expect(isNotFound(error)).toBe(true);
    expect(error).toMatchObject({ statusCode: 404, reason: 'NotFound' });
    expect(error.message).toContain('widgets.lifeboat.dev "nope" not found');
    expect(await client.find(WIDGETS, 'prod', 'nope')).toBeUndefined();
  });

  it('refuses a taken name with 409 AlreadyExists; createIfAbsent says created: false', async () => {
    const { client } = setup();
    await client.create(WIDGETS, widget());
    const error = await failure(client.create(WIDGETS, widget()));
    expect(isAlreadyExists(error)).toBe(true);
    expect(isConflict(error)).toBe(true);
    expect(await client.createIfAbsent(WIDGETS, widget())).toEqual({ created: false });
    expect((await client.createIfAbsent(WIDGETS, widget('other'))).created).toBe(true);
  });

  it('hands out copies: changing a returned object changes nothing stored', async () => {
    const { client } = setup();
    const created = await client.create<Widget>(WIDGETS, widget());
    created.spec = { size: 99 };
    expect((await client.get<Widget>(WIDGETS, 'prod', 'w')).spec).toEqual({ size: 1 });
  });

  it('lists by namespace and label selector (key, !key, key=value, key!=value, comma-joined)', async () => {
    const { client } = setup();
    await client.create(WIDGETS, widget('a', { metadata: { labels: { app: 'x', tier: 'db' } } }));
    await client.create(WIDGETS, widget('b', { metadata: { labels: { app: 'y' } } }));
    await client.create(WIDGETS, { ...widget('c'), metadata: { name: 'c', namespace: 'dev', labels: { app: 'x' } } });
    const names = async (options: { namespace?: string; labelSelector?: string }) =>
      (await client.list(WIDGETS, options)).items.map((item) => `${item.metadata.namespace}/${item.metadata.name}`);
    expect(await names({})).toEqual(['dev/c', 'prod/a', 'prod/b']);
    expect(await names({ namespace: 'prod' })).toEqual(['prod/a', 'prod/b']);
    expect(await names({ labelSelector: 'app=x' })).toEqual(['dev/c', 'prod/a']);
    expect(await names({ labelSelector: 'app=x,tier' })).toEqual(['prod/a']);
    expect(await names({ labelSelector: '!tier' })).toEqual(['dev/c', 'prod/b']);
    expect(await names({ labelSelector: 'app!=x' })).toEqual(['prod/b']);
    expect((await client.list(WIDGETS)).resourceVersion).toBe('3');
  });
});

describe('MemoryKubeClient updates', () => {
  it('bumps generation on spec changes only, resourceVersion on every change, and neither on a write that changes nothing', async () => {
    const { client } = setup();
    await client.create(WIDGETS, widget());
    const labelled = await client.mergePatch<Widget>(WIDGETS, 'prod', 'w', { metadata: { labels: { a: 'b' } } });
    expect(labelled.metadata).toMatchObject({ generation: 1, resourceVersion: '2' });
    const withStatus = await client.patchStatus<Widget>(WIDGETS, 'prod', 'w', { phase: 'Running' });
    expect(withStatus.metadata).toMatchObject({ generation: 1, resourceVersion: '3' });
    const resized = await client.mergePatch<Widget>(WIDGETS, 'prod', 'w', { spec: { size: 2 } });
    expect(resized.metadata).toMatchObject({ generation: 2, resourceVersion: '4' });
    const same = await client.mergePatch<Widget>(WIDGETS, 'prod', 'w', { spec: { size: 2 } });
    expect(same.metadata).toMatchObject({ generation: 2, resourceVersion: '4' });
    expect(client.writes.map((write) => write.outcome)).toEqual(['changed', 'changed', 'changed', 'changed', 'unchanged']);
  });

  it('applies JSON merge patch: objects merge, null deletes, arrays replace', async () => {
    const { client } = setup();
    await client.create(WIDGETS, { ...widget(), spec: { size: 1, tags: ['a', 'b'], nested: { a: 1, b: 2 } } });
    const patched = await client.mergePatch<Widget>(WIDGETS, 'prod', 'w', { spec: { size: null, tags: ['c'], nested: { b: null } } });
    expect(patched.spec).toEqual({ tags: ['c'], nested: { a: 1 } });
  });

  it('writes only status through patchStatus, and ignores status on the main resource', async () => {
    const { client } = setup();
    await client.create(WIDGETS, widget());
    await client.mergePatch(WIDGETS, 'prod', 'w', { spec: { size: 5 }, status: { phase: 'Ignored' } }, { subresource: 'status' });
    expect(await client.get(WIDGETS, 'prod', 'w')).toMatchObject({ spec: { size: 1 }, status: { phase: 'Ignored' } });
    await client.mergePatch(WIDGETS, 'prod', 'w', { spec: { size: 2 }, status: { phase: 'Nope' } });
    expect(await client.get(WIDGETS, 'prod', 'w')).toMatchObject({ spec: { size: 2 }, status: { phase: 'Ignored' } });
    const current = await client.get<Widget>(WIDGETS, 'prod', 'w');
    await client.replace<Widget>(WIDGETS, { ...current, spec: { size: 3 }, status: { phase: 'Nope' } });
    expect(await client.get(WIDGETS, 'prod', 'w')).toMatchObject({ spec: { size: 3 }, status: { phase: 'Ignored' } });
    await client.patchStatus(WIDGETS, 'prod', 'w', { phase: null, count: 2 });
    expect((await client.get<Widget>(WIDGETS, 'prod', 'w')).status).toEqual({ count: 2 });
  });

  it('has no /status for a kind without the subresource (404), and Jobs have one', async () => {
    const { client } = setup();
    await client.create(CONFIG_MAPS, widget('c'));
    expect(isNotFound(await failure(client.patchStatus(CONFIG_MAPS, 'prod', 'c', { phase: 'x' })))).toBe(true);
    await client.create(JOBS, { metadata: { name: 'j', namespace: 'prod' }, spec: {}, status: { active: 1 } } as KubeObject);
    await client.patchStatus(JOBS, 'prod', 'j', { succeeded: 1 });
    expect(await client.get(JOBS, 'prod', 'j')).toMatchObject({ status: { succeeded: 1 } });
  });

  it('fails a write from a stale resourceVersion with 409 Conflict (merge patch, replace, patchStatus)', async () => {
    const { client } = setup();
    const first = await client.create<Widget>(WIDGETS, widget());
    await client.mergePatch(WIDGETS, 'prod', 'w', { spec: { size: 2 } });
    const stale = first.metadata.resourceVersion;
    const errors = [
      await failure(client.mergePatch(WIDGETS, 'prod', 'w', { metadata: { resourceVersion: stale }, spec: { size: 3 } })),
      await failure(client.replace(WIDGETS, { ...first, spec: { size: 3 } })),
      await failure(client.patchStatus(WIDGETS, 'prod', 'w', { phase: 'x' }, { resourceVersion: stale })),
    ];
    for (const error of errors) {
      expect(isConflict(error)).toBe(true);
      expect(isAlreadyExists(error)).toBe(false);
      expect(error).toMatchObject({ statusCode: 409, reason: 'Conflict', kind: 'conflict' });
    }
    expect(await client.get(WIDGETS, 'prod', 'w')).toMatchObject({ spec: { size: 2 } });
    expect(client.writes.slice(-3).map((write) => [write.outcome, write.reason])).toEqual(Array(3).fill(['failed', 'Conflict']));
    const current = await client.get<Widget>(WIDGETS, 'prod', 'w');
    await client.patchStatus(WIDGETS, 'prod', 'w', { phase: 'ok' }, { resourceVersion: current.metadata.resourceVersion });
  });

  it('answers an update of a missing object with 404', async () => {
    const { client } = setup();
    expect(isNotFound(await failure(client.mergePatch(WIDGETS, 'prod', 'nope', { spec: {} })))).toBe(true);
    expect(isNotFound(await failure(client.patchStatus(WIDGETS, 'prod', 'nope', {})))).toBe(true);
  });
});

describe('MemoryKubeClient deletion', () => {
  it('removes an object without finalizers; a second delete returns false', async () => {
    const { client } = setup();
    await client.create(WIDGETS, widget());
    expect(await client.delete(WIDGETS, 'prod', 'w')).toBe(true);
    expect(await client.find(WIDGETS, 'prod', 'w')).toBeUndefined();
    expect(await client.delete(WIDGETS, 'prod', 'w')).toBe(false);
  });

  it('marks an object with finalizers for deletion and removes it with its last finalizer', async () => {
    const { client, advance } = setup();
    await client.create(WIDGETS, widget('w', { metadata: { name: 'w', namespace: 'prod', finalizers: ['a', 'b'] } }));
    advance(60_000);
    await client.delete(WIDGETS, 'prod', 'w');
    const deleting = await client.get<Widget>(WIDGETS, 'prod', 'w');
    expect(deleting.metadata).toMatchObject({ deletionTimestamp: '2025-01-01T12:01:00Z', generation: 2 });
    const invalid = await failure(client.mergePatch(WIDGETS, 'prod', 'w', { metadata: { finalizers: ['a', 'b', 'c'] } }));
    expect(invalid).toMatchObject({ statusCode: 422, reason: 'Invalid' });
    await client.mergePatch(WIDGETS, 'prod', 'w', { metadata: { finalizers: ['b'] } });
    expect(await client.find(WIDGETS, 'prod', 'w')).toBeDefined();
    await client.mergePatch(WIDGETS, 'prod', 'w', { metadata: { resourceVersion: (await client.get(WIDGETS, 'prod', 'w')).metadata.resourceVersion, finalizers: [] } });
    expect(await client.find(WIDGETS, 'prod', 'w')).toBeUndefined();
  });

  it('checks delete preconditions', async () => {
    const { client } = setup();
    await client.create(WIDGETS, widget());
    expect(isConflict(await failure(client.delete(WIDGETS, 'prod', 'w', { preconditions: { uid: 'someone-else' } })))).toBe(true);
    expect(isConflict(await failure(client.delete(WIDGETS, 'prod', 'w', { preconditions: { resourceVersion: '0' } })))).toBe(true);
  });
});

describe('MemoryKubeClient writes record', () => {
  it('records method, type, namespace, name and body of every write, failed ones included; reads are not writes', async () => {
    const { client } = setup();
    client.set(WIDGETS, widget('seeded'));
    await client.create(WIDGETS, widget());
    await client.get(WIDGETS, 'prod', 'w');
    await client.list(WIDGETS);
    await client.createIfAbsent(WIDGETS, widget());
    await client.patchStatus(WIDGETS, 'prod', 'w', { phase: 'x' });
    await client.delete(WIDGETS, 'prod', 'gone');
    expect(client.writes.map(({ method, type, namespace, name, outcome, reason }) => ({ method, kind: type.kind, namespace, name, outcome, reason }))).toEqual([
      { method: 'create', kind: 'Widget', namespace: 'prod', name: 'w', outcome: 'changed', reason: undefined },
      { method: 'create', kind: 'Widget', namespace: 'prod', name: 'w', outcome: 'failed', reason: 'AlreadyExists' },
      { method: 'patchStatus', kind: 'Widget', namespace: 'prod', name: 'w', outcome: 'changed', reason: undefined },
      { method: 'delete', kind: 'Widget', namespace: 'prod', name: 'gone', outcome: 'failed', reason: 'NotFound' },
    ]);
    expect(client.writes[2]?.body).toEqual({ phase: 'x' });
  });

  it('set stores an object as given, status included, without a recorded write', () => {
    const { client } = setup();
    const stored = client.set<Widget>(WIDGETS, widget('w', { status: { phase: 'Done' } }));
    expect(stored).toMatchObject({ status: { phase: 'Done' }, metadata: { generation: 1, resourceVersion: '1' } });
    expect(client.writes).toEqual([]);
  });
});

describe('MemoryKubeClient listWatch', () => {
  it('lists, then replays the changes after the listed version and streams new ones', async () => {
    const { client } = setup();
    await client.create(WIDGETS, widget('a'));
    const source = client.listWatch<Widget>(WIDGETS, { namespace: 'prod' });
    const listed = await source.list();
    expect(listed.items.map((item) => item.metadata.name)).toEqual(['a']);
    await client.create(WIDGETS, widget('b'));
    const events: Array<WatchEvent<Widget>> = [];
    const stop = new AbortController();
    const watching = source.watch(listed.resourceVersion, (event) => events.push(event), stop.signal);
    await client.patchStatus(WIDGETS, 'prod', 'a', { phase: 'x' });
    await client.delete(WIDGETS, 'prod', 'b');
    expect(events.map((event) => [event.type, event.object.metadata.name, event.object.metadata.resourceVersion])).toEqual([
      ['ADDED', 'b', '2'],
      ['MODIFIED', 'a', '3'],
      ['DELETED', 'b', '4'],
    ]);
    stop.abort();
    await expect(watching).resolves.toBe('closed');
  });

  it('tells a label-selected watch about objects entering (ADDED) and leaving (DELETED) its selector', async () => {
    const { client } = setup();
    await client.create(WIDGETS, widget('a'));
    const events: string[] = [];
    const stop = new AbortController();
    void client.listWatch<Widget>(WIDGETS, { labelSelector: 'app=x' }).watch('1', (event) => events.push(event.type), stop.signal);
    await client.mergePatch(WIDGETS, 'prod', 'a', { metadata: { labels: { app: 'x' } } });
    await client.mergePatch(WIDGETS, 'prod', 'a', { spec: { size: 2 } });
    await client.mergePatch(WIDGETS, 'prod', 'a', { metadata: { labels: null } });
    expect(events).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    stop.abort();
  });
});
