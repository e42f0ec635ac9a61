// The informer against the real API server: it follows creates, updates and deletes, and when
// its connection drops it comes back on its own without losing what changed meanwhile.
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { CONFIG_MAPS } from '../../../src/kube/resource-type.ts';
import type { KubeObject } from '../../../src/kube/types.ts';
import { Informer, type InformerEvent } from '../../../src/runtime/informer.ts';
import { apiServerUrl, BreakableProxy, createNamespace, deleteNamespace, kubeConfigVia, memoryLogger, testClient, waitFor } from './support.ts';

// Bounded waits inside each test are shorter; this only caps a test as a whole.
jest.setTimeout(60_000);

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

const WATCHED = { 'lifeboat.dev/test-watched': 'yes' };

describe('Informer', () => {
  const client = testClient();
  let namespace: string;
  const cleanups: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    namespace = await createNamespace(client, 'informer');
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  afterAll(async () => {
    await deleteNamespace(client, namespace);
    await client.close();
  });

  const configMap = (name: string, data: Record<string, string>, labels: Record<string, string> = WATCHED): ConfigMap => ({
    metadata: { name, namespace, labels },
    data,
  });

  function watchConfigMaps(source = client) {
    const { logger, records } = memoryLogger('warn');
    const informer = new Informer<ConfigMap>({
      name: 'configmaps',
      sources: [source.listWatch<ConfigMap>(CONFIG_MAPS, { namespace, labelSelector: 'lifeboat.dev/test-watched=yes' })],
      logger,
      backoff: { initialMs: 200, maxMs: 1_000, jitter: 0.2 },
    });
    const events: string[] = [];
    informer.on((event: InformerEvent<ConfigMap>) => events.push(`${event.type} ${event.object.metadata.name} ${JSON.stringify(event.object.data ?? {})}`));
    informer.start();
    cleanups.push(() => informer.stop());
    return { informer, events, records };
  }

  it('follows creates, updates and deletes of the objects it selects', async () => {
    await client.create(CONFIG_MAPS, configMap('before-start', { n: '0' }));
    const { informer, events } = watchConfigMaps();
    await informer.waitForSync();
    expect(informer.get(namespace, 'before-start')?.data).toEqual({ n: '0' });

    await client.create(CONFIG_MAPS, configMap('followed', { n: '1' }));
    await client.create(CONFIG_MAPS, configMap('unselected', { n: '1' }, { other: 'label' }));
    await client.mergePatch(CONFIG_MAPS, namespace, 'followed', { data: { n: '2' } });
    await client.delete(CONFIG_MAPS, namespace, 'followed');

    await waitFor(() => events.includes('deleted followed {"n":"2"}'), { what: 'the delete to arrive', timeoutMs: 15_000 });
    expect(events).toEqual([
      'added before-start {"n":"0"}',
      'added followed {"n":"1"}',
      'updated followed {"n":"2"}',
      'deleted followed {"n":"2"}',
    ]);
    expect(informer.list().map((object) => object.metadata.name)).toEqual(['before-start']);
    await client.delete(CONFIG_MAPS, namespace, 'before-start');
  });

  it('comes back after its connection drops and catches up on what changed meanwhile', async () => {
    const proxy = await BreakableProxy.start(apiServerUrl());
    cleanups.push(() => proxy.close());
    const viaProxy = testClient(kubeConfigVia(proxy.url));
    cleanups.push(() => viaProxy.close());
    await client.create(CONFIG_MAPS, configMap('kept', { v: '1' }));
    await client.create(CONFIG_MAPS, configMap('removed-while-away', { v: '1' }));

    const { informer, events, records } = watchConfigMaps(viaProxy);
    await informer.waitForSync();
    const watchesBefore = informer.stats.watches;

    // The network goes away; meanwhile the cluster changes.
    proxy.refuse(true);
    await client.mergePatch(CONFIG_MAPS, namespace, 'kept', { data: { v: '2' } });
    await client.delete(CONFIG_MAPS, namespace, 'removed-while-away');
    await client.create(CONFIG_MAPS, configMap('added-while-away', { v: '1' }));
    await waitFor(() => informer.stats.failures >= 2, { what: 'the informer to fail to reconnect at least twice', timeoutMs: 15_000 });
    expect(informer.get(namespace, 'kept')?.data).toEqual({ v: '1' });

    proxy.refuse(false);
    await waitFor(() => informer.get(namespace, 'kept')?.data?.v === '2' && informer.get(namespace, 'added-while-away') !== undefined, {
      what: 'the informer to catch up after the outage',
      timeoutMs: 15_000,
    });
    await waitFor(() => informer.get(namespace, 'removed-while-away') === undefined, { what: 'the missed delete', timeoutMs: 15_000 });

    expect(events).toEqual(
      expect.arrayContaining(['updated kept {"v":"2"}', 'deleted removed-while-away {"v":"1"}', 'added added-while-away {"v":"1"}']),
    );
    expect(informer.stats.watches).toBeGreaterThan(watchesBefore);
    expect(records.some((record) => /failed; (resuming|retrying) after backoff/.test(record.msg))).toBe(true);

    // And it keeps following changes after the outage.
    await client.mergePatch(CONFIG_MAPS, namespace, 'kept', { data: { v: '3' } });
    await waitFor(() => informer.get(namespace, 'kept')?.data?.v === '3', { what: 'a change after the outage', timeoutMs: 15_000 });
  });
});
