// The contract with the kubelet and the operator: how lifeboat-runner reports a task it
// cannot run, and that credentials never leak into what it prints.
import { describe, expect, it, jest } from '@jest/globals';
import { connectionTo, env, failureOf, makeBucket, runRunner, storageFor } from './runner-harness.ts';

jest.setTimeout(60_000);

const location = { namespace: 'shop', schedule: 'nightly', run: 'cli', source: 'db' };

describe('lifeboat-runner', () => {
  it('names every problem of an invalid task in one line', async () => {
    const failure = failureOf(await runRunner('postgres-backup', { storage: { bucket: 'Not_A_Bucket' }, location, format: 'directory' }));
    expect(failure.code).toBe('InvalidTask');
    expect(failure.reason).toMatch(/^invalid postgres-backup task: storage\.bucket: an S3 bucket name .*; postgres: .*; format: format "directory" cannot be streamed/);
    expect(failure.stderrLine.split('\n')).toHaveLength(1);
  });

  it('says which variables are missing when S3 credentials are absent', async () => {
    const bucket = await makeBucket();
    const failure = failureOf(
      await runRunner(
        'postgres-backup',
        { storage: { ...storageFor(bucket), credentialsEnvPrefix: 'BACKUP_S3_' }, location, postgres: connectionTo('postgres') },
      ),
    );
    expect(failure).toMatchObject({
      code: 'InvalidTask',
      reason: 'S3 credentials missing: set BACKUP_S3_ACCESS_KEY_ID and BACKUP_S3_SECRET_ACCESS_KEY in the environment',
    });
  });

  it('reads credentials from the named variables and never prints them', async () => {
    const bucket = await makeBucket();
    const { accessKeyId, secretAccessKey } = env().s3;
    const run = await runRunner(
      'verify',
      { storage: { ...storageFor(bucket), credentialsEnvPrefix: 'BACKUP_S3_' }, location },
      { env: { BACKUP_S3_ACCESS_KEY_ID: accessKeyId, BACKUP_S3_SECRET_ACCESS_KEY: secretAccessKey, AWS_SECRET_ACCESS_KEY: 'unused' } },
    );
    // It got through to S3 (the backup does not exist), so the credentials were used.
    expect(failureOf(run).code).toBe('ManifestMissing');
    expect(run.stdout + run.stderr + JSON.stringify(run.result)).not.toContain(secretAccessKey);
  });

  it('logs JSON lines with progress and writes its result as the termination message', async () => {
    const bucket = await makeBucket();
    const run = await runRunner('postgres-backup', { storage: storageFor(bucket), location, postgres: connectionTo('postgres') });
    expect(run.code).toBe(0);
    expect(run.logs.map((line) => line.msg)).toEqual(expect.arrayContaining(['task started', 'snapshot exported', 'phase done', 'backup complete', 'task succeeded']));
    expect(run.logs.find((line) => line.msg === 'phase done')).toMatchObject({ progress: { phase: 'dump', bytes: expect.any(Number), bytesPerSecond: expect.any(Number) } });
    expect(run.result).toMatchObject({ ok: true, subcommand: 'postgres-backup', summary: { key: 'backups/shop/nightly/cli/db/database.dump.zst' } });
  });
});
