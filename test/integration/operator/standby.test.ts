// Two replicas, one leader: when the leader goes away the standby acts. A leader stopped with
// SIGTERM releases its Lease, so the standby takes over at once; a leader killed with SIGKILL
// says nothing, so the standby waits out the lease duration first. Either way a "back up now"
// created after the leader stopped is carried out to the end.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { KubeObject } from '../../../src/kube/types.ts';
import { Scene, waitFor } from './support.ts';

jest.setTimeout(240_000);

// Long enough to tell "released" from "expired" apart on a busy machine.
const LEASE_SECONDS = 12;
const RETRY_SECONDS = 1;
const TIMING = {
  LIFEBOAT_LEASE_DURATION_SECONDS: String(LEASE_SECONDS),
  LIFEBOAT_RENEW_DEADLINE_SECONDS: '8',
  LIFEBOAT_RETRY_PERIOD_SECONDS: String(RETRY_SECONDS),
};

interface LeaseObject extends KubeObject {
  spec?: { holderIdentity?: string | null };
}

describe('a standby replica when the leader goes away', () => {
  let scene: Scene;

  beforeAll(async () => {
    scene = await Scene.create('op-standby');
    await scene.applySchedule({ name: 'app', schedule: '0 0 1 1 *', sources: ['app-db', 'diagrams'] });
  });

  afterAll(() => scene?.tearDown());

  /** The replica ("replica-a" or "replica-b") that holds the lease, if any. */
  async function holder(leaseName: string): Promise<string | undefined> {
    const lease = await scene.lease<LeaseObject>(leaseName);
    return lease?.spec?.holderIdentity?.split('_')[0] || undefined;
  }

  /** Starts two replicas on one lease and returns the leader's and the standby's process. */
  async function pairOn(leaseName: string): Promise<{ leader: ChildProcess; standby: ChildProcess; standbyName: string }> {
    const replicas: Record<string, ChildProcess> = {
      'replica-a': scene.spawnOperator({ leaseName, podName: 'replica-a', env: TIMING }),
      'replica-b': scene.spawnOperator({ leaseName, podName: 'replica-b', env: TIMING }),
    };
    const leaderName = await waitFor(() => holder(leaseName), { what: 'one replica to lead', timeoutMs: 30_000, intervalMs: 200 });
    const standbyName = leaderName === 'replica-a' ? 'replica-b' : 'replica-a';
    return { leader: replicas[leaderName]!, standby: replicas[standbyName]!, standbyName };
  }

  async function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
    const exited = once(child, 'exit');
    child.kill(signal);
    const [code] = (await exited) as [number | null];
    return code;
  }

  it('takes over at once after a SIGTERM (the lease is released) and carries out a new run', async () => {
    const { leader, standby, standbyName } = await pairOn('graceful');
    expect(await stop(leader, 'SIGTERM')).toBe(0);
    const stoppedAt = Date.now();
    await waitFor(async () => (await holder('graceful')) === standbyName, { what: 'the standby to take the lease', timeoutMs: 30_000, intervalMs: 100 });
    // Well before the lease would have expired on its own.
    expect(Date.now() - stoppedAt).toBeLessThan((LEASE_SECONDS - 4) * 1000);

    await scene.createManualRun('after-sigterm', 'app');
    const run = await scene.finalRun('after-sigterm');
    expect(run.status?.phase).toBe('Succeeded');
    expect(await scene.eventReasons('after-sigterm', ['SourcesResolved', 'JobCreated', 'BackupSucceeded'])).toEqual(expect.arrayContaining(['SourcesResolved', 'JobCreated', 'BackupSucceeded']));
    expect(await stop(standby, 'SIGTERM')).toBe(0);
  });

  it('takes over only after the lease duration after a SIGKILL, and carries out a new run', async () => {
    const { leader, standby, standbyName } = await pairOn('killed');
    await stop(leader, 'SIGKILL');
    const killedAt = Date.now();
    await waitFor(async () => (await holder('killed')) === standbyName, { what: 'the standby to take the lease', timeoutMs: 60_000, intervalMs: 100 });
    // The standby counts the duration from the last renewal it saw, at most one retry period
    // (plus a request) before the kill.
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual((LEASE_SECONDS - RETRY_SECONDS - 1) * 1000);

    await scene.createManualRun('after-sigkill', 'app');
    const run = await scene.finalRun('after-sigkill');
    expect(run.status?.phase).toBe('Succeeded');
    expect(await stop(standby, 'SIGTERM')).toBe(0);
  });
});
