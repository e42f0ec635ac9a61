// What the API server itself refuses, and what it says: every case is one mistake a user makes,
// applied with `kubectl apply --server-side`, and the message must name the field and the problem.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { createNamespace, installCrds, makeKubectl, ok, toYaml, type Kubectl } from './kubectl.ts';

let kubectl: Kubectl;
let namespace: string;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the manifests are deliberately wrong: untyped JSON
type Json = any;
type Spec = Record<string, Json>;
type Manifest = { apiVersion: string; kind: string; metadata: { name: string }; spec: Spec };

const apiVersion = 'lifeboat.dev/v1alpha1';
const storage = { bucket: 'lifeboat-backups', endpoint: 'http://minio:9000', forcePathStyle: true, credentialsSecret: { name: 'backup-storage' } };
const database = { name: 'app-db', postgres: { host: 'app-db', database: 'app', connectionSecret: { name: 'app-db-backup' } } };
const bucket = { name: 'uploads', bucket: { bucket: 'uploads', endpoint: 'http://minio:9000' } };

function schedule(name: string, change: (spec: Spec) => void = () => {}): Manifest {
  const spec: Spec = structuredClone({ schedule: '30 2 * * *', storage, sources: [database, bucket], retention: { keepDaily: 7 } });
  change(spec);
  return { apiVersion, kind: 'BackupSchedule', metadata: { name }, spec };
}

function run(name: string, spec: Spec): Manifest {
  return { apiVersion, kind: 'BackupRun', metadata: { name }, spec };
}

function restore(name: string, change: (spec: Spec) => void = () => {}): Manifest {
  const spec: Spec = structuredClone({
    backup: { scheduleRef: { name: 'app' } },
    targets: [{ source: 'app-db', postgres: { host: 'app-db', database: 'app_restored', connectionSecret: { name: 'restore' } } }],
  });
  change(spec);
  return { apiVersion, kind: 'RestoreRequest', metadata: { name }, spec };
}

function drill(name: string, change: (spec: Spec) => void = () => {}): Manifest {
  const spec: Spec = structuredClone({
    scheduleRef: { name: 'app' },
    scenario: 'DatabaseLoss',
    objectives: { rto: '1h', rpo: '24h' },
    scratch: { postgres: { host: 'scratch-db', connectionSecret: { name: 'scratch' } } },
  });
  change(spec);
  return { apiVersion, kind: 'DRDrill', metadata: { name }, spec };
}

interface Case {
  /** Created first (and accepted), for mistakes that are only mistakes as changes. */
  existing?: Manifest;
  manifest: Manifest;
  /** Every fragment must appear in kubectl's error output. */
  says: string[];
}

const cases: Record<string, Case> = {
  // BackupSchedule
  'a schedule without a cron schedule': {
    manifest: schedule('no-cron', (s) => delete s.schedule),
    says: ['spec.schedule: Required value'],
  },
  'a schedule without sources': {
    manifest: schedule('no-sources', (s) => delete s.sources),
    says: ['spec.sources: Required value'],
  },
  'a schedule with an empty source list': {
    manifest: schedule('empty-sources', (s) => (s.sources = [])),
    says: ['spec.sources', 'should have at least 1 items'],
  },
  'a schedule without storage': {
    manifest: schedule('no-storage', (s) => delete s.storage),
    says: ['spec.storage: Required value'],
  },
  'a source with both postgres and bucket': {
    manifest: schedule('both-types', (s) => (s.sources[0].bucket = bucket.bucket)),
    says: ['spec.sources[0]', 'set exactly one of postgres or bucket'],
  },
  'a source with neither postgres nor bucket': {
    manifest: schedule('neither-type', (s) => (s.sources[1] = { name: 'uploads' })),
    says: ['spec.sources[1]', 'set exactly one of postgres or bucket'],
  },
  'two sources with the same name': {
    manifest: schedule('duplicate-sources', (s) => (s.sources[1].name = 'app-db')),
    says: ['.spec.sources', 'duplicate entries for key [name="app-db"]'],
  },
  'a cron expression in words': {
    manifest: schedule('words-cron', (s) => (s.schedule = 'every day at 2')),
    says: ['spec.schedule', '"every day at 2" must be a cron expression with 5 fields'],
  },
  'a cron expression with seconds (6 fields)': {
    manifest: schedule('six-fields', (s) => (s.schedule = '0 30 2 * * *')),
    says: ['spec.schedule', 'must be a cron expression with 5 fields'],
  },
  'a cron expression with minute 60': {
    manifest: schedule('minute-60', (s) => (s.schedule = '60 2 * * *')),
    says: ['spec.schedule', 'must be a cron expression with 5 fields'],
  },
  'a time zone that is not an IANA name': {
    manifest: schedule('bad-zone', (s) => (s.timeZone = 'Central European Time')),
    says: ['spec.timeZone', 'must be an IANA time zone name'],
  },
  'a negative retention count': {
    manifest: schedule('negative-retention', (s) => (s.retention = { keepDaily: -1 })),
    says: ['spec.retention.keepDaily', 'should be greater than or equal to 0'],
  },
  'an RPO in days': {
    manifest: schedule('rpo-days', (s) => (s.objectives = { rpo: '1d' })),
    says: ['spec.objectives.rpo', 'must be a duration such as 30m, 1h, 1h30m or 24h'],
  },
  'a password inline under postgres': {
    manifest: schedule('inline-password', (s) => (s.sources[0].postgres.password = 'hunter2')),
    says: ['.spec.sources[name="app-db"].postgres.password: field not declared in schema'],
  },
  'a secret access key inline in the storage credentials': {
    manifest: schedule('inline-key', (s) => (s.storage.credentialsSecret.secretAccessKey = 'AKIA-not-a-key')),
    says: ['.spec.storage.credentialsSecret.secretAccessKey: field not declared in schema'],
  },
  'an unknown concurrency policy': {
    manifest: schedule('bad-policy', (s) => (s.concurrencyPolicy = 'Allow')),
    says: ['spec.concurrencyPolicy', 'Unsupported value: "Allow"', '"Forbid", "Replace"'],
  },
  'an unknown sslMode': {
    manifest: schedule('bad-sslmode', (s) => (s.sources[0].postgres.sslMode = 'strict')),
    says: ['spec.sources[0].postgres.sslMode', 'Unsupported value: "strict"', '"verify-full"'],
  },
  'a port out of range': {
    manifest: schedule('bad-port', (s) => (s.sources[0].postgres.port = 70000)),
    says: ['spec.sources[0].postgres.port', 'should be less than or equal to 65535'],
  },
  'a bucket name with capitals and an underscore': {
    manifest: schedule('bad-bucket', (s) => (s.storage.bucket = 'Lifeboat_Backups')),
    says: ['spec.storage.bucket', 'must be a bucket name'],
  },
  'a bucket name formatted like an IP address': {
    manifest: schedule('ip-bucket', (s) => (s.sources[1].bucket.bucket = '192.168.1.10')),
    says: ['spec.sources[1].bucket.bucket', '"192.168.1.10" must be a bucket name', 'not formatted like an IP address'],
  },
  'an endpoint without a scheme': {
    manifest: schedule('bad-endpoint', (s) => (s.storage.endpoint = 'minio:9000')),
    says: ['spec.storage.endpoint', 'should match'],
  },
  'a source name longer than 63 characters': {
    manifest: schedule('long-source', (s) => (s.sources[0].name = 'a'.repeat(64))),
    says: ['spec.sources[0].name', 'may not be more than 63 bytes'],
  },
  'a source name with capitals': {
    manifest: schedule('caps-source', (s) => (s.sources[0].name = 'AppDB')),
    says: ['spec.sources[0].name', 'should match'],
  },
  'a schedule name longer than 52 characters': {
    manifest: schedule('s'.repeat(53)),
    says: ['metadata.name must be at most 52 characters', '<schedule>-<timestamp>'],
  },
  'a CPU request that is not a quantity': {
    manifest: schedule('bad-quantity', (s) => (s.jobTemplate = { resources: { requests: { cpu: 'lots' } } })),
    says: ['spec.jobTemplate.resources.requests.cpu', 'should match'],
  },
  // BackupRun
  'a run with neither scheduleRef nor sources and storage': {
    manifest: run('empty-run', { deletionPolicy: 'Retain' }),
    says: ['set scheduleRef', 'or both sources and storage'],
  },
  'a run with sources but no storage': {
    manifest: run('half-run', { scheduleRef: { name: 'app' }, sources: [database] }),
    says: ['set sources and storage together'],
  },
  'an unknown deletion policy': {
    manifest: run('bad-deletion', { scheduleRef: { name: 'app' }, deletionPolicy: 'Keep' }),
    says: ['spec.deletionPolicy', 'Unsupported value: "Keep"', '"Delete", "Retain"'],
  },
  'a run whose schedule is changed after creation': {
    existing: run('moved-run', { scheduleRef: { name: 'app' } }),
    manifest: run('moved-run', { scheduleRef: { name: 'other' } }),
    says: ['spec.scheduleRef', 'scheduleRef is immutable: create a new BackupRun instead'],
  },
  'a run whose sources are added after creation': {
    existing: run('grown-run', { scheduleRef: { name: 'app' } }),
    manifest: run('grown-run', { scheduleRef: { name: 'app' }, sources: [database], storage }),
    says: ['cannot be added or removed after creation'],
  },
  'a run whose copied sources are edited': {
    existing: run('edited-run', { sources: [database], storage }),
    manifest: run('edited-run', { sources: [{ ...database, name: 'other-db' }], storage }),
    says: ['spec.sources', 'sources is immutable'],
  },
  // RestoreRequest
  'a restore that names both a run and a schedule': {
    manifest: restore('two-backups', (s) => (s.backup.backupRunRef = { name: 'app-1' })),
    says: ['spec.backup', 'set exactly one of backupRunRef'],
  },
  'notAfter with a specific run': {
    manifest: restore('pit-run', (s) => (s.backup = { backupRunRef: { name: 'app-1' }, notAfter: '2025-03-14T15:00:00Z' })),
    says: ['spec.backup.notAfter', 'set scheduleRef with it'],
  },
  'notAfter that is not a timestamp': {
    manifest: restore('pit-words', (s) => (s.backup.notAfter = 'yesterday afternoon')),
    says: ['spec.backup.notAfter', 'must be of type date-time'],
  },
  'a restore without targets': {
    manifest: restore('no-targets', (s) => (s.targets = [])),
    says: ['spec.targets', 'should have at least 1 items'],
  },
  'an unknown bucket overwrite policy': {
    manifest: restore('bad-overwrite', (s) =>
      s.targets.push({ source: 'uploads', bucket: { bucket: 'uploads', overwritePolicy: 'Replace' } }),
    ),
    says: ['spec.targets[1].bucket.overwritePolicy', 'Unsupported value: "Replace"', '"Skip", "Overwrite", "Fail"'],
  },
  'a restore changed after creation': {
    existing: restore('changed-restore'),
    manifest: restore('changed-restore', (s) => (s.targets[0].postgres.database = 'app')),
    says: ['spec is immutable: create a new RestoreRequest'],
  },
  'a restore name longer than 63 characters': {
    manifest: restore('r'.repeat(64)),
    says: ['metadata.name must be at most 63 characters'],
  },
  // DRDrill
  'a drill without objectives': {
    manifest: drill('no-objectives', (s) => delete s.objectives),
    says: ['spec.objectives: Required value'],
  },
  'an RTO written in words': {
    manifest: drill('rto-words', (s) => (s.objectives.rto = '1 hour')),
    says: ['spec.objectives.rto', 'must be a duration such as 30m, 1h, 1h30m or 24h'],
  },
  'an unknown scenario': {
    manifest: drill('flood', (s) => (s.scenario = 'Flood')),
    says: ['spec.scenario', 'Unsupported value: "Flood"', '"DatabaseLoss", "StorageLoss", "CompleteFailure"'],
  },
  'a complete-failure drill without scratch S3': {
    manifest: drill('no-scratch-s3', (s) => (s.scenario = 'CompleteFailure')),
    says: ['spec.scratch', 'scenarios StorageLoss and CompleteFailure restore buckets: set scratch.s3'],
  },
  'a database-loss drill without a scratch database': {
    manifest: drill('no-scratch-db', (s) => (s.scratch = { s3: { endpoint: 'http://minio:9000' } })),
    says: ['spec.scratch', 'set scratch.postgres'],
  },
  'a time zone on a one-off drill': {
    manifest: drill('zone-only', (s) => (s.timeZone = 'Europe/Berlin')),
    says: ['spec.timeZone', 'timeZone only applies to a recurring drill'],
  },
  'an SQL check without expectations': {
    manifest: drill('no-expectation', (s) => (s.verify = { sql: [{ name: 'users', query: 'SELECT count(*) FROM users', expect: {} }] })),
    says: ['spec.verify.sql[0].expect', 'set at least one expectation'],
  },
  'an unknown cleanup policy': {
    manifest: drill('bad-cleanup', (s) => (s.scratch.cleanup = 'Sometimes')),
    says: ['spec.scratch.cleanup', 'Unsupported value: "Sometimes"'],
  },
};

beforeAll(async () => {
  kubectl = makeKubectl();
  await installCrds(kubectl);
  namespace = await createNamespace(kubectl, 'api-invalid');
});

const apply = (manifest: Manifest) => kubectl(['apply', '--server-side', '-n', namespace, '-f', '-'], toYaml(manifest));

describe('the API server rejects', () => {
  it('at least 25 kinds of mistakes (this table)', () => {
    expect(Object.keys(cases).length).toBeGreaterThanOrEqual(25);
  });

  it.each(Object.entries(cases))('%s', async (_, { existing, manifest, says }) => {
    if (existing) await ok(kubectl, ['apply', '--server-side', '-n', namespace, '-f', '-'], toYaml(existing));
    const result = await apply(manifest);
    expect(result.code).not.toBe(0);
    for (const fragment of says) expect(result.stderr).toContain(fragment);
  });
});

describe('the API server accepts', () => {
  it('the base manifests of the table, so that each case fails for its own reason', async () => {
    for (const manifest of [schedule('base'), run('base', { scheduleRef: { name: 'base' } }), restore('base'), drill('base')]) {
      await ok(kubectl, ['apply', '--server-side', '-n', namespace, '-f', '-'], toYaml(manifest));
    }
  });

  it('changing the deletionPolicy of an existing run (the one mutable field)', async () => {
    await ok(kubectl, ['apply', '--server-side', '-n', namespace, '-f', '-'], toYaml(run('retained-run', { scheduleRef: { name: 'app' } })));
    await ok(kubectl, ['apply', '--server-side', '-n', namespace, '-f', '-'], toYaml(run('retained-run', { scheduleRef: { name: 'app' }, deletionPolicy: 'Retain' })));
  });
});

describe('an inline secret', () => {
  const withPassword = schedule('inline-secret', (s) => (s.sources[0].postgres.password = 'hunter2'));

  it('is refused by kubectl create, which asks for strict field validation by default', async () => {
    const result = await kubectl(['create', '-n', namespace, '-f', '-'], toYaml(withPassword));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('strict decoding error: unknown field "spec.sources[0].postgres.password"');
  });

  it('is pruned, never stored, when a client turns field validation off', async () => {
    await ok(kubectl, ['create', '--validate=false', '-n', namespace, '-f', '-'], toYaml(withPassword));
    const stored = JSON.parse(await ok(kubectl, ['get', '-n', namespace, 'backupschedule/inline-secret', '-o', 'json']));
    expect(stored.spec.sources[0].postgres).not.toHaveProperty('password');
    expect(JSON.stringify(stored)).not.toContain('hunter2');
  });
});
