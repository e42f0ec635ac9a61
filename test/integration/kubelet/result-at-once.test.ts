// The fast mode's results (--complete-runner-pods) read by the operator's own code as the
// success of each Job a BackupRun starts: what the operator takes from them is what a real
// runner's success gives it. Pure, no cluster.
import { describe, expect, it } from '@jest/globals';
import type { V1Job } from '@kubernetes/client-node';
import { BackupScheduleSpec, type BackupSource } from '../../../src/api/index.ts';
import { backupSummary, finalizeSummary } from '../../../src/core/backup-run/summaries.ts';
import { jobOutcome, parseTerminationMessage } from '../../../src/core/job-set/index.ts';
import { buildBackupJob, buildFinalizeJob, buildVerifyJob, type RunForJobs } from '../../../src/core/jobs/backup-job.ts';
import { runnerResultAtOnce } from '../../env/kubelet/runner-result-at-once.ts';

const spec = BackupScheduleSpec.parse({
  schedule: '* * * * *',
  storage: { bucket: 'backups', prefix: 'lifeboat', endpoint: 'http://127.0.0.1:9000', credentialsSecret: { name: 'storage' } },
  sources: [
    { name: 'db', postgres: { host: 'db', database: 'app', connectionSecret: { name: 'db' } } },
    { name: 'assets', bucket: { bucket: 'assets', credentialsSecret: { name: 'assets' } } },
  ],
});
const [postgres, bucket] = spec.sources as [BackupSource, BackupSource];
const run: RunForJobs = { name: 'app-1735696800', namespace: 'prod', uid: 'uid-run', schedule: 'app', storage: spec.storage };
const options = { image: 'lifeboat-runner:0.1.0' };
const now = new Date('2026-12-02T04:00:00.123Z');

const resultOf = (job: V1Job) => parseTerminationMessage(runnerResultAtOnce(job.spec!.template.spec!.containers[0]!, now));
const succeeded = (result: ReturnType<typeof resultOf>) =>
  jobOutcome({ name: 'job', startTime: '2026-12-02T04:00:00Z', podSucceededAt: '2026-12-02T04:00:00Z', result, conditions: [] }).state;

describe('a runner pod completed at once', () => {
  it.each([
    ['postgres-backup', postgres, 'lifeboat/prod/app/app-1735696800/db/database.dump.zst'],
    ['bucket-backup', bucket, 'lifeboat/prod/app/app-1735696800/assets/bucket.tar.zst'],
  ] as const)('%s: the artifact a successful backup reports, in the run folder', (subcommand, source, key) => {
    const result = resultOf(buildBackupJob(run, source, options));
    expect(result).toMatchObject({ ok: true, subcommand });
    const summary = backupSummary(result);
    expect(summary).toMatchObject({ key, manifestKey: key.replace(/[^/]+$/, 'manifest.json'), encrypted: false, snapshotTime: now.toISOString() });
    expect(summary.sizeBytes).toBeGreaterThan(0);
    expect(summary.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(succeeded(result)).toBe('Succeeded');
  });

  it('finalize-run: the run manifest key, which ends the run', () => {
    const result = resultOf(buildFinalizeJob(run, ['db', 'assets'], options));
    expect(finalizeSummary(result)).toEqual({ manifestKey: 'lifeboat/prod/app/app-1735696800/manifest.json', snapshotTime: now.toISOString(), totalSizeBytes: 0 });
    expect(succeeded(result)).toBe('Succeeded');
  });

  it('verify: a success', () => {
    const result = resultOf(buildVerifyJob(run, options));
    expect(result).toEqual({ ok: true, subcommand: 'verify', summary: { verified: [] } });
    expect(succeeded(result)).toBe('Succeeded');
  });

  it('leaves any other container to run: no runner task, or one that does not parse', () => {
    expect(runnerResultAtOnce({ name: 'c', image: 'busybox', command: ['sh', '-c', 'true'] }, now)).toBeUndefined();
    const container = buildBackupJob(run, bucket, options).spec!.template.spec!.containers[0]!;
    const broken = { ...container, env: container.env!.map((variable) => (variable.name === 'LIFEBOAT_TASK' ? { ...variable, value: '{"storage":{}}' } : variable)) };
    expect(runnerResultAtOnce(broken, now)).toBeUndefined();
    expect(runnerResultAtOnce({ ...container, args: ['scratch-create'] }, now)).toBeUndefined();
  });
});
