// The Node half of `make demo` (hack/demo.sh runs it): seeds the application, applies the
// schedule, waits for a successful run and shows the artifacts. Reads the test environment
// from .testenv/state.json (written by `node test/env/cli.ts up`).
//   node hack/demo.ts seed       database, buckets, namespace and Secrets
//   node hack/demo.ts schedule   apply the BackupSchedule that fires every minute
//   node hack/demo.ts wait       wait (bounded) for a Succeeded BackupRun, printing progress
//   node hack/demo.ts artifacts  list what the run wrote to the backup bucket
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BACKUP_RUNS, BACKUP_SCHEDULES } from '../src/controllers/resource-types.ts';
import { KubeClient } from '../src/kube/client.ts';
import { NAMESPACES, SECRETS } from '../src/kube/resource-type.ts';
import type { KubeObject } from '../src/kube/types.ts';
import { repoRoot } from '../test/env/paths.ts';
import { appFixture, listObjects, scheduleManifest, secretManifests, seedBuckets, seedDatabase } from '../test/support/backup-fixture.ts';
import type { TestEnvInfo } from '../test/support/env.ts';

const NAMESPACE = 'demo';
const SCHEDULE = 'app';
const WAIT_MS = 4 * 60_000;

interface RunObject extends KubeObject {
  status?: { phase?: string; size?: string; duration?: string; manifestKey?: string; progress?: { sourcesDone?: number; sourcesTotal?: number }; artifacts?: { source: string; phase: string; message?: string }[] };
}

function env(): TestEnvInfo {
  const state = JSON.parse(readFileSync(join(repoRoot, '.testenv/state.json'), 'utf8')) as { info?: TestEnvInfo };
  if (!state.info) throw new Error('the test environment is not ready: run `node test/env/cli.ts up` first');
  return state.info;
}

const fixture = appFixture(NAMESPACE);

async function seed(client: KubeClient): Promise<void> {
  const info = env();
  const db = await seedDatabase(info, fixture.database);
  console.log(`  database "${fixture.database}": ${db.tables} tables, ${db.rows} rows (PostgreSQL ${info.postgres.host}:${info.postgres.port})`);
  const objects = await seedBuckets(info, fixture);
  console.log(`  buckets ${Object.values(fixture.buckets).join(', ')}: ${objects} objects; backup bucket ${fixture.backupBucket} (MinIO ${info.s3.endpoint})`);
  await client.apply(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } }, { force: true });
  for (const secret of secretManifests(info, fixture)) await client.apply(SECRETS, secret as KubeObject, { force: true });
  console.log(`  namespace ${NAMESPACE} with the Secrets the schedule names (throwaway test credentials)`);
}

async function applySchedule(client: KubeClient): Promise<void> {
  const manifest = scheduleManifest(env(), fixture, { name: SCHEDULE, schedule: '* * * * *', retention: { keepLast: 3 } });
  await client.apply(BACKUP_SCHEDULES, manifest as KubeObject, { force: true });
  console.log(`  BackupSchedule ${NAMESPACE}/${SCHEDULE}: every minute, 1 database + 3 buckets -> s3://${fixture.backupBucket}/backups/, keepLast 3`);
}

async function waitForSuccess(client: KubeClient): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  let last = '';
  for (;;) {
    const runs = (await client.list<RunObject>(BACKUP_RUNS, { namespace: NAMESPACE })).items;
    const succeeded = runs.find((run) => run.status?.phase === 'Succeeded');
    if (succeeded) {
      console.log(`  ${succeeded.metadata.name} Succeeded: ${succeeded.status?.size ?? '?'} in ${succeeded.status?.duration ?? '?'}`);
      return;
    }
    const failed = runs.find((run) => run.status?.phase === 'Failed' || run.status?.phase === 'PartiallyFailed');
    if (failed) {
      const why = (failed.status?.artifacts ?? []).filter((a) => a.message).map((a) => `${a.source}: ${a.message}`).join('; ');
      throw new Error(`${failed.metadata.name} ended ${failed.status?.phase}: ${why}`);
    }
    const line = runs.length === 0
      ? 'waiting for the schedule to fire (at the start of the next minute)'
      : runs.map((run) => `${run.metadata.name} ${run.status?.phase ?? 'New'} ${run.status?.progress ? `(${run.status.progress.sourcesDone ?? 0}/${run.status.progress.sourcesTotal ?? 0} sources)` : ''}`.trim()).join(', ');
    if (line !== last) console.log(`  ${new Date().toISOString().slice(11, 19)} ${line}`);
    last = line;
    if (Date.now() > deadline) throw new Error(`no Succeeded BackupRun after ${WAIT_MS / 60_000} minutes; see .testenv/operator.log`);
    await sleep(2_000);
  }
}

async function artifacts(client: KubeClient): Promise<void> {
  const runs = (await client.list<RunObject>(BACKUP_RUNS, { namespace: NAMESPACE })).items.filter((run) => run.status?.phase === 'Succeeded');
  const run = runs.sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? 1 : -1))[0];
  if (!run) return;
  const prefix = `backups/${NAMESPACE}/${SCHEDULE}/${run.metadata.name}/`;
  console.log(`  s3://${fixture.backupBucket}/${prefix}`);
  for (const object of await listObjects(env(), fixture.backupBucket, prefix)) {
    console.log(`    ${String(object.size).padStart(9)}  ${object.key.slice(prefix.length)}`);
  }
}

async function main(): Promise<void> {
  const client = KubeClient.load(env().kubeconfig, { fieldManager: 'lifeboat-demo' });
  try {
    switch (process.argv[2]) {
      case 'seed':
        return await seed(client);
      case 'schedule':
        return await applySchedule(client);
      case 'wait':
        return await waitForSuccess(client);
      case 'artifacts':
        return await artifacts(client);
      default:
        throw new Error('usage: node hack/demo.ts seed|schedule|wait|artifacts');
    }
  } finally {
    await client.close();
  }
}

main().catch((error: unknown) => {
  console.error(`demo: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
