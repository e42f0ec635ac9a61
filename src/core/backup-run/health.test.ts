// A BackupRun's Ready, Reconciling and Stalled in every phase, as kstatus reads them: in progress
// until it finishes, current when it succeeded, failed with the reason otherwise; and a second
// pass with nothing changed writes nothing.
import { describe, expect, it } from '@jest/globals';
import type { BackupRun, BackupRunStatus } from '../../api/index.ts';
import { importedStatus } from '../catalog/catalog-sync.ts';
import { aBackupRun, allSecrets, at, config, failure, imported, job, observedRun, postgresResult, scheduleSpec, storage } from '../testing/builders.ts';
import { healthLine, kstatusOf } from '../testing/kstatus.ts';
import { decideBackupRun } from './decide-backup-run.ts';
import type { BackupRunDecision, ObservedBackupRun, ObservedJob } from './types.ts';

const RUN = 'app-1735696800';
const now = at('2025-01-01T02:05:00Z');
const manifest = job.complete(`${RUN}--finalize`, { ok: true, subcommand: 'finalize-run', summary: { manifestKey: `prod/prod/app/${RUN}/manifest.json` } });
const sourceDone = job.complete(`${RUN}-db`, postgresResult());

/** Decide, then decide again on what was written: the run as kstatus reads it after each pass. */
function decide(observed: ObservedBackupRun, when = now): { decision: BackupRunDecision; again: BackupRunDecision; run: BackupRun } {
  const decision = decideBackupRun(observed, when, config);
  const run: BackupRun = { ...observed.run, status: structuredClone(decision.status) };
  const again = decideBackupRun({ ...observed, run }, when, config);
  return { decision, again, run };
}

/** The status a pass over these Jobs writes, starting from `status`. */
function after(jobs: ObservedJob[], status?: BackupRunStatus): BackupRun {
  const run = aBackupRun({ status });
  return { ...run, status: decideBackupRun(observedRun(run, { jobs }), now, config).status };
}

const pending = after([]);
const running = after([job.running(`${RUN}-db`)], pending.status);
const finalizing = after([sourceDone], running.status);
const succeeded = after([sourceDone, manifest], finalizing.status);
const verifyDone = job.complete(`${RUN}--verify`, { ok: true, subcommand: 'verify', summary: {} });
const verified = after([sourceDone, manifest, verifyDone], succeeded.status);

describe('BackupRun health', () => {
  it.each<[string, () => ObservedBackupRun, string, string, string]>([
    ['Pending: its Job not started', () => observedRun(aBackupRun()), 'InProgress', 'Ready=False/Pending Reconciling=True', 'waiting for 1 Job(s) to start'],
    ['Running: its Job runs', () => observedRun(pending, { jobs: [job.running(`${RUN}-db`)] }), 'InProgress', 'Ready=False/Running Reconciling=True', '0 of 1 source(s) done'],
    ['Running: writing the run manifest', () => observedRun(running, { jobs: [sourceDone] }), 'InProgress', 'Ready=False/Running Reconciling=True', '1 of 1 source(s) done; writing the run manifest'],
    [
      'Pending: waiting within the grace period for a Secret',
      () => observedRun(aBackupRun(), { secrets: allSecrets.filter((secret) => secret.name !== 'pg') }),
      'InProgress',
      'Ready=False/ReferenceNotFound Reconciling=True',
      'Secret "pg" (spec.sources[0].postgres.connectionSecret) does not exist; create it with the key(s) username, password',
    ],
    [
      'Succeeded, its artifacts being read back: not done until verified',
      () => observedRun(finalizing, { jobs: [sourceDone, manifest] }),
      'InProgress',
      'Ready=False/Verifying Reconciling=True',
      'reading every artifact back',
    ],
    ['Succeeded and verified', () => observedRun(succeeded, { jobs: [sourceDone, manifest, verifyDone] }), 'Current', 'Ready=True/Succeeded', 'backed up 1 source(s), 2 KiB'],
    [
      'Succeeded, its verification failed: a backup that cannot be read back has failed (the phase stays Succeeded: its Jobs did)',
      () => observedRun(succeeded, { jobs: [sourceDone, manifest, job.failed(`${RUN}--verify`, failure('artifact db: SHA-256 differs', 'ChecksumMismatch'))] }),
      'Failed',
      'Ready=False/ChecksumMismatch Stalled=True',
      'artifact db: SHA-256 differs',
    ],
    [
      'Failed: its Job failed',
      () => observedRun(pending, { jobs: [job.failed(`${RUN}-db`, failure('connection refused'))] }),
      'Failed',
      'Ready=False/JobFailed Stalled=True',
      'source db failed: connection refused',
    ],
    [
      'Failed: writing the run manifest failed',
      () => observedRun(finalizing, { jobs: [sourceDone, job.failed(`${RUN}--finalize`, failure('no manifest', 'ManifestMissing'))] }),
      'Failed',
      'Ready=False/JobFailed Stalled=True',
      'every source succeeded, but writing the run manifest failed: no manifest',
    ],
    [
      'Failed: a Secret still missing after the grace period',
      () => observedRun(aBackupRun(), { secrets: [] }),
      'Failed',
      'Ready=False/ReferenceNotFound Stalled=True',
      'Secret "s3" (spec.storage.credentialsSecret) does not exist; create it with the key(s) AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY; Secret "pg" (spec.sources[0].postgres.connectionSecret) does not exist; create it with the key(s) username, password',
    ],
    [
      'Failed: an invalid spec',
      () => observedRun(aBackupRun({ spec: { sources: [{ name: 'self', bucket: { bucket: 'backups', endpoint: 'http://minio:9000' } }], storage } })),
      'Failed',
      'Ready=False/InvalidSpec Stalled=True',
      'spec.sources[0].bucket: bucket "backups" is also the backup storage',
    ],
  ])('%s', (_, observed, verdict, line, message) => {
    const when = line.includes('ReferenceNotFound Stalled') ? at('2025-01-01T02:10:00Z') : now;
    const { decision, again, run } = decide(observed(), when);
    expect(kstatusOf(run)).toBe(verdict);
    expect(healthLine(decision.status.conditions)).toBe(line);
    expect(decision.status.conditions?.find((c) => c.type === 'Ready')?.message).toContain(message);
    expect(decision.status.observedGeneration).toBe(run.metadata.generation);
    expect(again.statusChanged).toBe(false);
  });

  it('PartiallyFailed has failed too: the run is not a complete backup', () => {
    const spec = { scheduleRef: { name: 'app' }, sources: [{ name: 'db', postgres: { host: 'db', database: 'app', connectionSecret: { name: 'pg' } } }, { name: 'db2', postgres: { host: 'db2', database: 'app', connectionSecret: { name: 'pg' } } }], storage };
    const observed = observedRun(aBackupRun({ spec }), { jobs: [sourceDone, job.failed(`${RUN}-db2`, failure('timeout'))] });
    const { decision, again, run } = decide(observed);
    expect(kstatusOf(run)).toBe('Failed');
    expect(healthLine(decision.status.conditions)).toBe('Ready=False/PartiallyFailed Stalled=True');
    expect(again.statusChanged).toBe(false);
  });

  it('recreated from the catalog: current, Imported, and nothing to write on its first pass', () => {
    const schedule = { name: 'app', namespace: 'prod', uid: 'uid-app', spec: scheduleSpec() };
    const entry = { key: `prod/prod/app/${RUN}/manifest.json`, manifest: { formatVersion: 1 as const, location: { namespace: 'prod', schedule: 'app', run: RUN }, completedAt: '2025-01-01T02:01:00Z', snapshotTime: '2025-01-01T02:00:10Z', totalSizeBytes: 10, sources: [] } };
    const run = aBackupRun({ annotations: imported(entry.key), status: importedStatus(schedule, entry, now) });
    expect(kstatusOf(run)).toBe('Current');
    expect(healthLine(run.status?.conditions)).toBe('Ready=True/Imported');
    expect(decideBackupRun(observedRun(run), at('2025-01-02T00:00:00Z'), config).statusChanged).toBe(false);
  });

  it('a finished run whose deletionPolicy was edited: observedGeneration follows the generation, so kstatus does not read it as in progress', () => {
    const edited: BackupRun = { ...verified, metadata: { ...verified.metadata, generation: 2 } };
    expect(kstatusOf(edited)).toBe('InProgress');
    const { decision, again, run } = decide(observedRun(edited, { jobs: [sourceDone, manifest, verifyDone] }));
    expect(decision.statusChanged).toBe(true);
    expect(decision.status.observedGeneration).toBe(2);
    expect(kstatusOf(run)).toBe('Current');
    expect(again.statusChanged).toBe(false);
  });

  it('a Failed run written before Ready followed kstatus (Ready True, Valid) reads failed after one pass', () => {
    const failedRun = after([job.failed(`${RUN}-db`, failure('connection refused'))], pending.status);
    const old: BackupRun = {
      ...failedRun,
      status: {
        ...failedRun.status,
        conditions: [
          { type: 'Ready', status: 'True', reason: 'Valid', message: 'sources and storage are set and every Secret they name exists', lastTransitionTime: '2025-01-01T02:00:00Z', observedGeneration: 1 },
          ...(failedRun.status?.conditions ?? []).filter((c) => !['Ready', 'Stalled'].includes(c.type)),
        ],
      },
    };
    expect(kstatusOf(old)).toBe('Current');
    const { decision, again, run } = decide(observedRun(old, { jobs: [job.failed(`${RUN}-db`, failure('connection refused'))] }));
    expect(healthLine(decision.status.conditions)).toBe('Ready=False/JobFailed Stalled=True');
    expect(kstatusOf(run)).toBe('Failed');
    expect(again.statusChanged).toBe(false);
  });
});
