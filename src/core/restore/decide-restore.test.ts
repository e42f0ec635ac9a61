// decideRestore over a frozen clock: which backup, the checks before any Job, one Job per
// target, the roll-up, and deletion while running.
import { describe, expect, it } from '@jest/globals';
import type { RestoreRequest } from '../../api/index.ts';
import { at, failure, job, MINUTE } from '../testing/builders.ts';
import { aCandidate, aRestore, bucketRestored, bucketTarget, observedRestore, pgTarget, postgresRestored, restoreConfig as config, succeededAppBackup } from '../testing/restore-builders.ts';
import { toCandidate } from './candidates.ts';
import { decideRestore } from './decide-restore.ts';
import type { ObservedRestore, RestoreDecision } from './types.ts';

const now = at('2025-01-02T10:00:30Z');
const bucketTargetOf = () => structuredClone(bucketTarget);
const kinds = (decision: RestoreDecision) => decision.actions.map((action) => (action.type === 'RecordEvent' ? `${action.type}:${action.event.reason}` : action.type));
const createdJobs = (decision: RestoreDecision) => decision.actions.flatMap((action) => (action.type === 'CreateJob' ? [action.job] : []));
const condition = (decision: RestoreDecision, type: string) => decision.status.conditions?.find((c) => c.type === type);
const envOf = (decision: RestoreDecision, index: number) => createdJobs(decision)[index]!.spec!.template.spec!.containers[0]!.env!;
const taskOf = (decision: RestoreDecision, index: number) => JSON.parse(envOf(decision, index).find((e) => e.name === 'LIFEBOAT_TASK')!.value!);

/** Decide, then feed the status and finalizers back in as the next reconcile reads them. */
function step(observed: ObservedRestore, when: Date, overrides: Partial<ObservedRestore> = {}): [RestoreDecision, ObservedRestore] {
  const input = { ...observed, ...overrides };
  const decision = decideRestore(input, when, config);
  let finalizers = input.restore.metadata.finalizers ?? [];
  for (const action of decision.actions) {
    if (action.type === 'AddFinalizer') finalizers = [...finalizers, action.finalizer];
    if (action.type === 'RemoveFinalizer') finalizers = finalizers.filter((f) => f !== action.finalizer);
  }
  const restore: RestoreRequest = { ...input.restore, metadata: { ...input.restore.metadata, finalizers }, status: structuredClone(decision.status) };
  return [decision, { ...input, restore }];
}

describe('decideRestore: which backup', () => {
  it('a BackupRun by name: adds the finalizer, records the backup once, one Job per target', () => {
    const [decision] = step(observedRestore(aRestore({ finalizers: [] })), now);
    expect(kinds(decision)).toEqual(['AddFinalizer', 'CreateJob', 'RecordEvent:JobCreated', 'CreateJob', 'RecordEvent:JobCreated', 'RecordEvent:BackupSelected']);
    expect(createdJobs(decision).map((j) => j.metadata!.name)).toEqual(['undo-db', 'undo-files']);
    expect(decision.status).toMatchObject({ phase: 'Pending', backup: { name: 'app-1', schedule: 'app', manifestKey: 'prod/prod/app/app-1/run.json', snapshotTime: '2025-01-01T02:00:10Z' } });
    expect(taskOf(decision, 0)).toMatchObject({ artifact: { namespace: 'prod', schedule: 'app', run: 'app-1', source: 'db' }, target: { database: 'app_restored' }, overwritePolicy: 'Fail', createDatabase: true });
  });

  it('the newest successful run of a schedule, and with notAfter the newest at or before it, among three', () => {
    const runs = [aCandidate('app-1', '2025-01-01T02:00:00Z'), aCandidate('app-3', '2025-01-01T04:00:00Z'), aCandidate('app-2', '2025-01-01T03:00:00Z'), aCandidate('app-4', '2025-01-01T05:00:00Z', { phase: 'Failed' })];
    const newest = decideRestore(observedRestore(aRestore({ spec: { backup: { scheduleRef: { name: 'app' } }, targets: [pgTarget] } }), { runs }), now, config);
    expect(newest.status.backup?.name).toBe('app-3');
    const before = decideRestore(observedRestore(aRestore({ spec: { backup: { scheduleRef: { name: 'app' }, notAfter: '2025-01-01T03:30:00Z' }, targets: [pgTarget] } }), { runs }), now, config);
    expect(before.status.backup?.name).toBe('app-2');
    expect(taskOf(before, 0).artifact.run).toBe('app-2');
  });

  it('keeps the backup it chose even when a newer one succeeds later', () => {
    const spec = { backup: { scheduleRef: { name: 'app' } }, targets: [pgTarget] };
    const [, next] = step(observedRestore(aRestore({ spec }), { secrets: [] }), now);
    expect(next.restore.status?.backup?.name).toBe('app-1');
    const [decision] = step(next, at('2025-01-02T10:01:00Z'), { runs: [...next.runs, aCandidate('app-9', '2025-01-02T09:00:00Z')], secrets: observedRestore(next.restore).secrets });
    expect(decision.status.backup?.name).toBe('app-1');
    expect(taskOf(decision, 0).artifact.run).toBe('app-1');
  });

  it('waits for a run that is still running, and fails for one that failed', () => {
    const running = decideRestore(observedRestore(aRestore(), { runs: [aCandidate('app-1', '2025-01-01T02:00:00Z', { phase: 'Running' })] }), now, config);
    expect(running.status.phase).toBe('Pending');
    expect(running.requeueAfterMs).toBe(15_000);
    expect(createdJobs(running)).toEqual([]);
    const failed = decideRestore(observedRestore(aRestore(), { runs: [aCandidate('app-1', '2025-01-01T02:00:00Z', { phase: 'Failed' })] }), now, config);
    expect(failed.status.phase).toBe('Failed');
    expect(condition(failed, 'Ready')?.message).toContain('only a Succeeded backup can be restored');
  });

  it('waits for a schedule without backups (catalog sync may still be reading the bucket), then fails', () => {
    const observed = observedRestore(aRestore({ spec: { backup: { scheduleRef: { name: 'other' } }, targets: [pgTarget] } }));
    expect(decideRestore(observed, now, config).status.phase).toBe('Pending');
    const late = decideRestore(observed, new Date(at('2025-01-02T10:00:00Z').getTime() + 11 * MINUTE), config);
    expect(late.status.phase).toBe('Failed');
    expect(condition(late, 'Ready')).toMatchObject({ status: 'False', reason: 'ReferenceNotFound' });
    expect(condition(late, 'Ready')?.message).toContain('no successful backup of BackupSchedule "other"');
  });
});

describe('decideRestore: a backup that failed its read-back is not restored (src/core/backup-run/usable-backup.ts)', () => {
  const corrupt = (name: string, snapshot: string) => aCandidate(name, snapshot, { verified: 'False', verificationFailure: 'ChecksumMismatch: artifact s3://backups/prod/app/db.dump: SHA-256 differs' });
  const bySchedule = (notAfter?: string) => aRestore({ spec: { backup: { scheduleRef: { name: 'app' }, ...(notAfter ? { notAfter } : {}) }, targets: [pgTarget] } });

  it('the newest of a schedule passes over a run that failed verification', () => {
    const runs = [aCandidate('app-1', '2025-01-01T02:00:00Z', { verified: 'True' }), corrupt('app-2', '2025-01-01T03:00:00Z'), aCandidate('app-3', '2025-01-01T04:00:00Z', { phase: 'Running' })];
    const decision = decideRestore(observedRestore(bySchedule(), { runs }), now, config);
    expect(decision.status.backup?.name).toBe('app-1');
    expect(taskOf(decision, 0).artifact.run).toBe('app-1');
  });

  it('the newest of a schedule still being verified is waited for, not passed over, and restored once verified', () => {
    const runs = (verified: 'Unknown' | 'True') => [aCandidate('app-1', '2025-01-01T02:00:00Z', { verified: 'True' }), aCandidate('app-2', '2025-01-01T03:00:00Z', { verified })];
    const waiting = decideRestore(observedRestore(bySchedule(), { runs: runs('Unknown') }), now, config);
    expect(waiting.status.phase).toBe('Pending');
    expect(waiting.status.backup).toBeUndefined();
    expect(createdJobs(waiting)).toEqual([]);
    expect(condition(waiting, 'Ready')?.message).toBe(
      'the newest backup of BackupSchedule "app", BackupRun "app-2", is Succeeded and its artifacts are being read back (Verified Unknown); the restore starts when they have been verified, or name an older run with backupRunRef to restore now',
    );
    expect(decideRestore(observedRestore(bySchedule(), { runs: runs('True') }), now, config).status.backup?.name).toBe('app-2');
  });

  it('notAfter too: the newest usable run at or before it, not the corrupt one just before it', () => {
    const runs = [aCandidate('app-1', '2025-01-01T02:00:00Z'), corrupt('app-2', '2025-01-01T03:00:00Z'), aCandidate('app-3', '2025-01-01T04:00:00Z')];
    const decision = decideRestore(observedRestore(bySchedule('2025-01-01T03:30:00Z'), { runs }), now, config);
    expect(decision.status.backup?.name).toBe('app-1');
  });

  it('with only unusable runs, it waits and says what each is', () => {
    const runs = [corrupt('app-2', '2025-01-01T03:00:00Z'), aCandidate('app-3', '2025-01-01T04:00:00Z', { phase: 'Failed' })];
    const decision = decideRestore(observedRestore(bySchedule(), { runs }), now, config);
    expect(decision.status.phase).toBe('Pending');
    expect(condition(decision, 'Ready')?.message).toBe('no successful backup of BackupSchedule "app": its 2 run(s) are not usable (1 not Succeeded, 1 failed verification)');
    // Usable runs newer than notAfter keep the old wording.
    const tooEarly = decideRestore(observedRestore(bySchedule('2025-01-01T01:00:00Z'), { runs: [aCandidate('app-1', '2025-01-01T02:00:00Z')] }), now, config);
    expect(condition(tooEarly, 'Ready')?.message).toBe('no successful backup of BackupSchedule "app" with a snapshot at or before 2025-01-01T01:00:00Z (spec.backup.notAfter): its 1 run(s) are not Succeeded or are newer');
    // A run being verified newer than notAfter is not waited for: it is not the one the bound picks.
    const newer = [...runs, aCandidate('app-4', '2025-01-01T05:00:00Z', { verified: 'Unknown' })];
    const bounded = decideRestore(observedRestore(bySchedule('2025-01-01T04:30:00Z'), { runs: newer }), now, config);
    expect(condition(bounded, 'Ready')?.message).toBe(
      'no successful backup of BackupSchedule "app" with a snapshot at or before 2025-01-01T04:30:00Z (spec.backup.notAfter): its 3 run(s) are not usable (1 not Succeeded, 1 still being verified, 1 failed verification) or are newer',
    );
  });

  it('by name, a run that failed verification is refused at once, saying why and what to do', () => {
    const decision = decideRestore(observedRestore(aRestore(), { runs: [corrupt('app-1', '2025-01-01T02:00:00Z')] }), now, config);
    expect(createdJobs(decision)).toEqual([]);
    expect(decision.status.phase).toBe('Failed');
    expect(condition(decision, 'Ready')?.message).toBe(
      'BackupRun "app-1" is Succeeded but failed verification (ChecksumMismatch: artifact s3://backups/prod/app/db.dump: SHA-256 differs): its artifacts do not read back as its manifest says, so it cannot be restored; pick another run, or restore the schedule\'s newest usable backup with scheduleRef',
    );
  });

  it('by name, a run still being verified is waited for, then restored once verified', () => {
    const waiting = decideRestore(observedRestore(aRestore(), { runs: [aCandidate('app-1', '2025-01-01T02:00:00Z', { verified: 'Unknown' })] }), now, config);
    expect(waiting.status.phase).toBe('Pending');
    expect(createdJobs(waiting)).toEqual([]);
    expect(condition(waiting, 'Ready')?.message).toContain('its artifacts are being read back');
    const verified = decideRestore(observedRestore(aRestore(), { runs: [aCandidate('app-1', '2025-01-01T02:00:00Z', { verified: 'True' })] }), now, config);
    expect(verified.status.backup?.name).toBe('app-1');
    expect(createdJobs(verified)).toHaveLength(2);
  });

  it('toCandidate reads the Verified condition and why it failed', () => {
    const run = succeededAppBackup();
    run.status!.conditions = [{ type: 'Verified', status: 'False', reason: 'ChecksumMismatch', message: 'size differs', lastTransitionTime: '2025-01-01T02:05:00Z' }];
    expect(toCandidate(run)).toMatchObject({ phase: 'Succeeded', verified: 'False', verificationFailure: 'ChecksumMismatch: size differs' });
    expect(toCandidate(succeededAppBackup())).toMatchObject({ verified: undefined, verificationFailure: undefined });
  });
});

describe('decideRestore: refused before any Job, saying what to change', () => {
  const refused = (observed: ObservedRestore) => {
    const decision = decideRestore(observed, now, config);
    expect(createdJobs(decision)).toEqual([]);
    expect(decision.status.phase).toBe('Failed');
    expect(condition(decision, 'Complete')).toMatchObject({ status: 'True', reason: 'Failed' });
    return condition(decision, 'Ready')!;
  };

  it('a source that is not in the backup', () => {
    const ready = refused(observedRestore(aRestore({ spec: { backup: { backupRunRef: { name: 'app-1' } }, targets: [{ ...pgTarget, source: 'dbx' }] } })));
    expect(ready).toMatchObject({ reason: 'InvalidSpec' });
    expect(ready.message).toBe('spec.targets[0].source: BackupRun app-1 has no source "dbx"; its sources are: db, files');
  });

  it('a target whose type does not match its source', () => {
    const ready = refused(observedRestore(aRestore({ spec: { backup: { backupRunRef: { name: 'app-1' } }, targets: [{ source: 'files', postgres: pgTarget.postgres }] } })));
    expect(ready.message).toBe('spec.targets[0]: source "files" is a bucket backup; restore it with bucket, not postgres');
  });

  it('an encrypted backup without an identity', () => {
    const encrypted = aCandidate('app-1', '2025-01-01T02:00:00Z', { artifacts: [{ source: 'db', type: 'Postgres', phase: 'Succeeded', encrypted: true }] });
    const ready = refused(observedRestore(aRestore({ spec: { backup: { backupRunRef: { name: 'app-1' } }, targets: [pgTarget] } }), { runs: [encrypted] }));
    expect(ready.message).toContain('set spec.decryption.identitySecret');
  });

  it('a missing Secret waits for the grace period, then fails; no Job meanwhile', () => {
    const observed = observedRestore(aRestore(), { secrets: [{ name: 's3', keys: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] }, { name: 'pg', keys: ['username', 'password'] }] });
    const waiting = decideRestore(observed, now, config);
    expect(waiting.status.phase).toBe('Pending');
    expect(createdJobs(waiting)).toEqual([]);
    expect(condition(waiting, 'Ready')?.message).toBe('Secret "uploads-s3" (spec.targets[1].bucket.credentialsSecret) does not exist; create it with the key(s) AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY');
    const late = decideRestore(observed, at('2025-01-02T10:10:01Z'), config);
    expect(late.status.phase).toBe('Failed');
    expect(kinds(late)).toContain('RecordEvent:RestoreFailed');
  });
});

describe('decideRestore: spec warnings', () => {
  it('a prefixRemap onto itself is a SpecWarning event on the first pass, and the restore goes on', () => {
    const target = { ...bucketTargetOf(), bucket: { ...bucketTargetOf().bucket, prefixRemap: { from: 'x/', to: 'x/' } } };
    const [first, next] = step(observedRestore(aRestore({ spec: { backup: { backupRunRef: { name: 'app-1' } }, targets: [target] } })), now);
    expect(kinds(first)).toContain('RecordEvent:SpecWarning');
    expect(createdJobs(first)).toHaveLength(1);
    const [second] = step(next, at('2025-01-02T10:00:40Z'));
    expect(kinds(second)).not.toContain('RecordEvent:SpecWarning');
  });
});

describe('decideRestore: decryption', () => {
  const encrypted = aCandidate('app-1', '2025-01-01T02:00:00Z', {
    storage: { bucket: 'backups', prefix: 'prod', endpoint: 'http://minio:9000', region: 'us-east-1', forcePathStyle: true, credentialsSecret: { name: 's3', accessKeyIdKey: 'AWS_ACCESS_KEY_ID', secretAccessKeyKey: 'AWS_SECRET_ACCESS_KEY' }, encryption: { recipientsSecret: { name: 'age', key: 'recipients' }, identitySecret: { name: 'schedule-age', key: 'identity' } } },
    artifacts: [{ source: 'db', type: 'Postgres', phase: 'Succeeded', encrypted: true }],
  });
  const secrets = [...observedRestore(aRestore()).secrets, { name: 'restore-age', keys: ['identity'] }, { name: 'schedule-age', keys: ['identity'] }];

  it("the restore's own identity wins over the schedule's, and reaches the runner only as a secretKeyRef", () => {
    const spec = { backup: { backupRunRef: { name: 'app-1' } }, decryption: { identitySecret: { name: 'restore-age' } }, targets: [pgTarget] };
    const decision = decideRestore(observedRestore(aRestore({ spec }), { runs: [encrypted], secrets }), now, config);
    expect(envOf(decision, 0)).toContainEqual({ name: 'LIFEBOAT_AGE_IDENTITY', valueFrom: { secretKeyRef: { name: 'restore-age', key: 'identity' } } });
    expect(taskOf(decision, 0).decryption).toEqual({ identityEnv: 'LIFEBOAT_AGE_IDENTITY' });
  });

  it("without one, the schedule's identitySecret is used", () => {
    const decision = decideRestore(observedRestore(aRestore({ spec: { backup: { backupRunRef: { name: 'app-1' } }, targets: [pgTarget] } }), { runs: [encrypted], secrets }), now, config);
    expect(envOf(decision, 0)).toContainEqual({ name: 'LIFEBOAT_AGE_IDENTITY', valueFrom: { secretKeyRef: { name: 'schedule-age', key: 'identity' } } });
  });
});

describe('decideRestore: the targets and the roll-up', () => {
  const started = () => step(observedRestore(aRestore()), now)[1];

  it('running, then succeeded with sizes, counts and durations; the finalizer goes once finished', () => {
    const [running] = step(started(), at('2025-01-02T10:01:00Z'), { jobs: [job.running('undo-db', '2025-01-02T10:00:40Z'), job.running('undo-files', '2025-01-02T10:00:41Z')] });
    expect(running.status).toMatchObject({ phase: 'Running', startTime: '2025-01-02T10:00:40Z' });
    const done = [job.complete('undo-db', postgresRestored(), '2025-01-02T10:00:40Z', '2025-01-02T10:02:00Z'), job.complete('undo-files', bucketRestored(), '2025-01-02T10:00:41Z', '2025-01-02T10:01:10Z')];
    const [succeeded, after] = step(started(), at('2025-01-02T10:02:05Z'), { jobs: done });
    expect(succeeded.status).toMatchObject({ phase: 'Succeeded', completionTime: '2025-01-02T10:02:00Z', duration: '1m20s', durationSeconds: 80 });
    expect(succeeded.status.targets).toEqual([
      expect.objectContaining({ source: 'db', phase: 'Succeeded', sizeBytes: 2048, createdTarget: true, destination: 'db-restore.prod.svc:5432/app_restored', durationSeconds: 80 }),
      expect.objectContaining({ source: 'files', phase: 'Succeeded', objectsWritten: 17, objectsSkipped: 0, sizeBytes: 4096 }),
    ]);
    expect(kinds(succeeded)).toEqual(['RecordEvent:TargetRestored', 'RecordEvent:TargetRestored', 'RecordEvent:RestoreSucceeded']);
    const [final] = step(after, at('2025-01-02T10:03:00Z'));
    expect(kinds(final)).toEqual(['RemoveFinalizer']);
    expect(final.statusChanged).toBe(false);
  });

  it('one target failed: PartiallyFailed with the runner\'s reason', () => {
    const jobs = [job.failed('undo-db', failure('artifact checksum mismatch: expected aaa, got bbb', 'ChecksumMismatch'), 'PodFailurePolicy'), job.complete('undo-files', bucketRestored())];
    const [decision] = step(started(), at('2025-01-02T10:05:00Z'), { jobs });
    expect(decision.status.phase).toBe('PartiallyFailed');
    expect(decision.status.targets?.[0]).toMatchObject({
      phase: 'Failed',
      message: 'artifact checksum mismatch: expected aaa, got bbb; this backup cannot be restored: create a new RestoreRequest that selects another BackupRun',
    });
    expect(kinds(decision)).toContain('RecordEvent:RestorePartiallyFailed');
  });

  it('a Job that vanished while running fails its target and is not created again', () => {
    const [, running] = step(started(), at('2025-01-02T10:01:00Z'), { jobs: [job.running('undo-db'), job.running('undo-files')] });
    const [decision] = step(running, at('2025-01-02T10:02:00Z'), { jobs: [job.running('undo-files')] });
    expect(createdJobs(decision)).toEqual([]);
    expect(decision.status.targets?.[0]?.message).toContain('it is not started again, to avoid a second restore');
  });

  it('a second pass with nothing changed writes nothing and asks for nothing', () => {
    const jobs = [job.running('undo-db'), job.running('undo-files')];
    const [, once] = step(started(), at('2025-01-02T10:01:00Z'), { jobs });
    const [again] = step(once, at('2025-01-02T10:01:30Z'), { jobs });
    expect(again.actions).toEqual([]);
    expect(again.statusChanged).toBe(false);
  });
});

describe('decideRestore: deleted while running', () => {
  it('stops the running Jobs, says what each target was left as, and lets go once they are gone', () => {
    const running = step(observedRestore(aRestore()), now)[1];
    const deleting = { ...running, restore: { ...running.restore, metadata: { ...running.restore.metadata, deletionTimestamp: '2025-01-02T10:01:00Z' } } };
    const [stop] = step(deleting, at('2025-01-02T10:01:00Z'), { jobs: [job.running('undo-db'), job.complete('undo-files', bucketRestored())] });
    expect(kinds(stop)).toEqual(['DeleteJob', 'RecordEvent:RestoreStopped']);
    const stopped = stop.actions.find((a) => a.type === 'RecordEvent');
    expect(stopped?.type === 'RecordEvent' && stopped.event.message).toContain(
      'database db-restore.prod.svc:5432/app_restored is left as it was before the restore: a restore with parallelJobs 1 runs in one transaction, which rolls back, and a database the restore created is dropped as the runner stops',
    );
    const [release] = step(deleting, at('2025-01-02T10:01:10Z'), { jobs: [job.complete('undo-files', bucketRestored())] });
    expect(kinds(release)).toEqual(['RecordEvent:FinalizerReleased', 'RemoveFinalizer']);
  });
});

describe('decideRestore: what a stopped Job leaves behind', () => {
  const stoppedMessages = (targets: object[]) => {
    const restore = aRestore({ spec: { backup: { backupRunRef: { name: 'app-1' } }, targets } });
    const running = step(observedRestore(restore), now)[1];
    const deleting = { ...running, restore: { ...running.restore, metadata: { ...running.restore.metadata, deletionTimestamp: '2025-01-02T10:01:00Z' } } };
    const names = restore.spec.targets.map((target) => `undo-${target.source}`);
    const [stop] = step(deleting, at('2025-01-02T10:01:00Z'), { jobs: names.map((name) => job.running(name)) });
    return stop.actions.flatMap((action) => (action.type === 'RecordEvent' && action.event.reason === 'RestoreStopped' ? [action.event.message] : []));
  };

  it('a one-transaction restore: rolled back, a created database dropped by the runner', () => {
    const [message] = stoppedMessages([pgTarget]);
    expect(message).toContain('was deleted while Job undo-db was restoring source db; it was stopped: database db-restore.prod.svc:5432/app_restored is left as it was before the restore');
    expect(message).not.toContain('partly restored');
  });

  it('a parallel restore: what pg_restore committed stays', () => {
    const [message] = stoppedMessages([{ ...pgTarget, postgres: { ...pgTarget.postgres, parallelJobs: 4 } }]);
    expect(message).toContain('database db-restore.prod.svc:5432/app_restored may be partly restored: with parallelJobs 4 pg_restore commits as it goes, so what it restored stays');
    expect(message).toContain('a database the restore created is dropped as the runner stops');
  });

  it('a bucket: the objects written so far stay', () => {
    const [message] = stoppedMessages([bucketTarget]);
    expect(message).toContain('bucket s3://uploads-restored/ at http://minio:9000 keeps the objects written before the stop');
  });
});
