// decideBackupRun over a frozen clock: the phase table, Secrets and spec checks, manual runs,
// vanished Jobs, verification and deletion.
import { describe, expect, it } from '@jest/globals';
import type { BackupRun } from '../../api/index.ts';
import {
  aBackupRun,
  allSecrets,
  at,
  bucketSource,
  config,
  failure,
  imported,
  job,
  observedRun,
  postgresResult,
  postgresSource,
  storage,
} from '../testing/builders.ts';
import { decideBackupRun } from './decide-backup-run.ts';
import type { BackupRunDecision, ObservedBackupRun, ObservedJob } from './types.ts';

const RUN = 'app-1735696800';
const now = at('2025-01-01T02:05:00Z');
const twoSources = { scheduleRef: { name: 'app' }, sources: [postgresSource, bucketSource], storage };

const bucketResult = (overrides: Record<string, unknown> = {}) => ({
  ok: true as const,
  subcommand: 'bucket-backup',
  summary: { key: `prod/prod/app/${RUN}/files/objects.tar.gz`, sizeBytes: 4096, sha256: 'b'.repeat(64), encrypted: false, objects: 17, snapshotTime: '2025-01-01T02:00:08Z', ...overrides },
});

const kinds = (decision: BackupRunDecision) => decision.actions.map((action) => (action.type === 'RecordEvent' ? `${action.type}:${action.event.reason}` : action.type));
const createdJobs = (decision: BackupRunDecision) => decision.actions.flatMap((action) => (action.type === 'CreateJob' ? [action.job.metadata!.name] : []));
const events = (decision: BackupRunDecision) => decision.actions.flatMap((action) => (action.type === 'RecordEvent' ? [action.event.reason] : []));
const condition = (decision: BackupRunDecision, type: string) => decision.status.conditions?.find((c) => c.type === type);

/** Decide, then feed the status and finalizers back in as the next reconcile reads them. */
function step(observed: ObservedBackupRun, at: Date, jobs: ObservedJob[] = observed.jobs): [BackupRunDecision, ObservedBackupRun] {
  const input = { ...observed, jobs };
  const decision = decideBackupRun(input, at, config);
  let finalizers = input.run.metadata.finalizers ?? [];
  for (const action of decision.actions) {
    if (action.type === 'AddFinalizer') finalizers = [...finalizers, action.finalizer];
    if (action.type === 'RemoveFinalizer') finalizers = finalizers.filter((finalizer) => finalizer !== action.finalizer);
  }
  const run: BackupRun = { ...input.run, metadata: { ...input.run.metadata, finalizers }, status: structuredClone(decision.status) };
  return [decision, { ...input, run }];
}

describe('decideBackupRun: the phase table', () => {
  const start = observedRun(aBackupRun({ spec: twoSources, finalizers: [] }));

  it('first reconcile: adds the finalizer, then one Job per source; Pending', () => {
    const [decision] = step(start, now);
    expect(kinds(decision)).toEqual(['AddFinalizer', 'CreateJob', 'RecordEvent:JobCreated', 'CreateJob', 'RecordEvent:JobCreated']);
    expect(createdJobs(decision)).toEqual([`${RUN}-db`, `${RUN}-files`]);
    expect(decision.status).toMatchObject({
      observedGeneration: 1,
      phase: 'Pending',
      artifacts: [
        { source: 'db', type: 'Postgres', phase: 'Pending', jobName: `${RUN}-db` },
        { source: 'files', type: 'Bucket', phase: 'Pending', jobName: `${RUN}-files` },
      ],
      progress: { sourcesDone: 0, sourcesTotal: 2 },
    });
    expect(condition(decision, 'Ready')).toMatchObject({ status: 'False', reason: 'Pending', message: 'waiting for 2 Job(s) to start' });
    expect(condition(decision, 'Reconciling')).toMatchObject({ status: 'True', reason: 'Pending', message: 'waiting for 2 Job(s) to start' });
    expect(condition(decision, 'Complete')).toMatchObject({ status: 'False', reason: 'Pending' });
  });

  it('first reconcile of a run created with its finalizer (as a schedule creates them): straight to its Jobs', () => {
    const [decision] = step(observedRun(aBackupRun({ spec: twoSources, finalizers: ['lifeboat.dev/artifacts'] })), now);
    expect(kinds(decision)).toEqual(['CreateJob', 'RecordEvent:JobCreated', 'CreateJob', 'RecordEvent:JobCreated']);
  });

  it('a Job still running: Running, no new Job', () => {
    const [, pending] = step(start, now);
    const [decision] = step(pending, now, [job.running(`${RUN}-db`), job.pending(`${RUN}-files`)]);
    expect(createdJobs(decision)).toEqual([]);
    expect(decision.status).toMatchObject({ phase: 'Running', startTime: '2025-01-01T02:00:05Z', progress: { sourcesDone: 0, sourcesTotal: 2 } });
  });

  it('all sources succeed: records the artifacts, then writes the run manifest before calling it a success', () => {
    const [, pending] = step(start, now);
    const [decision] = step(pending, now, [job.complete(`${RUN}-db`, postgresResult()), job.complete(`${RUN}-files`, bucketResult())]);
    expect(createdJobs(decision)).toEqual([`${RUN}--finalize`]);
    expect(events(decision)).toEqual(['JobCreated', 'SourceSucceeded', 'SourceSucceeded']);
    expect(decision.status).toMatchObject({
      phase: 'Running',
      snapshotTime: '2025-01-01T02:00:08Z',
      sizeBytes: 6144,
      size: '6 KiB',
      artifacts: [
        { source: 'db', phase: 'Succeeded', key: `prod/prod/app/${RUN}/db/database.dump.gz`, sizeBytes: 2048, size: '2 KiB', sha256: 'a'.repeat(64), encrypted: false, tableCount: 3, rowCount: 42 },
        { source: 'files', phase: 'Succeeded', objectCount: 17, sizeBytes: 4096 },
      ],
    });
    expect(condition(decision, 'Complete')?.message).toBe('2 of 2 source(s) done; writing the run manifest');
  });

  it('the run manifest written: Succeeded with duration and manifest key, then verification starts', () => {
    const [, pending] = step(start, now);
    const sourcesDone = [job.complete(`${RUN}-db`, postgresResult()), job.complete(`${RUN}-files`, bucketResult())];
    const [, finalizing] = step(pending, now, sourcesDone);
    const finalize = job.complete(`${RUN}--finalize`, { ok: true, subcommand: 'finalize-run', summary: { manifestKey: `prod/prod/app/${RUN}/manifest.json` } }, '2025-01-01T02:01:40Z', '2025-01-01T02:01:50Z');
    const [decision, succeeded] = step(finalizing, now, [...sourcesDone, finalize]);
    expect(decision.status).toMatchObject({
      phase: 'Succeeded',
      manifestKey: `prod/prod/app/${RUN}/manifest.json`,
      startTime: '2025-01-01T02:00:05Z',
      completionTime: '2025-01-01T02:01:50Z',
      duration: '1m45s',
      durationSeconds: 105,
    });
    expect(decision.status.progress).toBeUndefined();
    expect(condition(decision, 'Complete')).toMatchObject({ status: 'True', reason: 'Succeeded', message: 'backed up 2 source(s), 6 KiB' });
    expect(condition(decision, 'Verified')).toMatchObject({ status: 'Unknown', reason: 'Verifying' });
    expect(events(decision)).toEqual(['JobCreated', 'BackupSucceeded']);
    expect(createdJobs(decision)).toEqual([`${RUN}--verify`]);

    const verify = job.complete(`${RUN}--verify`, { ok: true, subcommand: 'verify', summary: {} });
    const [verified] = step(succeeded, now, [...sourcesDone, finalize, verify]);
    expect(condition(verified, 'Verified')).toMatchObject({ status: 'True', reason: 'ChecksumsMatch' });
    expect(events(verified)).toEqual(['BackupVerified']);
  });

  it('one source fails: PartiallyFailed with the runner\'s reason, never a success, no run manifest', () => {
    const [, pending] = step(start, now);
    const reason = 'password authentication failed for user "app" on db.prod.svc:5432/app';
    const [decision] = step(pending, now, [job.failed(`${RUN}-db`, failure(reason)), job.complete(`${RUN}-files`, bucketResult())]);
    expect(decision.status.phase).toBe('PartiallyFailed');
    expect(decision.status.artifacts?.[0]).toMatchObject({ source: 'db', phase: 'Failed', message: reason });
    expect(condition(decision, 'Complete')).toMatchObject({
      status: 'True',
      reason: 'PartiallyFailed',
      message: `source db failed: ${reason}; 1 of 2 source(s) succeeded, but the run is not a complete backup`,
    });
    expect(createdJobs(decision)).toEqual([]);
    expect(events(decision)).toEqual(['SourceFailed', 'SourceSucceeded', 'BackupPartiallyFailed']);
  });

  it('every source fails: Failed', () => {
    const [, pending] = step(start, now);
    const [decision] = step(pending, now, [job.failed(`${RUN}-db`, failure('connection refused')), job.failed(`${RUN}-files`, failure('bucket "uploads" does not exist', 'BucketMissing'))]);
    expect(decision.status.phase).toBe('Failed');
    expect(condition(decision, 'Complete')?.message).toBe('source db failed: connection refused; source files failed: bucket "uploads" does not exist');
    expect(events(decision)).toContain('BackupFailed');
  });

  it('a Job stopped by its deadline says which limit to raise', () => {
    const [, pending] = step(start, now);
    const [decision] = step(pending, now, [job.failed(`${RUN}-db`, undefined, 'DeadlineExceeded'), job.running(`${RUN}-files`)]);
    expect(decision.status.artifacts?.[0]?.message).toBe('the Job ran longer than its activeDeadlineSeconds and was stopped; raise jobTemplate.activeDeadlineSeconds if the backup needs longer');
    expect(decision.status.phase).toBe('Running');
  });

  it('writing the run manifest fails: Failed, though every source succeeded', () => {
    const [, pending] = step(start, now);
    const sourcesDone = [job.complete(`${RUN}-db`, postgresResult()), job.complete(`${RUN}-files`, bucketResult())];
    const [, finalizing] = step(pending, now, sourcesDone);
    const [decision] = step(finalizing, now, [...sourcesDone, job.failed(`${RUN}--finalize`, failure('source files has no manifest: the run is incomplete', 'ManifestMissing'))]);
    expect(decision.status.phase).toBe('Failed');
    expect(condition(decision, 'Complete')?.message).toBe('every source succeeded, but writing the run manifest failed: source files has no manifest: the run is incomplete');
  });

  it('asks for no status write when nothing changed', () => {
    const [, pending] = step(start, now);
    const jobs = [job.running(`${RUN}-db`), job.running(`${RUN}-files`)];
    const [, running] = step(pending, now, jobs);
    const [again] = step(running, at('2025-01-01T02:30:00Z'), jobs);
    expect(again.statusChanged).toBe(false);
    expect(again.actions).toEqual([]);
  });
});

describe('decideBackupRun: what the user must fix', () => {
  it('a missing Secret: no Job, Pending, Ready=False saying what to create, an event, a recheck', () => {
    const observed = observedRun(aBackupRun(), { secrets: allSecrets.filter((secret) => secret.name !== 'pg') });
    const decision = decideBackupRun(observed, now, config);
    expect(createdJobs(decision)).toEqual([]);
    expect(decision.status.phase).toBe('Pending');
    expect(condition(decision, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ReferenceNotFound',
      message: 'Secret "pg" (spec.sources[0].postgres.connectionSecret) does not exist; create it with the key(s) username, password',
    });
    expect(events(decision)).toEqual(['SecretMissing']);
    expect(decision.requeueAfterMs).toBe(15_000);
  });

  it('a missing key in a Secret names the key and the field to change', () => {
    const secrets = allSecrets.map((secret) => (secret.name === 'pg' ? { name: 'pg', keys: ['username', 'pass'] } : secret));
    const decision = decideBackupRun(observedRun(aBackupRun(), { secrets }), now, config);
    expect(condition(decision, 'Ready')?.message).toBe(
      'Secret "pg" has no key "password" (spec.sources[0].postgres.connectionSecret.passwordKey); add it, or set passwordKey to the key that holds it',
    );
  });

  it('a Secret still missing after the grace period fails the run, so a Forbid schedule is not blocked forever', () => {
    const observed = observedRun(aBackupRun({ created: '2025-01-01T02:00:00Z' }), { secrets: [] });
    const decision = decideBackupRun(observed, at('2025-01-01T02:10:00Z'), config);
    expect(decision.status.phase).toBe('Failed');
    expect(condition(decision, 'Complete')).toMatchObject({ status: 'True', reason: 'Failed' });
    expect(decision.requeueAfterMs).toBeUndefined();
  });

  it('an invalid spec fails at once with a message naming the field, and starts nothing', () => {
    const sources = [{ name: 'self', bucket: { bucket: 'backups', endpoint: 'http://minio:9000' } }];
    const decision = decideBackupRun(observedRun(aBackupRun({ spec: { sources, storage } })), now, config);
    expect(createdJobs(decision)).toEqual([]);
    expect(decision.status.phase).toBe('Failed');
    expect(condition(decision, 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    expect(condition(decision, 'Ready')?.message).toMatch(/^spec\.sources\[0\]\.bucket: bucket "backups" is also the backup storage/);
    expect(events(decision)).toEqual(['InvalidSpec', 'BackupFailed']);
  });
});

describe('decideBackupRun: back up now (a run with only scheduleRef)', () => {
  const manual = aBackupRun({ name: 'adhoc', spec: { scheduleRef: { name: 'app' } }, ownedBySchedule: false });

  it('copies the schedule\'s sources and storage into status (never spec) and starts the Jobs', () => {
    const decision = decideBackupRun(observedRun(manual), now, config);
    expect(decision.status.resolved).toMatchObject({ schedule: 'app', sources: [{ name: 'db' }], storage: { bucket: 'backups' } });
    expect(createdJobs(decision)).toEqual(['adhoc-db']);
    expect(events(decision)).toContain('SourcesResolved');
    expect(decision.actions.every((action) => !('spec' in action))).toBe(true);
  });

  it('keeps what it resolved even when the schedule changes later', () => {
    const [, resolved] = step(observedRun(manual), now);
    const changed = { ...resolved, schedule: { ...resolved.schedule!, spec: { ...resolved.schedule!.spec, sources: [bucketSource as never] } } };
    const decision = decideBackupRun(changed, now, config);
    expect(decision.status.resolved?.sources?.map((source) => source.name)).toEqual(['db']);
  });

  it('waits for a schedule that does not exist, saying which', () => {
    const decision = decideBackupRun(observedRun(manual, { schedule: undefined }), now, config);
    expect(decision.status.phase).toBe('Pending');
    expect(condition(decision, 'Ready')?.message).toBe('BackupSchedule "app" (spec.scheduleRef) does not exist; create it or fix scheduleRef');
    expect(events(decision)).toEqual(['ScheduleNotFound']);
  });
});

describe('decideBackupRun: Jobs that go away', () => {
  it('a Job that vanished while running is not started again (that would back up twice): the source failed', () => {
    const [, pending] = step(observedRun(aBackupRun()), now);
    const [, running] = step(pending, now, [job.running(`${RUN}-db`)]);
    const [decision] = step(running, now, []);
    expect(createdJobs(decision)).toEqual([]);
    expect(decision.status.artifacts?.[0]).toMatchObject({ phase: 'Failed', message: expect.stringContaining(`Job ${RUN}-db disappeared`) });
    expect(decision.status.phase).toBe('Failed');
  });

  it('a finished run whose Jobs were deleted by ttlSecondsAfterFinished stays as it was', () => {
    const [, pending] = step(observedRun(aBackupRun()), now);
    const [, failed] = step(pending, now, [job.failed(`${RUN}-db`, failure('connection refused'))]);
    const [decision] = step(failed, at('2025-01-02T00:00:00Z'), []);
    expect(decision.actions).toEqual([]);
    expect(decision.statusChanged).toBe(false);
  });

  it('a run recreated by catalog sync never starts Jobs, even before its status is written', () => {
    const decision = decideBackupRun(observedRun(aBackupRun({ annotations: imported('prod/prod/app/x/manifest.json') })), now, config);
    expect(createdJobs(decision)).toEqual([]);
  });
});

describe('decideBackupRun: the finalizer and deletion', () => {
  const deleting = (fixture: Parameters<typeof aBackupRun>[0] = {}, overrides: Partial<ObservedBackupRun> = {}) =>
    decideBackupRun(observedRun(aBackupRun({ deleting: '2025-01-02T00:00:00Z', ...fixture }), overrides), now, config);

  it('deletionPolicy Retain needs no finalizer', () => {
    const decision = decideBackupRun(observedRun(aBackupRun({ spec: { ...twoSources, deletionPolicy: 'Retain' } })), now, config);
    expect(decision.actions[0]).toEqual({ type: 'RemoveFinalizer', finalizer: 'lifeboat.dev/artifacts' });
  });

  it('Delete: removes the run\'s folder from storage, then lets the run go', () => {
    const decision = deleting();
    expect(decision.actions).toEqual([
      { type: 'DeleteArtifacts', storage: expect.objectContaining({ bucket: 'backups' }), location: { namespace: 'prod', schedule: 'app', run: RUN }, prefix: `prod/prod/app/${RUN}/` },
      { type: 'RecordEvent', event: { type: 'Normal', reason: 'ArtifactsDeleted', message: `deleted the artifacts under s3://backups/prod/prod/app/${RUN}/` } },
      { type: 'RemoveFinalizer', finalizer: 'lifeboat.dev/artifacts' },
    ]);
  });

  it('stops running Jobs first, so nothing is written after the delete', () => {
    const decision = deleting({}, { jobs: [job.running(`${RUN}-db`), { ...job.running(`${RUN}-files`), deleting: true }] });
    expect(decision.actions).toEqual([{ type: 'DeleteJob', name: `${RUN}-db` }]);
    expect(decision.requeueAfterMs).toBe(5_000);
  });

  it('keeps the artifacts when the schedule that owns the run is deleted (they come back with catalog sync)', () => {
    for (const schedule of [undefined, { name: 'app', uid: 'uid-app', spec: observedRun(aBackupRun()).schedule!.spec, deleting: true }]) {
      expect(kinds(deleting({}, { schedule }))).toEqual(['RecordEvent:ArtifactsRetained', 'RemoveFinalizer']);
    }
  });

  it('Retain: lets the run go and keeps the artifacts', () => {
    expect(kinds(deleting({ spec: { ...twoSources, deletionPolicy: 'Retain' } }))).toEqual(['RecordEvent:ArtifactsRetained', 'RemoveFinalizer']);
  });

  it('does nothing once the finalizer is gone', () => {
    expect(deleting({ finalizers: [] }).actions).toEqual([]);
  });
});
