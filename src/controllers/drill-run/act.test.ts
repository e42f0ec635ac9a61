import { describe, expect, it } from '@jest/globals';
import type { DrillRunDecision } from '../../core/drill-run/index.ts';
import type { EventRecorder } from '../../kube/events.ts';
import type { KubeApi } from '../../kube/kube-api.ts';
import type { ResourceType } from '../../kube/resource-type.ts';
import { actOnDrillRun } from './act.ts';
import type { StoredDrillRun } from './observe.ts';

const storage = {
  bucket: 'backups',
  prefix: 'backups',
  // Nothing listens on port 1: a report write is refused.
  endpoint: 'http://127.0.0.1:1',
  region: 'us-east-1',
  forcePathStyle: true,
  credentialsSecret: { name: 'storage', accessKeyIdKey: 'AWS_ACCESS_KEY_ID', secretAccessKeyKey: 'AWS_SECRET_ACCESS_KEY' },
};

const object = {
  apiVersion: 'lifeboat.dev/v1alpha1',
  kind: 'DRDrillRun',
  metadata: { name: 'weekly-1', namespace: 'app', resourceVersion: '7', finalizers: ['lifeboat.dev/drill-cleanup'] },
  spec: { drillRef: { name: 'weekly' } },
  status: { result: 'Running' },
} as unknown as StoredDrillRun;

const decision = {
  actions: [
    { type: 'WriteReport', storage, objects: [{ key: 'backups/app/_drills/weekly-1/report.json', body: '{}\n', contentType: 'application/json' }] },
    { type: 'RecordEvent', event: { type: 'Warning', reason: 'DrillFailed', message: 'the drill failed' } },
  ],
  status: { result: 'Failed', reason: 'CheckFailed', report: { jsonKey: 'backups/app/_drills/weekly-1/report.json' } },
  statusChanged: true,
} as unknown as DrillRunDecision;

/** The API server holds the run at `resourceVersion`; writes are recorded. */
function fakeClient(resourceVersion: string) {
  const writes: string[] = [];
  const secret = { metadata: { name: 'storage' }, data: { AWS_ACCESS_KEY_ID: btoa('key-id'), AWS_SECRET_ACCESS_KEY: btoa('secret') } };
  const client = {
    find: async (type: ResourceType) => (type.kind === 'DRDrillRun' ? { ...object, metadata: { ...object.metadata, resourceVersion } } : secret),
    patchStatus: async () => void writes.push('patchStatus'),
    mergePatch: async () => void writes.push('mergePatch'),
  } as unknown as KubeApi;
  const events = { record: async () => void writes.push('event') } as unknown as EventRecorder;
  return { client, events, writes };
}

describe('actOnDrillRun writing the report', () => {
  it('writes nothing when the run changed since the pass read it: a stale pass must not replace the report a status names', async () => {
    const { client, events, writes } = fakeClient('8');
    const pass = actOnDrillRun({ client, events, object, decision, signal: new AbortController().signal });
    await expect(pass).rejects.toMatchObject({ name: 'ConflictError', kind: 'conflict' });
    expect(writes).toEqual([]);
  });

  it('writes the report when the pass read the newest version (here the storage refuses it: retried, no status)', async () => {
    const { client, events, writes } = fakeClient('7');
    const pass = actOnDrillRun({ client, events, object, decision, signal: new AbortController().signal });
    await expect(pass).rejects.toMatchObject({ name: 'TemporaryError', message: expect.stringContaining('could not write the drill report to s3://backups') });
    expect(writes).toEqual([]);
  }, 30_000);
});
