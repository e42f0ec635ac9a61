// What a drill run says when its plan cannot work, when cleanup leaks, and how a retried
// Provision takes its own scratch target back instead of leaking it.
import { describe, expect, it } from '@jest/globals';
import type { DRDrillRun } from '../../api/index.ts';
import { at, failure, job } from '../testing/builders.ts';
import { aDrillRun, aPlan, bucketChecked, checksPassed, drillConfig as config, observedDrillRun, ok, RUN } from '../testing/drill-run-builders.ts';
import { decideDrillRun } from './decide-drill-run.ts';
import type { DrillRunDecision, ObservedDrillRun } from './types.ts';

function next(observed: ObservedDrillRun, when: Date, overrides: Partial<ObservedDrillRun> = {}): [DrillRunDecision, ObservedDrillRun] {
  const input = { ...observed, ...overrides };
  const decision = decideDrillRun(input, when, config);
  const run: DRDrillRun = { ...input.run, status: structuredClone(decision.status) };
  return [decision, { ...input, run, catalog: undefined }];
}
const jobsFor = (step: string, result: ReturnType<typeof ok>, start: string, end: string) => ['db', 'files'].map((source) => job.complete(`${RUN}-${step}-${source}`, result, start, end));

describe('decideDrillRun: conditions, leaks and retries', () => {
  it('a plan that does not fit the backup fails with InvalidPlan and Ready False saying why', () => {
    const plan = aPlan({ verify: { sql: [{ name: 'x', source: 'nope', query: 'SELECT 1', expect: { rows: 1 } }] } });
    const [decision] = next(observedDrillRun(aDrillRun({ plan })), at('2025-01-01T09:00:05Z'));
    expect(decision.status).toMatchObject({ result: 'Failed', reason: 'InvalidPlan' });
    expect(decision.status.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidSpec', message: expect.stringContaining('"nope" is not a PostgreSQL source') });
  });

  it('provision tasks carry the run uid as their claim, and a scratch bucket without its own Secret borrows the storage key pair', () => {
    const plan = aPlan({ scratch: { ...aPlan().scratch, s3: { endpoint: 'http://scratch-minio:9000' } } });
    const [decision] = next(observedDrillRun(aDrillRun({ plan })), at('2025-01-01T09:00:05Z'));
    const bucket = decision.actions.find((a) => a.type === 'CreateJob' && a.job.metadata!.name === `${RUN}-provision-files`);
    const container = bucket?.type === 'CreateJob' ? bucket.job.spec!.template.spec!.containers[0]! : undefined;
    expect(JSON.parse(container!.env!.find((e) => e.name === 'LIFEBOAT_TASK')!.value!)).toMatchObject({ claim: 'abcd1234-uid', s3: { credentialsEnvPrefix: 'AWS_' } });
    expect(container!.env!.map((e) => e.name)).toEqual(expect.arrayContaining(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']));
  });

  it('a scratch target that cannot be dropped fails the drill with CleanupFailed and is listed as left behind', () => {
    let [, state] = next(observedDrillRun(aDrillRun()), at('2025-01-01T09:00:05Z'));
    const provisioned = jobsFor('provision', ok('scratch-create'), '2025-01-01T09:00:06Z', '2025-01-01T09:00:10Z');
    [, state] = next(state, at('2025-01-01T09:00:11Z'), { jobs: provisioned });
    const restored = jobsFor('restore', ok('postgres-restore', { sizeBytes: 10 }), '2025-01-01T09:00:12Z', '2025-01-01T09:01:00Z');
    [, state] = next(state, at('2025-01-01T09:01:01Z'), { jobs: [...provisioned, ...restored] });
    const verified = [job.complete(`${RUN}-verify-db`, checksPassed(), '2025-01-01T09:01:02Z', '2025-01-01T09:01:30Z'), job.complete(`${RUN}-verify-files`, bucketChecked(), '2025-01-01T09:01:02Z', '2025-01-01T09:01:20Z')];
    [, state] = next(state, at('2025-01-01T09:01:31Z'), { jobs: [...provisioned, ...restored, ...verified] });
    const cleanup = [job.complete(`${RUN}-cleanup-db`, ok('scratch-drop')), job.failed(`${RUN}-cleanup-files`, failure('access denied deleting the bucket', 'AccessDenied'))];
    const [done] = next(state, at('2025-01-01T09:02:00Z'), { jobs: [...provisioned, ...restored, ...verified, ...cleanup] });
    expect(done.status).toMatchObject({ result: 'Failed', reason: 'CleanupFailed' });
    expect(done.status.scratch?.leftBehind).toEqual([expect.stringMatching(/^lifeboat-scratch-1735722000abcd-1 \(cleanup failed: access denied/)]);
  });

  it('a Provision stopped by the timeout has its unfinished target dropped too, but only if it carries the run\'s claim', () => {
    let [, state] = next(observedDrillRun(aDrillRun({ plan: aPlan({ timeout: '10m' }) })), at('2025-01-01T09:00:05Z'));
    const provision = [job.complete(`${RUN}-provision-db`, ok('scratch-create')), job.running(`${RUN}-provision-files`)];
    [, state] = next(state, at('2025-01-01T09:10:01Z'), { jobs: provision });
    expect(state.run.status?.reason).toBe('Timeout');
    const [clean] = next(state, at('2025-01-01T09:10:05Z'), { jobs: [provision[0]!] });
    const drops = clean.actions.flatMap((a) => (a.type === 'CreateJob' ? [JSON.parse(a.job.spec!.template.spec!.containers[0]!.env!.find((e) => e.name === 'LIFEBOAT_TASK')!.value!)] : []));
    expect(drops.map((task) => [task.name, task.requireClaim ?? false])).toEqual([
      ['lifeboat_scratch_1735722000abcd_0', false],
      ['lifeboat-scratch-1735722000abcd-1', true],
    ]);
  });
});
