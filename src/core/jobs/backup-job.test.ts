// The Jobs a BackupRun starts: specific fields, the task the runner will parse, and no secret
// anywhere but in secretKeyRef.
import { describe, expect, it } from '@jest/globals';
import type { V1Job } from '@kubernetes/client-node';
import { BackupScheduleSpec, type BackupSource } from '../../api/index.ts';
import { TASK_SCHEMAS } from '../../contract/tasks.ts';
import { bucketSource, postgresSource, storage } from '../testing/builders.ts';
import { backupJobName, buildBackupJob, buildFinalizeJob, buildVerifyJob, type RunForJobs } from './backup-job.ts';

const spec = BackupScheduleSpec.parse({
  schedule: '@daily',
  storage: { ...storage, encryption: { recipientsSecret: { name: 'age' } } },
  sources: [postgresSource, bucketSource, { name: 'public', bucket: { bucket: 'public-assets' } }],
});
const [postgres, bucket, bucketWithoutSecret] = spec.sources as [BackupSource, BackupSource, BackupSource];
const run: RunForJobs = { name: 'app-1735696800', namespace: 'prod', uid: 'uid-run', schedule: 'app', storage: spec.storage };
const options = { image: 'ghcr.io/lifeboat/lifeboat-runner:v0.1.0' };

const container = (job: V1Job) => job.spec!.template.spec!.containers[0]!;
const env = (job: V1Job, name: string) => container(job).env!.find((variable) => variable.name === name);
const task = (job: V1Job) => JSON.parse(env(job, 'LIFEBOAT_TASK')!.value!) as Record<string, unknown>;

function keysOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keysOf);
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([key, field]) => [key, ...keysOf(field)]);
  return [];
}

describe('buildBackupJob', () => {
  const job = buildBackupJob(run, postgres, options);

  it('is named <run>-<source>, owned by the run, and labelled for the operator to find it', () => {
    expect(job.metadata).toEqual({
      name: 'app-1735696800-db',
      namespace: 'prod',
      labels: {
        'app.kubernetes.io/managed-by': 'lifeboat',
        'lifeboat.dev/backup-run': 'app-1735696800',
        'lifeboat.dev/schedule': 'app',
        'lifeboat.dev/step': 'backup',
        'lifeboat.dev/source': 'db',
      },
      ownerReferences: [{ apiVersion: 'lifeboat.dev/v1alpha1', kind: 'BackupRun', name: 'app-1735696800', uid: 'uid-run', controller: true, blockOwnerDeletion: true }],
    });
    expect(job.spec!.template.metadata!.labels).toEqual(job.metadata!.labels);
  });

  it('shortens a name over 63 characters with a hash, the same every time and different per source', () => {
    const longRun = `${'a'.repeat(52)}-1735696800`;
    const first = backupJobName(longRun, 'database-primary');
    expect(first).toHaveLength(63);
    expect(first).toMatch(/^a+-[0-9]+-[a-z-]*-?[0-9a-f]{8}$/);
    expect(backupJobName(longRun, 'database-primary')).toBe(first);
    expect(backupJobName(longRun, 'database-replica')).not.toBe(first);
  });

  it.each([
    ['a postgres source', postgres, 'postgres-backup'],
    ['a bucket source', bucket, 'bucket-backup'],
  ] as const)('runs the runner image with the subcommand for %s', (_what, source, subcommand) => {
    const built = container(buildBackupJob(run, source, options));
    expect(built.image).toBe(options.image);
    expect(built.args).toEqual([subcommand]);
    expect(built.command).toBeUndefined();
  });

  it('takes the image and pull policy from the job template when it sets them', () => {
    const custom = buildBackupJob({ ...run, jobTemplate: { backoffLimit: 2, image: 'registry.local/runner:dev', imagePullPolicy: 'Never' } }, postgres, options);
    expect(container(custom)).toMatchObject({ image: 'registry.local/runner:dev', imagePullPolicy: 'Never' });
  });

  it('hands the runner a postgres-backup task it accepts', () => {
    const parsed = TASK_SCHEMAS['postgres-backup'].parse(task(job));
    expect(parsed).toMatchObject({
      storage: { bucket: 'backups', prefix: 'prod', endpoint: 'http://minio:9000', forcePathStyle: true, region: 'us-east-1', credentialsEnvPrefix: 'AWS_' },
      location: { namespace: 'prod', schedule: 'app', run: 'app-1735696800', source: 'db' },
      postgres: { host: 'db.prod.svc', port: 5432, database: 'app', sslMode: 'prefer', usernameEnv: 'PGUSER', passwordEnv: 'PGPASSWORD' },
      format: 'custom',
      compression: 'zstd',
      encryption: { recipients: [], keyEnv: 'LIFEBOAT_AGE_RECIPIENTS' },
    });
  });

  it('hands the runner a bucket-backup task it accepts, with the source\'s credentials apart from the storage\'s', () => {
    const parsed = TASK_SCHEMAS['bucket-backup'].parse(task(buildBackupJob(run, bucket, options)));
    expect(parsed).toMatchObject({
      source: { bucket: 'uploads', prefix: '', endpoint: 'http://minio:9000', credentialsEnvPrefix: 'SOURCE_AWS_' },
      storage: { credentialsEnvPrefix: 'AWS_' },
      compression: 'zstd',
      concurrency: 32,
    });
  });

  it('reads a bucket source without a Secret of its own with the pod\'s default key pair', () => {
    expect(task(buildBackupJob(run, bucketWithoutSecret, options))).toMatchObject({ source: { credentialsEnvPrefix: 'AWS_' } });
    expect(container(buildBackupJob(run, bucketWithoutSecret, options)).env!.map((v) => v.name)).not.toContain('SOURCE_AWS_ACCESS_KEY_ID');
  });

  it.each([
    ['PGUSER', 'pg', 'username'],
    ['PGPASSWORD', 'pg', 'password'],
    ['AWS_ACCESS_KEY_ID', 's3', 'AWS_ACCESS_KEY_ID'],
    ['AWS_SECRET_ACCESS_KEY', 's3', 'AWS_SECRET_ACCESS_KEY'],
    ['LIFEBOAT_AGE_RECIPIENTS', 'age', 'recipients'],
  ])('passes %s only as a secretKeyRef to %s/%s', (name, secret, key) => {
    expect(env(job, name)).toEqual({ name, valueFrom: { secretKeyRef: { name: secret, key } } });
  });

  it('passes the bucket source\'s key pair as SOURCE_AWS_* secretKeyRefs', () => {
    const bucketJob = buildBackupJob(run, bucket, options);
    expect(env(bucketJob, 'SOURCE_AWS_ACCESS_KEY_ID')).toEqual({ name: 'SOURCE_AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: 'uploads-s3', key: 'AWS_ACCESS_KEY_ID' } } });
    expect(env(bucketJob, 'PGPASSWORD')).toBeUndefined();
  });

  it('has no literal value in any env var but the task, the result file, the scratch paths, the heap flags and the malloc tunables', () => {
    for (const built of [job, buildBackupJob(run, bucket, options), buildFinalizeJob(run, ['db'], options), buildVerifyJob(run, options)]) {
      const literal = container(built).env!.filter((variable) => variable.value !== undefined).map((variable) => variable.name);
      expect(literal.sort()).toEqual(['GLIBC_TUNABLES', 'HOME', 'LIFEBOAT_RESULT_FILE', 'LIFEBOAT_TASK', 'NODE_OPTIONS', 'TMPDIR']);
      for (const variable of container(built).env!.filter((v) => v.value === undefined)) {
        expect(variable.valueFrom?.secretKeyRef).toBeDefined();
      }
    }
  });

  it('puts no credential field in the task JSON, only the names of the variables that hold them', () => {
    for (const built of [job, buildBackupJob(run, bucket, options)]) {
      const keys = keysOf(task(built));
      expect(keys.filter((key) => /password|secret|token|accesskey|identity|username/i.test(key))).toEqual(['usernameEnv', 'passwordEnv'].filter((k) => keys.includes(k)));
      expect(JSON.stringify(task(built))).not.toMatch(/"(pg|s3|uploads-s3|age)"/);
    }
  });

  it('writes its result to the termination log and falls back to the log tail', () => {
    expect(env(job, 'LIFEBOAT_RESULT_FILE')?.value).toBe('/dev/termination-log');
    expect(container(job)).toMatchObject({ terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'FallbackToLogsOnError' });
  });

  it('runs non-root with a read-only root file system, no capabilities and RuntimeDefault seccomp', () => {
    expect(container(job).securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(job.spec!.template.spec!.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    expect(job.spec!.template.spec!.automountServiceAccountToken).toBe(false);
  });

  it('sizes the runner heap from the default 1Gi memory limit, and tunes malloc for it', () => {
    expect(env(job, 'NODE_OPTIONS')?.value).toBe('--max-semi-space-size=8 --max-old-space-size=384');
    expect(env(job, 'GLIBC_TUNABLES')?.value).toBe('glibc.malloc.mmap_threshold=4194304:glibc.malloc.trim_threshold=67108864');
  });

  it('gives the runner an emptyDir at /scratch as its TMPDIR', () => {
    expect(job.spec!.template.spec!.volumes).toEqual([{ name: 'scratch', emptyDir: {} }]);
    expect(container(job).volumeMounts).toEqual([{ name: 'scratch', mountPath: '/scratch' }]);
    expect(env(job, 'TMPDIR')?.value).toBe('/scratch');
  });

  it('never restarts in place and has sensible defaults', () => {
    expect(job.spec).toMatchObject({ backoffLimit: 2, activeDeadlineSeconds: 86400 });
    expect(job.spec!.ttlSecondsAfterFinished).toBeUndefined();
    expect(job.spec!.template.spec!.restartPolicy).toBe('Never');
    expect(container(job).resources).toEqual({ requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } });
  });

  it('fails at once on a permanent runner failure and does not count evictions', () => {
    const rules = job.spec!.podFailurePolicy!.rules;
    expect(rules).toContainEqual({ action: 'FailJob', onExitCodes: { containerName: 'runner', operator: 'In', values: [2, 3] } });
    expect(rules).toContainEqual({ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] });
    // The exit-code rule names the container the runner runs in.
    expect(container(job).name).toBe('runner');
  });

  it('takes deadlines, retries, resources, placement and service account from the job template', () => {
    const jobTemplate = {
      activeDeadlineSeconds: 3600,
      backoffLimit: 0,
      ttlSecondsAfterFinished: 86400,
      resources: { requests: { cpu: '1', memory: 512 }, limits: { memory: '2Gi' } },
      nodeSelector: { 'kubernetes.io/arch': 'arm64' },
      tolerations: [{ key: 'backup', operator: 'Exists' as const, effect: 'NoSchedule' as const }],
      serviceAccountName: 'lifeboat-runner',
    };
    const custom = buildBackupJob({ ...run, jobTemplate }, postgres, options);
    expect(custom.spec).toMatchObject({ activeDeadlineSeconds: 3600, backoffLimit: 0, ttlSecondsAfterFinished: 86400 });
    expect(custom.spec!.template.spec).toMatchObject({
      nodeSelector: { 'kubernetes.io/arch': 'arm64' },
      tolerations: [{ key: 'backup', operator: 'Exists', effect: 'NoSchedule' }],
      serviceAccountName: 'lifeboat-runner',
    });
    expect(container(custom).resources).toEqual({ requests: { cpu: '1', memory: '512' }, limits: { memory: '2Gi' } });
  });
});

describe('the run\'s other Jobs', () => {
  it('writes the run manifest in <run>--finalize, with a task the runner accepts', () => {
    const finalize = buildFinalizeJob(run, ['db', 'files'], options);
    expect(finalize.metadata!.name).toBe('app-1735696800--finalize');
    expect(finalize.metadata!.labels!['lifeboat.dev/step']).toBe('finalize');
    expect(container(finalize).args).toEqual(['finalize-run']);
    expect(TASK_SCHEMAS['finalize-run'].parse(task(finalize))).toMatchObject({ location: { run: 'app-1735696800', schedule: 'app' }, sources: ['db', 'files'] });
    expect(env(finalize, 'PGPASSWORD')).toBeUndefined();
  });

  it('reads the artifacts back in <run>--verify, with a task the runner accepts', () => {
    const verify = buildVerifyJob(run, options);
    expect(verify.metadata!.name).toBe('app-1735696800--verify');
    expect(container(verify).args).toEqual(['verify']);
    expect(TASK_SCHEMAS.verify.parse(task(verify))).toMatchObject({ location: { namespace: 'prod', schedule: 'app', run: 'app-1735696800' } });
  });

  it('puts a run without a schedule under the "unscheduled" folder', () => {
    const unscheduled = buildBackupJob({ ...run, schedule: undefined }, postgres, options);
    expect(task(unscheduled)).toMatchObject({ location: { schedule: 'unscheduled' } });
    expect(unscheduled.metadata!.labels!['lifeboat.dev/schedule']).toBeUndefined();
  });
});
