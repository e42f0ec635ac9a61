// A restore through the operator, end to end: a schedule backs up the awkward-schema database
// and the buckets, a RestoreRequest restores the database into a new database and a bucket into
// a new bucket under a remapped prefix, and what comes back is what went in.
import { HeadObjectCommand, PutObjectCommand, type HeadObjectCommandOutput } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { gzipSync } from 'node:zlib';
import { ok } from '../api/kubectl.ts';
import { fingerprint } from '../runner/postgres-compare.ts';
import { loadAwkwardSchema } from '../runner/postgres-compare.ts';
import { adminClient, listedKeys, objectFacts } from '../runner/bucket-support.ts';
import { makeKubectl, Scene } from './support.ts';
import { bucketTarget, conditionOf, createRestore, databaseTarget, finalRestore, restoreManifest } from './restore-support.ts';

jest.setTimeout(300_000);

// One object beside the fixture's (which carry only a content type), with user metadata and
// every stored header the runner keeps (src/archive/object-entry.ts STORED_HEADERS), so that
// "the metadata matches" compares something. Its body is really gzip, as its encoding says.
const REPORT_KEY = 'uploads/reports/2025-q1.csv.gz';
const REPORT = {
  Body: gzipSync('account,amount\n4711,12.50\n4712,-3.00\n'),
  ContentType: 'text/csv',
  ContentEncoding: 'gzip',
  ContentLanguage: 'en-GB',
  CacheControl: 'private, max-age=600',
  ContentDisposition: 'attachment; filename="2025-q1.csv"',
  Expires: new Date('2030-01-01T00:00:00Z'),
  Metadata: { owner: 'finance', 'source-system': 'ledger-7' },
};

/** What S3 returns for an object besides its body: its user metadata and stored headers. */
function storedHeaders(head: HeadObjectCommandOutput) {
  return {
    metadata: head.Metadata,
    contentType: head.ContentType,
    contentEncoding: head.ContentEncoding,
    contentLanguage: head.ContentLanguage,
    cacheControl: head.CacheControl,
    contentDisposition: head.ContentDisposition,
    expires: head.Expires?.toISOString(),
  };
}

describe('a RestoreRequest of a BackupRun', () => {
  const kubectl = makeKubectl();
  let scene: Scene;
  let run: string;

  beforeAll(async () => {
    scene = await Scene.create('op-restore');
    await loadAwkwardSchema(scene.fixture.database);
    const s3 = adminClient();
    try {
      await s3.send(new PutObjectCommand({ Bucket: scene.fixture.buckets.uploads, Key: REPORT_KEY, ...REPORT }));
    } finally {
      s3.destroy();
    }
    await scene.startOperator();
    await scene.applySchedule({ name: 'app', schedule: '0 0 1 1 *', sources: ['app-db', 'uploads'] });
    run = 'app-now';
    await scene.createManualRun(run, 'app');
    expect((await scene.finalRun(run)).status?.phase).toBe('Succeeded');
  });

  afterAll(() => scene?.tearDown());

  it('restores the database into a new one and the bucket under a remapped prefix, and both match what was backed up', async () => {
    const database = `${scene.fixture.database}_restored`;
    const bucket = `${scene.namespace}-uploads-restored`;
    await createRestore(
      scene.client,
      restoreManifest(scene.namespace, 'undo', { backupRunRef: { name: run } }, [
        databaseTarget('app-db', database),
        bucketTarget('uploads', bucket, { prefixRemap: { from: 'uploads/', to: 'restored/uploads/' } }),
      ]),
    );
    const restore = await finalRestore(scene.client, scene.namespace, 'undo');
    expect(restore.status?.phase).toBe('Succeeded');
    expect(conditionOf(restore, 'Complete')).toMatchObject({ status: 'True', reason: 'Succeeded' });
    expect(restore.status?.backup).toMatchObject({ name: run, schedule: 'app', manifestKey: `backups/${scene.namespace}/app/${run}/manifest.json` });
    expect(restore.status?.targets).toEqual([
      expect.objectContaining({ source: 'app-db', phase: 'Succeeded', createdTarget: true, jobName: 'undo-app-db' }),
      expect.objectContaining({ source: 'uploads', phase: 'Succeeded', createdTarget: true, objectsWritten: 6, objectsSkipped: 0 }),
    ]);
    for (const target of restore.status?.targets ?? []) expect(target.sizeBytes).toBeGreaterThan(0);

    expect(await fingerprint(database)).toEqual(await fingerprint(scene.fixture.database));

    const s3 = adminClient();
    try {
      const original = await listedKeys(s3, scene.fixture.buckets.uploads);
      const restored = await listedKeys(s3, bucket);
      expect(restored).toEqual(original.map((key) => key.replace(/^uploads\//, 'restored/uploads/')));
      expect(original).toHaveLength(6);
      expect(original).toContain(REPORT_KEY);
      const before = await objectFacts(s3, scene.fixture.buckets.uploads, original);
      const after = await objectFacts(s3, bucket, restored);
      expect([...after.values()]).toEqual([...before.values()]);

      // The one object with user metadata and headers has them all after the restore, under its
      // remapped key: a comparison of fixture objects alone would pass with metadata lost.
      const expected = {
        metadata: REPORT.Metadata,
        contentType: REPORT.ContentType,
        contentEncoding: REPORT.ContentEncoding,
        contentLanguage: REPORT.ContentLanguage,
        cacheControl: REPORT.CacheControl,
        contentDisposition: REPORT.ContentDisposition,
        expires: REPORT.Expires.toISOString(),
      };
      const source = await s3.send(new HeadObjectCommand({ Bucket: scene.fixture.buckets.uploads, Key: REPORT_KEY }));
      expect(storedHeaders(source)).toEqual(expected);
      const copy = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: REPORT_KEY.replace(/^uploads\//, 'restored/uploads/') }));
      expect(storedHeaders(copy)).toEqual(expected);
      expect(copy.ContentLength).toBe(REPORT.Body.length);
    } finally {
      s3.destroy();
    }
  });

  it('shows the restore in kubectl get and its events', async () => {
    const table = await ok(kubectl, ['get', 'restorerequests', '-n', scene.namespace, 'undo']);
    expect(table.split('\n')[0]).toMatch(/NAME\s+BACKUP\s+SNAPSHOT\s+PHASE\s+DURATION\s+AGE/);
    expect(table).toContain(run);
    expect(table).toContain('Succeeded');
    expect(await scene.eventReasons('undo', ['BackupSelected', 'JobCreated', 'TargetRestored', 'RestoreSucceeded'])).toEqual(expect.arrayContaining(['BackupSelected', 'JobCreated', 'TargetRestored', 'RestoreSucceeded']));
  });
});
