// Helpers of the RestoreRequest end-to-end tests: a request's manifest from a few choices, and
// readers that wait for it to finish.
import { RESTORE_REQUESTS } from '../../../src/controllers/resource-types.ts';
import type { KubeClient } from '../../../src/kube/client.ts';
import type { KubeObject } from '../../../src/kube/types.ts';
import { SECRET_NAMES } from '../../support/backup-fixture.ts';
import { testEnv } from '../../support/env.ts';
import { waitFor } from '../../support/wait.ts';

export interface RestoreObject extends KubeObject {
  spec: Record<string, unknown>;
  status?: {
    phase?: string;
    backup?: { name?: string; schedule?: string; manifestKey?: string; snapshotTime?: string; encrypted?: boolean };
    startTime?: string;
    completionTime?: string;
    duration?: string;
    durationSeconds?: number;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    targets?: {
      source: string;
      phase?: string;
      jobName?: string;
      destination?: string;
      sizeBytes?: number;
      createdTarget?: boolean;
      objectsWritten?: number;
      objectsSkipped?: number;
      durationSeconds?: number;
      message?: string;
    }[];
  };
}

/** A PostgreSQL target in the test server, reached with the fixture's database Secret. */
export function databaseTarget(source: string, database: string, extra: Record<string, unknown> = {}) {
  const env = testEnv();
  return { source, postgres: { host: env.postgres.host, port: env.postgres.port, database, sslMode: 'disable', connectionSecret: { name: SECRET_NAMES.database }, ...extra } };
}

/** A bucket target in the test MinIO, written with the fixture's bucket Secret. */
export function bucketTarget(source: string, bucket: string, extra: Record<string, unknown> = {}) {
  const env = testEnv();
  return { source, bucket: { bucket, endpoint: env.s3.endpoint, region: env.s3.region, forcePathStyle: true, credentialsSecret: { name: SECRET_NAMES.buckets }, ...extra } };
}

export function restoreManifest(namespace: string, name: string, backup: Record<string, unknown>, targets: object[], extra: Record<string, unknown> = {}) {
  return { apiVersion: 'lifeboat.dev/v1alpha1', kind: 'RestoreRequest', metadata: { name, namespace }, spec: { backup, targets, jobTemplate: { backoffLimit: 0, activeDeadlineSeconds: 600 }, ...extra } };
}

export async function createRestore(client: KubeClient, manifest: ReturnType<typeof restoreManifest>): Promise<RestoreObject> {
  return client.create<RestoreObject>(RESTORE_REQUESTS, manifest as unknown as RestoreObject);
}

export async function getRestore(client: KubeClient, namespace: string, name: string): Promise<RestoreObject | undefined> {
  return client.find<RestoreObject>(RESTORE_REQUESTS, namespace, name);
}

/** Waits until the restore reaches a final phase and returns it. */
export async function finalRestore(client: KubeClient, namespace: string, name: string, timeoutMs = 180_000): Promise<RestoreObject> {
  return waitFor(
    async () => {
      const restore = await getRestore(client, namespace, name);
      return restore && ['Succeeded', 'PartiallyFailed', 'Failed'].includes(restore.status?.phase ?? '') ? restore : undefined;
    },
    { what: `RestoreRequest ${namespace}/${name} to finish`, timeoutMs, intervalMs: 1_000 },
  );
}

export function conditionOf(restore: RestoreObject, type: string) {
  return restore.status?.conditions?.find((condition) => condition.type === type);
}
