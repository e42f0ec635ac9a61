// DR drills that fail, end to end: each failure the issue lists ends the DRDrillRun with its
// exact reason, message, failed step and (where there is one) the check with what was expected
// and found, in status AND in the JSON and Markdown reports written next to the backups; the
// scratch targets are gone afterwards (cleanup Always), and `kubectl get` shows the reason.
//
// One Scene. The backup of schedule `app` (the database and a bucket) is shared by the drills
// that need a good backup; a damaged backup gets its own schedule, so that "the newest backup"
// of each schedule is the one the case is about whatever the order:
//   - `corrupt`: one byte of the database artifact flipped           -> ChecksumMismatch
//   - `recount`: the artifact manifest's row count of one table off  -> CheckFailed (RowCount)
//   - `slow`:    a database whose index takes minutes to build, but only in a scratch
//                database (the indexed function sleeps there)         -> Timeout during the restore
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { GetObjectCommand, HeadBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { ok } from '../api/kubectl.ts';
import { adminClient, flipStoredByte } from '../runner/bucket-support.ts';
import { createDatabase, databaseExists, dropDatabase, withDatabase } from '../runner/runner-harness.ts';
import { scheduleManifest } from '../../support/backup-fixture.ts';
import { testEnv } from '../../support/env.ts';
import { BACKUP_SCHEDULES, makeKubectl, Scene, waitFor, type RunObject } from './support.ts';
import { createDrill, createDrillRun, drillPlan, finalDrillRun, getDrillRun, type DrillRunObject } from './drill-support.ts';
import { JOBS } from '../../../src/kube/resource-type.ts';
import type { KubeObject } from '../../../src/kube/types.ts';

jest.setTimeout(420_000);

type Status = NonNullable<DrillRunObject['status']>;
type Check = NonNullable<Status['checks']>[number];
type StepName = 'SelectBackup' | 'Provision' | 'RestoreDatabase' | 'RestoreBuckets' | 'Verify' | 'Cleanup';
const STEPS: StepName[] = ['SelectBackup', 'Provision', 'RestoreDatabase', 'RestoreBuckets', 'Verify', 'Cleanup'];

interface RunManifest {
  sources: { name: string; kind: 'postgres' | 'bucket'; manifestKey: string; artifactKey: string; sizeBytes: number; sha256: string }[];
}

interface ReportJson {
  result: string;
  reason: string | null;
  message: string | null;
  run: string;
  objectives: string | null;
  rto: { met: boolean | null };
  rpo: { met: boolean | null };
  steps: { name: string; phase: string | null; message: string | null }[];
  checks: { failed: number; items: { name: string; type: string; result: string; expected: string | null; actual: string | null }[] };
  scratch: { databases: string[]; buckets: string[]; leftBehind: string[] };
  advice: { reason: string; title: string }[];
}

/** Indexed function that sleeps 0.5 s a row, but only in a drill's scratch database. */
const SLOW_SCHEMA = `
  CREATE FUNCTION slow_key(v int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
  BEGIN
    IF starts_with(current_database(), 'lifeboat_scratch_') THEN PERFORM pg_sleep(0.5); END IF;
    RETURN v;
  END $$;
  CREATE TABLE slow_rows (id int PRIMARY KEY, note text NOT NULL);
  INSERT INTO slow_rows SELECT n, 'row ' || n FROM generate_series(1, 600) AS n;
  CREATE INDEX slow_rows_key ON slow_rows (slow_key(id));
`;

describe('DR drills that fail', () => {
  const kubectl = makeKubectl();
  let scene: Scene;
  let slowDatabase: string;
  const extraDatabases: string[] = [];
  /** Names of the failed runs and their reasons, for the kubectl check. */
  const failed = new Map<string, string>();
  /** The runs created up front (they run side by side), by case. */
  const runs = new Map<string, Promise<DrillRunObject>>();
  let s3: S3Client;

  const text = async (bucket: string, key: string) => (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString('utf8');
  const runManifest = async (schedule: string, run: string): Promise<RunManifest> =>
    JSON.parse(await text(scene.fixture.backupBucket, `backups/${scene.namespace}/${schedule}/${run}/manifest.json`)) as RunManifest;

  /** lifeboat_scratch_<runId>_<index> / lifeboat-scratch-<runId>-<index>, runId = creation seconds + 4 of the uid. */
  const runIdOf = (run: DrillRunObject) =>
    `${Math.floor(Date.parse(run.metadata.creationTimestamp as string) / 1000)}${(run.metadata.uid ?? '').replace(/[^a-z0-9]/g, '').slice(0, 4)}`;
  const scratchNames = (run: DrillRunObject) =>
    (run.status?.backup?.sources ?? []).map((source, index) => ({
      source: source.name,
      kind: source.kind,
      name: source.kind === 'Postgres' ? `lifeboat_scratch_${runIdOf(run)}_${index}` : `lifeboat-scratch-${runIdOf(run)}-${index}`,
    }));
  const bucketExists = async (bucket: string) => {
    try {
      await s3.send(new HeadBucketCommand({ Bucket: bucket }));
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'NotFound') return false;
      throw error;
    }
  };

  /** Every scratch target of the run, recorded or not, is gone (but `kept`, which the drill did not create). */
  const expectScratchGone = async (run: DrillRunObject, kept: string[] = []) => {
    const names = scratchNames(run);
    expect(names.length).toBeGreaterThan(0);
    for (const { kind, name } of names) {
      if (kept.includes(name)) continue;
      expect({ name, exists: kind === 'Postgres' ? await databaseExists(name) : await bucketExists(name) }).toEqual({ name, exists: false });
    }
    expect(run.status?.scratch?.leftBehind).toBeUndefined();
  };

  const startDrill = (name: string, plan: Record<string, unknown>) => {
    const created = createDrillRun(scene.client, scene.namespace, name, 'failures', plan);
    // Caught here so that a case that is not awaited yet never counts as an unhandled rejection.
    const final = created.then(() => finalDrillRun(scene.client, scene.namespace, name, 300_000));
    final.catch(() => undefined);
    runs.set(name, final);
    return created;
  };

  /**
   * The drill failed with `reason` and `message`; its steps have the phases given (the others
   * were skipped, and cleanup ran), the checks given failed, and an event says so; the JSON and
   * Markdown reports in storage say the same. Returns the report.
   */
  const expectFailure = async (
    run: DrillRunObject,
    expected: {
      reason: string;
      message: string | RegExp;
      phases: Partial<Record<StepName, string>>;
      stepMessage?: Partial<Record<StepName, string | RegExp>>;
      checks?: Partial<Check>[];
      /** Whether the data was recovered and verified, so that RTO and RPO were measured. */
      measured?: boolean;
    },
  ): Promise<{ json: ReportJson; markdown: string }> => {
    const status = run.status!;
    const name = run.metadata.name!;
    failed.set(name, expected.reason);
    expect({ result: status.result, reason: status.reason }).toEqual({ result: 'Failed', reason: expected.reason });
    expect(status.message).toEqual(typeof expected.message === 'string' ? expected.message : expect.stringMatching(expected.message));
    expect(Object.fromEntries(status.steps!.map((step) => [step.name, step.phase]))).toEqual(
      Object.fromEntries(STEPS.map((step) => [step, expected.phases[step] ?? (step === 'Cleanup' ? 'Succeeded' : 'Skipped')])),
    );
    for (const [step, message] of Object.entries(expected.stepMessage ?? {})) {
      expect(status.steps!.find((s) => s.name === step)?.message).toEqual(typeof message === 'string' ? message : expect.stringMatching(message));
    }
    for (const step of status.steps!.filter((s) => s.phase === 'Skipped' && s.name !== 'Cleanup')) {
      expect([`skipped: ${expected.reason}`, 'nothing to do for this scenario']).toContain(step.message);
    }
    for (const check of expected.checks ?? []) expect(status.checks).toEqual(expect.arrayContaining([expect.objectContaining({ ...check, result: 'Failed' })]));
    expect(status.conditions).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'Complete', status: 'True', reason: 'Failed', message: `the drill failed: ${expected.reason}: ${status.message}` })]),
    );
    expect(await scene.eventReasons(name, ['DrillFailed', 'ReportWritten'])).toEqual(expect.arrayContaining(['DrillFailed', 'ReportWritten']));
    if (!expected.measured) {
      // Nothing was recovered: no RTO, RPO or objectives, rather than figures that look met.
      expect({ rto: status.rto, rpo: status.rpo, objectives: status.objectives }).toEqual({ rto: undefined, rpo: undefined, objectives: undefined });
      expect(status.conditions!.map((condition) => condition.type)).toEqual(expect.not.arrayContaining(['RTOMet', 'RPOMet']));
    }

    // The report, next to the backups, says the same; its SHA-256 is in status.
    const report = status.report!;
    expect(report.jsonKey).toBe(`backups/${scene.namespace}/_drills/${name}/report.json`);
    expect(report.markdownKey).toBe(`backups/${scene.namespace}/_drills/${name}/report.md`);
    const jsonText = await text(scene.fixture.backupBucket, report.jsonKey!);
    const markdown = await text(scene.fixture.backupBucket, report.markdownKey!);
    expect(createHash('sha256').update(jsonText).digest('hex')).toBe(report.jsonSha256);
    expect(createHash('sha256').update(markdown).digest('hex')).toBe(report.markdownSha256);
    const json = JSON.parse(jsonText) as ReportJson;
    expect({ run: json.run, result: json.result, reason: json.reason, message: json.message }).toEqual({ run: name, result: 'Failed', reason: expected.reason, message: status.message });
    expect(json.steps.map((step) => [step.name, step.phase])).toEqual(status.steps!.map((step) => [step.name, step.phase]));
    expect(json.advice[0]?.reason).toBe(expected.reason);
    if (!expected.measured) expect({ objectives: json.objectives, rto: json.rto.met, rpo: json.rpo.met }).toEqual({ objectives: null, rto: null, rpo: null });
    for (const check of expected.checks ?? []) {
      expect(json.checks.items).toEqual(expect.arrayContaining([expect.objectContaining({ ...check, result: 'Failed' })]));
    }
    expect(markdown).toContain(`# DR drill failures, run ${name}: Failed (${expected.reason})`);
    expect(markdown).toContain(`| Result | Failed (${expected.reason}) |`);
    expect(markdown).toContain(`### ${expected.reason}: `);
    for (const check of expected.checks ?? []) {
      // Plain names are code spans; others (a space) plain text.
      const name = /^[A-Za-z0-9._:/@+=,-]+$/.test(check.name!) ? `\`${check.name}\`` : check.name;
      const row = markdown.split('\n').find((line) => line.startsWith(`| **Failed** | ${name} |`));
      expect(row).toBeDefined();
      if (check.type) expect(row).toContain(`| ${check.type} |`);
      if (check.expected) expect(row).toContain(`| ${check.expected} |`);
      if (check.actual) expect(row).toContain(`| ${check.actual} |`);
    }
    return { json, markdown };
  };

  beforeAll(async () => {
    s3 = adminClient();
    scene = await Scene.create('op-drillf');
    // A database whose restore is slow on purpose, backed up by schedule `slow`.
    slowDatabase = `${scene.fixture.database}_slow`;
    await createDatabase(slowDatabase);
    extraDatabases.push(slowDatabase);
    await withDatabase(slowDatabase, (client) => client.query(SLOW_SCHEMA));

    await scene.startOperator();
    await scene.applySchedule({ name: 'app', schedule: '0 0 1 1 *', sources: ['app-db', 'uploads'] });
    await scene.applySchedule({ name: 'corrupt', schedule: '0 0 1 1 *', sources: ['app-db'] });
    await scene.applySchedule({ name: 'recount', schedule: '0 0 1 1 *', sources: ['app-db'] });
    const slow = scheduleManifest(testEnv(), scene.fixture, { name: 'slow', schedule: '0 0 1 1 *', sources: ['app-db'] });
    (slow.spec.sources[0] as { postgres: { database: string } }).postgres.database = slowDatabase;
    await scene.client.apply(BACKUP_SCHEDULES, slow as unknown as KubeObject, { force: true });
    await createDrill(scene.client, scene.namespace, 'failures', { ...drillPlan('app'), suspend: true, historyLimit: 20 });

    const backups: [string, string][] = [['app-now', 'app'], ['corrupt-now', 'corrupt'], ['recount-now', 'recount'], ['slow-now', 'slow']];
    for (const [run, schedule] of backups) await scene.createManualRun(run, schedule);
    const finals: RunObject[] = await Promise.all(backups.map(([run]) => scene.finalRun(run, 180_000)));
    expect(finals.map((run) => [run.metadata.name, run.status?.phase])).toEqual(backups.map(([run]) => [run, 'Succeeded']));

    // corrupt-now: one byte flipped in the middle of the database artifact, once the operator's
    // read-back has passed it: flipped before, the read-back fails it, its stored verdict says so,
    // and the drill passes over it (NoBackup) instead of finding the mismatch in its restore.
    await scene.verifiedRun('corrupt-now');
    const corrupt = (await runManifest('corrupt', 'corrupt-now')).sources[0]!;
    await flipStoredByte(s3, scene.fixture.backupBucket, corrupt.artifactKey, Math.floor(corrupt.sizeBytes / 2));
    // recount-now: the artifact manifest says diagrams had 121 rows (it has 120); still valid JSON.
    const recount = (await runManifest('recount', 'recount-now')).sources[0]!;
    const manifest = JSON.parse(await text(scene.fixture.backupBucket, recount.manifestKey)) as { postgres: { rowCounts: { mode: string; tables: { table: string; rows: number }[] } } };
    expect(manifest.postgres.rowCounts.mode).toBe('exact');
    const diagrams = manifest.postgres.rowCounts.tables.find((table) => table.table === 'diagrams')!;
    expect(diagrams.rows).toBe(120);
    diagrams.rows = 121;
    await s3.send(new PutObjectCommand({ Bucket: scene.fixture.backupBucket, Key: recount.manifestKey, Body: `${JSON.stringify(manifest, null, 2)}\n`, ContentType: 'application/json' }));

    // The independent cases run side by side; each test below awaits its own.
    await startDrill('checksum', drillPlan('corrupt'));
    await startDrill('sql', drillPlan('app', { verify: { sql: [{ name: 'diagrams-count', query: 'SELECT count(*) FROM diagrams', expect: { equals: '121' } }] } }));
    await startDrill('rowcount', drillPlan('recount'));
    await startDrill('rpo', drillPlan('app', { objectives: { rto: '30m', rpo: '1s' } }));
    await startDrill('rto', drillPlan('app', { objectives: { rto: '1s', rpo: '24h' } }));
  });

  afterAll(async () => {
    await scene?.tearDown();
    for (const name of extraDatabases) await dropDatabase(name).catch(() => undefined);
    s3?.destroy();
  });

  it('one flipped byte in the database artifact: ChecksumMismatch at RestoreDatabase, nothing verified, scratch gone', async () => {
    const run = await runs.get('checksum')!;
    const artifact = (await runManifest('corrupt', 'corrupt-now')).sources[0]!;
    const stored = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: scene.fixture.backupBucket, Key: artifact.artifactKey }))).Body!.transformToByteArray());
    const found = createHash('sha256').update(stored).digest('hex');
    expect(found).not.toBe(artifact.sha256);
    const mismatch =
      `app-db: artifact s3://${scene.fixture.backupBucket}/${artifact.artifactKey} does not match its manifest: ` +
      `SHA-256 ${found.slice(0, 12)}… (${stored.length} bytes) instead of ${artifact.sha256.slice(0, 12)}… (${artifact.sizeBytes} bytes); the stored object is corrupt or was modified`;
    expect(run.status?.backup?.run).toBe('corrupt-now');
    const { json } = await expectFailure(run, {
      reason: 'ChecksumMismatch',
      message: mismatch,
      phases: { SelectBackup: 'Succeeded', Provision: 'Succeeded', RestoreDatabase: 'Failed', RestoreBuckets: 'Skipped' },
      stepMessage: { RestoreDatabase: mismatch },
      checks: [{ name: 'app-db artifact', type: 'Checksum', source: 'app-db', expected: `SHA-256 ${artifact.sha256}, ${artifact.sizeBytes} bytes`, actual: `SHA-256 ${found}, ${stored.length} bytes` }],
    });
    expect(run.status?.checksSummary).toEqual({ passed: 0, failed: 1 });
    expect(json.checks.failed).toBe(1);
    expect(run.status?.scratch?.databases).toEqual([scratchNames(run)[0]!.name]);
    await expectScratchGone(run);
  });

  it('an SQL expectation not met: CheckFailed at Verify, the check with expected and actual', async () => {
    const run = await runs.get('sql')!;
    expect(run.status?.backup?.run).toBe('app-now');
    await expectFailure(run, {
      reason: 'CheckFailed',
      message: '1 check(s) failed: diagrams-count (expected "121", found "120")',
      phases: { SelectBackup: 'Succeeded', Provision: 'Succeeded', RestoreDatabase: 'Succeeded', RestoreBuckets: 'Succeeded', Verify: 'Failed' },
      stepMessage: { Verify: /^app-db: .*diagrams-count/ },
      checks: [{ name: 'diagrams-count', type: 'Sql', source: 'app-db', expected: '"121"', actual: '"120"' }],
    });
    // The other checks ran and passed: the bucket's, the row counts, the schema objects.
    expect(run.status?.checksSummary).toEqual({ passed: (run.status?.checks?.length ?? 0) - 1, failed: 1 });
    expect(run.status?.checks?.filter((check) => check.result === 'Passed').map((check) => check.type)).toEqual(expect.arrayContaining(['RowCount', 'SchemaObjects', 'ObjectCount', 'Checksum']));
    await expectScratchGone(run);
  });

  it('a row count that differs from the backup\'s snapshot: CheckFailed with a RowCount check naming the table', async () => {
    const run = await runs.get('rowcount')!;
    expect(run.status?.backup?.run).toBe('recount-now');
    await expectFailure(run, {
      reason: 'CheckFailed',
      message: "2 check(s) failed: public.diagrams (expected 121 rows, found 120 rows); row-counts (expected 3 tables as in the backup's snapshot, found 2 match, 1 differ)",
      phases: { SelectBackup: 'Succeeded', Provision: 'Succeeded', RestoreDatabase: 'Succeeded', RestoreBuckets: 'Skipped', Verify: 'Failed' },
      stepMessage: { Verify: /^app-db: .*public\.diagrams/ },
      checks: [
        { name: 'public.diagrams', type: 'RowCount', source: 'app-db', expected: '121 rows', actual: '120 rows' },
        { name: 'row-counts', type: 'RowCount', source: 'app-db', expected: "3 tables as in the backup's snapshot", actual: '2 match, 1 differ' },
      ],
    });
    await expectScratchGone(run);
  });

  it('a backup older than the RPO objective: RPOMissed, objectives RPOMissed, RPOMet False, everything else passed', async () => {
    const run = await runs.get('rpo')!;
    const status = run.status!;
    const { json } = await expectFailure(run, {
      reason: 'RPOMissed',
      message: `${status.rpo?.measured} of data would be lost (newest data ${status.backup?.snapshotTime}, SnapshotTime), over the RPO objective of 1s`,
      measured: true,
      phases: { SelectBackup: 'Succeeded', Provision: 'Succeeded', RestoreDatabase: 'Succeeded', RestoreBuckets: 'Succeeded', Verify: 'Succeeded' },
    });
    expect(status.objectives).toBe('RPOMissed');
    expect(status.rpo).toMatchObject({ objective: '1s', met: false, basis: 'SnapshotTime', newestDataTime: status.backup?.snapshotTime });
    expect(status.rpo!.measuredSeconds).toBe(Math.round((Date.parse(run.metadata.creationTimestamp as string) - Date.parse(status.backup!.snapshotTime!)) / 1000));
    expect(status.rpo!.measuredSeconds).toBeGreaterThan(1);
    expect(status.rto).toMatchObject({ objective: '30m', met: true });
    expect(status.deliveredRpo?.met).toBe(false);
    expect(status.checksSummary?.failed).toBe(0);
    expect(status.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'RPOMet', status: 'False', reason: 'ObjectiveMissed' }),
        expect.objectContaining({ type: 'RTOMet', status: 'True', reason: 'WithinObjective' }),
      ]),
    );
    expect({ objectives: json.objectives, rto: json.rto.met, rpo: json.rpo.met }).toEqual({ objectives: 'RPOMissed', rto: true, rpo: false });
    await expectScratchGone(run);
  });

  it('a recovery slower than the RTO objective: RTOMissed, RTOMet False', async () => {
    const run = await runs.get('rto')!;
    const status = run.status!;
    const { json } = await expectFailure(run, {
      reason: 'RTOMissed',
      message: `recovery took ${status.rto?.measured}, over the RTO objective of 1s`,
      measured: true,
      phases: { SelectBackup: 'Succeeded', Provision: 'Succeeded', RestoreDatabase: 'Succeeded', RestoreBuckets: 'Succeeded', Verify: 'Succeeded' },
    });
    expect(status.objectives).toBe('RTOMissed');
    expect(status.rto).toMatchObject({ objective: '1s', objectiveSeconds: 1, met: false });
    expect(status.rto!.measuredSeconds!).toBeGreaterThanOrEqual(status.rto!.restoreSeconds!);
    expect(status.rto!.measuredSeconds!).toBeGreaterThan(1);
    expect(status.rpo).toMatchObject({ objective: '24h', met: true });
    expect(status.checksSummary?.failed).toBe(0);
    expect(status.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'RTOMet', status: 'False', reason: 'ObjectiveMissed' }),
        expect.objectContaining({ type: 'RPOMet', status: 'True', reason: 'WithinObjective' }),
      ]),
    );
    expect({ objectives: json.objectives, rto: json.rto.met, rpo: json.rpo.met }).toEqual({ objectives: 'RTOMissed', rto: false, rpo: true });
    await expectScratchGone(run);
  });

  it('a scratch name that already exists: ScratchExists at Provision, and that database is left alone', async () => {
    // The operator is stopped while the run is created, so that its scratch name can be taken first.
    await scene.stopOperators();
    const created = await createDrillRun(scene.client, scene.namespace, 'taken', 'failures', drillPlan('app'));
    const sources = (await runManifest('app', 'app-now')).sources;
    const index = sources.findIndex((source) => source.name === 'app-db');
    const runId = `${Math.floor(Date.parse(created.metadata.creationTimestamp as string) / 1000)}${(created.metadata.uid ?? '').replace(/[^a-z0-9]/g, '').slice(0, 4)}`;
    const taken = `lifeboat_scratch_${runId}_${index}`;
    await createDatabase(taken);
    extraDatabases.push(taken);
    await withDatabase(taken, (client) => client.query("CREATE TABLE marker (note text); INSERT INTO marker VALUES ('not the drill''s')"));
    await scene.startOperator();

    const run = await finalDrillRun(scene.client, scene.namespace, 'taken');
    expect(run.status?.backup?.sources?.[index]?.name).toBe('app-db');
    expect(scratchNames(run)[index]!.name).toBe(taken);
    await expectFailure(run, {
      reason: 'ScratchExists',
      message: `app-db: scratch database ${taken} already exists; a drill never reuses one`,
      phases: { SelectBackup: 'Succeeded', Provision: 'Failed' },
      stepMessage: { Provision: `app-db: scratch database ${taken} already exists; a drill never reuses one` },
    });
    // Not the drill's: not listed as its scratch, not dropped, its rows untouched.
    expect(run.status?.scratch?.databases ?? []).not.toContain(taken);
    expect(await databaseExists(taken)).toBe(true);
    expect(await withDatabase(taken, async (client) => (await client.query('SELECT note FROM marker')).rows)).toEqual([{ note: "not the drill's" }]);
    // The bucket it did create is gone.
    expect(run.status?.scratch?.buckets).toEqual([scratchNames(run).find((s) => s.kind === 'Bucket')!.name]);
    await expectScratchGone(run, [taken]);
  });

  it('the timeout cuts a running restore: Timeout, the restore Job stopped, the busy scratch database dropped', async () => {
    await startDrill('timeout', drillPlan('slow', { timeout: '40s' }));
    // The restore is under way (its index build sleeps in the scratch database) when the timeout strikes.
    await waitFor(
      async () => (await getDrillRun(scene.client, scene.namespace, 'timeout'))?.status?.steps?.find((step) => step.name === 'RestoreDatabase' && step.phase === 'Running'),
      { what: 'the slow restore to start', timeoutMs: 40_000, intervalMs: 500 },
    );
    const run = await runs.get('timeout')!;
    const status = run.status!;
    await expectFailure(run, {
      reason: 'Timeout',
      message: 'the drill ran longer than its timeout (40s) and was stopped',
      phases: { SelectBackup: 'Succeeded', Provision: 'Succeeded', RestoreDatabase: 'Failed', RestoreBuckets: 'Skipped' },
      stepMessage: { RestoreDatabase: 'stopped: the drill ran longer than its timeout (40s)' },
    });
    // Stopped at the timeout, not when the restore would have ended (600 rows x 0.5 s).
    const restore = status.steps!.find((step) => step.name === 'RestoreDatabase')!;
    const cut = Date.parse(restore.completionTime!) - Date.parse(run.metadata.creationTimestamp as string);
    expect(cut).toBeGreaterThanOrEqual(39_000);
    expect(cut).toBeLessThan(60_000);
    expect(status.scratch?.databases).toEqual([scratchNames(run)[0]!.name]);
    await expectScratchGone(run);
    // The restore Job was deleted; the provision and cleanup Jobs remain with the run.
    const jobs = (await scene.client.list<KubeObject>(JOBS, { namespace: scene.namespace, labelSelector: 'lifeboat.dev/drill-run=timeout' })).items;
    expect(jobs.map((job) => job.metadata.labels?.['lifeboat.dev/step']).sort()).toEqual(['cleanup', 'provision']);
  });

  it('kubectl get drdrillruns shows each failed run\'s reason', async () => {
    expect([...failed.values()].sort()).toEqual(['CheckFailed', 'CheckFailed', 'ChecksumMismatch', 'RPOMissed', 'RTOMissed', 'ScratchExists', 'Timeout']);
    const table = (await ok(kubectl, ['get', 'drdrillruns', '-n', scene.namespace])).trimEnd().split('\n');
    const header = table[0]!.split(/\s+/);
    expect(header.slice(0, 4)).toEqual(['NAME', 'DRILL', 'RESULT', 'REASON']);
    const rows = new Map(table.slice(1).map((line) => line.split(/\s+/)).map((cells) => [cells[0], cells]));
    for (const [name, reason] of failed) expect(rows.get(name)?.slice(0, 4)).toEqual([name, 'failures', 'Failed', reason]);
  });
});
