// decideDrillRun over a frozen clock: the steps in order, the measured RTO and RPO, failures
// that skip to cleanup, the cleanup policy, the timeout, deletion, and the report.
import { describe, expect, it } from '@jest/globals';
import type { DRDrillRun } from '../../api/index.ts';
import { at, failure, job } from '../testing/builders.ts';
import { aDrillRun, aManifest, aPlan, bucketChecked, checksPassed, drillConfig as config, observedDrillRun, ok, RUN } from '../testing/drill-run-builders.ts';
import { decideDrillRun } from './decide-drill-run.ts';
import type { DrillReportJson } from './report.ts';
import type { DrillRunDecision, ObservedDrillRun } from './types.ts';

const kinds = (decision: DrillRunDecision) => decision.actions.map((a) => (a.type === 'RecordEvent' ? `${a.type}:${a.event.reason}` : a.type));
const created = (decision: DrillRunDecision) => decision.actions.flatMap((a) => (a.type === 'CreateJob' ? [a.job.metadata!.name!] : []));
const taskOf = (decision: DrillRunDecision, name: string) => {
  const found = decision.actions.find((a) => a.type === 'CreateJob' && a.job.metadata!.name === name);
  if (!found || found.type !== 'CreateJob') throw new Error(`no Job ${name}`);
  const container = found.job.spec!.template.spec!.containers[0]!;
  return { subcommand: container.args![0], task: JSON.parse(container.env!.find((e) => e.name === 'LIFEBOAT_TASK')!.value!) };
};
const step = (decision: DrillRunDecision, name: string) => decision.status.steps?.find((s) => s.name === name);
/** The report a finished run writes: the JSON parsed, and the Markdown. */
const reportOf = (decision: DrillRunDecision) => {
  const write = decision.actions.find((a) => a.type === 'WriteReport');
  if (write?.type !== 'WriteReport') throw new Error('no report written');
  return { json: JSON.parse(write.objects[0]!.body) as DrillReportJson, markdown: write.objects[1]!.body };
};

/** Decide, then feed the status and finalizers back, as the next reconcile reads them. */
function next(observed: ObservedDrillRun, when: Date, overrides: Partial<ObservedDrillRun> = {}): [DrillRunDecision, ObservedDrillRun] {
  const input = { ...observed, ...overrides };
  const decision = decideDrillRun(input, when, config);
  let finalizers = input.run.metadata.finalizers ?? [];
  for (const action of decision.actions) {
    if (action.type === 'AddFinalizer') finalizers = [...finalizers, action.finalizer];
    if (action.type === 'RemoveFinalizer') finalizers = finalizers.filter((f) => f !== action.finalizer);
  }
  const run: DRDrillRun = { ...input.run, metadata: { ...input.run.metadata, finalizers }, status: structuredClone(decision.status) };
  return [decision, { ...input, run, catalog: run.status?.backup ? undefined : input.catalog }];
}

const jobsFor = (step: string, result: (source: string) => ReturnType<typeof ok> | undefined, start: string, end: string, sources = ['db', 'files']) =>
  sources.map((source) => job.complete(`${RUN}-${step}-${source}`, result(source), start, end));

/** Drives a drill through every step; `verifyResult` decides how Verify ends. */
function throughVerify(verify = [job.complete(`${RUN}-verify-db`, checksPassed(), '2025-01-01T09:04:00Z', '2025-01-01T09:05:00Z'), job.complete(`${RUN}-verify-files`, bucketChecked(), '2025-01-01T09:04:00Z', '2025-01-01T09:04:30Z')], plan = aPlan()) {
  let [, state] = next(observedDrillRun(aDrillRun({ plan })), at('2025-01-01T09:00:05Z'));
  const provisioned = jobsFor('provision', () => ok('scratch-create', { created: true }), '2025-01-01T09:00:06Z', '2025-01-01T09:00:10Z');
  [, state] = next(state, at('2025-01-01T09:00:11Z'), { jobs: provisioned });
  const restoredJobs = [
    job.complete(`${RUN}-restore-db`, ok('postgres-restore', { sizeBytes: 2000 }), '2025-01-01T09:00:12Z', '2025-01-01T09:03:12Z'),
    job.complete(`${RUN}-restore-files`, ok('bucket-restore', { sizeBytes: 1000, objects: 5 }), '2025-01-01T09:00:12Z', '2025-01-01T09:01:00Z'),
  ];
  [, state] = next(state, at('2025-01-01T09:03:13Z'), { jobs: [...provisioned, ...restoredJobs] });
  const [decision, after] = next(state, at('2025-01-01T09:05:01Z'), { jobs: [...provisioned, ...restoredJobs, ...verify] });
  return { decision, state: after, jobs: [...provisioned, ...restoredJobs, ...verify] };
}

describe('decideDrillRun: a drill that passes', () => {
  it('selects the newest backup from the manifests and provisions one new scratch target per source', () => {
    const [decision] = next(observedDrillRun(aDrillRun({ finalizers: [] })), at('2025-01-01T09:00:05Z'));
    expect(kinds(decision)[0]).toBe('AddFinalizer');
    expect(decision.status.backup).toMatchObject({ run: 'app-1', manifestKey: 'prod/prod/app/app-1/manifest.json', snapshotTime: '2025-01-01T02:00:00Z', sizeBytes: 3000 });
    expect(step(decision, 'SelectBackup')).toMatchObject({ phase: 'Succeeded', durationSeconds: 5 });
    expect(created(decision)).toEqual([`${RUN}-provision-db`, `${RUN}-provision-files`]);
    expect(taskOf(decision, `${RUN}-provision-db`)).toEqual({ subcommand: 'scratch-create', task: expect.objectContaining({ kind: 'database', name: 'lifeboat_scratch_1735722000abcd_0' }) });
    expect(taskOf(decision, `${RUN}-provision-files`).task).toMatchObject({ kind: 'bucket', name: 'lifeboat-scratch-1735722000abcd-1' });
    expect(decision.status.deliveredRpo).toMatchObject({ worstGap: '24h', backupsConsidered: 2, met: true });
    expect(decision.status.result).toBe('Running');
  });

  it('restores into the scratch targets, verifies, measures RTO and RPO, cleans up and writes the report', () => {
    const { decision, state, jobs } = throughVerify();
    expect(step(decision, 'RestoreDatabase')).toMatchObject({ phase: 'Succeeded' });
    expect(step(decision, 'Verify')).toMatchObject({ phase: 'Succeeded', completionTime: '2025-01-01T09:05:00Z' });
    // RTO: incident 09:00:00 to the last check 09:05:00. RPO: incident minus the freshness value.
    expect(decision.status.rto).toMatchObject({ measured: '5m', measuredSeconds: 300, met: true, restoreSeconds: 180, restoredBytes: 3000 });
    // 3000 bytes restored from the first restore's start (09:00:12) to the last one's end (09:03:12).
    expect(decision.status.rto?.throughputBytesPerSecond).toBe(17);
    expect(decision.status.rpo).toMatchObject({ measured: '7h30s', measuredSeconds: 25230, basis: 'Freshness', newestDataTime: '2025-01-01T01:59:30Z', met: true });
    expect(created(decision)).toEqual([`${RUN}-cleanup-db`, `${RUN}-cleanup-files`]);
    expect(decision.status.checks).toHaveLength(5);

    const cleaned = [...jobs, ...jobsFor('cleanup', () => ok('scratch-drop', { dropped: true }), '2025-01-01T09:05:02Z', '2025-01-01T09:05:05Z')];
    const [done] = next(state, at('2025-01-01T09:05:06Z'), { jobs: cleaned });
    expect(done.status).toMatchObject({ result: 'Passed', objectives: 'Met', completionTime: '2025-01-01T09:05:06Z' });
    expect(done.status.report?.markdownKey).toBe(`prod/prod/_drills/${RUN}/report.md`);
    const write = done.actions.find((a) => a.type === 'WriteReport');
    expect(write?.type === 'WriteReport' && write.objects.map((o) => o.key)).toEqual([`prod/prod/_drills/${RUN}/report.json`, `prod/prod/_drills/${RUN}/report.md`]);
    expect(kinds(done)).toEqual(expect.arrayContaining(['RecordEvent:DrillPassed', 'RecordEvent:ReportWritten']));
    expect(done.status.conditions?.find((c) => c.type === 'RTOMet')?.status).toBe('True');
  });

  it('without a freshness query the RPO is the incident minus the snapshot time', () => {
    const { decision } = throughVerify(undefined, aPlan({ verify: {} }));
    expect(decision.status.rpo).toMatchObject({ measured: '7h', basis: 'SnapshotTime', newestDataTime: '2025-01-01T02:00:00Z' });
  });
});

describe('decideDrillRun: newer backups whose stored read-back verdict says they failed', () => {
  const corrupt = aManifest('app-2', '2025-01-01T06:00:00Z', { verified: false });
  const catalog = { entries: [corrupt, aManifest('app-1', '2025-01-01T02:00:00Z', { verified: true }), aManifest('app-0', '2024-12-31T02:00:00Z')] };

  it('recovers from the newest good one and names the skipped run in status.backup and the SelectBackup step', () => {
    const [decision, state] = next(observedDrillRun(aDrillRun(), { catalog }), at('2025-01-01T09:00:05Z'));
    const reason = 'failed verification (read back 2025-01-01T07:00:00Z): source db: ChecksumMismatch: artifact s3://backups/prod/prod/app/app-2/db/artifact does not match its manifest';
    expect(decision.status.backup).toMatchObject({
      run: 'app-1',
      skipped: [{ run: 'app-2', manifestKey: 'prod/prod/app/app-2/manifest.json', snapshotTime: '2025-01-01T06:00:00Z', reason }],
    });
    expect(step(decision, 'SelectBackup')).toMatchObject({
      phase: 'Succeeded',
      message: `backup app-1 (snapshot 2025-01-01T02:00:00Z) from prod/prod/app/app-1/manifest.json, 2 source(s) to restore; passed over 1 newer backup(s) that failed verification: app-2 (${reason})`,
    });
    expect(created(decision)).toEqual([`${RUN}-provision-db`, `${RUN}-provision-files`]);
    // The corrupt backup delivered no recovery point: the gap is app-0 to app-1, and app-1 to the incident.
    expect(decision.status.deliveredRpo).toMatchObject({ worstGap: '24h', gapToIncident: '7h', backupsConsidered: 2 });
    // Chosen once: the next pass lists nothing and keeps what was recorded.
    const [again] = next(state, at('2025-01-01T09:00:06Z'));
    expect(again.status.backup).toEqual(decision.status.backup);
  });

  it('lists at most 8 in status, and counts them all in the step', () => {
    const bad = Array.from({ length: 10 }, (_, n) => aManifest(`bad-${n}`, new Date(Date.UTC(2025, 0, 1, 8) - n * 60_000).toISOString(), { verified: false }));
    const [decision] = next(observedDrillRun(aDrillRun(), { catalog: { entries: [...bad, ...catalog.entries] } }), at('2025-01-01T09:00:05Z'));
    expect(decision.status.backup?.run).toBe('app-1');
    expect(decision.status.backup?.skipped?.map((entry) => entry.run)).toEqual(['bad-0', 'bad-1', 'bad-2', 'bad-3', 'bad-4', 'bad-5', 'bad-6', 'bad-7']);
    expect(step(decision, 'SelectBackup')?.message).toContain('passed over 11 newer backup(s) that failed verification');
    expect(step(decision, 'SelectBackup')?.message?.length).toBeLessThanOrEqual(1024);
  });

  it('a backup that passed, or was never read back, is taken as it is, with nothing skipped', () => {
    const [decision] = next(observedDrillRun(aDrillRun(), { catalog: { entries: catalog.entries.slice(1) } }), at('2025-01-01T09:00:05Z'));
    expect(decision.status.backup?.run).toBe('app-1');
    expect(decision.status.backup?.skipped).toBeUndefined();
    expect(step(decision, 'SelectBackup')?.message).not.toContain('passed over');
  });

  it('fails with NoBackup saying every candidate failed verification, when each did', () => {
    const [decision] = next(observedDrillRun(aDrillRun(), { catalog: { entries: [corrupt, aManifest('app-1', '2025-01-01T02:00:00Z', { verified: false })] } }), at('2025-01-01T09:00:05Z'));
    expect(decision.status).toMatchObject({ result: 'Failed', reason: 'NoBackup' });
    expect(decision.status.message).toMatch(/^no backup from before the incident holding a source passed its read-back: all 2 such backup\(s\) among the 2 run manifest\(s\) in storage failed verification \(app-2, app-1\)/);
    expect(decision.status.backup).toBeUndefined();
    expect(created(decision)).toEqual([]);
  });
});

describe('decideDrillRun: failures skip to cleanup and say why', () => {
  it('a scratch name that already exists fails the drill with ScratchExists and never drops it', () => {
    let [, state] = next(observedDrillRun(aDrillRun()), at('2025-01-01T09:00:05Z'));
    const jobs = [
      job.failed(`${RUN}-provision-db`, failure('scratch database lifeboat_scratch_1735722000abcd_0 already exists; a drill never reuses one', 'TargetExists')),
      job.complete(`${RUN}-provision-files`, ok('scratch-create')),
    ];
    const [decision] = next(state, at('2025-01-01T09:00:20Z'), { jobs });
    state = next(state, at('2025-01-01T09:00:20Z'), { jobs })[1];
    expect(decision.status.reason).toBe('ScratchExists');
    expect(step(decision, 'RestoreDatabase')?.phase).toBe('Skipped');
    // Only what this drill created is dropped.
    expect(created(decision)).toEqual([`${RUN}-cleanup-files`]);
    expect(decision.status.scratch).toMatchObject({ buckets: ['lifeboat-scratch-1735722000abcd-1'] });
    expect(decision.status.scratch?.databases).toBeUndefined();
  });

  it('a corrupt artifact fails it with ChecksumMismatch at RestoreDatabase, with a Checksum check saying both SHA-256', () => {
    let [, state] = next(observedDrillRun(aDrillRun()), at('2025-01-01T09:00:05Z'));
    const provisioned = jobsFor('provision', () => ok('scratch-create', { created: true }), '2025-01-01T09:00:06Z', '2025-01-01T09:00:10Z');
    [, state] = next(state, at('2025-01-01T09:00:11Z'), { jobs: provisioned });
    const reason = 'artifact s3://backups/prod/prod/app/app-1/db/database.dump.gz does not match its manifest: SHA-256 bbbbbbbbbbbb… (2000 bytes) instead of aaaaaaaaaaaa… (2000 bytes); the stored object is corrupt or was modified';
    const checksum = { expected: { sha256: 'a'.repeat(64), sizeBytes: 2000 }, actual: { sha256: 'b'.repeat(64), sizeBytes: 2000 } };
    const jobs = [
      ...provisioned,
      job.failed(`${RUN}-restore-db`, { ok: false, subcommand: 'postgres-restore', code: 'ChecksumMismatch', reason, details: { checksum } }),
      job.running(`${RUN}-restore-files`, '2025-01-01T09:00:12Z'),
    ];
    const [decision, failed] = next(state, at('2025-01-01T09:01:00Z'), { jobs });
    expect(decision.status).toMatchObject({ reason: 'ChecksumMismatch', message: `db: ${reason}` });
    expect(step(decision, 'RestoreDatabase')).toMatchObject({ phase: 'Failed', message: `db: ${reason}` });
    expect(decision.status.checks).toEqual([
      { name: 'db artifact', type: 'Checksum', source: 'db', result: 'Failed', expected: `SHA-256 ${'a'.repeat(64)}, 2000 bytes`, actual: `SHA-256 ${'b'.repeat(64)}, 2000 bytes`, message: reason },
    ]);
    expect(decision.status.checksSummary).toEqual({ passed: 0, failed: 1 });
    // The bucket restore still running is stopped (next pass); nothing is verified; the check stays.
    const [stop] = next(failed, at('2025-01-01T09:01:01Z'), { jobs });
    expect(kinds(stop)).toContain('DeleteJob');
    expect(step(stop, 'Verify')?.phase).toBe('Skipped');
    expect(stop.status.checks).toEqual(decision.status.checks);
    expect({ rto: stop.status.rto, rpo: stop.status.rpo, objectives: stop.status.objectives }).toEqual({ rto: undefined, rpo: undefined, objectives: undefined });
  });

  it('a drill that failed before its data was verified measures no RTO or RPO (nothing was recovered), however many passes follow', () => {
    // ScratchExists at Provision: the restores and Verify are skipped.
    let [, state] = next(observedDrillRun(aDrillRun()), at('2025-01-01T09:00:05Z'));
    const jobs = [
      job.failed(`${RUN}-provision-db`, failure('scratch database lifeboat_scratch_1735722000abcd_0 already exists; a drill never reuses one', 'TargetExists')),
      job.complete(`${RUN}-provision-files`, ok('scratch-create'), '2025-01-01T09:00:06Z', '2025-01-01T09:00:10Z'),
    ];
    [, state] = next(state, at('2025-01-01T09:00:20Z'), { jobs });
    const dropped = [...jobs, job.complete(`${RUN}-cleanup-files`, ok('scratch-drop'), '2025-01-01T09:00:21Z', '2025-01-01T09:00:25Z')];
    const [cleaning, cleaned] = next(state, at('2025-01-01T09:00:21Z'), { jobs });
    const [done] = next(cleaned, at('2025-01-01T09:00:26Z'), { jobs: dropped });
    for (const decision of [cleaning, done]) {
      expect(step(decision, 'Verify')?.phase).toBe('Skipped');
      expect({ rto: decision.status.rto, rpo: decision.status.rpo, objectives: decision.status.objectives }).toEqual({ rto: undefined, rpo: undefined, objectives: undefined });
      expect(decision.status.conditions?.map((c) => c.type)).not.toEqual(expect.arrayContaining(['RTOMet']));
      expect(decision.status.conditions?.map((c) => c.type)).not.toEqual(expect.arrayContaining(['RPOMet']));
    }
    expect(done.status).toMatchObject({ result: 'Failed', reason: 'ScratchExists' });
  });

  it('a drill with nothing to verify is measured once its restores succeeded', () => {
    const plan = aPlan({ verify: { rowCounts: false, objectChecksums: false, schemaObjects: false } });
    let [, state] = next(observedDrillRun(aDrillRun({ plan })), at('2025-01-01T09:00:05Z'));
    const provisioned = jobsFor('provision', () => ok('scratch-create', { created: true }), '2025-01-01T09:00:06Z', '2025-01-01T09:00:10Z');
    [, state] = next(state, at('2025-01-01T09:00:11Z'), { jobs: provisioned });
    const restored = [
      job.complete(`${RUN}-restore-db`, ok('postgres-restore', { sizeBytes: 2000 }), '2025-01-01T09:00:12Z', '2025-01-01T09:03:12Z'),
      job.complete(`${RUN}-restore-files`, ok('bucket-restore', { sizeBytes: 1000 }), '2025-01-01T09:00:12Z', '2025-01-01T09:01:00Z'),
    ];
    const [decision] = next(state, at('2025-01-01T09:03:13Z'), { jobs: [...provisioned, ...restored] });
    expect(step(decision, 'Verify')).toMatchObject({ phase: 'Skipped', message: 'nothing to do for this scenario' });
    expect(decision.status.rto).toMatchObject({ measured: '3m12s', met: true });
    expect(decision.status.objectives).toBe('Met');
  });

  it('a failed SQL expectation fails it with CheckFailed, expected and found in status', () => {
    const bad = ok('drill-check', {});
    const failed = { ...job.failed(`${RUN}-verify-db`, { ok: false, subcommand: 'drill-check', code: 'CheckFailed', reason: '1 of 3 checks failed', details: { checks: [{ name: 'customers', type: 'Sql', ok: false, expected: '>= 1000', actual: '25' }] } }), startTime: '2025-01-01T09:04:00Z' };
    void bad;
    const { decision } = throughVerify([failed, job.complete(`${RUN}-verify-files`, bucketChecked())]);
    expect(decision.status.reason).toBe('CheckFailed');
    expect(decision.status.message).toContain('customers (expected >= 1000, found 25)');
    expect(decision.status.checks?.[0]).toMatchObject({ name: 'customers', result: 'Failed', expected: '>= 1000', actual: '25' });
    expect(created(decision)).toEqual([`${RUN}-cleanup-db`, `${RUN}-cleanup-files`]);
  });

  it('a backup older than the RPO objective fails it with RPOMissed after a full recovery', () => {
    const { decision } = throughVerify(undefined, aPlan({ objectives: { rto: '1h', rpo: '1h' } }));
    expect(decision.status).toMatchObject({ reason: 'RPOMissed', objectives: 'RPOMissed' });
    expect(decision.status.deliveredRpo).toMatchObject({ worstGap: '24h', met: false });
  });

  it('a restore slower than the RTO objective fails it with RTOMissed', () => {
    const { decision } = throughVerify(undefined, aPlan({ objectives: { rto: '2m', rpo: '24h' } }));
    expect(decision.status).toMatchObject({ reason: 'RTOMissed', objectives: 'RTOMissed' });
  });

  it('no backup before the incident: NoBackup, nothing provisioned', () => {
    const [decision] = next(observedDrillRun(aDrillRun(), { catalog: { entries: [aManifest('later', '2025-01-01T10:00:00Z')] } }), at('2025-01-01T09:00:05Z'));
    expect(decision.status.reason).toBe('NoBackup');
    expect(created(decision)).toEqual([]);
    expect(decision.status.result).toBe('Failed');
  });

  it('backup.olderThan picks the newest backup at least that old', () => {
    const [decision] = next(observedDrillRun(aDrillRun({ plan: aPlan({ backup: { olderThan: '12h' } }) })), at('2025-01-01T09:00:05Z'));
    expect(decision.status.backup?.run).toBe('app-0');
  });

  it('the timeout stops the running step, fails with Timeout, and still cleans up', () => {
    let [, state] = next(observedDrillRun(aDrillRun({ plan: aPlan({ timeout: '10m' }) })), at('2025-01-01T09:00:05Z'));
    const provisioned = jobsFor('provision', () => ok('scratch-create'), '2025-01-01T09:00:06Z', '2025-01-01T09:00:10Z');
    [, state] = next(state, at('2025-01-01T09:00:11Z'), { jobs: provisioned });
    const running = [job.running(`${RUN}-restore-db`, '2025-01-01T09:00:12Z'), job.running(`${RUN}-restore-files`, '2025-01-01T09:00:12Z')];
    const [stop, stopped] = next(state, at('2025-01-01T09:10:00Z'), { jobs: [...provisioned, ...running] });
    expect(stop.status.reason).toBe('Timeout');
    expect(kinds(stop).filter((k) => k === 'DeleteJob')).toHaveLength(2);
    expect(created(stop)).toEqual([]);
    const [clean] = next(stopped, at('2025-01-01T09:10:05Z'), { jobs: provisioned });
    expect(created(clean)).toEqual([`${RUN}-cleanup-db`, `${RUN}-cleanup-files`]);
  });

  it('cleanup OnSuccess keeps the scratch targets of a failed drill and lists them', () => {
    const plan = aPlan({ scratch: { ...aPlan().scratch, cleanup: 'OnSuccess' }, objectives: { rto: '1h', rpo: '1h' } });
    const { decision } = throughVerify(undefined, plan);
    expect(created(decision)).toEqual([]);
    expect(decision.status.scratch?.leftBehind).toEqual(['lifeboat_scratch_1735722000abcd_0 (cleanup OnSuccess)', 'lifeboat-scratch-1735722000abcd-1 (cleanup OnSuccess)']);
    expect(decision.status.result).toBe('Failed');
    expect(kinds(decision)).toContain('RecordEvent:ScratchLeftBehind');
  });
});

describe('decideDrillRun: cleanup Never', () => {
  const never = (objectives = { rto: '1h', rpo: '24h' }) => aPlan({ scratch: { ...aPlan().scratch, cleanup: 'Never' }, objectives });
  const kept = ['lifeboat_scratch_1735722000abcd_0 (cleanup Never)', 'lifeboat-scratch-1735722000abcd-1 (cleanup Never)'];

  it('keeps the scratch targets of a passed drill, lists them in status, an event and the report, and still passes', () => {
    const { decision } = throughVerify(undefined, never());
    expect(created(decision)).toEqual([]);
    expect(step(decision, 'Cleanup')).toEqual({
      name: 'Cleanup',
      phase: 'Skipped',
      message: 'cleanup policy Never: kept lifeboat_scratch_1735722000abcd_0, lifeboat-scratch-1735722000abcd-1',
    });
    expect(decision.status.scratch).toEqual({ databases: ['lifeboat_scratch_1735722000abcd_0'], buckets: ['lifeboat-scratch-1735722000abcd-1'], leftBehind: kept });
    expect(decision.status).toMatchObject({ result: 'Passed', objectives: 'Met' });
    expect(decision.status.reason).toBeUndefined();
    const event = decision.actions.find((a) => a.type === 'RecordEvent' && a.event.reason === 'ScratchLeftBehind');
    expect(event?.type === 'RecordEvent' && event.event).toMatchObject({ type: 'Warning', message: `left behind: ${kept.join(', ')}` });
    const report = reportOf(decision);
    expect(report.json.scratch).toMatchObject({ cleanup: 'Never', leftBehind: kept });
    expect(report.json.advice.map((advice) => advice.reason)).toEqual(['ScratchLeftBehind']);
    expect(report.markdown).toContain('PGHOST=scratch-db PGPORT=5432 dropdb --if-exists lifeboat_scratch_1735722000abcd_0');
  });

  it('keeps them after a failed drill too, and lists them', () => {
    const { decision } = throughVerify(undefined, never({ rto: '1h', rpo: '1h' }));
    expect(created(decision)).toEqual([]);
    expect(decision.status).toMatchObject({ result: 'Failed', reason: 'RPOMissed' });
    expect(step(decision, 'Cleanup')?.phase).toBe('Skipped');
    expect(decision.status.scratch?.leftBehind).toEqual(kept);
    expect(kinds(decision)).toContain('RecordEvent:ScratchLeftBehind');
  });
});

describe('decideDrillRun: many checks', () => {
  /** A check as drill-check reports it. */
  const sqlCheck = (i: number, ok: boolean, fill = '') => ({
    name: `check-${i}${fill}`,
    type: 'Sql',
    ok,
    expected: `at least ${i} rows${fill}`,
    actual: `${ok ? i : 0} rows${fill}`,
    message: `${ok ? 'as expected' : 'too few rows'}${fill}`,
  });
  const failedVerify = (details: Record<string, unknown>, reason = 'checks failed') => ({
    ...job.failed(`${RUN}-verify-db`, { ok: false, subcommand: 'drill-check', code: 'CheckFailed', reason, details }),
    startTime: '2025-01-01T09:04:00Z',
  });

  it('counts the checks a verify Job left out of its result in checksSummary and the report, which says where they are', () => {
    const listed = [
      { name: 'customers', type: 'Sql', ok: true, expected: '>= 1', actual: '25' },
      { name: 'row-counts', type: 'RowCount', ok: true, expected: '3 tables', actual: '3 tables match' },
      { name: 'freshness', type: 'Freshness', ok: true, actual: '2025-01-01T01:59:30Z' },
    ];
    const verify = job.complete(`${RUN}-verify-db`, ok('drill-check', { passed: true, checks: listed, checksOmitted: { passed: 40, failed: 0 }, freshness: '2025-01-01T01:59:30Z' }), '2025-01-01T09:04:00Z', '2025-01-01T09:05:00Z');
    const { decision, state, jobs } = throughVerify([verify, job.complete(`${RUN}-verify-files`, bucketChecked(), '2025-01-01T09:04:00Z', '2025-01-01T09:04:30Z')]);
    // 3 listed and 40 left out by drill-check, 2 from bucket-check.
    expect(decision.status.checks).toHaveLength(5);
    expect(decision.status.checksSummary).toEqual({ passed: 45, failed: 0 });

    const [done] = next(state, at('2025-01-01T09:05:06Z'), { jobs: [...jobs, ...jobsFor('cleanup', () => ok('scratch-drop'), '2025-01-01T09:05:02Z', '2025-01-01T09:05:05Z')] });
    expect(done.status).toMatchObject({ result: 'Passed', checksSummary: { passed: 45, failed: 0 } });
    const report = reportOf(done);
    expect(report.json.checks).toMatchObject({ total: 45, passed: 45, failed: 0, notListed: [{ source: 'db', jobName: `${RUN}-verify-db`, passed: 40, failed: 0 }] });
    expect(report.json.checks.items).toHaveLength(5);
    expect(report.markdown).toContain('| Checks | 45 passed, 0 failed; 40 of them not listed here (see Checks) |');
    expect(report.markdown).toContain(`- 40 passed, 0 failed for source \`db\`: \`kubectl -n prod logs job/${RUN}-verify-db\``);
  });

  it('counts failed checks left out as failed, and says so in the reason and the report', () => {
    const details = { passed: false, checks: [sqlCheck(1, false), sqlCheck(2, false)], checksOmitted: { passed: 51, failed: 7 } };
    const { decision, state, jobs } = throughVerify([failedVerify(details), job.complete(`${RUN}-verify-files`, bucketChecked())]);
    expect(decision.status.checksSummary).toEqual({ passed: 53, failed: 9 });
    expect(decision.status).toMatchObject({ reason: 'CheckFailed' });
    expect(decision.status.message).toBe(
      `9 check(s) failed: check-1 (expected at least 1 rows, found 0 rows); check-2 (expected at least 2 rows, found 0 rows); 7 not listed for size (see the log of Job ${RUN}-verify-db)`,
    );
    const [done] = next(state, at('2025-01-01T09:05:06Z'), { jobs: [...jobs, ...jobsFor('cleanup', () => ok('scratch-drop'), '2025-01-01T09:05:02Z', '2025-01-01T09:05:05Z')] });
    expect(done.status).toMatchObject({ result: 'Failed', reason: 'CheckFailed', checksSummary: { passed: 53, failed: 9 } });
    const report = reportOf(done);
    expect(report.json.checks).toMatchObject({ total: 62, passed: 53, failed: 9 });
    const advice = report.json.advice.find((a) => a.reason === 'CheckFailed')!;
    expect(advice.text).toContain('but 9 of 62 checks failed: "check-1", "check-2" and 7 more.');
    expect(advice.text).toContain("7 of the failed checks are not listed in this report (they did not fit the verify Job's result): the verify Job's log lists each one (commands below).");
    expect(advice.commands).toEqual([`kubectl -n prod logs job/${RUN}-verify-db | grep '"check failed"'`]);
  });

  it('a verify Job that failed with none of its failed checks listed still fails the drill, counting them', () => {
    const { decision } = throughVerify([failedVerify({ passed: false, checks: [], checksOmitted: { passed: 0, failed: 3 } }), job.complete(`${RUN}-verify-files`, bucketChecked())]);
    expect(decision.status).toMatchObject({ reason: 'CheckFailed', checksSummary: { passed: 2, failed: 3 } });
    expect(decision.status.message).toBe(`3 check(s) failed: 3 not listed for size (see the log of Job ${RUN}-verify-db)`);
  });

  it('keeps 64 in status, failed first, while checksSummary and the report count and list them all', () => {
    // 100 listed checks (a result may list more than status keeps), the last 10 failed.
    const details = { passed: false, checks: Array.from({ length: 100 }, (_, i) => sqlCheck(i, i < 90)) };
    const { decision, state, jobs } = throughVerify([failedVerify(details), job.complete(`${RUN}-verify-files`, bucketChecked())]);
    expect(decision.status.checks).toHaveLength(64);
    expect(decision.status.checks!.slice(0, 10).map((c) => [c.name, c.result])).toEqual(Array.from({ length: 10 }, (_, i) => [`check-${90 + i}`, 'Failed']));
    expect(decision.status.checks!.slice(10).every((c) => c.result === 'Passed')).toBe(true);
    expect(decision.status.checksSummary).toEqual({ passed: 92, failed: 10 });
    const [done] = next(state, at('2025-01-01T09:05:06Z'), { jobs: [...jobs, ...jobsFor('cleanup', () => ok('scratch-drop'), '2025-01-01T09:05:02Z', '2025-01-01T09:05:05Z')] });
    expect(done.status.checks).toHaveLength(64);
    expect(done.status.checksSummary).toEqual({ passed: 92, failed: 10 });
    expect(reportOf(done).json.checks).toMatchObject({ total: 102, passed: 92, failed: 10, notListed: [] });
    expect(reportOf(done).json.checks.items).toHaveLength(102);
  });

  it('once its Jobs are gone, keeps the counts taken from every check, and the report counts those status left out', () => {
    const details = { passed: false, checks: Array.from({ length: 100 }, (_, i) => sqlCheck(i, i < 90)) };
    const { state, jobs } = throughVerify([failedVerify(details), job.complete(`${RUN}-verify-files`, bucketChecked())]);
    // Cleanup ran; then every Job but the cleanup ones went (deleted by hand).
    const [, cleaning] = next(state, at('2025-01-01T09:05:03Z'), { jobs: [...jobs, ...jobsFor('cleanup', () => undefined, '2025-01-01T09:05:02Z', '2025-01-01T09:05:02Z').map((j) => job.running(j.name, '2025-01-01T09:05:02Z'))] });
    const [done] = next(cleaning, at('2025-01-01T09:05:06Z'), { jobs: jobsFor('cleanup', () => ok('scratch-drop'), '2025-01-01T09:05:02Z', '2025-01-01T09:05:05Z') });
    expect(done.status).toMatchObject({ result: 'Failed', reason: 'CheckFailed', checksSummary: { passed: 92, failed: 10 } });
    expect(done.status.checks).toHaveLength(64);
    const report = reportOf(done);
    expect(report.json.checks).toMatchObject({ total: 102, passed: 92, failed: 10, notListed: [{ source: null, jobName: null, passed: 38, failed: 0 }] });
    expect(report.json.checks.items).toHaveLength(64);
  });

  it("stays far below etcd's object size limit (1.5 MiB) with the checks list full and every text at its bound", () => {
    // Every string a runner or a server hands back, far over its status bound: in plain
    // letters, and in the characters that take the most bytes (3 in UTF-8; 6 in JSON for a
    // control character), each with the bound it stays under.
    for (const [char, boundKiB] of [['x', 128], ['界', 300], ['\u0001', 512]] as const) {
      const fill = char.repeat(2000);
      const details = { passed: false, checks: Array.from({ length: 200 }, (_, i) => sqlCheck(i, i % 2 === 0, fill)), checksOmitted: { passed: 1000, failed: 1000 } };
      const { decision } = throughVerify([failedVerify(details, fill), { ...job.failed(`${RUN}-verify-files`, failure(fill, 'Internal')), startTime: '2025-01-01T09:04:00Z' }]);
      const status = decision.status;
      expect(status.checks).toHaveLength(64);
      expect(status.checksSummary).toEqual({ passed: 1100, failed: 1101 });
      // 64 checks of at most 1277 characters each are most of it.
      expect(Buffer.byteLength(JSON.stringify(status))).toBeLessThan(boundKiB * 1024);
    }
  });
});

describe('decideDrillRun: deleted while running', () => {
  it('stops the running Jobs, cleans up, then lets go', () => {
    let [, state] = next(observedDrillRun(aDrillRun()), at('2025-01-01T09:00:05Z'));
    const provisioned = jobsFor('provision', () => ok('scratch-create'), '2025-01-01T09:00:06Z', '2025-01-01T09:00:10Z');
    [, state] = next(state, at('2025-01-01T09:00:11Z'), { jobs: provisioned });
    const deleting = { ...state, run: { ...state.run, metadata: { ...state.run.metadata, deletionTimestamp: '2025-01-01T09:01:00Z' } } };
    const running = [job.running(`${RUN}-restore-db`), job.running(`${RUN}-restore-files`)];
    const [stop, stopped] = next(deleting, at('2025-01-01T09:01:00Z'), { jobs: [...provisioned, ...running] });
    expect(kinds(stop).filter((k) => k === 'DeleteJob')).toHaveLength(2);
    const [clean, cleaning] = next(stopped, at('2025-01-01T09:01:05Z'), { jobs: provisioned });
    expect(created(clean)).toEqual([`${RUN}-cleanup-db`, `${RUN}-cleanup-files`]);
    const dropped = jobsFor('cleanup', () => ok('scratch-drop'), '2025-01-01T09:01:06Z', '2025-01-01T09:01:08Z');
    const [release] = next(cleaning, at('2025-01-01T09:01:09Z'), { jobs: [...provisioned, ...dropped] });
    expect(kinds(release)).toContain('RemoveFinalizer');
    expect(release.status).toMatchObject({ result: 'Failed', reason: 'Deleted' });
  });
});

describe('decideDrillRun: a second pass with nothing changed', () => {
  it('writes nothing and asks for nothing', () => {
    const [, state] = next(observedDrillRun(aDrillRun()), at('2025-01-01T09:00:05Z'));
    const jobs = [job.running(`${RUN}-provision-db`), job.running(`${RUN}-provision-files`)];
    const [, once] = next(state, at('2025-01-01T09:00:06Z'), { jobs });
    const [again] = next(once, at('2025-01-01T09:00:07Z'), { jobs });
    expect(again.actions).toEqual([]);
    expect(again.statusChanged).toBe(false);
  });
});
