// Passwords and keys appear nowhere but in their Secrets. The database password, the S3 secret
// keys (the storage's, and a wrong one a failing target uses) and the age identity that
// decrypts the backup are distinctive strings; after an encrypted backup, a restore that
// succeeds and one whose targets fail, none of them (nor its base64) is in any RestoreRequest,
// BackupRun or BackupSchedule, any event, any Job or pod (Jobs get credentials only through
// secretKeyRef), the operator's logs at trace level, or the runners' logs.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { RunnerEnv } from '../../../src/contract/runner-env.ts';
import { BACKUP_RUNS, BACKUP_SCHEDULES, RESTORE_REQUESTS } from '../../../src/controllers/resource-types.ts';
import { EVENTS, JOBS, PODS, SECRETS, type ResourceType } from '../../../src/kube/resource-type.ts';
import type { KubeObject } from '../../../src/kube/types.ts';
import { secretManifests } from '../../support/backup-fixture.ts';
import { testEnv } from '../../support/env.ts';
import { bucketTarget, createRestore, databaseTarget, finalRestore, restoreManifest } from './restore-support.ts';
import { Scene, waitFor, type JobObject } from './support.ts';

jest.setTimeout(300_000);

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: Record<string, unknown>;
}

interface JobWithPodSpec extends JobObject {
  spec?: {
    template?: {
      spec?: {
        containers?: { name: string; args?: string[]; command?: string[]; env?: EnvVar[]; envFrom?: unknown[] }[];
        initContainers?: unknown[];
        volumes?: Record<string, unknown>[];
      };
    };
  };
}

/** Variables the runner Job sets with a plain value: none of them is a credential. */
const PLAIN_ENV = new Set<string>([RunnerEnv.task, RunnerEnv.resultFile, RunnerEnv.tmpDir, RunnerEnv.home, RunnerEnv.nodeOptions, RunnerEnv.mallocTunables]);

const secretObject = (namespace: string, name: string, stringData: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, type: 'Opaque', stringData });

async function filesUnder(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

describe('passwords and keys in a restore', () => {
  const env = testEnv();
  let scene: Scene;
  let operator: ChildProcess;
  let operatorOutput = '';
  const databasePassword = `pw-${randomBytes(12).toString('hex')}-lifeboat`;
  const wrongSecretKey = `wrong-${randomBytes(12).toString('hex')}-key`;
  let identity: string;
  /** Every value that must not appear, with a name for the failure message. */
  let secrets: Record<string, string>;

  beforeAll(async () => {
    scene = await Scene.create('op-restore-secrets');
    const { client, namespace, fixture } = scene;
    identity = await generateX25519Identity();
    secrets = { 'database password': databasePassword, 'S3 secret key': env.s3.secretAccessKey, 'wrong S3 secret key': wrongSecretKey, 'age identity': identity };
    const put = (secret: object) => client.apply(SECRETS, secret as KubeObject, { force: true });
    for (const secret of secretManifests(env, fixture, databasePassword)) await put(secret);
    await put(secretObject(namespace, 'backup-recipients', { recipients: await identityToRecipient(identity) }));
    await put(secretObject(namespace, 'restore-identity', { identity }));
    await put(secretObject(namespace, 'wrong-bucket-credentials', { AWS_ACCESS_KEY_ID: env.s3.accessKeyId, AWS_SECRET_ACCESS_KEY: wrongSecretKey }));

    operator = scene.spawnOperator({ leaseName: 'secrets', captureOutput: true, env: { LIFEBOAT_LOG_LEVEL: 'trace' } });
    operator.stdout?.setEncoding('utf8').on('data', (chunk: string) => (operatorOutput += chunk));
    operator.stderr?.setEncoding('utf8').on('data', (chunk: string) => (operatorOutput += chunk));

    // The schedule encrypts to the recipient only; the identity is named by the restore alone.
    await scene.applySchedule({ name: 'app', schedule: '0 0 1 1 *', sources: ['app-db', 'uploads'], encryption: { recipientsSecret: { name: 'backup-recipients' } } });
    await scene.createManualRun('sealed', 'app');
    const run = await scene.finalRun('sealed');
    expect(run.status?.phase).toBe('Succeeded');
    expect(run.status?.artifacts?.every((artifact) => (artifact as { encrypted?: boolean }).encrypted === true)).toBe(true);

    const decryption = { decryption: { identitySecret: { name: 'restore-identity' } } };
    await createRestore(
      client,
      restoreManifest(namespace, 'opened', { backupRunRef: { name: 'sealed' } }, [databaseTarget('app-db', `${fixture.database}_opened`), bucketTarget('uploads', `${namespace}-uploads-opened`)], decryption),
    );
    // Both targets fail, after the Secrets were read: nothing listens on port 1, and MinIO refuses the wrong key.
    await createRestore(
      client,
      restoreManifest(
        namespace,
        'refused',
        { backupRunRef: { name: 'sealed' } },
        [databaseTarget('app-db', `${fixture.database}_refused`, { port: 1 }), bucketTarget('uploads', `${namespace}-uploads-refused`, { credentialsSecret: { name: 'wrong-bucket-credentials' } })],
        decryption,
      ),
    );
    expect((await finalRestore(client, namespace, 'opened')).status?.phase).toBe('Succeeded');
    const refused = await finalRestore(client, namespace, 'refused');
    expect(refused.status?.phase).toBe('Failed');
    expect(refused.status?.targets?.map((target) => target.phase)).toEqual(['Failed', 'Failed']);
    // Every event is written before the logs are read.
    await waitFor(async () => (await scene.eventReasons('refused')).includes('RestoreFailed'), { what: 'the RestoreFailed event', timeoutMs: 30_000 });
  });

  afterAll(async () => {
    if (operator && operator.exitCode === null && operator.signalCode === null) {
      operator.kill('SIGTERM');
      await once(operator, 'exit');
    }
    await scene?.tearDown();
  });

  /** The secrets (as they are, and in base64) found in `text`, by name. */
  function leaked(text: string): string[] {
    const haystack = text.toLowerCase();
    return Object.entries(secrets).flatMap(([name, value]) => {
      const forms = [value, Buffer.from(value).toString('base64'), Buffer.from(value).toString('base64url')];
      return forms.some((form) => haystack.includes(form.toLowerCase())) ? [name] : [];
    });
  }

  const everything = async (type: ResourceType) => (await scene.client.list<KubeObject>(type, { namespace: scene.namespace })).items;

  it('are found where they are: in their Secrets (the search works)', async () => {
    const stored = (await everything(SECRETS)).filter((secret) => ['app-db-credentials', 'backup-storage-credentials', 'restore-identity', 'wrong-bucket-credentials'].includes(secret.metadata.name ?? ''));
    expect(leaked(JSON.stringify(stored)).sort()).toEqual(Object.keys(secrets).sort());
  });

  it('are in no RestoreRequest, BackupRun, BackupSchedule or event', async () => {
    const restores = await everything(RESTORE_REQUESTS);
    expect(restores.map((restore) => restore.metadata.name).sort()).toEqual(['opened', 'refused']);
    for (const restore of restores) expect({ restore: restore.metadata.name, leaked: leaked(JSON.stringify(restore)) }).toEqual({ restore: restore.metadata.name, leaked: [] });
    // The failures say why, without the key that was refused.
    const refused = restores.find((restore) => restore.metadata.name === 'refused') as KubeObject & { status?: { targets?: { message?: string }[] } };
    const [database, bucket] = (refused.status?.targets ?? []).map((target) => target.message ?? '');
    expect(database).toContain(`cannot reach PostgreSQL at 127.0.0.1:1/${scene.fixture.database}_refused (ECONNREFUSED)`);
    expect(bucket).toContain(`S3 denied access while preparing the target bucket s3://${scene.namespace}-uploads-refused at ${env.s3.endpoint}: HTTP 403 without an error code`);

    const others = [...(await everything(BACKUP_RUNS)), ...(await everything(BACKUP_SCHEDULES))];
    expect(others).toHaveLength(2);
    for (const object of others) expect({ object: object.metadata.name, leaked: leaked(JSON.stringify(object)) }).toEqual({ object: object.metadata.name, leaked: [] });

    const events = await everything(EVENTS);
    expect(events.length).toBeGreaterThan(10);
    expect(leaked(JSON.stringify(events))).toEqual([]);
  });

  it('reach the Jobs only through secretKeyRef, and are in no Job or pod', async () => {
    const jobs = (await everything(JOBS)) as JobWithPodSpec[];
    const restoreJobs = jobs.filter((job) => job.metadata.labels?.['lifeboat.dev/restore-request']);
    expect(restoreJobs.map((job) => job.metadata.name).sort()).toEqual(['opened-app-db', 'opened-uploads', 'refused-app-db', 'refused-uploads']);
    for (const job of jobs) {
      const name = job.metadata.name;
      expect({ job: name, leaked: leaked(JSON.stringify(job)) }).toEqual({ job: name, leaked: [] });
      const pod = job.spec?.template?.spec;
      expect(pod?.initContainers).toBeUndefined();
      for (const volume of pod?.volumes ?? []) expect(Object.keys(volume).sort()).toEqual(['emptyDir', 'name']);
      for (const container of pod?.containers ?? []) {
        expect(container.envFrom).toBeUndefined();
        for (const variable of container.env ?? []) {
          if (PLAIN_ENV.has(variable.name)) {
            expect({ job: name, variable: variable.name, from: variable.valueFrom }).toEqual({ job: name, variable: variable.name, from: undefined });
          } else {
            // A credential: from a Secret key and nothing else.
            expect({ job: name, variable: variable.name, value: variable.value, from: Object.keys(variable.valueFrom ?? {}) }).toEqual({
              job: name,
              variable: variable.name,
              value: undefined,
              from: ['secretKeyRef'],
            });
          }
        }
      }
    }
    // The restore Jobs did read each credential, so the check above covered them.
    const opened = restoreJobs.find((job) => job.metadata.name === 'opened-app-db');
    const refs = (opened?.spec?.template?.spec?.containers?.[0]?.env ?? []).filter((variable) => variable.valueFrom).map((variable) => variable.name).sort();
    expect(refs).toEqual(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', RunnerEnv.ageIdentity, RunnerEnv.postgresPassword, RunnerEnv.postgresUser].sort());

    const pods = await everything(PODS);
    expect(pods.length).toBeGreaterThanOrEqual(jobs.length);
    for (const pod of pods) expect({ pod: pod.metadata.name, leaked: leaked(JSON.stringify(pod)) }).toEqual({ pod: pod.metadata.name, leaked: [] });
  });

  it('are in none of the operator\'s log lines, at trace level', async () => {
    const lines = operatorOutput.split('\n').filter((line) => line.trim() !== '');
    // The capture works: the operator logged its restores and the Secrets it looked at.
    expect(lines.length).toBeGreaterThan(50);
    expect(operatorOutput).toContain('"name":"refused"');
    expect(operatorOutput).toContain('restore changed phase');
    expect(leaked(operatorOutput)).toEqual([]);
  });

  it('are in none of the runners\' logs', async () => {
    const logDir = join(env.workDir, 'kubelet', 'logs');
    const files = (await filesUnder(logDir)).filter((file) => file.slice(logDir.length + 1).startsWith(`${scene.namespace}_`));
    // One log per pod: every runner of the backup and of both restores.
    expect(files).toHaveLength((await everything(PODS)).length);
    let total = 0;
    for (const file of files) {
      const text = await readFile(file, 'utf8');
      total += text.length;
      expect({ file: file.slice(logDir.length + 1), leaked: leaked(text) }).toEqual({ file: file.slice(logDir.length + 1), leaked: [] });
    }
    expect(total).toBeGreaterThan(0);
  });
});
