// Which backup a RestoreRequest restores when it names a schedule: three successful runs of
// one schedule, a marker row added to the source database before each, so a restored database
// tells by its markers which run it came from. scheduleRef alone picks the newest; with
// notAfter, the newest whose snapshot is at or before it (the bound is inclusive); a notAfter
// before every run waits, saying why; a run whose verification failed is refused by name and
// passed over by scheduleRef (src/core/backup-run/usable-backup.ts).
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { BACKUP_RUNS, RESTORE_REQUESTS } from '../../../src/controllers/resource-types.ts';
import { dropDatabase, noteOf, query, restoreJobs, waitForEvents, waitForRestoreState } from './restore-checks.ts';
import { conditionOf, createRestore, databaseTarget, finalRestore, getRestore, restoreManifest } from './restore-support.ts';
import { Scene, waitFor, type RunObject } from './support.ts';

jest.setTimeout(400_000);

const RUNS = ['first', 'second', 'third'] as const;

describe('a RestoreRequest that picks a backup by schedule and time', () => {
  let scene: Scene;
  const runs = new Map<string, RunObject>();
  const databases: string[] = [];
  const snapshot = (run: string) => Date.parse(runs.get(run)!.status!.snapshotTime!);

  const restoreInto = async (name: string, backup: Record<string, unknown>) => {
    const database = `${scene.fixture.database}_${name.replace(/-/g, '_')}`;
    databases.push(database);
    await createRestore(scene.client, restoreManifest(scene.namespace, name, backup, [databaseTarget('app-db', database)]));
    return { restore: await finalRestore(scene.client, scene.namespace, name), database };
  };
  const markers = async (database: string) => (await query<{ name: string }>(database, 'SELECT name FROM markers ORDER BY id')).map((row) => row.name);

  beforeAll(async () => {
    scene = await Scene.create('op-rsel');
    await query(scene.fixture.database, 'CREATE TABLE markers (id serial PRIMARY KEY, name text NOT NULL)');
    await scene.startOperator();
    await scene.applySchedule({ name: 'app', schedule: '0 0 1 1 *', sources: ['app-db'] });
    for (const run of RUNS) {
      await query(scene.fixture.database, `INSERT INTO markers (name) VALUES ('before ${run}')`);
      await scene.createManualRun(run, 'app');
      const done = await scene.finalRun(run);
      expect(done.status?.phase).toBe('Succeeded');
      expect(done.status?.snapshotTime).toBeDefined();
      runs.set(run, done);
    }
    expect(snapshot('first')).toBeLessThan(snapshot('second'));
    expect(snapshot('second')).toBeLessThan(snapshot('third'));
  });

  afterAll(async () => {
    await scene?.tearDown();
    for (const database of databases) await dropDatabase(database).catch(() => undefined);
  });

  it('restores the newest run of the schedule when only scheduleRef is given', async () => {
    const { restore, database } = await restoreInto('newest', { scheduleRef: { name: 'app' } });
    expect(restore.status?.phase).toBe('Succeeded');
    expect(restore.status?.backup).toMatchObject({ name: 'third', schedule: 'app', snapshotTime: runs.get('third')!.status!.snapshotTime });
    expect(await markers(database)).toEqual(['before first', 'before second', 'before third']);
    const events = await waitForEvents(scene, 'newest', ['BackupSelected', 'RestoreSucceeded']);
    expect(noteOf(events, 'BackupSelected')).toContain('restoring BackupRun third');
  });

  it('restores the first run with a notAfter between the first and the second snapshot', async () => {
    const between = new Date((snapshot('first') + snapshot('second')) / 2).toISOString();
    const { restore, database } = await restoreInto('between', { scheduleRef: { name: 'app' }, notAfter: between });
    expect(restore.status?.phase).toBe('Succeeded');
    expect(restore.status?.backup).toMatchObject({ name: 'first', snapshotTime: runs.get('first')!.status!.snapshotTime });
    expect(await markers(database)).toEqual(['before first']);
  });

  it('counts a run whose snapshot is exactly notAfter', async () => {
    const { restore, database } = await restoreInto('at-second', { scheduleRef: { name: 'app' }, notAfter: runs.get('second')!.status!.snapshotTime });
    expect(restore.status?.phase).toBe('Succeeded');
    expect(restore.status?.backup).toMatchObject({ name: 'second' });
    expect(await markers(database)).toEqual(['before first', 'before second']);
  });

  it('waits, saying why and starting no Job, when every run is newer than notAfter', async () => {
    const before = new Date(snapshot('first') - 60_000).toISOString();
    const database = `${scene.fixture.database}_too_early`;
    await createRestore(scene.client, restoreManifest(scene.namespace, 'too-early', { scheduleRef: { name: 'app' }, notAfter: before }, [databaseTarget('app-db', database)]));
    const restore = await waitForRestoreState(scene, 'too-early', 'to wait for a backup', (r) => conditionOf(r, 'Ready')?.status === 'False');
    const message = `no successful backup of BackupSchedule "app" with a snapshot at or before ${before} (spec.backup.notAfter): its 3 run(s) are not Succeeded or are newer`;
    expect(restore.status?.phase).toBe('Pending');
    expect(conditionOf(restore, 'Ready')).toMatchObject({ reason: 'ReferenceNotFound', message });
    expect(restore.status?.backup).toBeUndefined();
    const events = await waitForEvents(scene, 'too-early', ['ReferenceNotFound']);
    expect(noteOf(events, 'ReferenceNotFound')).toBe(message);
    expect(await restoreJobs(scene, 'too-early')).toEqual([]);

    // A waiting restore holds its finalizer; deleting it lets it go, as there is no Job to stop.
    await scene.client.delete(RESTORE_REQUESTS, scene.namespace, 'too-early');
    await waitFor(async () => (await getRestore(scene.client, scene.namespace, 'too-early')) === undefined, { what: 'the waiting RestoreRequest to be deleted', timeoutMs: 30_000 });
  });

  // Last: it marks the newest run as failed verification, which the tests above must not see.
  it('refuses by name a run whose verification failed, and restores the one before it by scheduleRef', async () => {
    // The operator's own read-back first (a Verified left Unknown would be decided again), then
    // the condition a failed read-back leaves; a run verified True or False is not verified again.
    const verified = await scene.verifiedRun('third');
    const failedReadBack = { type: 'Verified', status: 'False', reason: 'ChecksumMismatch', message: 'artifact app-db: SHA-256 differs from the manifest', lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), observedGeneration: 1 };
    await scene.client.patchStatus(BACKUP_RUNS, scene.namespace, 'third', {
      conditions: [...(verified.status?.conditions ?? []).filter((condition) => condition.type !== 'Verified'), failedReadBack],
    });

    const byName = `${scene.fixture.database}_corrupt`;
    await createRestore(scene.client, restoreManifest(scene.namespace, 'corrupt', { backupRunRef: { name: 'third' } }, [databaseTarget('app-db', byName)]));
    const refused = await finalRestore(scene.client, scene.namespace, 'corrupt');
    expect(refused.status?.phase).toBe('Failed');
    expect(conditionOf(refused, 'Ready')?.message).toContain('BackupRun "third" is Succeeded but failed verification (ChecksumMismatch: artifact app-db: SHA-256 differs from the manifest)');
    expect(await restoreJobs(scene, 'corrupt')).toEqual([]);

    const { restore, database } = await restoreInto('past-corrupt', { scheduleRef: { name: 'app' } });
    expect(restore.status?.phase).toBe('Succeeded');
    expect(restore.status?.backup).toMatchObject({ name: 'second' });
    expect(await markers(database)).toEqual(['before first', 'before second']);
  });
});
