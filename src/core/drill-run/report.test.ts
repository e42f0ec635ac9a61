// renderDrillReport: a passed and a failed drill, read as an on-call engineer and a tool would,
// the SHA-256 of the bytes, the same bytes for the same input, escaping of user text, and the
// advice for every failure reason.
import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { DrillPlan, type DRDrillRunStatus } from '../../api/index.ts';
import { at } from '../testing/builders.ts';
import { DRILL_FAILURE_REASONS, everyCron, type DrillFailureReason } from './report-advice.ts';
import { renderDrillReport, type DrillReportCheck, type DrillReportInput, type DrillReportJson } from './report.ts';

const plan = (overrides: Record<string, unknown> = {}): DrillPlan =>
  DrillPlan.parse({
    scheduleRef: { name: 'nightly' },
    scenario: 'CompleteFailure',
    objectives: { rto: '1h', rpo: '26h' },
    scratch: {
      postgres: { host: 'scratch-db.drills.svc', connectionSecret: { name: 'scratch-pg' } },
      s3: { endpoint: 'http://minio.drills.svc:9000', forcePathStyle: true, credentialsSecret: { name: 'scratch-s3' } },
    },
    verify: { sql: [{ name: 'orders-exist', query: 'SELECT count(*) FROM orders', expect: { atLeast: 1 } }] },
    ...overrides,
  });

const steps: NonNullable<DRDrillRunStatus['steps']> = [
  { name: 'Verify', phase: 'Succeeded', startTime: '2025-01-02T08:38:00Z', completionTime: '2025-01-02T08:41:12Z', duration: '3m12s', durationSeconds: 192 },
  { name: 'SelectBackup', phase: 'Succeeded', startTime: '2025-01-02T08:00:00Z', completionTime: '2025-01-02T08:00:04Z', duration: '4s', durationSeconds: 4 },
  { name: 'Provision', phase: 'Succeeded', startTime: '2025-01-02T08:00:04Z', completionTime: '2025-01-02T08:00:30Z', duration: '26s', durationSeconds: 26 },
  { name: 'RestoreDatabase', phase: 'Succeeded', startTime: '2025-01-02T08:00:30Z', completionTime: '2025-01-02T08:35:30Z', duration: '35m', durationSeconds: 2100 },
  { name: 'RestoreBuckets', phase: 'Succeeded', startTime: '2025-01-02T08:00:30Z', completionTime: '2025-01-02T08:38:00Z', duration: '37m30s', durationSeconds: 2250 },
  { name: 'Cleanup', phase: 'Succeeded', startTime: '2025-01-02T08:41:12Z', completionTime: '2025-01-02T08:45:10Z' },
];

const passedChecks: DrillReportCheck[] = [
  { name: 'orders-exist', type: 'Sql', source: 'orders-db', result: 'Passed', expected: 'at least 1', actual: '18233' },
  { name: 'public.orders', type: 'RowCount', source: 'orders-db', result: 'Passed', expected: '18233', actual: '18233' },
  { name: 'uploads', type: 'Checksum', source: 'uploads', result: 'Passed', expected: '412 objects', actual: '412 objects' },
];

function passedInput(): DrillReportInput {
  return {
    namespace: 'shop',
    run: 'orders-dr-1735804800',
    drill: 'orders-dr',
    schedule: 'nightly',
    plan: plan(),
    status: {
      result: 'Passed',
      message: 'recovered and verified in 41m12s; 26h of data would have been lost at most',
      startTime: '2025-01-02T08:00:00Z',
      completionTime: '2025-01-02T08:45:10Z',
      backup: { run: 'nightly-1735783200', manifestKey: 'lifeboat/shop/nightly/nightly-1735783200/manifest.json', snapshotTime: '2025-01-02T02:00:05Z', sizeBytes: 1_503_238_553 },
      steps,
      checks: passedChecks.slice(0, 1),
      rto: { objective: '1h', objectiveSeconds: 3600, measured: '41m12s', measuredSeconds: 2472, met: true, restoreSeconds: 2250, restoredBytes: 1_503_238_553, throughputBytesPerSecond: 668_106 },
      rpo: { objective: '26h', objectiveSeconds: 93_600, measured: '6h10m', measuredSeconds: 22_200, met: true, basis: 'Freshness', newestDataTime: '2025-01-02T03:50:00+02:00' },
      deliveredRpo: { worstGap: '24h2m', worstGapSeconds: 86_520, gapToIncident: '6h', backupsConsidered: 7, oldestConsidered: '2024-12-26T02:00:00Z', met: true },
      objectives: 'Met',
      scratch: { databases: ['lifeboat_scratch_orders_dr_1735804800_0'], buckets: ['lifeboat-scratch-orders-dr-1735804800-0'] },
    },
    checks: passedChecks,
    restores: [
      { source: 'uploads', kind: 'bucket', jobName: 'orders-dr-1735804800-uploads', scratchTarget: 'lifeboat-scratch-orders-dr-1735804800-0', sizeBytes: 400_000_000, durationSeconds: 2250, tools: { 'lifeboat-runner': '0.4.0', node: 'v24.1.0' } },
      { source: 'orders-db', kind: 'postgres', jobName: 'orders-dr-1735804800-orders-db', scratchTarget: 'lifeboat_scratch_orders_dr_1735804800_0', sizeBytes: 1_103_238_553, durationSeconds: 2100, tools: { pg_restore: '17.2', 'lifeboat-runner': '0.4.0', server: '17.2' } },
    ],
    operatorVersion: '0.4.0',
    generatedAt: at('2025-01-02T08:45:11.250Z'),
  };
}

const badName = 'orders|count\nper day';
const failedChecks: DrillReportCheck[] = [
  ...passedChecks,
  { name: badName, type: 'Sql', source: 'orders-db', result: 'Failed', expected: 'exactly 7 rows', actual: '6 rows', message: 'day 2025-01-01 | missing\nsee <query>' },
  { name: 'public.items', type: 'RowCount', source: 'orders-db', result: 'Failed', expected: '900', actual: '899' },
];

function failedInput(reason: string = 'RTOMissed', overrides: Partial<DRDrillRunStatus> = {}): DrillReportInput {
  const input = passedInput();
  return {
    ...input,
    plan: plan({ objectives: { rto: '30m', rpo: '5m' }, scratch: { ...input.plan.scratch, cleanup: 'OnSuccess' } }),
    status: {
      ...input.status,
      result: 'Failed',
      reason,
      message: 'recovery took 41m12s against a 30m objective',
      rto: { ...input.status.rto, objective: '30m', objectiveSeconds: 1800, met: false },
      rpo: { ...input.status.rpo, objective: '5m', objectiveSeconds: 300, met: false },
      deliveredRpo: { worstGap: '24h', worstGapSeconds: 86_400, gapToIncident: '6h', backupsConsidered: 7, oldestConsidered: '2024-12-26T02:00:00Z', met: false },
      objectives: 'BothMissed',
      scratch: { ...input.status.scratch, leftBehind: ['lifeboat_scratch_orders_dr_1735804800_0', 'lifeboat-scratch-orders-dr-1735804800-0'] },
      ...overrides,
    },
    checks: failedChecks,
  };
}

const jsonOf = (input: DrillReportInput): DrillReportJson => JSON.parse(renderDrillReport(input).json);
const linesOf = (markdown: string) => markdown.split('\n');
/** The lines of a "## Title" section, up to the next one. */
function section(markdown: string, title: string): string[] {
  const lines = linesOf(markdown);
  const start = lines.indexOf(`## ${title}`);
  if (start < 0) throw new Error(`no section ${title}`);
  const end = lines.findIndex((line, index) => index > start && line.startsWith('## '));
  return lines.slice(start + 1, end < 0 ? undefined : end);
}
/** Cells of a table row, split only at unescaped pipes. */
const cells = (row: string) => row.split(/(?<!\\)\|/).slice(1, -1).map((cell) => cell.trim());

describe('renderDrillReport: a passed drill', () => {
  const report = renderDrillReport(passedInput());

  it('titles the drill, run and result, and says where it comes from', () => {
    const lines = linesOf(report.markdown);
    expect(lines[0]).toBe('# DR drill orders-dr, run orders-dr-1735804800: Passed');
    expect(report.markdown).toContain('DRDrillRun `orders-dr-1735804800` of DRDrill `orders-dr` in namespace `shop`, recovering from the backups of BackupSchedule `nightly`.');
    expect(report.markdown).toContain('Written 2025-01-02T08:45:11.250Z by Lifeboat 0.4.0');
  });

  it('summarises the scenario, incident, RTO, RPO with its basis, delivered RPO and the backup used', () => {
    const summary = section(report.markdown, 'Summary');
    expect(summary).toEqual(
      expect.arrayContaining([
        '| Result | Passed |',
        '| Scenario | CompleteFailure: every source and the cluster are lost; the backup was found from object storage alone |',
        '| Incident (drill start) | 2025-01-02T08:00:00Z |',
        '| Finished | 2025-01-02T08:45:10Z (45m10s after the incident, cleanup included) |',
        '| RTO | 41m12s measured vs 1h objective: met |',
        '| RPO | 6h10m measured vs 26h objective: met; basis: freshness query, newest data 2025-01-02T01:50:00Z |',
        '| Delivered RPO (worst case) | 24h2m vs 26h objective: met; worst gap over 7 backups since 2024-12-26T02:00:00Z, up to the incident; newest backup 6h before the incident |',
        '| Backup used | run `nightly-1735783200`, snapshot 2025-01-02T02:00:05Z, manifest `lifeboat/shop/nightly/nightly-1735783200/manifest.json`, 1.4 GiB (1503238553 bytes) |',
        '| Restore | 37m30s for 1.4 GiB at 652 KiB/s |',
        '| Checks | 3 passed, 0 failed |',
        '| Objectives | Met |',
      ]),
    );
  });

  it('lists the steps in the order the drill runs them, with durations', () => {
    const rows = section(report.markdown, 'Steps').filter((line) => line.startsWith('| ') && !line.startsWith('| Step') && !line.startsWith('| ---'));
    expect(rows.map((line) => cells(line).slice(0, 4))).toEqual([
      ['SelectBackup', 'Succeeded', '2025-01-02T08:00:00Z', '4s'],
      ['Provision', 'Succeeded', '2025-01-02T08:00:04Z', '26s'],
      ['RestoreDatabase', 'Succeeded', '2025-01-02T08:00:30Z', '35m'],
      ['RestoreBuckets', 'Succeeded', '2025-01-02T08:00:30Z', '37m30s'],
      ['Verify', 'Succeeded', '2025-01-02T08:38:00Z', '3m12s'],
      ['Cleanup', 'Succeeded', '2025-01-02T08:41:12Z', '3m58s'],
    ]);
  });

  it('lists every check given, not only those in status, the restores, scratch resources and tool versions', () => {
    expect(section(report.markdown, 'Checks')).toContain('| Passed | `uploads` | Checksum | `uploads` | 412 objects | 412 objects | - |');
    expect(section(report.markdown, 'Restores')).toEqual(
      expect.arrayContaining([
        '| `orders-db` | postgres | `lifeboat_scratch_orders_dr_1735804800_0` | `orders-dr-1735804800-orders-db` | 1.03 GiB | 35m |',
        '| `uploads` | bucket | `lifeboat-scratch-orders-dr-1735804800-0` | `orders-dr-1735804800-uploads` | 381 MiB | 37m30s |',
      ]),
    );
    expect(section(report.markdown, 'Scratch resources')).toEqual(
      expect.arrayContaining([
        '- Cleanup policy: Always',
        '- PostgreSQL scratch server: `scratch-db.drills.svc:5432` (user and password in Secret `scratch-pg`)',
        '- Databases: `lifeboat_scratch_orders_dr_1735804800_0`',
        '- Left behind: none',
      ]),
    );
    expect(section(report.markdown, 'Tool versions')).toEqual(
      expect.arrayContaining(['| operator | lifeboat-operator | 0.4.0 |', '| restore of `orders-db` | `pg_restore` | 17.2 |', '| restore of `uploads` | `node` | v24.1.0 |']),
    );
  });

  it('has nothing to do, and points to restoring by hand', () => {
    expect(section(report.markdown, 'What to do')).toContain(
      "Nothing: the drill passed and every objective was met. Keep drilling, and alert when the DRDrill's status.lastPassedTime gets older than the drill interval.",
    );
    expect(section(report.markdown, 'Recovering by hand').join('\n')).toContain(
      'follow docs/restore-by-hand.md in the Lifeboat repository. The run manifest of the backup used is `lifeboat/shop/nightly/nightly-1735783200/manifest.json`',
    );
  });

  it('JSON: formatVersion 1, times in RFC 3339 UTC, durations in seconds and as text, everything given', () => {
    const json = JSON.parse(report.json) as DrillReportJson;
    expect(json).toMatchObject({
      formatVersion: 1,
      kind: 'LifeboatDrillReport',
      generatedAt: '2025-01-02T08:45:11.250Z',
      operatorVersion: '0.4.0',
      namespace: 'shop',
      drill: 'orders-dr',
      run: 'orders-dr-1735804800',
      schedule: 'nightly',
      scenario: 'CompleteFailure',
      result: 'Passed',
      reason: null,
      incidentTime: '2025-01-02T08:00:00Z',
      completionTime: '2025-01-02T08:45:10Z',
      wallTime: { seconds: 2710, text: '45m10s' },
      objectives: 'Met',
      rto: { objective: { seconds: 3600, text: '1h' }, measured: { seconds: 2472, text: '41m12s' }, met: true, restore: { seconds: 2250, text: '37m30s' }, restoredBytes: 1_503_238_553 },
      rpo: { measured: { seconds: 22_200, text: '6h10m' }, basis: 'Freshness', newestDataTime: '2025-01-02T01:50:00Z', met: true },
      deliveredRpo: { objective: { seconds: 93_600, text: '26h' }, worstGap: { seconds: 86_520, text: '24h2m' }, gapToIncident: { seconds: 21_600, text: '6h' }, backupsConsidered: 7, met: true },
      backup: { run: 'nightly-1735783200', snapshotTime: '2025-01-02T02:00:05Z', sizeBytes: 1_503_238_553, size: '1.4 GiB' },
      checks: { total: 3, passed: 3, failed: 0 },
      scratch: { cleanup: 'Always', postgres: { host: 'scratch-db.drills.svc', port: 5432, connectionSecret: 'scratch-pg' }, leftBehind: [] },
      advice: [],
    });
    expect(json.steps.map((step) => step.name)).toEqual(['SelectBackup', 'Provision', 'RestoreDatabase', 'RestoreBuckets', 'Verify', 'Cleanup']);
    expect(json.steps[5]).toEqual({ name: 'Cleanup', phase: 'Succeeded', startTime: '2025-01-02T08:41:12Z', completionTime: '2025-01-02T08:45:10Z', duration: { seconds: 238, text: '3m58s' }, message: null });
    expect(json.checks.items).toHaveLength(3);
    expect(json.restores.map((restore) => restore.source)).toEqual(['orders-db', 'uploads']);
    expect(Object.keys(json.restores[0]!.tools)).toEqual(['lifeboat-runner', 'pg_restore', 'server']);
    expect(json.plan.objectives).toEqual({ rpo: '26h', rto: '1h' });
    expect(report.json.endsWith('}\n')).toBe(true);
  });

  it('the SHA-256 values are those of the returned text', () => {
    expect(report.jsonSha256).toBe(createHash('sha256').update(report.json).digest('hex'));
    expect(report.markdownSha256).toBe(createHash('sha256').update(report.markdown).digest('hex'));
    expect(report.jsonSha256).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('renderDrillReport: a failed drill', () => {
  const report = renderDrillReport(failedInput());
  const json = JSON.parse(report.json) as DrillReportJson;

  it('titles the result with its reason and shows the message', () => {
    expect(linesOf(report.markdown)[0]).toBe('# DR drill orders-dr, run orders-dr-1735804800: Failed (RTOMissed)');
    expect(report.markdown).toContain('**Failed (RTOMissed):** recovery took 41m12s against a 30m objective');
  });

  it('marks the missed figures in the summary', () => {
    expect(section(report.markdown, 'Summary')).toEqual(
      expect.arrayContaining([
        '| Result | Failed (RTOMissed) |',
        '| RTO | 41m12s measured vs 30m objective: **missed** |',
        '| RPO | 6h10m measured vs 5m objective: **missed**; basis: freshness query, newest data 2025-01-02T01:50:00Z |',
        '| Delivered RPO (worst case) | 24h vs 5m objective: **missed**; worst gap over 7 backups since 2024-12-26T02:00:00Z, up to the incident; newest backup 6h before the incident |',
        '| Checks | 3 passed, 2 failed |',
        '| Objectives | BothMissed |',
      ]),
    );
  });

  it('lists failed checks first with expected and actual, the others after in their order', () => {
    const rows = section(report.markdown, 'Checks').filter((line) => line.startsWith('| **') || line.startsWith('| Passed'));
    expect(rows.map((line) => cells(line)[0])).toEqual(['**Failed**', '**Failed**', 'Passed', 'Passed', 'Passed']);
    expect(cells(rows[1]!)).toEqual(['**Failed**', '`public.items`', 'RowCount', '`orders-db`', '900', '899', '-']);
    expect(json.checks.items.map((check) => check.name)).toEqual([badName, 'public.items', 'orders-exist', 'public.orders', 'uploads']);
    expect(json.checks).toMatchObject({ total: 5, passed: 3, failed: 2 });
  });

  it('escapes a pipe and a newline in a check name and message, so the row keeps its cells', () => {
    const row = section(report.markdown, 'Checks').find((line) => line.includes('orders\\|count'))!;
    expect(row).toBe('| **Failed** | orders\\|count<br>per day | Sql | `orders-db` | exactly 7 rows | 6 rows | day 2025-01-01 \\| missing<br>see \\<query> |');
    expect(cells(row)).toHaveLength(7);
    for (const line of report.markdown.split('\n').filter((l) => l.startsWith('| **Failed**'))) expect(cells(line)).toHaveLength(7);
    expect(json.checks.items[0]).toMatchObject({ name: badName, message: 'day 2025-01-01 | missing\nsee <query>' });
  });

  it('lists what was left behind, and how to remove it', () => {
    expect(section(report.markdown, 'Scratch resources')).toContain(
      '- Left behind, **remove by hand** (see What to do): `lifeboat_scratch_orders_dr_1735804800_0`, `lifeboat-scratch-orders-dr-1735804800-0`',
    );
    const todo = section(report.markdown, 'What to do');
    expect(todo).toContain('PGHOST=scratch-db.drills.svc PGPORT=5432 dropdb --if-exists lifeboat_scratch_orders_dr_1735804800_0   # user and password: Secret scratch-pg');
    expect(todo).toContain('aws --endpoint-url http://minio.drills.svc:9000 --region us-east-1 s3 rb s3://lifeboat-scratch-orders-dr-1735804800-0 --force');
  });

  it('advises on the reason first, then on everything else the figures show', () => {
    expect(json.advice.map((advice) => advice.reason)).toEqual(['RTOMissed', 'RPOMissed', 'CheckFailed', 'DeliveredRPOMissed', 'ScratchLeftBehind']);
    const todo = section(report.markdown, 'What to do');
    expect(todo.filter((line) => line.startsWith('### '))).toEqual([
      '### RTOMissed: recovery took longer than the RTO objective',
      '### RPOMissed: more data lost than the RPO objective allows',
      '### CheckFailed: the restored data failed its checks',
      '### DeliveredRPOMissed: backups are too far apart for the RPO objective',
      '### ScratchLeftBehind: scratch resources kept',
    ]);
    const text = todo.join('\n');
    expect(text).toContain('Recovery took 41m12s against an RTO objective of 30m, 11m12s over. The restore itself took 37m30s at 652 KiB/s. The slowest step was RestoreBuckets (37m30s).');
    expect(text).toContain(
      'Backups were up to 24h apart against an RPO objective of 5m (the worst gap over the 7 retained backups since 2024-12-26T02:00:00Z, the gap to the incident included): an incident at the worst moment would lose 24h of data. The newest backup was already 6h old at the incident: check that the schedule is not suspended and that its runs succeed. Schedule backups at least every 5m (cron "\\*/5 \\* \\* \\* \\*"), or use WAL archiving (continuous archiving with point-in-time recovery) when a dump cannot run that often.',
    );
    expect(json.advice[3]!.text).toContain('Schedule backups at least every 5m (cron "*/5 * * * *"), or use WAL archiving');
    expect(text).toContain('but 2 of 5 checks failed: "orders\\|count<br>per day", "public.items".');
    expect(text).toContain('The cleanup policy OnSuccess kept lifeboat\\_scratch\\_orders\\_dr\\_1735804800\\_0, lifeboat-scratch-orders-dr-1735804800-0.');
  });

  it('always points to restoring by hand', () => {
    expect(report.markdown).toContain('## Recovering by hand');
    expect(report.markdown).toContain('docs/restore-by-hand.md');
  });
});

describe('renderDrillReport: checks a verify Job did not list', () => {
  const notListed = [{ source: 'orders-db', jobName: 'orders-dr-1735804800-verify-orders-db', passed: 40, failed: 2 }];

  it('counts them, says how many are not listed and which Job\'s log lists them', () => {
    const input = { ...failedInput('CheckFailed'), notListed };
    const report = renderDrillReport(input);
    const json = JSON.parse(report.json) as DrillReportJson;
    expect(json.checks).toMatchObject({ total: 47, passed: 43, failed: 4, notListed });
    expect(json.checks.items).toHaveLength(5);
    expect(section(report.markdown, 'Summary')).toContain('| Checks | 43 passed, 4 failed; 42 of them not listed here (see Checks) |');
    expect(section(report.markdown, 'Checks').slice(0, 6)).toEqual([
      '',
      '43 passed, 4 failed, failed first.',
      '',
      "42 of these checks are not listed below: they are counted above, but did not fit the result a verify Job hands back (4096 bytes). The Job's log lists every check, with what was expected and found, for as long as the DRDrillRun and its Jobs exist:",
      '',
      '- 40 passed, 2 failed for source `orders-db`: `kubectl -n shop logs job/orders-dr-1735804800-verify-orders-db`',
    ]);
    const advice = json.advice.find((a) => a.reason === 'CheckFailed')!;
    expect(advice.text).toContain('but 4 of 47 checks failed: "orders|count\nper day", "public.items" and 2 more.');
    expect(advice.text).toContain("2 of the failed checks are not listed in this report (they did not fit the verify Job's result): the verify Job's log lists each one (commands below).");
    expect(advice.commands).toEqual([`kubectl -n shop logs job/orders-dr-1735804800-verify-orders-db | grep '"check failed"'`]);
  });

  it('a drill passed on checks it lists only in part still counts them all, and lists no advice', () => {
    const report = renderDrillReport({ ...passedInput(), notListed: [{ source: 'orders-db', jobName: 'orders-dr-1735804800-verify-orders-db', passed: 40, failed: 0 }] });
    const json = JSON.parse(report.json) as DrillReportJson;
    expect(json.checks).toMatchObject({ total: 43, passed: 43, failed: 0 });
    expect(json.advice).toEqual([]);
    expect(section(report.markdown, 'Summary')).toContain('| Checks | 43 passed, 0 failed; 40 of them not listed here (see Checks) |');
  });

  it('with nothing left out, says nothing of it', () => {
    const report = renderDrillReport({ ...passedInput(), notListed: [{ source: 'orders-db', jobName: 'x', passed: 0, failed: 0 }] });
    expect((JSON.parse(report.json) as DrillReportJson).checks.notListed).toEqual([]);
    expect(report.markdown).not.toContain('not listed');
  });
});

describe('renderDrillReport: the same input, the same bytes', () => {
  it('renders twice, from a copy, and from a plan with its keys in another order, identically', () => {
    const first = renderDrillReport(failedInput());
    expect(renderDrillReport(failedInput())).toEqual(first);
    const copy = structuredClone(failedInput());
    expect(renderDrillReport(copy)).toEqual(first);
    const reordered = failedInput();
    reordered.plan = Object.fromEntries(Object.entries(reordered.plan).reverse()) as DrillPlan;
    reordered.restores = [...reordered.restores].reverse().map((restore) => ({ ...restore, tools: Object.fromEntries(Object.entries(restore.tools ?? {}).reverse()) }));
    expect(renderDrillReport(reordered)).toEqual(first);
  });

  it('reads no clock: only generatedAt changes the generated time', () => {
    const a = renderDrillReport(passedInput());
    const later = renderDrillReport({ ...passedInput(), generatedAt: at('2026-06-01T00:00:00Z') });
    expect(later.json.replace('2026-06-01T00:00:00Z', '2025-01-02T08:45:11.250Z')).toBe(a.json);
    expect(later.jsonSha256).not.toBe(a.jsonSha256);
  });

  it('keeps its shape when the status is nearly empty: every key present, null when unknown', () => {
    const full = jsonOf(failedInput());
    const bare = jsonOf({ ...passedInput(), status: { result: 'Failed', reason: 'NoBackup' }, checks: [], restores: [] });
    const shape = (value: unknown): unknown =>
      value && typeof value === 'object' && !Array.isArray(value) ? Object.fromEntries(Object.entries(value).map(([key, item]) => [key, key === 'plan' ? 'plan' : shape(item)])) : typeof value;
    const keys = (value: Record<string, unknown>) => Object.keys(value);
    expect(keys(bare as unknown as Record<string, unknown>)).toEqual(keys(full as unknown as Record<string, unknown>));
    for (const key of ['rto', 'rpo', 'deliveredRpo', 'backup', 'scratch', 'checks'] as const) expect(keys(bare[key])).toEqual(keys(full[key]));
    expect(bare).toMatchObject({ incidentTime: null, wallTime: null, rto: { objective: { seconds: 3600, text: '1h' }, measured: null, met: null }, backup: { run: null, size: null } });
    expect(shape(bare.rpo)).toEqual({ objective: { seconds: 'number', text: 'string' }, measured: 'object', met: 'object', basis: 'object', newestDataTime: 'object' });
    const markdown = renderDrillReport({ ...passedInput(), status: { result: 'Failed', reason: 'NoBackup' }, checks: [], restores: [] }).markdown;
    expect(markdown).toContain('| RTO | not measured (objective 1h) |');
    expect(markdown).toContain('| Backup used | none selected |');
    expect(markdown).toContain('No check was run.');
  });

  it('writes every time in UTC, whatever offset the status used', () => {
    const input = passedInput();
    input.status = { ...input.status, startTime: '2025-01-02T09:00:00+01:00', backup: { ...input.status.backup, snapshotTime: '2025-01-02T02:00:05.000Z' } };
    const json = jsonOf(input);
    expect(json.incidentTime).toBe('2025-01-02T08:00:00Z');
    expect(json.backup.snapshotTime).toBe('2025-01-02T02:00:05Z');
  });
});

describe('renderDrillReport: what to do about each failure reason', () => {
  const phrases: Record<DrillFailureReason, string> = {
    InvalidPlan: 'Fix DRDrill orders-dr (or the plan of a DRDrillRun made by hand), then start a new DRDrillRun: a run keeps the copy of the plan it started with',
    ReferenceNotFound: 'kubectl -n shop get secret scratch-pg scratch-s3',
    NoBackup: 'No complete backup of schedule nightly was found in its storage',
    ScratchExists: 'a drill never restores into an existing target',
    ProvisionFailed: 'has CREATEDB',
    RestoreFailed: 'kubectl -n shop logs job/orders-dr-1735804800-orders-db',
    ChecksumMismatch: 'does not match the SHA-256 in its manifest',
    DecryptionFailed: 'spec.storage.encryption',
    CheckFailed: 'The Checks section shows what was expected and what was found.',
    RTOMissed: 'against an RTO objective of 30m',
    RPOMissed: 'Back up at least every 5m (cron "\\*/5 \\* \\* \\* \\*"), or use WAL archiving',
    ObjectivesMissed: 'Recovery took 41m12s against an RTO objective of 30m, 11m12s over, and 6h10m of data would be lost against an RPO objective of 5m, 6h5m over.',
    Timeout: 'did not finish within its timeout of 2h (plan.timeout) and was stopped during RestoreBuckets',
    CleanupFailed: 'Cleanup could not remove lifeboat\\_scratch\\_orders\\_dr\\_1735804800\\_0',
  };

  it.each(DRILL_FAILURE_REASONS)('%s', (reason) => {
    const overrides: Partial<DRDrillRunStatus> =
      reason === 'Timeout' ? { steps: steps.map((step) => (step.name === 'RestoreBuckets' ? { name: step.name, phase: 'Running', startTime: step.startTime } : step)) } : {};
    const report = renderDrillReport(failedInput(reason, overrides));
    const json = JSON.parse(report.json) as DrillReportJson;
    expect(json.advice[0]!.reason).toBe(reason);
    const todo = section(report.markdown, 'What to do');
    expect(todo.find((line) => line.startsWith('### '))).toMatch(new RegExp(`^### ${reason}: \\w`));
    expect(todo.join('\n')).toContain(phrases[reason]);
  });

  it('InvalidPlan says what the field named in the message needs', () => {
    const sql = jsonOf(failedInput('InvalidPlan', { message: 'plan.verify.sql[0].source: "orders" is not a PostgreSQL source this drill restores (orders-db)' })).advice[0]!;
    expect(sql.title).toBe('the drill plan is invalid or does not fit the backup');
    expect(sql.text).toContain('The plan was refused before anything was restored, so this run measured nothing: plan.verify.sql[0].source: "orders" is not a PostgreSQL source');
    expect(sql.text).toContain('must name, in its source field, a PostgreSQL source the CompleteFailure scenario restores');
    expect(sql.text).not.toContain('encrypted');
    expect(sql.commands).toEqual(['kubectl -n shop get drdrill orders-dr -o yaml', "kubectl -n shop get backupschedule nightly -o jsonpath='{.spec.sources}'"]);
    const encrypted = jsonOf(failedInput('InvalidPlan', { message: 'plan.decryption: the backup nightly-1735783200 is encrypted; set decryption.identitySecret on the drill' })).advice[0]!;
    expect(encrypted.text).toContain('The backup is encrypted: set spec.decryption.identitySecret on DRDrill orders-dr to the Secret holding the age identity, or spec.storage.encryption.identitySecret on BackupSchedule nightly.');
    const duration = jsonOf(failedInput('InvalidPlan', { message: 'plan.objectives.rto: must be longer than zero' })).advice[0]!;
    expect(duration.text).toContain('Durations are written like 30m, 2h or 1h30m, and must be longer than zero.');
  });

  it('ReferenceNotFound names the Secrets to look for and how', () => {
    const message = 'Secret "scratch-pg" (plan.scratch.postgres.connectionSecret) does not exist';
    const advice = jsonOf(failedInput('ReferenceNotFound', { message })).advice[0]!;
    expect(advice.title).toBe('something the drill needs does not exist');
    expect(advice.text).toBe(
      `The drill stopped before restoring anything because an object it needs in namespace shop did not exist in time: ${message}. ` +
        "Create what the message names with the keys it lists (the Secret of BackupSchedule nightly's storage credentials, or one the plan names: scratch-pg, scratch-s3), or correct the name that points to it. " +
        'Then start a new DRDrillRun; a recurring drill starts one at its next scheduled time.',
    );
    expect(advice.commands).toEqual(["kubectl -n shop get backupschedule nightly -o jsonpath='{.spec.storage.credentialsSecret}'", 'kubectl -n shop get secret scratch-pg scratch-s3']);
  });

  it('ObjectivesMissed comes first, then the RTO and RPO advice it points to', () => {
    const json = jsonOf(failedInput('ObjectivesMissed'));
    expect(json.advice.map((advice) => advice.reason).slice(0, 3)).toEqual(['ObjectivesMissed', 'RTOMissed', 'RPOMissed']);
    expect(json.advice[0]!.text).toContain('the RTOMissed and RPOMissed advice below says what to change for each');
    expect(json.advice[0]!.commands).toEqual(["kubectl -n shop get drdrill orders-dr -o jsonpath='{.spec.objectives}'"]);
  });

  it('DecryptionFailed names the Secret the plan decrypts with', () => {
    const input = failedInput('DecryptionFailed');
    input.plan = { ...input.plan, decryption: { identitySecret: { name: 'drill-age', key: 'identity' } } } as DrillPlan;
    expect(jsonOf(input).advice[0]!.text).toContain('the identity in Secret drill-age (plan.decryption) is missing, wrong, or not one of the recipients');
  });

  it('an unknown reason gets the message, the failed step and where to look', () => {
    const failedStep = steps.map((step) => (step.name === 'Verify' ? { ...step, phase: 'Failed' as const, message: 'psql: could not connect' } : step));
    const report = renderDrillReport({ ...failedInput('SomethingNew', { steps: failedStep, objectives: 'Met', rto: undefined, rpo: undefined, deliveredRpo: undefined, scratch: undefined }), checks: passedChecks });
    const json = JSON.parse(report.json) as DrillReportJson;
    expect(json.advice).toEqual([
      {
        reason: 'SomethingNew',
        title: 'the drill failed',
        text: "The drill failed: recovery took 41m12s against a 30m objective. The step that failed was Verify: psql: could not connect. See the Steps section and the DRDrillRun's events.",
        commands: ['kubectl -n shop describe drdrillrun orders-dr-1735804800'],
      },
    ]);
    expect(report.markdown).toContain('```sh\nkubectl -n shop describe drdrillrun orders-dr-1735804800\n```');
  });

  it('a passed drill whose schedule backs up too rarely still says so', () => {
    const input = passedInput();
    input.status = { ...input.status, deliveredRpo: { ...input.status.deliveredRpo, met: false } };
    expect(jsonOf(input).advice.map((advice) => advice.reason)).toEqual(['DeliveredRPOMissed']);
  });

  it('suggests a cron only for an interval cron can express', () => {
    expect([60, 300, 420, 900, 3600, 7200, 18_000, 21_600, 86_400, 172_800, 90].map(everyCron)).toEqual([
      '* * * * *',
      '*/5 * * * *',
      undefined,
      '*/15 * * * *',
      '0 * * * *',
      '0 */2 * * *',
      undefined,
      '0 */6 * * *',
      '0 0 * * *',
      undefined,
      undefined,
    ]);
  });
});

describe('renderDrillReport: newer backups passed over because their read-back failed', () => {
  const skipped = [
    {
      run: 'nightly-1735869600',
      manifestKey: 'lifeboat/shop/nightly/nightly-1735869600/manifest.json',
      snapshotTime: '2025-01-03T02:00:04Z',
      reason: 'failed verification (read back 2025-01-03T02:20:00Z): source orders-db: ChecksumMismatch: artifact s3://backups/lifeboat/shop/nightly/nightly-1735869600/orders-db/database.dump.zst does not match its manifest',
    },
  ];
  const withSkipped = (): DrillReportInput => {
    const input = passedInput();
    input.status = { ...input.status, backup: { ...input.status.backup, skipped } };
    return input;
  };

  it('JSON: lists them with the backup used, and none when none was', () => {
    expect(jsonOf(withSkipped()).backup.skipped).toEqual(skipped);
    expect(jsonOf(passedInput()).backup.skipped).toEqual([]);
  });

  it('Markdown: says so in the summary, under the backup used', () => {
    const summary = section(renderDrillReport(withSkipped()).markdown, 'Summary');
    const used = summary.findIndex((line) => line.startsWith('| Backup used |'));
    expect(summary[used + 1]).toBe(
      '| Backups passed over | 1 newer backup(s) failed verification: `nightly-1735869600` (snapshot 2025-01-03T02:00:04Z): failed verification (read back 2025-01-03T02:20:00Z): source orders-db: ChecksumMismatch: artifact s3://backups/lifeboat/shop/nightly/nightly-1735869600/orders-db/database.dump.zst does not match its manifest |',
    );
    expect(section(renderDrillReport(passedInput()).markdown, 'Summary').some((line) => line.startsWith('| Backups passed over'))).toBe(false);
  });

  it('advises finding what damaged them, though the drill passed', () => {
    const [advice] = jsonOf(withSkipped()).advice;
    expect(advice).toMatchObject({ reason: 'BackupsFailedVerification', title: 'newer backups failed verification' });
    expect(advice!.text).toContain('The drill passed over 1 newer backup(s), nightly-1735869600');
    expect(advice!.text).toContain('It recovered from nightly-1735783200 instead');
    expect(advice!.commands).toEqual([`kubectl -n shop get backuprun nightly-1735869600 -o jsonpath='{.status.conditions[?(@.type=="Verified")].message}'`]);
  });

  it('NoBackup because every backup failed verification says that, not that there was none', () => {
    const message = 'no backup from before the incident holding a source passed its read-back: all 2 such backup(s) among the 2 run manifest(s) in storage failed verification (nightly-2, nightly-1); the newest, nightly-2: failed verification';
    const [advice] = jsonOf(failedInput('NoBackup', { message, backup: undefined })).advice;
    expect(advice).toMatchObject({ reason: 'NoBackup', title: 'every backup to recover from failed verification' });
    expect(advice!.text).toContain('failed the read-back after it was taken');
    expect(advice!.text).toContain(message);
  });
});
