// The generated CRDs against the real API server: they install, the samples apply, kubectl
// explains every field and shows the printer columns.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { createNamespace, eventually, installCrds, makeKubectl, ok, repoRoot, type Kubectl } from './kubectl.ts';

let kubectl: Kubectl;
let namespace: string;

const condition = (type: string, status: string, reason: string) => ({
  type,
  status,
  reason,
  message: `${type} is ${status}`,
  lastTransitionTime: '2025-03-16T04:41:12Z',
  observedGeneration: 1,
});

async function patchStatus(resource: string, status: object): Promise<void> {
  await ok(kubectl, ['patch', '-n', namespace, resource, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
}

/** `kubectl get` output as rows of cells, header first. */
async function table(args: string[]): Promise<string[][]> {
  const out = await ok(kubectl, ['get', '-n', namespace, ...args]);
  return out.trim().split('\n').map((line) => line.trim().split(/\s{2,}/));
}

beforeAll(async () => {
  kubectl = makeKubectl();
  await installCrds(kubectl);
  namespace = await createNamespace(kubectl, 'api-crds');
  await ok(kubectl, ['apply', '--server-side', '-n', namespace, '-f', join(repoRoot, 'deploy/samples')]);
});

describe('the CRDs on a real API server', () => {
  it('accept every sample with kubectl apply --server-side, defaults filled in', async () => {
    const schedule = JSON.parse(await ok(kubectl, ['get', '-n', namespace, 'backupschedule/app', '-o', 'json']));
    expect(schedule.spec.retention).toEqual({ keepDaily: 7, keepWeekly: 4, keepMonthly: 12 });
    expect(schedule.spec).toMatchObject({ suspend: false, concurrencyPolicy: 'Forbid' });
    expect(schedule.spec.sources[0].postgres).toMatchObject({ port: 5432, format: 'Custom', connectionSecret: { passwordKey: 'password' } });
    const drill = JSON.parse(await ok(kubectl, ['get', '-n', namespace, 'drdrill/app-weekly', '-o', 'json']));
    expect(drill.spec.verify).toMatchObject({ rowCounts: true, objectChecksums: true, schemaObjects: true });
    expect(drill.spec.timeout).toBe('2h');
  });

  it('applies the samples a second time without changes', async () => {
    const out = await ok(kubectl, ['apply', '--server-side', '-n', namespace, '-f', join(repoRoot, 'deploy/samples')]);
    expect(out).toContain('backuprun.lifeboat.dev/app-before-migration-42 serverside-applied');
  });

  it('lists all four kinds with kubectl get lifeboat', async () => {
    const out = await eventually(async () => {
      const text = await ok(kubectl, ['get', 'lifeboat', '-n', namespace]);
      if (!text.includes('drdrill')) throw new Error(`not all kinds listed yet:\n${text}`);
      return text;
    });
    for (const name of [
      'backupschedule.lifeboat.dev/app',
      'backuprun.lifeboat.dev/app-before-migration-42',
      'restorerequest.lifeboat.dev/app-undelete-2025-03-14',
      'drdrill.lifeboat.dev/app-weekly',
      'drdrillrun.lifeboat.dev/app-weekly-now',
    ]) {
      expect(out).toContain(name);
    }
  });

  it('answers to the short names', async () => {
    const out = await ok(kubectl, ['get', 'bsched,brun,rreq,drill,drillrun', '-n', namespace, '-o', 'name']);
    expect(out.trim().split('\n')).toHaveLength(5);
  });

  it.each([
    ['backupschedule.spec.retention', ['keepDaily', 'keepMonthly', 'never pruned']],
    ['backupschedule.spec.sources.postgres.connectionSecret', ['passwordKey', 'secretKeyRef']],
    ['backuprun.spec.deletionPolicy', ['Delete', 'Retain']],
    ['restorerequest.spec.targets.bucket.overwritePolicy', ['Skip', 'Overwrite', 'Fail']],
    ['drdrillrun.status.rpo.basis', ['Freshness', 'SnapshotTime']],
    ['drdrillrun.status.deliveredRpo', ['worst-case RPO']],
    ['drdrill.spec.backup.olderThan', ['malicious deletion']],
    ['drdrill', ['declares a disaster']],
  ])('kubectl explain %s prints the field docs', async (path, expected) => {
    const out = await eventually(() => ok(kubectl, ['explain', path]));
    for (const text of expected) expect(out).toContain(text);
  });
});

describe('printer columns', () => {
  it('show a BackupSchedule\'s schedule, last success, next run and readiness', async () => {
    await patchStatus('backupschedule/app', {
      observedGeneration: 1,
      conditions: [condition('Ready', 'True', 'Scheduled'), condition('RPOMet', 'True', 'RecentBackup')],
      lastSuccessfulRun: { name: 'app-1742090400', completionTime: new Date(Date.now() - 3 * 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z') },
      nextScheduleTime: '2099-03-17T01:30:00Z',
      backupCount: 19,
      totalSizeBytes: 13_314_398_618,
      totalSize: '12.4 GiB',
    });
    const [header, row] = await table(['backupschedule', 'app', '-o', 'wide']);
    expect(header).toEqual(['NAME', 'SCHEDULE', 'LAST SUCCESS', 'NEXT', 'READY', 'RPO MET', 'SUSPENDED', 'BACKUPS', 'SIZE', 'AGE']);
    expect(row!.slice(0, 9)).toEqual(['app', '30 2 * * *', '3h', '2099-03-17T01:30:00Z', 'True', 'True', 'false', '19', '12.4 GiB']);
  });

  it('show a BackupRun\'s schedule, phase, size and duration', async () => {
    await patchStatus('backuprun/app-before-migration-42', {
      phase: 'Succeeded',
      startTime: '2025-03-16T01:30:00Z',
      completionTime: '2025-03-16T01:31:32Z',
      duration: '1m32s',
      durationSeconds: 92,
      sizeBytes: 1_503_238_554,
      size: '1.4 GiB',
      artifacts: [{ source: 'app-db', type: 'Postgres', phase: 'Succeeded', sha256: 'a'.repeat(64), tableCount: 42, rowCount: 1_234_567 }],
    });
    const [header, row] = await table(['backuprun', 'app-before-migration-42']);
    expect(header).toEqual(['NAME', 'SCHEDULE', 'PHASE', 'SIZE', 'DURATION', 'AGE']);
    expect(row!.slice(0, 5)).toEqual(['app-before-migration-42', 'app', 'Succeeded', '1.4 GiB', '1m32s']);
  });

  it('show a RestoreRequest\'s backup, phase and duration', async () => {
    await patchStatus('restorerequest/app-undelete-2025-03-14', {
      phase: 'Running',
      backup: { name: 'app-1741910400', schedule: 'app', snapshotTime: '2025-03-14T01:30:04Z' },
      duration: '4m10s',
      targets: [{ source: 'app-db', type: 'Postgres', phase: 'Succeeded' }, { source: 'uploads', type: 'Bucket', phase: 'Running' }],
    });
    const [header, row] = await table(['restorerequest']);
    expect(header).toEqual(['NAME', 'BACKUP', 'SNAPSHOT', 'PHASE', 'DURATION', 'AGE']);
    expect(row![0]).toBe('app-undelete-2025-03-14');
    expect(row![1]).toBe('app-1741910400');
    expect(row!.slice(3, 5)).toEqual(['Running', '4m10s']);
  });

  it('show a DRDrill\'s scenario, latest result, measured RTO and RPO, objectives, last run and last pass', async () => {
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
    await patchStatus('drdrill/app-weekly', {
      conditions: [condition('Ready', 'True', 'Valid')],
      latest: { name: 'app-weekly-1741910400', result: 'Passed', startTime: twoDaysAgo, rto: '41m12s', rpo: '2h11m', objectives: 'Met' },
      lastPassed: { name: 'app-weekly-1741910400', result: 'Passed', startTime: twoDaysAgo, rto: '41m12s', rpo: '2h11m', objectives: 'Met' },
      lastPassedTime: twoDaysAgo,
    });
    const [header, row] = await table(['drdrill', 'app-weekly']);
    expect(header).toEqual(['NAME', 'SCENARIO', 'RESULT', 'RTO', 'RPO', 'OBJECTIVES', 'LAST RUN', 'LAST PASSED', 'AGE']);
    expect(row!.slice(0, 8)).toEqual(['app-weekly', 'CompleteFailure', 'Passed', '41m12s', '2h11m', 'Met', '2d', '2d']);
  });

  it('show a DRDrillRun\'s drill, result, reason, RTO, RPO and objectives', async () => {
    await patchStatus('drdrillrun/app-weekly-now', {
      result: 'Failed',
      reason: 'RPOMissed',
      rto: { objective: '1h', measured: '3m2s', measuredSeconds: 182, met: true },
      rpo: { objective: '24h', measured: '30h1m', measuredSeconds: 108060, met: false, basis: 'SnapshotTime' },
      objectives: 'RPOMissed',
      steps: [{ name: 'SelectBackup', phase: 'Succeeded', duration: '1s' }],
    });
    const [header, row] = await table(['drdrillrun', 'app-weekly-now']);
    expect(header).toEqual(['NAME', 'DRILL', 'RESULT', 'REASON', 'RTO', 'RPO', 'OBJECTIVES', 'AGE']);
    expect(row!.slice(0, 7)).toEqual(['app-weekly-now', 'app-weekly', 'Failed', 'RPOMissed', '3m2s', '30h1m', 'RPOMissed']);
  });
});
