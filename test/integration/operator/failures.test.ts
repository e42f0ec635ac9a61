// What the user sees when a backup cannot work: a wrong database password ends the run Failed
// after one attempt, with the runner's reason in the status and an event, and the password
// nowhere.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { SECRETS, EVENTS } from '../../../src/kube/resource-type.ts';
import type { KubeObject } from '../../../src/kube/types.ts';
import { withDatabase } from '../../support/backup-fixture.ts';
import { testEnv } from '../../support/env.ts';
import { Scene, waitFor } from './support.ts';

jest.setTimeout(180_000);

const ROLE = 'lifeboat_operator_pw_test';
const RIGHT = 'the-right-password';
const WRONG = 'Wr0ng-0perator-Pa55word';

describe('a run whose database password is wrong', () => {
  let scene: Scene;
  let hbaFile: string;
  let hba: Buffer;

  beforeAll(async () => {
    scene = await Scene.create('op-fail');
    // The test PostgreSQL trusts local connections; make this one role prove its password.
    const env = testEnv();
    hbaFile = await withDatabase(env, 'postgres', async (c) => String((await c.query('SHOW hba_file')).rows[0].hba_file));
    hba = readFileSync(hbaFile);
    writeFileSync(hbaFile, Buffer.concat([Buffer.from(`host all ${ROLE} 127.0.0.1/32 scram-sha-256\n`), hba]));
    await withDatabase(env, 'postgres', async (c) => {
      await c.query(`DROP ROLE IF EXISTS ${ROLE}`);
      await c.query(`CREATE ROLE ${ROLE} LOGIN SUPERUSER PASSWORD '${RIGHT}'`);
      await c.query('SELECT pg_reload_conf()');
    });
    await scene.client.apply(SECRETS, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'wrong-db-credentials', namespace: scene.namespace },
      stringData: { username: ROLE, password: WRONG },
    } as KubeObject, { force: true });
    await scene.applySchedule({ name: 'db-only', schedule: '0 0 1 1 *', databaseSecret: 'wrong-db-credentials', sources: ['app-db'], backoffLimit: 2 });
    await scene.startOperator();
  });

  afterAll(async () => {
    await scene?.stopOperators();
    if (hba) {
      writeFileSync(hbaFile, hba);
      await withDatabase(testEnv(), 'postgres', async (c) => {
        await c.query('SELECT pg_reload_conf()');
        await c.query(`DROP ROLE IF EXISTS ${ROLE}`);
      });
    }
    await scene?.tearDown();
  });

  it('ends Failed with the runner\'s reason, writes nothing to the bucket, and never shows the password', async () => {
    await scene.createManualRun('now', 'db-only');
    const run = await scene.finalRun('now');
    expect(run.status?.phase).toBe('Failed');
    const artifact = run.status?.artifacts?.[0];
    expect(artifact).toMatchObject({ source: 'app-db', phase: 'Failed' });
    expect(artifact?.message).toMatch(/rejected the credentials.*password authentication failed for user "lifeboat_operator_pw_test"/);
    const complete = run.status?.conditions?.find((condition) => condition.type === 'Complete');
    // Complete means "finished"; its reason says how.
    expect(complete).toMatchObject({ status: 'True', reason: 'Failed' });
    expect(complete?.message).toContain('app-db');
    expect(run.status?.manifestKey).toBeUndefined();

    // A wrong password is permanent: the podFailurePolicy fails the Job after one pod instead
    // of retrying up to backoffLimit (2 here).
    const [job] = (await scene.jobsOf('now')).filter((j) => j.metadata.name?.includes('app-db'));
    expect(job?.status?.failed).toBe(1);
    expect(job?.status?.conditions).toContainEqual(expect.objectContaining({ type: 'Failed', status: 'True', reason: 'PodFailurePolicy' }));

    const events = await waitFor(async () => {
      const all = (await scene.client.list<KubeObject & { reason?: string; note?: string; regarding?: { name?: string } }>(EVENTS, { namespace: scene.namespace })).items;
      const mine = all.filter((event) => event.regarding?.name === 'now');
      return mine.some((event) => event.reason === 'BackupFailed') ? mine : undefined;
    }, { what: 'a failure event on the run' });
    expect(JSON.stringify(events)).not.toContain(WRONG);
    expect(JSON.stringify(run)).not.toContain(WRONG);
    expect(await scene.objectsOf('db-only', 'now')).toEqual([]);
  });
});
