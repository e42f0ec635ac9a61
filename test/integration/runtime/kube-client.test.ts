// The Kubernetes adapter against the real API server: CRUD, status through the status
// subresource, server-side apply, events, and how failures map to error kinds.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { KubeClient } from '../../../src/kube/client.ts';
import { isConflict, KubeApiError } from '../../../src/kube/errors.ts';
import { EventRecorder } from '../../../src/kube/events.ts';
import { EVENTS, type ResourceType } from '../../../src/kube/resource-type.ts';
import type { KubeObject } from '../../../src/kube/types.ts';
import { createNamespace, deleteNamespace, kubeConfigVia, memoryLogger, testClient, waitFor } from './support.ts';

// Bounded waits inside each test are shorter; this only caps a test as a whole.
jest.setTimeout(60_000);

const CRDS: ResourceType = { group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition', plural: 'customresourcedefinitions', namespaced: false };
const WIDGETS: ResourceType = { group: 'runtime-test.lifeboat.dev', version: 'v1', kind: 'Widget', plural: 'widgets', namespaced: true };

interface Widget extends KubeObject {
  spec?: { size?: number; color?: string };
  status?: { phase?: string };
}

/** A small CRD with a status subresource, so the adapter is tested on a custom kind. */
async function installWidgetCrd(client: KubeClient): Promise<void> {
  await client.createIfAbsent(CRDS, {
    metadata: { name: 'widgets.runtime-test.lifeboat.dev' },
    spec: {
      group: WIDGETS.group,
      names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: { type: 'object', properties: { size: { type: 'integer', minimum: 1 }, color: { type: 'string' } } },
                status: { type: 'object', properties: { phase: { type: 'string' } } },
              },
            },
          },
        },
      ],
    },
  } as KubeObject);
  await waitFor(
    async () => {
      const crd = await client.get<KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } }>(
        CRDS,
        undefined,
        'widgets.runtime-test.lifeboat.dev',
      );
      return crd.status?.conditions?.some((condition) => condition.type === 'Established' && condition.status === 'True');
    },
    { what: 'the Widget CRD to be established', timeoutMs: 30_000 },
  );
}

describe('KubeClient', () => {
  const client = testClient();
  let namespace: string;

  beforeAll(async () => {
    await installWidgetCrd(client);
    namespace = await createNamespace(client, 'kube-client');
  });

  afterAll(async () => {
    await deleteNamespace(client, namespace);
    await client.close();
  });

  const widget = (name: string, spec: Widget['spec'] = { size: 1 }): Widget => ({
    metadata: { name, namespace, labels: { suite: 'kube-client' } },
    spec,
  });

  it('creates, reads, lists, patches and deletes a custom resource', async () => {
    const created = await client.create(WIDGETS, widget('crud', { size: 2 }));
    expect(created).toMatchObject({ apiVersion: 'runtime-test.lifeboat.dev/v1', kind: 'Widget', spec: { size: 2 } });
    expect(typeof created.metadata.creationTimestamp).toBe('string');

    expect((await client.get<Widget>(WIDGETS, namespace, 'crud')).spec).toEqual({ size: 2 });
    expect(await client.find(WIDGETS, namespace, 'missing')).toBeUndefined();

    const listed = await client.list<Widget>(WIDGETS, { namespace, labelSelector: 'suite=kube-client' });
    expect(listed.items.map((item) => [item.kind, item.metadata.name])).toContainEqual(['Widget', 'crud']);
    expect(listed.resourceVersion).not.toBe('');

    const patched = await client.mergePatch<Widget>(WIDGETS, namespace, 'crud', { spec: { color: 'red' } });
    expect(patched.spec).toEqual({ size: 2, color: 'red' });

    expect(await client.delete(WIDGETS, namespace, 'crud')).toBe(true);
    expect(await client.delete(WIDGETS, namespace, 'crud')).toBe(false);
  });

  it('lists across pages', async () => {
    const small = new KubeClient(client.config, { listPageSize: 2 });
    for (const name of ['page-a', 'page-b', 'page-c', 'page-d', 'page-e']) {
      await client.create(WIDGETS, { ...widget(name), metadata: { ...widget(name).metadata, labels: { suite: 'paging' } } });
    }
    const listed = await small.list<Widget>(WIDGETS, { namespace, labelSelector: 'suite=paging' });
    expect(listed.items.map((item) => item.metadata.name).sort()).toEqual(['page-a', 'page-b', 'page-c', 'page-d', 'page-e']);
    await small.close();
  });

  it('treats a second create of a deterministic name as already done', async () => {
    const first = await client.createIfAbsent(WIDGETS, widget('child-1'));
    const second = await client.createIfAbsent(WIDGETS, widget('child-1', { size: 9 }));
    expect(first.created).toBe(true);
    expect(second).toEqual({ created: false });
    expect((await client.get<Widget>(WIDGETS, namespace, 'child-1')).spec).toEqual({ size: 1 });
  });

  it('writes status through the status subresource only, conditionally on the version read', async () => {
    const created = await client.create(WIDGETS, widget('status'));
    const written = await client.patchStatus<Widget>(WIDGETS, namespace, 'status', { phase: 'Ready' }, { resourceVersion: created.metadata.resourceVersion });
    expect(written.status).toEqual({ phase: 'Ready' });
    expect(written.metadata.generation).toBe(created.metadata.generation);

    // The main resource ignores status, as the status subresource ignores spec.
    const viaMain = await client.mergePatch<Widget>(WIDGETS, namespace, 'status', { status: { phase: 'Hacked' } });
    expect(viaMain.status).toEqual({ phase: 'Ready' });

    const stale = client.patchStatus(WIDGETS, namespace, 'status', { phase: 'Stale' }, { resourceVersion: created.metadata.resourceVersion });
    await expect(stale).rejects.toMatchObject({ statusCode: 409, kind: 'conflict' });
  });

  it('applies server-side under its field manager', async () => {
    await client.apply(WIDGETS, { apiVersion: 'runtime-test.lifeboat.dev/v1', kind: 'Widget', ...widget('applied', { size: 3 }) });
    const applied = await client.get<Widget & { metadata: { managedFields?: Array<{ manager: string; operation: string }> } }>(WIDGETS, namespace, 'applied');
    expect(applied.spec).toEqual({ size: 3 });
    expect(applied.metadata.managedFields).toContainEqual(expect.objectContaining({ manager: 'lifeboat-runtime-test', operation: 'Apply' }));
  });

  it('maps API failures to the error kinds that decide retries', async () => {
    const invalid = await client.create(WIDGETS, widget('invalid', { size: 0 })).catch((error: unknown) => error);
    expect(invalid).toBeInstanceOf(KubeApiError);
    expect(invalid).toMatchObject({ statusCode: 422, reason: 'Invalid', kind: 'permanent' });
    expect((invalid as Error).message).toContain('spec.size');

    await expect(client.get(WIDGETS, namespace, 'missing')).rejects.toMatchObject({ statusCode: 404, reason: 'NotFound', kind: 'not-found' });

    await client.create(WIDGETS, widget('taken'));
    const taken = await client.create(WIDGETS, widget('taken')).catch((error: unknown) => error);
    expect(taken).toMatchObject({ statusCode: 409, reason: 'AlreadyExists', kind: 'conflict' });
    expect(isConflict(taken)).toBe(true);

    const unreachable = testClientFor('https://127.0.0.1:1');
    await expect(unreachable.get(WIDGETS, namespace, 'x')).rejects.toMatchObject({ statusCode: 0, reason: 'NetworkError', kind: 'temporary' });
  });

  it('records events with stable reasons, once per repeat window', async () => {
    const subject = await client.create(WIDGETS, widget('evented'));
    const { logger, records } = memoryLogger();
    const recorder = new EventRecorder(client, { controller: 'lifeboat.dev/operator', instance: 'test-replica', logger });
    await recorder.record(subject, { type: 'Warning', reason: 'WidgetTested', note: 'a test event; é ✓' });
    await recorder.record(subject, { type: 'Warning', reason: 'WidgetTested', note: 'a test event; é ✓' });
    await recorder.record(subject, { type: 'Normal', reason: 'WidgetLong', note: 'x'.repeat(5000) });

    expect(records.map((record) => (record.err as { message?: string } | undefined)?.message ?? record.msg)).toEqual([]);
    const events = (await client.list<KubeObject & { reason: string; note: string; regarding: { uid: string }; type: string }>(EVENTS, { namespace })).items;
    const about = events.filter((event) => event.regarding.uid === subject.metadata.uid);
    expect(about.map((event) => [event.type, event.reason]).sort()).toEqual([
      ['Normal', 'WidgetLong'],
      ['Warning', 'WidgetTested'],
    ]);
    expect(about.find((event) => event.reason === 'WidgetLong')?.note).toHaveLength(1022);
  });
});

function testClientFor(server: string): KubeClient {
  return testClient(kubeConfigVia(server));
}
