// The whole runtime as the operator process wires it, on the real API server: health, readiness
// and metrics endpoints, a controller fed by informers whose retries follow the error kind, and
// a shutdown that drains and hands the lease back.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { CONFIG_MAPS, EVENTS, LEASES } from '../../../src/kube/resource-type.ts';
import type { KubeObject } from '../../../src/kube/types.ts';
import { startOperator, type RunningOperator } from '../../../src/operator/operator.ts';
import { loadConfig } from '../../../src/runtime/config.ts';
import { Controller, done } from '../../../src/runtime/controller.ts';
import type { ControllerSetup } from '../../../src/runtime/controller-setup.ts';
import { PermanentError, TemporaryError } from '../../../src/runtime/errors.ts';
import type { LeaseRecord } from '../../../src/runtime/lease-decision.ts';
import { labelKeys } from '../../../src/runtime/object-key.ts';
import { createNamespace, deleteNamespace, memoryLogger, testClient, waitFor } from './support.ts';

// Bounded waits inside each test are shorter; this only caps a test as a whole.
jest.setTimeout(60_000);

const PRIMARY = 'lifeboat.dev/test-primary';
const OWNER = 'lifeboat.dev/test-owner';

describe('the operator runtime', () => {
  const client = testClient();
  let namespace: string;
  let operator: RunningOperator;
  let stopped = false;
  const reconciled: Array<{ key: string; failures: number }> = [];

  /** A generic controller over labelled ConfigMaps, with children that name their owner in a label. */
  const configMapController: ControllerSetup = (context) =>
    new Controller<KubeObject>({
      name: 'configmap-test',
      kind: 'ConfigMap',
      primary: context.informers.informerFor(CONFIG_MAPS, { labelSelector: `${PRIMARY}=yes` }),
      related: [{ informer: context.informers.informerFor(CONFIG_MAPS, { labelSelector: OWNER }), keysFor: (object) => labelKeys(object, OWNER) }],
      reconcile: async ({ key, name, failures, log }) => {
        reconciled.push({ key, failures });
        log.info('reconciling');
        if (name === 'flaky' && failures === 0) throw new TemporaryError('the endpoint is not reachable yet');
        if (name === 'broken') throw new PermanentError('spec.target names no known database');
        return done;
      },
      backoff: { initialMs: 200, maxMs: 1_000 },
      logger: context.logger,
      metrics: context.metrics,
      events: context.events,
    });

  const reconcilesOf = (name: string) => reconciled.filter((entry) => entry.key === `${namespace}/${name}`);
  const get = (path: string) => fetch(`${operator.httpUrl}${path}`);
  const metricsText = async () => (await get('/metrics')).text();

  beforeAll(async () => {
    namespace = await createNamespace(client, 'operator');
    const config = loadConfig({
      LIFEBOAT_RUNNER_IMAGE: 'lifeboat-runner:test',
      LIFEBOAT_WATCH_NAMESPACES: namespace,
      LIFEBOAT_LEASE_NAMESPACE: namespace,
      LIFEBOAT_HTTP_HOST: '127.0.0.1',
      LIFEBOAT_HTTP_PORT: '0',
      // Lease timings with room for a loaded CI machine: with a 2 s renew deadline the leader
      // could lose the lease to a slow API server mid-test and stop acting (a retry never came).
      // Nothing here waits for a lease to expire; stop() hands it back.
      LIFEBOAT_LEASE_DURATION_SECONDS: '15',
      LIFEBOAT_RENEW_DEADLINE_SECONDS: '10',
      LIFEBOAT_RETRY_PERIOD_SECONDS: '1',
      LIFEBOAT_SHUTDOWN_TIMEOUT_SECONDS: '5',
    });
    const { logger } = memoryLogger('warn');
    operator = await startOperator({ config, logger, client: testClient(), controllers: [configMapController] });
  });

  afterAll(async () => {
    if (!stopped) await operator.stop();
    await deleteNamespace(client, namespace);
    await client.close();
  });

  it('answers /healthz at once and /readyz once its informers synced and it holds the lease', async () => {
    const health = await get('/healthz');
    expect([health.status, await health.text()]).toEqual([200, 'ok\n']);

    const ready = await waitFor(
      async () => {
        const response = await get('/readyz');
        return response.status === 200 ? response.text() : undefined;
      },
      { what: '/readyz to pass', timeoutMs: 20_000 },
    );
    expect(ready).toBe('[+]informers-synced ok\n[+]leader-election ok\nreadyz check passed\n');
    await waitFor(() => operator.isActing(), { what: 'the operator to lead and act', timeoutMs: 20_000 });
    expect((await get('/nowhere')).status).toBe(404);
  });

  it('serves Prometheus metrics: leader status, queue depth, reconciles and process metrics', async () => {
    const response = await get('/metrics');
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toContain('\nlifeboat_leader 1\n');
    expect(text).toContain('lifeboat_workqueue_depth{kind="ConfigMap"} 0');
    expect(text).toContain('# TYPE lifeboat_reconcile_duration_seconds histogram');
    expect(text).toContain('# TYPE lifeboat_reconcile_total counter');
    expect(text).toContain('lifeboat_process_cpu_user_seconds_total');
  });

  it('reconciles a key for every change of its objects and of their children', async () => {
    await client.create(CONFIG_MAPS, { metadata: { name: 'plain', namespace, labels: { [PRIMARY]: 'yes' } } });
    await waitFor(() => reconcilesOf('plain').length >= 1, { what: 'plain to be reconciled', timeoutMs: 15_000 });
    const before = reconcilesOf('plain').length;

    await client.create(CONFIG_MAPS, { metadata: { name: 'child-of-plain', namespace, labels: { [OWNER]: 'plain' } } });
    await waitFor(() => reconcilesOf('plain').length > before, { what: 'the child to requeue its owner', timeoutMs: 15_000 });
    expect(reconcilesOf('child-of-plain')).toEqual([]);
    expect(await metricsText()).toMatch(/lifeboat_reconcile_total\{kind="ConfigMap",result="success"\} [1-9]/);
  });

  it('retries a temporary error with backoff and reports a permanent one without retrying', async () => {
    await client.create(CONFIG_MAPS, { metadata: { name: 'flaky', namespace, labels: { [PRIMARY]: 'yes' } } });
    const broken = await client.create<KubeObject>(CONFIG_MAPS, { metadata: { name: 'broken', namespace, labels: { [PRIMARY]: 'yes' } } });

    await waitFor(() => reconcilesOf('flaky').length >= 2, { what: 'flaky to be retried', timeoutMs: 15_000 });
    expect(reconcilesOf('flaky').slice(0, 2).map((entry) => entry.failures)).toEqual([0, 1]);

    const warning = await waitFor(
      async () =>
        (await client.list<KubeObject & { reason: string; note: string; regarding: { uid: string } }>(EVENTS, { namespace })).items.find(
          (event) => event.regarding.uid === broken.metadata.uid && event.reason === 'ReconcileFailed',
        ),
      { what: 'a ReconcileFailed event on broken', timeoutMs: 15_000 },
    );
    expect(warning.note).toBe('spec.target names no known database');
    // Several backoff periods later, still a single attempt.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(reconcilesOf('broken')).toHaveLength(1);

    const text = await metricsText();
    expect(text).toContain('lifeboat_reconcile_total{kind="ConfigMap",result="temporary"} 1');
    expect(text).toContain('lifeboat_reconcile_total{kind="ConfigMap",result="permanent"} 1');
    expect(text).toContain('lifeboat_reconcile_errors_total{kind="ConfigMap",error_kind="permanent"} 1');
  });

  it('on stop drains its controllers, releases the lease and closes the server', async () => {
    stopped = true;
    expect(await operator.stop()).toBe(true);
    const lease = await client.get<KubeObject & { spec: LeaseRecord }>(LEASES, namespace, 'lifeboat-operator');
    expect(lease.spec.holderIdentity).toBe('');
    expect(operator.isActing()).toBe(false);
    await expect(get('/healthz')).rejects.toThrow();
  });
});
