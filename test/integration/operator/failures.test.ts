// What the user sees when a backup cannot work: a wrong database password ends the run Failed,
// with the runner's reason in the status and an event, and the password nowhere.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import type { RunningOperator } from '../../../src/operator/operator.ts';
import { SECRETS, EVENTS } from '../../../src/kube/resource-type.ts';
import type { KubeObject } from '../../../src/kube/types.ts';
import { listObjects, withDatabase, type AppFixture } from '../../support/backup-fixture.ts';
import { testEnv } from '../../support/env.ts';
import {
  applySchedule,
  createManualRun,
  createNamespace,
  ensureCrds,
  NAMESPACES,
  seedFixture,
  startTestOperator,
  testClient,
  waitFor,
  waitForFinalRun,
} from './support.ts';

jest.setTimeout(180_000);

const ROLE = 'lifeboat_operator_pw_test';
const RIGHT = 'the-right-password';
const WRONG = 'Wr0ng-0perator-Pa55word';

describe('a run whose database password is wrong', () => {
  const client = testClient();
  let namespace: string;
  let fixture: AppFixture;
  let operator: RunningOperator;
  let hbaFile: string;
  let hba: Buffer;

  beforeAll(async () => {
    await ensureCrds();
    namespace = await createNamespace(client, 'op-fail');
    fixture = await seedFixture(client, namespace);
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
    await client.apply(SECRETS, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'wrong-db-credentials', namespace },
      stringData: { username: ROLE, password: WRONG },
    } as KubeObject, { force: true });
    await applySchedule(client, fixture, { name: 'db-only', schedule: '0 0 1 1 *', databaseSecret: 'wrong-db-credentials', sources: ['app-db'] });
    operator = await startTestOperator({ namespace });
  });

  afterAll(async () => {
    await operator?.stop();
    if (hba) {
      writeFileSync(hbaFile, hba);
      await withDatabase(testEnv(), 'postgres', async (c) => {
        await c.query('SELECT pg_reload_conf()');
        await c.query(`DROP ROLE IF EXISTS ${ROLE}`);
      });
    }
    await client.delete(NAMESPACES, undefined, namespace).catch(() => undefined);
    await client.close();
  });

  it('ends Failed with the runner\'s reason, writes nothing to the bucket, and never shows the password', async () => {
    await createManualRun(client, namespace, 'now', 'db-only');
    const run = await waitForFinalRun(client, namespace, 'now');
    expect(run.status?.phase).toBe('Failed');
    const artifact = run.status?.artifacts?.[0];
    expect(artifact).toMatchObject({ source: 'app-db', phase: 'Failed' });
    expect(artifact?.message).toMatch(/rejected the credentials.*password authentication failed for user "lifeboat_operator_pw_test"/);
    const complete = run.status?.conditions?.find((condition) => condition.type === 'Complete');
    // Complete means "finished"; its reason says how.
    expect(complete).toMatchObject({ status: 'True', reason: 'Failed' });
    expect(complete?.message).toContain('app-db');
    expect(run.status?.manifestKey).toBeUndefined();

    const events = await waitFor(async () => {
      const all = (await client.list<KubeObject & { reason?: string; note?: string; regarding?: { name?: string } }>(EVENTS, { namespace })).items;
      const mine = all.filter((event) => event.regarding?.name === 'now');
      return mine.some((event) => event.reason === 'BackupFailed') ? mine : undefined;
    }, { what: 'a failure event on the run' });
    expect(JSON.stringify(events)).not.toContain(WRONG);
    expect(JSON.stringify(run)).not.toContain(WRONG);
    expect(await listObjects(testEnv(), fixture.backupBucket, `backups/${namespace}/db-only/now/`)).toEqual([]);
  });
});
