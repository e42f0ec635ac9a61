import { describe, expect, it } from '@jest/globals';
import pino from 'pino';
import type { KubeObject } from '../kube/types.ts';
import { Informer, type InformerEvent } from './informer.ts';
import { FakeClock, settle } from './testing/fake-clock.ts';
import { ScriptedSource } from './testing/scripted-source.ts';

function configMap(name: string, resourceVersion: string): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'ns', name, resourceVersion } };
}

function informerWith(options: { resyncPeriodMs?: number } = {}) {
  const clock = new FakeClock();
  const source = new ScriptedSource();
  const informer = new Informer<KubeObject>({
    name: 'configmaps',
    sources: [source],
    clock,
    logger: pino({ level: 'silent' }),
    backoff: { initialMs: 1_000, maxMs: 4_000 },
    resyncPeriodMs: options.resyncPeriodMs,
  });
  const events: string[] = [];
  informer.on((event: InformerEvent<KubeObject>) => events.push(`${event.type} ${event.object.metadata.name}@${event.object.metadata.resourceVersion}`));
  return { clock, source, informer, events };
}

describe('Informer', () => {
  it('lists, then applies watched changes to its cache and announces them', async () => {
    const { source, informer, events } = informerWith();
    source.listAnswers.push({ items: [configMap('a', '1')], resourceVersion: '10' });
    informer.start();
    await informer.waitForSync();
    await settle();
    expect(source.current.fromVersion).toBe('10');

    source.current.send({ type: 'ADDED', object: configMap('b', '11') });
    source.current.send({ type: 'MODIFIED', object: configMap('a', '12') });
    source.current.send({ type: 'MODIFIED', object: configMap('a', '12') });
    source.current.send({ type: 'DELETED', object: configMap('b', '13') });

    expect(events).toEqual(['added a@1', 'added b@11', 'updated a@12', 'deleted b@11']);
    expect(informer.list().map((object) => object.metadata.name)).toEqual(['a']);
    expect(informer.get('ns', 'a')?.metadata.resourceVersion).toBe('12');
    await informer.stop();
  });

  it('resumes a closed watch from the last version it saw, including bookmarks', async () => {
    const { source, informer } = informerWith();
    source.listAnswers.push({ items: [], resourceVersion: '10' });
    informer.start();
    await settle();
    source.current.send({ type: 'ADDED', object: configMap('a', '11') });
    source.current.send({ type: 'BOOKMARK', object: configMap('', '15') });
    source.current.end('closed');
    await settle();

    expect(source.lists).toBe(1);
    expect(source.current.fromVersion).toBe('15');
    await informer.stop();
  });

  it('relists after 410 Gone and announces the deletions it missed', async () => {
    const { source, informer, events } = informerWith();
    source.listAnswers.push({ items: [configMap('a', '1'), configMap('b', '2')], resourceVersion: '10' });
    source.listAnswers.push({ items: [configMap('b', '2'), configMap('c', '30')], resourceVersion: '40' });
    informer.start();
    await settle();

    source.current.end('expired');
    await settle();

    expect(source.lists).toBe(2);
    expect(events).toEqual(['added a@1', 'added b@2', 'added c@30', 'deleted a@1']);
    expect(source.current.fromVersion).toBe('40');
    expect(informer.stats.expirations).toBe(1);
    await informer.stop();
  });

  it('retries a failing list with growing, capped delays and never gives up', async () => {
    const { clock, source, informer } = informerWith();
    for (let i = 0; i < 4; i++) source.listAnswers.push(new Error('connection refused'));
    source.listAnswers.push({ items: [configMap('a', '1')], resourceVersion: '10' });
    informer.start();
    await settle();
    expect(source.lists).toBe(1);

    // Delays 1 s, 2 s, 4 s, then capped at 4 s.
    for (const [waitMs, listsAfter] of [[999, 1], [1, 2], [1_999, 2], [1, 3], [4_000, 4], [4_000, 5]] as const) {
      await clock.advance(waitMs);
      expect(source.lists).toBe(listsAfter);
    }
    expect(informer.hasSynced).toBe(true);
    expect(informer.stats.failures).toBe(4);
    await informer.stop();
  });

  it('restarts a watch that failed, after a backoff, from where it was', async () => {
    const { clock, source, informer } = informerWith();
    source.listAnswers.push({ items: [], resourceVersion: '10' });
    informer.start();
    await settle();
    source.current.send({ type: 'ADDED', object: configMap('a', '11') });
    source.current.end(new Error('connection reset'));
    await settle();
    expect(source.watches).toHaveLength(1);

    await clock.advance(1_000);
    expect(source.watches).toHaveLength(2);
    expect(source.current.fromVersion).toBe('11');
    expect(source.lists).toBe(1);
    await informer.stop();
  });

  it('backs off when a watch keeps closing at once without delivering anything', async () => {
    const { clock, source, informer } = informerWith();
    source.listAnswers.push({ items: [], resourceVersion: '10' });
    informer.start();
    await settle();
    source.current.end('closed');
    await settle();
    expect(source.watches).toHaveLength(1);
    await clock.advance(1_000);
    expect(source.watches).toHaveLength(2);
    await informer.stop();
  });

  it('re-announces every cached object each resync period', async () => {
    const { clock, source, informer, events } = informerWith({ resyncPeriodMs: 60_000 });
    source.listAnswers.push({ items: [configMap('a', '1'), configMap('b', '2')], resourceVersion: '10' });
    informer.start();
    await settle();
    events.length = 0;

    await clock.advance(60_000);
    expect(events).toEqual(['resync a@1', 'resync b@2']);
    await clock.advance(60_000);
    expect(events).toHaveLength(4);
    await informer.stop();
  });

  it('stops promptly even while waiting to retry', async () => {
    const { source, informer } = informerWith();
    source.listAnswers.push(new Error('down'));
    informer.start();
    await settle();
    await informer.stop();
    expect(source.lists).toBe(1);
  });
});
