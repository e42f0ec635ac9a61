import { describe, expect, it } from '@jest/globals';
import pino from 'pino';
import { KubeApiError } from '../kube/errors.ts';
import type { KubeObject } from '../kube/types.ts';
import { Controller, done, type ReconcileResult, requeueAfter } from './controller.ts';
import { ConflictError, PermanentError, TemporaryError } from './errors.ts';
import { Informer } from './informer.ts';
import { createRuntimeMetrics } from './metrics.ts';
import { labelKeys } from './object-key.ts';
import { FakeClock, settle } from './testing/fake-clock.ts';
import { ScriptedSource } from './testing/scripted-source.ts';

const logger = pino({ level: 'silent' });

function object(name: string, labels?: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'ns', name, resourceVersion: '1', labels } };
}

type Step = ReconcileResult | Error;

/** A controller whose reconciler plays, per object name, the scripted steps in turn (then `done`). */
async function controllerWith(
  objects: KubeObject[],
  script: Record<string, Step[]> = {},
  changed?: (previous: KubeObject, object: KubeObject) => boolean,
) {
  const clock = new FakeClock();
  const primarySource = new ScriptedSource();
  primarySource.listAnswers.push({ items: objects, resourceVersion: '10' });
  const childSource = new ScriptedSource();
  childSource.listAnswers.push({ items: [], resourceVersion: '10' });
  const primary = new Informer<KubeObject>({ name: 'primary', sources: [primarySource], clock, logger });
  const children = new Informer<KubeObject>({ name: 'children', sources: [childSource], clock, logger });
  const metrics = createRuntimeMetrics();
  const reconciled: string[] = [];
  const controller = new Controller({
    name: 'test',
    kind: 'Thing',
    primary,
    related: [{ informer: children, keysFor: (child) => labelKeys(child, 'owner'), changed }],
    reconcile: async ({ name }) => {
      reconciled.push(name);
      const step = script[name]?.shift() ?? done;
      if (step instanceof Error) throw step;
      return step;
    },
    backoff: { initialMs: 1_000, maxMs: 60_000 },
    conflictBackoff: { initialMs: 100, maxMs: 60_000 },
    logger,
    metrics,
    clock,
  });
  primary.start();
  children.start();
  await settle();
  return { clock, primarySource, childSource, primary, controller, reconciled, metrics };
}

describe('Controller', () => {
  it('ignores changes until started, then reconciles every cached object once', async () => {
    const { controller, primarySource, reconciled } = await controllerWith([object('a'), object('b')]);
    primarySource.current.send({ type: 'MODIFIED', object: { ...object('a'), metadata: { ...object('a').metadata, resourceVersion: '2' } } });
    await settle();
    expect(reconciled).toEqual([]);

    controller.start();
    await settle();
    expect(reconciled.sort()).toEqual(['a', 'b']);
    await controller.stop(1_000);
  });

  it('reconciles again after the delay a reconcile asks for', async () => {
    const { clock, controller, reconciled } = await controllerWith([object('a')], { a: [requeueAfter(60_000)] });
    controller.start();
    await settle();
    await clock.advance(59_999);
    expect(reconciled).toEqual(['a']);
    await clock.advance(1);
    expect(reconciled).toEqual(['a', 'a']);
    await controller.stop(1_000);
  });

  it.each([
    ['a temporary error', 1_000, new TemporaryError('S3 unreachable')],
    ['an unclassified error', 1_000, new Error('surprise')],
    ['an API 503', 1_000, KubeApiError.fromResponse('GET /x', 503, '')],
    ['a conflict', 100, new ConflictError('stale read')],
    ['an API 409', 100, KubeApiError.fromResponse('PUT /x', 409, '')],
    ['a missing dependency (404 while the object exists)', 1_000, KubeApiError.fromResponse('GET /secret', 404, '')],
  ])('retries after %s, first after %i ms', async (_, delayMs, error) => {
    const { clock, controller, reconciled } = await controllerWith([object('a')], { a: [error] });
    controller.start();
    await settle();
    await clock.advance(delayMs - 1);
    expect(reconciled).toEqual(['a']);
    await clock.advance(1);
    expect(reconciled).toEqual(['a', 'a']);
    await controller.stop(1_000);
  });

  it('doubles the delay while the failures go on, and starts over after a success', async () => {
    const failure = () => new TemporaryError('down');
    const { clock, controller, reconciled } = await controllerWith([object('a')], { a: [failure(), failure(), failure(), done, failure()] });
    controller.start();
    await settle();
    for (const delayMs of [1_000, 2_000, 4_000]) {
      const before = reconciled.length;
      await clock.advance(delayMs);
      expect(reconciled.length).toBe(before + 1);
    }
    // The success (4th attempt) forgot the failures: a new change fails and retries after 1 s.
    controller.enqueue('ns/a');
    await settle();
    const before = reconciled.length;
    await clock.advance(1_000);
    expect(reconciled.length).toBe(before + 1);
    await controller.stop(1_000);
  });

  it('does not retry a permanent error', async () => {
    const { clock, controller, reconciled, metrics } = await controllerWith([object('a')], { a: [new PermanentError('invalid spec')] });
    controller.start();
    await settle();
    await clock.advance(60 * 60_000);
    expect(reconciled).toEqual(['a']);
    expect(await metrics.registry.getSingleMetricAsString('lifeboat_reconcile_total')).toContain('lifeboat_reconcile_total{kind="Thing",result="permanent"} 1');
    await controller.stop(1_000);
  });

  it('drops a key whose object disappeared during its reconcile', async () => {
    const gone = KubeApiError.fromResponse('PATCH /x/status', 404, '');
    const { clock, controller, primarySource, reconciled } = await controllerWith([object('a')], { a: [done, gone] });
    controller.start();
    await settle();
    // The deletion enqueues 'a' again; that reconcile fails with a 404 for the vanished object.
    primarySource.current.send({ type: 'DELETED', object: object('a') });
    await settle();
    expect(reconciled).toEqual(['a', 'a']);
    await clock.advance(60 * 60_000);
    expect(reconciled).toEqual(['a', 'a']);
    await controller.stop(1_000);
  });

  it('reconciles the owner a related object names', async () => {
    const { controller, childSource, reconciled } = await controllerWith([object('owner-1'), object('owner-2')]);
    controller.start();
    await settle();
    reconciled.length = 0;

    childSource.current.send({ type: 'ADDED', object: object('job-1', { owner: 'owner-2' }) });
    await settle();
    expect(reconciled).toEqual(['owner-2']);
    await controller.stop(1_000);
  });

  it('skips a related update its filter says changes nothing the owner reads, but never an addition or deletion', async () => {
    const phaseChanged = (previous: KubeObject, next: KubeObject) => previous.metadata.labels?.phase !== next.metadata.labels?.phase;
    const { controller, childSource, reconciled } = await controllerWith([object('owner-1')], {}, phaseChanged);
    controller.start();
    await settle();
    reconciled.length = 0;

    const child = (resourceVersion: string, phase: string) => {
      const base = object('job-1', { owner: 'owner-1', phase });
      return { ...base, metadata: { ...base.metadata, resourceVersion } };
    };
    childSource.current.send({ type: 'ADDED', object: child('2', 'Running') });
    await settle();
    childSource.current.send({ type: 'MODIFIED', object: child('3', 'Running') });
    await settle();
    expect(reconciled).toEqual(['owner-1']);

    childSource.current.send({ type: 'MODIFIED', object: child('4', 'Done') });
    await settle();
    childSource.current.send({ type: 'DELETED', object: child('5', 'Done') });
    await settle();
    expect(reconciled).toEqual(['owner-1', 'owner-1', 'owner-1']);
    await controller.stop(1_000);
  });

  it('reconciles a new object before changes of others that waited longer', async () => {
    const { controller, primarySource, childSource, reconciled } = await controllerWith([object('owner-1'), object('owner-2'), object('owner-3')]);
    controller.start();
    await settle();
    reconciled.length = 0;

    // One worker: owner-1 holds it while the others queue up behind it.
    const first = reconciled.length;
    childSource.current.send({ type: 'ADDED', object: object('job-1', { owner: 'owner-1' }) });
    childSource.current.send({ type: 'ADDED', object: object('job-2', { owner: 'owner-2' }) });
    childSource.current.send({ type: 'ADDED', object: object('job-3', { owner: 'owner-3' }) });
    primarySource.current.send({ type: 'ADDED', object: { ...object('new'), metadata: { ...object('new').metadata, resourceVersion: '11' } } });
    await settle();
    expect(reconciled.slice(first)).toEqual(['owner-1', 'new', 'owner-2', 'owner-3']);
    await controller.stop(1_000);
  });
});
