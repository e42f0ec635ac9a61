// Two replicas campaign for one Lease on the real API server: exactly one leads at any time, a
// release hands over at once, and a leader cut off from the API server stops acting before the
// other replica starts.
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { KubeClient } from '../../../src/kube/client.ts';
import { LEASES } from '../../../src/kube/resource-type.ts';
import type { KubeObject } from '../../../src/kube/types.ts';
import { LeaderElector } from '../../../src/runtime/leader-election.ts';
import type { LeaseRecord } from '../../../src/runtime/lease-decision.ts';
import {
  apiServerUrl,
  BreakableProxy,
  createNamespace,
  deleteNamespace,
  kubeConfigVia,
  type LogRecord,
  memoryLogger,
  testClient,
  waitFor,
} from './support.ts';

// Bounded waits inside each test are shorter; this only caps a test as a whole.
jest.setTimeout(60_000);

/** Short periods keep the test quick; the ratios match the defaults (15 s / 10 s / 2 s). */
const TIMING = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 400 };

interface Replica {
  name: string;
  elector: LeaderElector;
  /** Leadership changes as seen through the callbacks, with the time of each. */
  history: Array<{ at: number; leading: boolean; reason?: string }>;
  leading: boolean;
  records: LogRecord[];
}

describe('LeaderElector', () => {
  const client = testClient();
  let namespace: string;
  const replicas: Replica[] = [];
  const cleanups: Array<() => Promise<unknown>> = [];
  let sampler: NodeJS.Timeout | undefined;
  let bothLeadingSeen = 0;

  beforeAll(async () => {
    namespace = await createNamespace(client, 'leader');
  });

  afterEach(async () => {
    clearInterval(sampler);
    for (const replica of replicas.splice(0)) await replica.elector.stop({ release: false });
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  afterAll(async () => {
    await deleteNamespace(client, namespace);
    await client.close();
  });

  function replica(name: string, leaseName: string, via: KubeClient = client): Replica {
    const { logger, records } = memoryLogger('info');
    const self: Replica = { name, history: [], leading: false, records, elector: undefined as unknown as LeaderElector };
    self.elector = new LeaderElector({
      client: via,
      namespace,
      name: leaseName,
      identity: `${name}_test`,
      ...TIMING,
      logger,
      onStartedLeading: () => {
        self.leading = true;
        self.history.push({ at: Date.now(), leading: true });
      },
      onStoppedLeading: (reason) => {
        self.leading = false;
        self.history.push({ at: Date.now(), leading: false, reason });
      },
    });
    replicas.push(self);
    return self;
  }

  /** Checks every 20 ms, for the whole test, that the replicas never both act. */
  function watchForDoubleLeaders(): void {
    bothLeadingSeen = 0;
    sampler = setInterval(() => {
      if (replicas.filter((r) => r.leading).length > 1) bothLeadingSeen++;
    }, 20);
  }

  const lease = (name: string) => client.get<KubeObject & { spec: LeaseRecord }>(LEASES, namespace, name);

  it('lets exactly one of two replicas lead, and hands over at once on release', async () => {
    const a = replica('a', 'release');
    const b = replica('b', 'release');
    watchForDoubleLeaders();
    a.elector.start();
    b.elector.start();

    const first = await waitFor(() => replicas.find((r) => r.leading), { what: 'a leader', timeoutMs: 15_000 });
    const second = first === a ? b : a;
    // Several renew periods later, the same single leader.
    await new Promise((resolve) => setTimeout(resolve, 4 * TIMING.retryPeriodMs));
    expect([first.leading, second.leading]).toEqual([true, false]);
    expect((await lease('release')).spec.holderIdentity).toBe(`${first.name}_test`);

    await first.elector.stop({ release: true });
    await waitFor(() => second.leading, { what: 'the standby to take over', timeoutMs: 15_000 });

    // It took over a released lease, not an expired one.
    const takeover = second.records.find((record) => record.msg === 'taking over the lease');
    expect(takeover?.previousHolder).toBeNull();
    expect(first.history.at(-1)).toMatchObject({ leading: false, reason: 'stopped' });
    const record = (await lease('release')).spec;
    expect(record.holderIdentity).toBe(`${second.name}_test`);
    expect(record.leaseTransitions).toBe(1);
    expect(bothLeadingSeen).toBe(0);
  });

  it('takes over only after the lease expires when the leader just stops renewing', async () => {
    const a = replica('a', 'expiry');
    a.elector.start();
    await waitFor(() => a.leading, { what: 'a to lead', timeoutMs: 15_000 });
    const b = replica('b', 'expiry');
    watchForDoubleLeaders();
    b.elector.start();
    await new Promise((resolve) => setTimeout(resolve, 3 * TIMING.retryPeriodMs));
    expect(b.leading).toBe(false);

    await a.elector.stop({ release: false });
    const stoppedAt = Date.now();
    await waitFor(() => b.leading, { what: 'b to take over the expired lease', timeoutMs: 15_000 });

    const takeover = b.records.find((record) => record.msg === 'taking over the lease');
    expect(takeover?.previousHolder).toBe('a_test');
    // Not before about a lease duration without renewals (the last renew may precede the stop by
    // up to a retry period and a request).
    expect((b.history[0]?.at ?? 0) - stoppedAt).toBeGreaterThanOrEqual(TIMING.leaseDurationMs - 2 * TIMING.retryPeriodMs);
    expect(bothLeadingSeen).toBe(0);
  });

  it('stops a leader that cannot reach the API server before anyone else starts', async () => {
    const proxy = await BreakableProxy.start(apiServerUrl());
    cleanups.push(() => proxy.close());
    const cutOff = testClient(kubeConfigVia(proxy.url));
    cleanups.push(() => cutOff.close());

    const a = replica('a', 'partition', cutOff);
    a.elector.start();
    await waitFor(() => a.leading, { what: 'a to lead', timeoutMs: 15_000 });
    const b = replica('b', 'partition');
    watchForDoubleLeaders();
    b.elector.start();
    await new Promise((resolve) => setTimeout(resolve, 2 * TIMING.retryPeriodMs));

    proxy.refuse(true);
    await waitFor(() => b.leading, { what: 'b to take over from the cut-off leader', timeoutMs: 20_000 });

    const lost = a.history.find((change) => !change.leading);
    expect(lost?.reason).toBe('lost');
    expect(a.leading).toBe(false);
    // The cut-off leader stopped acting strictly before the other replica started.
    expect(lost?.at).toBeLessThan(b.history[0]?.at ?? 0);
    expect(bothLeadingSeen).toBe(0);
  });
});
