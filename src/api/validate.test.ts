// The validators for what the API server cannot check, over small fixture specs.
import { describe, expect, it } from '@jest/globals';
import {
  BackupRunSpec,
  BackupScheduleSpec,
  DRDrillSpec,
  RestoreRequestSpec,
  errorsOf,
  problemsFromZod,
  validateBackupRun,
  validateBackupSchedule,
  validateDRDrill,
  validateRestoreRequest,
} from './index.ts';

const storage = { bucket: 'backups', prefix: 'prod', endpoint: 'http://minio:9000', credentialsSecret: { name: 's3' } };
const postgresSource = { name: 'db', postgres: { host: 'db', database: 'app', connectionSecret: { name: 'pg' } } };
const bucketSource = (name: string, bucket: string, prefix?: string) => ({
  name,
  bucket: { bucket, endpoint: 'http://minio:9000', ...(prefix === undefined ? {} : { prefix }) },
});

function schedule(overrides: Record<string, unknown> = {}) {
  return BackupScheduleSpec.parse({ schedule: '30 2 * * *', storage, sources: [postgresSource], ...overrides });
}

function drill(overrides: Record<string, unknown> = {}) {
  return DRDrillSpec.parse({
    scheduleRef: { name: 'app' },
    scenario: 'DatabaseLoss',
    objectives: { rto: '1h', rpo: '24h' },
    scratch: { postgres: { host: 'scratch', connectionSecret: { name: 'scratch' } } },
    ...overrides,
  });
}

function restore(targets: unknown[]) {
  return RestoreRequestSpec.parse({ backup: { scheduleRef: { name: 'app' } }, targets });
}

describe('validateBackupSchedule', () => {
  it('accepts a plain daily schedule', () => {
    expect(validateBackupSchedule(schedule())).toEqual([]);
  });

  it('fills in the defaults a user expects', () => {
    const spec = schedule();
    expect(spec).toMatchObject({ timeZone: 'UTC', suspend: false, concurrencyPolicy: 'Forbid', retention: { keepLast: 7 } });
    expect(spec.sources[0]!.postgres).toMatchObject({ port: 5432, sslMode: 'prefer', format: 'Custom', compression: 'Zstd', connectionSecret: { usernameKey: 'username', passwordKey: 'password' } });
    expect(spec.storage).toMatchObject({ region: 'us-east-1', forcePathStyle: false });
  });

  it('reports an unknown time zone on spec.timeZone', () => {
    expect(validateBackupSchedule(schedule({ timeZone: 'Europe/Berln' }))).toEqual([
      { field: 'spec.timeZone', message: 'unknown time zone "Europe/Berln": did you mean Europe/Berlin?', severity: 'Error' },
    ]);
  });

  it('reports a schedule that never fires', () => {
    expect(errorsOf(validateBackupSchedule(schedule({ schedule: '0 3 30 2 *' })))).toEqual([
      expect.objectContaining({ field: 'spec.schedule', message: expect.stringContaining('never fires') }),
    ]);
  });

  it('warns (but does not fail) when the RPO cannot be met between daily backups', () => {
    const problems = validateBackupSchedule(schedule({ objectives: { rpo: '1h' } }));
    expect(errorsOf(problems)).toEqual([]);
    expect(problems).toEqual([expect.objectContaining({ field: 'spec.objectives.rpo', severity: 'Warning' })]);
  });

  it('rejects a zero RPO', () => {
    expect(validateBackupSchedule(schedule({ objectives: { rpo: '0m' } }))).toEqual([
      { field: 'spec.objectives.rpo', message: '"0m" must be a duration longer than zero, e.g. 24h', severity: 'Error' },
    ]);
  });

  it('rejects backing up the backup bucket into itself', () => {
    const problems = validateBackupSchedule(schedule({ sources: [bucketSource('all', 'backups')] }));
    expect(problems).toEqual([expect.objectContaining({ field: 'spec.sources[0].bucket', severity: 'Error' })]);
  });

  it('allows a source in the backup bucket under a separate prefix', () => {
    expect(validateBackupSchedule(schedule({ sources: [bucketSource('other', 'backups', 'other-data')] }))).toEqual([]);
    expect(validateBackupSchedule(schedule({ sources: [bucketSource('same', 'backups', 'prod/x')] }))).toHaveLength(1);
  });

  it('reports duplicate source names even when the API server was bypassed', () => {
    const spec = schedule();
    spec.sources.push({ ...spec.sources[0]! });
    expect(validateBackupSchedule(spec)).toEqual([expect.objectContaining({ field: 'spec.sources[1].name', message: expect.stringContaining('"db" is used twice') })]);
  });
});

describe('BackupScheduleSpec parsing mirrors the CEL rules', () => {
  it.each([
    ['a source with both postgres and bucket', { sources: [{ ...postgresSource, ...bucketSource('db', 'data') }] }, 'spec.sources[0]', 'set exactly one of postgres or bucket'],
    ['a source with neither', { sources: [{ name: 'db' }] }, 'spec.sources[0]', 'set exactly one of postgres or bucket'],
    ['a bad cron', { schedule: 'every day' }, 'spec.schedule', 'must be a cron expression'],
    ['a bad bucket name', { storage: { ...storage, bucket: 'My_Bucket' } }, 'spec.storage.bucket', 'must be a bucket name'],
    ['an RPO in days', { objectives: { rpo: '1d' } }, 'spec.objectives.rpo', 'must be a duration'],
  ])('rejects %s', (_, overrides, field, message) => {
    const result = BackupScheduleSpec.safeParse({ schedule: '30 2 * * *', storage, sources: [postgresSource], ...overrides });
    expect(problemsFromZod(result.error!)).toContainEqual({ field, message: expect.stringContaining(message), severity: 'Error' });
  });
});

describe('validateBackupRun', () => {
  it('has nothing to check for "back up now" (only scheduleRef)', () => {
    expect(validateBackupRun(BackupRunSpec.parse({ scheduleRef: { name: 'app' } }))).toEqual([]);
  });

  it('checks copied sources like a schedule does', () => {
    const spec = BackupRunSpec.parse({ sources: [bucketSource('self', 'backups')], storage });
    expect(validateBackupRun(spec)).toEqual([expect.objectContaining({ field: 'spec.sources[0].bucket' })]);
  });

  it.each([
    [{}, 'set scheduleRef'],
    [{ sources: [postgresSource] }, 'set scheduleRef'],
    [{ scheduleRef: { name: 'app' }, storage }, 'set sources and storage together'],
  ])('parsing %j fails with %j', (spec, message) => {
    expect(BackupRunSpec.safeParse(spec).error?.issues.map((i) => i.message).join('; ')).toContain(message);
  });

  it('defaults deletionPolicy to Delete', () => {
    expect(BackupRunSpec.parse({ scheduleRef: { name: 'app' } }).deletionPolicy).toBe('Delete');
  });
});

describe('validateRestoreRequest', () => {
  const pgTarget = (source: string, database: string) => ({ source, postgres: { host: 'db', database, connectionSecret: { name: 'pg' } } });
  const bucketTarget = (source: string, bucket: string, remap?: { from: string; to: string }) => ({
    source,
    bucket: { bucket, ...(remap ? { prefixRemap: remap } : {}) },
  });

  it('accepts targets with their own destinations', () => {
    expect(validateRestoreRequest(restore([pgTarget('db', 'restored'), bucketTarget('uploads', 'uploads')]))).toEqual([]);
  });

  it('rejects two targets writing into the same database', () => {
    expect(validateRestoreRequest(restore([pgTarget('db', 'restored'), pgTarget('db2', 'restored')]))).toEqual([
      expect.objectContaining({ field: 'spec.targets[1]', severity: 'Error' }),
    ]);
  });

  it('allows two sources into one bucket under different prefixes', () => {
    const targets = [bucketTarget('a', 'restore', { from: '', to: 'a/' }), bucketTarget('b', 'restore', { from: '', to: 'b/' })];
    expect(validateRestoreRequest(restore(targets))).toEqual([]);
  });

  it('warns about a remap onto itself', () => {
    expect(validateRestoreRequest(restore([bucketTarget('a', 'restore', { from: 'x/', to: 'x/' })]))).toEqual([
      expect.objectContaining({ field: 'spec.targets[0].bucket.prefixRemap', severity: 'Warning' }),
    ]);
  });

  it('parsing requires exactly one way to pick the backup, and notAfter only with a schedule', () => {
    const targets = [pgTarget('db', 'x')];
    expect(RestoreRequestSpec.safeParse({ backup: {}, targets }).success).toBe(false);
    expect(RestoreRequestSpec.safeParse({ backup: { backupRunRef: { name: 'r' }, notAfter: '2025-01-01T00:00:00Z' }, targets }).success).toBe(false);
    expect(RestoreRequestSpec.safeParse({ backup: { scheduleRef: { name: 's' }, notAfter: '2025-01-01T00:00:00+01:00' }, targets }).success).toBe(true);
  });

  it('defaults to the safe choices: fail rather than overwrite', () => {
    const spec = restore([pgTarget('db', 'x'), bucketTarget('b', 'yyy')]);
    expect(spec.targets[0]!.postgres).toMatchObject({ overwritePolicy: 'Fail', createDatabase: true, parallelJobs: 1, noOwner: true });
    expect(spec.targets[1]!.bucket).toMatchObject({ overwritePolicy: 'Fail', createBucket: true });
  });
});

describe('validateDRDrill', () => {
  it('accepts a one-off drill', () => {
    expect(validateDRDrill(drill())).toEqual([]);
  });

  it('checks the schedule of a recurring drill', () => {
    expect(validateDRDrill(drill({ schedule: '0 4 * * 0', timeZone: 'Europe/Paris' }))).toEqual([]);
    expect(validateDRDrill(drill({ schedule: '0 4 * * 0', timeZone: 'Europe/Pariss' }))).toEqual([
      expect.objectContaining({ field: 'spec.timeZone', message: expect.stringContaining('did you mean Europe/Paris?') }),
    ]);
  });

  it('rejects zero objectives', () => {
    expect(validateDRDrill(drill({ objectives: { rto: '0s', rpo: '24h' } }))).toEqual([
      { field: 'spec.objectives.rto', message: '"0s" must be a duration longer than zero, e.g. 1h', severity: 'Error' },
    ]);
  });

  it('defaults verification to row counts and checksums', () => {
    expect(drill().verify).toEqual({ rowCounts: true, objectChecksums: true, schemaObjects: true });
    expect(drill().timeout).toBe('2h');
    expect(drill().scratch.cleanup).toBe('Always');
  });

  it.each([
    ['StorageLoss without scratch.s3', { scenario: 'StorageLoss' }, 'set scratch.s3'],
    ['CompleteFailure without scratch.s3', { scenario: 'CompleteFailure' }, 'set scratch.s3'],
    ['a time zone without a schedule', { timeZone: 'UTC' }, 'timeZone only applies to a recurring drill'],
    ['an SQL check without expectations', { verify: { sql: [{ name: 'x', query: 'SELECT 1', expect: {} }] } }, 'set at least one expectation'],
    ['atLeast above atMost', { verify: { sql: [{ name: 'x', query: 'SELECT 1', expect: { atLeast: 2, atMost: 1 } }] } }, 'atLeast must not be greater than atMost'],
  ])('parsing rejects %s', (_, overrides, message) => {
    const result = DRDrillSpec.safeParse({
      scheduleRef: { name: 'app' },
      scenario: 'DatabaseLoss',
      objectives: { rto: '1h', rpo: '24h' },
      scratch: { postgres: { host: 'scratch', connectionSecret: { name: 'scratch' } } },
      ...overrides,
    });
    expect(result.error?.issues.map((i) => i.message)).toContainEqual(expect.stringContaining(message));
  });
});
