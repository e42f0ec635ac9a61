import { describe, expect, it } from '@jest/globals';
import type { BackupRunDecision } from '../../core/index.ts';
import type { KubeApi } from '../../kube/kube-api.ts';
import type { EventInput, EventRecorder } from '../../kube/events.ts';
import type { StoredRun } from '../informers.ts';
import { actOnRun, ARTIFACTS_DELETE_FAILED } from './act.ts';

const storage = {
  bucket: 'backups',
  prefix: 'backups',
  // Nothing listens on port 1: every S3 request is refused.
  endpoint: 'http://127.0.0.1:1',
  region: 'us-east-1',
  forcePathStyle: true,
  credentialsSecret: { name: 'storage', accessKeyIdKey: 'AWS_ACCESS_KEY_ID', secretAccessKeyKey: 'AWS_SECRET_ACCESS_KEY' },
};

describe('actOnRun deleting artifacts while the storage is unreachable', () => {
  it('records a Warning event saying why, keeps the finalizer and fails the pass for a retry', async () => {
    const patches: unknown[] = [];
    const secret = { metadata: { name: 'storage' }, data: { AWS_ACCESS_KEY_ID: btoa('key-id'), AWS_SECRET_ACCESS_KEY: btoa('s3cr3t-value') } };
    const client = {
      find: async () => secret,
      mergePatch: async (...args: unknown[]) => patches.push(args),
    } as unknown as KubeApi;
    const recorded: EventInput[] = [];
    const events = { record: async (_object: unknown, input: EventInput) => void recorded.push(input) } as unknown as EventRecorder;
    const object = {
      apiVersion: 'lifeboat.dev/v1alpha1',
      kind: 'BackupRun',
      metadata: { name: 'nightly', namespace: 'app', resourceVersion: '7', finalizers: ['lifeboat.dev/artifacts'], deletionTimestamp: '2026-01-01T00:00:00Z' },
      spec: {},
    } as unknown as StoredRun;
    const decision = {
      actions: [
        { type: 'DeleteArtifacts', storage, location: { namespace: 'app', schedule: 'app', run: 'nightly' }, prefix: 'backups/app/app/nightly/' },
        { type: 'RecordEvent', event: { type: 'Normal', reason: 'ArtifactsDeleted', message: 'deleted' } },
        { type: 'RemoveFinalizer', finalizer: 'lifeboat.dev/artifacts' },
      ],
      status: {},
      statusChanged: false,
    } as unknown as BackupRunDecision;

    const pass = actOnRun({ client, events, object, decision, signal: new AbortController().signal });

    await expect(pass).rejects.toMatchObject({ name: 'TemporaryError' });
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ type: 'Warning', reason: ARTIFACTS_DELETE_FAILED });
    expect(recorded[0]?.note).toContain('s3://backups/backups/app/app/nightly/ at http://127.0.0.1:1');
    expect(recorded[0]?.note).not.toContain('s3cr3t-value');
    expect(patches).toEqual([]);
  }, 30_000);
});
