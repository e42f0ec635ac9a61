// Which updates of a run its schedule must see: what toRunView reads, and who the run belongs to.
import { describe, expect, it } from '@jest/globals';
import type { BackupRun } from '../../api/index.ts';
import { Labels } from '../metadata.ts';
import { runViewChanged } from './run-view.ts';

const run = (change: (run: BackupRun) => void = () => {}): BackupRun => {
  const base: BackupRun = {
    apiVersion: 'lifeboat.dev/v1alpha1',
    kind: 'BackupRun',
    metadata: { name: 'app-1735696800', namespace: 'shop', labels: { [Labels.schedule]: 'app' }, resourceVersion: '7', creationTimestamp: '2025-01-01T02:00:01Z' },
    spec: { scheduleRef: { name: 'app' }, deletionPolicy: 'Delete' },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'False', reason: 'Running', message: 'backing up', lastTransitionTime: '2025-01-01T02:00:02Z' }],
    },
  };
  change(base);
  return base;
};

describe('runViewChanged', () => {
  it('ignores what the schedule does not read: resourceVersion, finalizers, messages, other conditions', () => {
    const next = run((r) => {
      r.metadata.resourceVersion = '8';
      r.metadata.finalizers = ['lifeboat.dev/artifacts'];
      r.status!.conditions = [{ type: 'Ready', status: 'False', reason: 'Running', message: '2 of 3 sources done', lastTransitionTime: '2025-01-01T02:00:09Z' }];
    });
    expect(runViewChanged(run(), next)).toBe(false);
  });

  it.each<[string, (run: BackupRun) => void]>([
    ['its phase', (r) => (r.status!.phase = 'Succeeded')],
    ['its completion time', (r) => (r.status!.completionTime = '2025-01-01T02:01:00Z')],
    ['its snapshot time', (r) => (r.status!.snapshotTime = '2025-01-01T02:00:05Z')],
    ['its size', (r) => (r.status!.sizeBytes = 1024)],
    ['its Verified condition turning True', (r) => r.status!.conditions!.push({ type: 'Verified', status: 'True', reason: 'ChecksumsMatch', message: 'ok', lastTransitionTime: '2025-01-01T02:01:00Z' })],
    ['its Verified condition turning False (a failed read-back makes it a failed backup)', (r) => {
      r.status!.conditions!.push({ type: 'Verified', status: 'False', reason: 'ChecksumMismatch', message: 'size differs', lastTransitionTime: '2025-01-01T02:01:00Z' });
    }],
    ['its deletion', (r) => (r.metadata.deletionTimestamp = '2025-01-02T00:00:00Z')],
    ['its schedule label', (r) => (r.metadata.labels = {})],
    ['its scheduleRef', (r) => (r.spec.scheduleRef = { name: 'other' })],
    ['its owner', (r) => (r.metadata.ownerReferences = [{ apiVersion: 'lifeboat.dev/v1alpha1', kind: 'BackupSchedule', name: 'app', uid: 'u-1' }])],
  ])('sees a change of %s', (_, change) => {
    expect(runViewChanged(run(), run(change))).toBe(true);
  });

  it('sees a read-back that was running fail', () => {
    const verifying = run((r) => r.status!.conditions!.push({ type: 'Verified', status: 'Unknown', reason: 'Verifying', message: 'reading', lastTransitionTime: '2025-01-01T02:01:00Z' }));
    const failed = run((r) => r.status!.conditions!.push({ type: 'Verified', status: 'False', reason: 'ChecksumMismatch', message: 'size differs', lastTransitionTime: '2025-01-01T02:02:00Z' }));
    expect(runViewChanged(verifying, failed)).toBe(true);
  });

  it('compares times by instant, not by object identity', () => {
    const done = (r: BackupRun) => (r.status!.completionTime = '2025-01-01T02:01:00Z');
    expect(runViewChanged(run(done), run(done))).toBe(false);
  });
});
