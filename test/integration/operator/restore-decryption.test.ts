// An age-encrypted backup restored through the operator when the schedule holds only the
// recipients (public keys): the identity is named in the RestoreRequest alone. The right
// identity restores the database as it was backed up; a wrong one fails with a decryption
// reason and leaves no database behind; none at all is refused before any Job starts.
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { BACKUP_SCHEDULES } from '../../../src/controllers/resource-types.ts';
import type { KubeObject } from '../../../src/kube/types.ts';
import { adminS3, scheduleManifest } from '../../support/backup-fixture.ts';
import { testEnv } from '../../support/env.ts';
import { fingerprint } from '../runner/postgres-compare.ts';
import { ageKeygen, applySecret, databaseExists, dropDatabase, jobLog, noteOf, restoreJobs, waitForEvents, type AgeKey } from './restore-checks.ts';
import { conditionOf, createRestore, databaseTarget, finalRestore, restoreManifest } from './restore-support.ts';
import { Scene } from './support.ts';

jest.setTimeout(300_000);

const RUN = 'sealed-now';

describe('a RestoreRequest of an encrypted backup', () => {
  let scene: Scene;
  let right: AgeKey;
  let wrong: AgeKey;
  const databases: string[] = [];
  const target = (suffix: string) => {
    const name = `${scene.fixture.database}_${suffix}`;
    databases.push(name);
    return name;
  };

  beforeAll(async () => {
    scene = await Scene.create('op-rdec');
    [right, wrong] = await Promise.all([ageKeygen(), ageKeygen()]);
    await applySecret(scene, 'backup-recipients', { recipients: `${right.recipient}\n` });
    await applySecret(scene, 'restore-identity', { identity: right.identityFile });
    await applySecret(scene, 'someone-elses-identity', { identity: wrong.identityFile });
    // The schedule can only encrypt: storage.encryption has recipientsSecret and no identitySecret.
    const schedule = scheduleManifest(testEnv(), scene.fixture, { name: 'sealed', schedule: '0 0 1 1 *', sources: ['app-db'] });
    const storage = schedule.spec.storage as Record<string, unknown>;
    storage.encryption = { recipientsSecret: { name: 'backup-recipients' } };
    await scene.client.apply(BACKUP_SCHEDULES, schedule as unknown as KubeObject, { force: true });
    await scene.startOperator();
    await scene.createManualRun(RUN, 'sealed');
    const run = await scene.finalRun(RUN);
    expect(run.status?.phase).toBe('Succeeded');
    expect(run.status?.artifacts).toEqual([expect.objectContaining({ source: 'app-db', phase: 'Succeeded', encrypted: true })]);

    // What is stored is an age file, not a readable dump.
    const s3 = adminS3(testEnv());
    try {
      const head = await s3.send(new GetObjectCommand({ Bucket: scene.fixture.backupBucket, Key: run.status!.artifacts![0]!.key!, Range: 'bytes=0-21' }));
      expect(await head.Body!.transformToString()).toBe('age-encryption.org/v1\n');
    } finally {
      s3.destroy();
    }
  });

  afterAll(async () => {
    await scene?.tearDown();
    for (const database of databases) await dropDatabase(database).catch(() => undefined);
  });

  it('restores with the identity named only in spec.decryption.identitySecret, and the data matches', async () => {
    const database = target('unsealed');
    await createRestore(
      scene.client,
      restoreManifest(scene.namespace, 'unseal', { backupRunRef: { name: RUN } }, [databaseTarget('app-db', database)], {
        decryption: { identitySecret: { name: 'restore-identity' } },
      }),
    );
    const restore = await finalRestore(scene.client, scene.namespace, 'unseal');
    expect(restore.status?.phase).toBe('Succeeded');
    expect(restore.status?.backup).toMatchObject({ name: RUN, schedule: 'sealed', encrypted: true });
    expect(restore.status?.targets).toEqual([expect.objectContaining({ source: 'app-db', phase: 'Succeeded', createdTarget: true })]);
    expect(await fingerprint(database)).toEqual(await fingerprint(scene.fixture.database));

    // The Job read the identity from the Secret the request names, by reference only.
    const [job] = await restoreJobs(scene, 'unseal');
    const env = (job as unknown as { spec: { template: { spec: { containers: { env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[] }[] } } } }).spec.template.spec.containers[0]!.env ?? [];
    const identityVars = env.filter((variable) => variable.valueFrom?.secretKeyRef?.name === 'restore-identity');
    expect(identityVars).toEqual([expect.objectContaining({ valueFrom: { secretKeyRef: { name: 'restore-identity', key: 'identity' } } })]);
    expect(JSON.stringify(job)).not.toContain('AGE-SECRET-KEY-');

    const events = await waitForEvents(scene, 'unseal', ['BackupSelected', 'JobCreated', 'TargetRestored', 'RestoreSucceeded']);
    expect(JSON.stringify(events)).not.toContain('AGE-SECRET-KEY-');
  });

  it('fails with a decryption reason on a wrong identity, and leaves no database behind', async () => {
    const database = target('wrongkey');
    expect(await databaseExists(database)).toBe(false);
    await createRestore(
      scene.client,
      restoreManifest(scene.namespace, 'wrong-key', { backupRunRef: { name: RUN } }, [databaseTarget('app-db', database)], {
        decryption: { identitySecret: { name: 'someone-elses-identity' } },
      }),
    );
    const restore = await finalRestore(scene.client, scene.namespace, 'wrong-key');
    expect(restore.status?.phase).toBe('Failed');
    const [entry] = restore.status?.targets ?? [];
    expect(entry).toMatchObject({ source: 'app-db', phase: 'Failed', jobName: 'wrong-key-app-db' });
    const reason = 'could not be decrypted: wrong age key: none of the given identities matches a recipient of this file';
    expect(entry?.message).toContain(reason);
    expect(conditionOf(restore, 'Complete')).toMatchObject({ status: 'True', reason: 'Failed' });
    expect(conditionOf(restore, 'Complete')?.message).toContain(`target app-db failed: `);
    expect(conditionOf(restore, 'Complete')?.message).toContain(reason);

    const events = await waitForEvents(scene, 'wrong-key', ['JobCreated', 'TargetFailed', 'RestoreFailed']);
    expect(noteOf(events, 'TargetFailed')).toContain(reason);
    expect(noteOf(events, 'RestoreFailed')).toContain(reason);
    expect(JSON.stringify([restore, events])).not.toContain('AGE-SECRET-KEY-');

    // The runner created the database before it read the artifact; it is dropped again, so
    // nothing half-written is left.
    expect(await jobLog(scene, 'wrong-key-app-db')).toContainEqual(expect.objectContaining({ msg: 'target ready', created: true }));
    expect(await databaseExists(database)).toBe(false);
  });

  it('refuses at once, before any Job, when no identity is named anywhere', async () => {
    const database = target('noidentity');
    await createRestore(scene.client, restoreManifest(scene.namespace, 'no-key', { backupRunRef: { name: RUN } }, [databaseTarget('app-db', database)]));
    const restore = await finalRestore(scene.client, scene.namespace, 'no-key', 20_000);
    expect(restore.status?.phase).toBe('Failed');
    const message = `spec.decryption: BackupRun ${RUN} is encrypted; set spec.decryption.identitySecret to the Secret with its age identity (or identitySecret in the schedule's storage.encryption)`;
    expect(conditionOf(restore, 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidSpec', message });
    expect(conditionOf(restore, 'Complete')).toMatchObject({ status: 'True', reason: 'Failed', message });
    const events = await waitForEvents(scene, 'no-key', ['InvalidSpec', 'RestoreFailed']);
    expect(noteOf(events, 'InvalidSpec')).toBe(message);
    expect(noteOf(events, 'RestoreFailed')).toContain(message);
    expect(events.map((event) => event.reason)).not.toContain('JobCreated');
    expect(await restoreJobs(scene, 'no-key')).toEqual([]);
    expect(await databaseExists(database)).toBe(false);
  });
});
