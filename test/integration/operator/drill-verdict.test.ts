// A drill recovers as a team would in an incident: from the newest backup that is good. Two
// backups; the newer one's database artifact gets a flipped byte and its own read-back (the
// operator's verify Job) fails it, which leaves a failed verdict next to its run manifest. A
// drill, which reads only the bucket, passes over it, restores the older one, passes, and names
// the run it skipped, and why, in its status and its report.
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { RunVerification } from '../../../src/contract/manifests.ts';
import type { DrillReportJson } from '../../../src/core/drill-run/report.ts';
import { stepJobName } from '../../../src/core/index.ts';
import { JOBS } from '../../../src/kube/resource-type.ts';
import { adminClient, flipStoredByte } from '../runner/bucket-support.ts';
import { createDrill, createDrillRun, drillPlan, finalDrillRun, type DrillRunObject } from './drill-support.ts';
import { BACKUP_RUNS, Scene, waitFor, type RunObject } from './support.ts';

jest.setTimeout(480_000);

type Skipped = { run: string; manifestKey?: string; snapshotTime?: string; reason?: string };

async function readText(s3: S3Client, bucket: string, key: string): Promise<string> {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return response.Body!.transformToString('utf8');
}

describe('a drill when the newest backup failed its read-back', () => {
  let scene: Scene;
  let s3: S3Client;
  let newer: RunObject;
  const verdictOf = async (run: string) =>
    RunVerification.parse(JSON.parse(await readText(s3, scene.fixture.backupBucket, `backups/${scene.namespace}/app/${run}/verification.json`)));

  beforeAll(async () => {
    s3 = adminClient();
    scene = await Scene.create('op-drill-verdict');
    await scene.startOperator();
    await scene.applySchedule({ name: 'app', schedule: '0 0 1 1 *', sources: ['app-db', 'uploads'] });
    for (const name of ['older', 'newer']) {
      await scene.createManualRun(name, 'app');
      expect((await scene.finalRun(name)).status?.phase).toBe('Succeeded');
      await scene.verifiedRun(name);
    }

    // The newer backup goes bad after it was verified, and is read back again: with the operator
    // stopped, its verify Job goes, a byte of its database artifact flips, and its Verified
    // condition is cleared; the operator, started again, runs the read-back once more.
    await scene.stopOperators();
    const verifyJob = stepJobName('newer', 'verify');
    expect(await scene.client.delete(JOBS, scene.namespace, verifyJob, { propagationPolicy: 'Background' })).toBe(true);
    await waitFor(async () => !(await scene.client.find(JOBS, scene.namespace, verifyJob)), { what: 'the verify Job to be gone', timeoutMs: 60_000, intervalMs: 500 });
    const verified = (await scene.run('newer'))!;
    const database = verified.status!.artifacts!.find((artifact) => artifact.source === 'app-db')!;
    await flipStoredByte(s3, scene.fixture.backupBucket, database.key!, Math.floor(database.sizeBytes! / 2));
    await scene.client.patchStatus(BACKUP_RUNS, scene.namespace, 'newer', {
      conditions: (verified.status?.conditions ?? []).filter((condition) => condition.type !== 'Verified'),
    });
    await scene.startOperator();
    newer = await waitFor(
      async () => {
        const run = await scene.run('newer');
        return run?.status?.conditions?.some((condition) => condition.type === 'Verified' && condition.status === 'False') ? run : undefined;
      },
      { what: 'the read-back to fail the newer run', timeoutMs: 120_000, intervalMs: 1_000 },
    );
  });

  afterAll(async () => {
    await scene?.tearDown();
    s3?.destroy();
  });

  it('the read-back failed the newer run with ChecksumMismatch, and left that verdict next to its run manifest', async () => {
    const condition = (type: string) => newer.status?.conditions?.find((candidate) => candidate.type === type);
    expect(newer.status?.phase).toBe('Succeeded');
    expect(condition('Verified')).toMatchObject({ status: 'False', reason: 'ChecksumMismatch' });
    expect(condition('Ready')).toMatchObject({ status: 'False', reason: 'ChecksumMismatch' });

    const database = newer.status!.artifacts!.find((artifact) => artifact.source === 'app-db')!;
    expect(await verdictOf('newer')).toMatchObject({
      location: { namespace: scene.namespace, schedule: 'app', run: 'newer' },
      verified: false,
      failure: { source: 'app-db', key: database.key, code: 'ChecksumMismatch', reason: expect.stringContaining('does not match its manifest') },
    });
    expect(await verdictOf('older')).toMatchObject({ verified: true, checked: ['app-db', 'uploads'] });
  });

  it('a drill passes over the newer run, recovers from the older one, and names what it skipped and why', async () => {
    await createDrill(scene.client, scene.namespace, 'weekly', { ...drillPlan('app'), suspend: true });
    await createDrillRun(scene.client, scene.namespace, 'weekly-now', 'weekly', drillPlan('app'));
    const run = await finalDrillRun(scene.client, scene.namespace, 'weekly-now');
    const status = run.status as DrillRunObject['status'] & { backup?: { skipped?: Skipped[] } };

    expect({ result: status!.result, reason: status!.reason, message: status!.message }).toEqual({ result: 'Passed', reason: undefined, message: undefined });
    expect(status!.backup?.run).toBe('older');
    expect(status!.backup?.skipped).toEqual([
      {
        run: 'newer',
        manifestKey: `backups/${scene.namespace}/app/newer/manifest.json`,
        snapshotTime: expect.any(String),
        reason: expect.stringMatching(/^failed verification \(read back \S+\): source app-db: ChecksumMismatch: artifact s3:\/\/\S+ does not match its manifest/),
      },
    ]);
    const select = status!.steps?.find((step) => step.name === 'SelectBackup');
    expect(select?.message).toContain('passed over 1 newer backup(s) that failed verification: newer (failed verification');

    // The report, next to the backups, says the same to whoever reads it without the cluster.
    const json = JSON.parse(await readText(s3, scene.fixture.backupBucket, status!.report!.jsonKey!)) as DrillReportJson;
    expect(json.backup.run).toBe('older');
    expect(json.backup.skipped).toEqual([expect.objectContaining({ run: 'newer', manifestKey: `backups/${scene.namespace}/app/newer/manifest.json` })]);
    expect(json.advice.map((advice) => advice.reason)).toContain('BackupsFailedVerification');
    const markdown = await readText(s3, scene.fixture.backupBucket, status!.report!.markdownKey!);
    expect(markdown).toContain('| Backups passed over | 1 newer backup(s) failed verification: `newer`');
  });
});
