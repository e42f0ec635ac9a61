// secretNamesToObserve: the Secrets are read only for the pass that may start the run's first
// Jobs; whenever it asks for none, deciding without them decides exactly what deciding with
// them does, so the requests it saves change nothing.
import { describe, expect, it } from '@jest/globals';
import { aBackupRun, at, bucketSource, config, job, observedRun, postgresResult, postgresSource, storage } from '../testing/builders.ts';
import { decideBackupRun } from './decide-backup-run.ts';
import { secretNamesToObserve } from './observe.ts';
import type { ObservedBackupRun } from './types.ts';

const RUN = 'app-1735696800';
const now = at('2025-01-01T02:05:00Z');
const spec = { scheduleRef: { name: 'app' }, sources: [postgresSource, bucketSource], storage };

const cases: [string, ObservedBackupRun, string[]][] = [
  ['a new run', observedRun(aBackupRun({ spec, finalizers: [] })), ['pg', 's3', 'uploads-s3']],
  ['a run waiting for a Secret (no Job yet)', observedRun(aBackupRun({ spec, status: { phase: 'Pending' } }), { secrets: [] }), ['pg', 's3', 'uploads-s3']],
  ['a run whose Jobs are pending', observedRun(aBackupRun({ spec, status: { phase: 'Pending' } }), { jobs: [job.pending(`${RUN}-db`), job.pending(`${RUN}-files`)] }), []],
  ['a run with one Job done and one running', observedRun(aBackupRun({ spec, status: { phase: 'Running' } }), { jobs: [job.complete(`${RUN}-db`, postgresResult()), job.running(`${RUN}-files`)] }), []],
  ['a run whose Jobs are gone after recording their outcome', observedRun(aBackupRun({ spec, status: { phase: 'Running', artifacts: [{ source: 'db', type: 'Postgres', phase: 'Succeeded' }, { source: 'files', type: 'Bucket', phase: 'Failed' }] } })), []],
  ['a finished run', observedRun(aBackupRun({ spec, status: { phase: 'Succeeded', manifestKey: 'prod/prod/app/x/manifest.json' } })), []],
  ['a failed run', observedRun(aBackupRun({ spec, status: { phase: 'Failed' } })), []],
  ['a run being deleted', observedRun(aBackupRun({ spec, deleting: '2025-01-01T02:04:00Z', status: { phase: 'Running' } })), []],
  ['a run whose schedule is missing', observedRun(aBackupRun({ spec: { scheduleRef: { name: 'app' } } }), { schedule: undefined }), []],
];

describe('secretNamesToObserve', () => {
  it.each(cases)('%s', (_what, observed, expected) => {
    expect(secretNamesToObserve(observed).sort()).toEqual(expected);
  });

  it.each(cases.filter(([, , expected]) => expected.length === 0))('%s: the decision is the same without the Secrets', (_what, observed) => {
    expect(decideBackupRun({ ...observed, secrets: [] }, now, config)).toEqual(decideBackupRun(observed, now, config));
  });
});
