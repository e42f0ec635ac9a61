// Helpers of the drill end-to-end tests: a drill plan whose scratch targets are the test
// environment's PostgreSQL and MinIO (reached with the fixture's Secrets), DRDrillRuns created
// by hand, and readers that wait for them to finish.
import { DR_DRILL_RUNS, DR_DRILLS } from '../../../src/controllers/resource-types.ts';
import type { KubeClient } from '../../../src/kube/client.ts';
import type { KubeObject } from '../../../src/kube/types.ts';
import { SECRET_NAMES } from '../../support/backup-fixture.ts';
import { testEnv } from '../../support/env.ts';
import { waitFor } from '../../support/wait.ts';

export interface DrillRunObject extends KubeObject {
  spec: Record<string, unknown>;
  status?: {
    result?: string;
    reason?: string;
    message?: string;
    startTime?: string;
    completionTime?: string;
    backup?: { run?: string; manifestKey?: string; snapshotTime?: string; sizeBytes?: number; sources?: { name: string; kind: 'Postgres' | 'Bucket' }[] };
    steps?: { name: string; phase?: string; startTime?: string; completionTime?: string; durationSeconds?: number; message?: string }[];
    checks?: { name: string; type: string; source?: string; result: string; expected?: string; actual?: string; message?: string }[];
    checksSummary?: { passed: number; failed: number };
    rto?: { objective?: string; objectiveSeconds?: number; measured?: string; measuredSeconds?: number; met?: boolean; restoreSeconds?: number; restoredBytes?: number };
    rpo?: { objective?: string; objectiveSeconds?: number; measured?: string; measuredSeconds?: number; met?: boolean; basis?: string; newestDataTime?: string };
    deliveredRpo?: { worstGap?: string; backupsConsidered?: number; met?: boolean };
    objectives?: string;
    scratch?: { databases?: string[]; buckets?: string[]; leftBehind?: string[] };
    report?: { jsonKey?: string; jsonSha256?: string; markdownKey?: string; markdownSha256?: string };
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

/** A plan recovering from schedule `schedule` into the test servers. */
export function drillPlan(schedule: string, overrides: Record<string, unknown> = {}) {
  const env = testEnv();
  return {
    scheduleRef: { name: schedule },
    scenario: 'CompleteFailure',
    objectives: { rto: '30m', rpo: '24h' },
    scratch: {
      postgres: { host: env.postgres.host, port: env.postgres.port, sslMode: 'disable', connectionSecret: { name: SECRET_NAMES.database } },
      s3: { endpoint: env.s3.endpoint, region: env.s3.region, forcePathStyle: true, credentialsSecret: { name: SECRET_NAMES.buckets } },
      cleanup: 'Always',
    },
    jobTemplate: { backoffLimit: 0, activeDeadlineSeconds: 600 },
    ...overrides,
  };
}

export async function createDrill(client: KubeClient, namespace: string, name: string, spec: Record<string, unknown>): Promise<KubeObject> {
  return client.create(DR_DRILLS, { apiVersion: 'lifeboat.dev/v1alpha1', kind: 'DRDrill', metadata: { name, namespace }, spec } as unknown as KubeObject);
}

/** "Drill now": a DRDrillRun with its plan spelled out (or only drillRef). */
export async function createDrillRun(client: KubeClient, namespace: string, name: string, drill: string, plan?: Record<string, unknown>): Promise<DrillRunObject> {
  return client.create<DrillRunObject>(DR_DRILL_RUNS, {
    apiVersion: 'lifeboat.dev/v1alpha1',
    kind: 'DRDrillRun',
    metadata: { name, namespace },
    spec: { drillRef: { name: drill }, ...(plan ? { plan } : {}) },
  } as unknown as DrillRunObject);
}

export async function getDrillRun(client: KubeClient, namespace: string, name: string): Promise<DrillRunObject | undefined> {
  return client.find<DrillRunObject>(DR_DRILL_RUNS, namespace, name);
}

export async function finalDrillRun(client: KubeClient, namespace: string, name: string, timeoutMs = 240_000): Promise<DrillRunObject> {
  return waitFor(
    async () => {
      const run = await getDrillRun(client, namespace, name);
      return run && ['Passed', 'Failed'].includes(run.status?.result ?? '') ? run : undefined;
    },
    { what: `DRDrillRun ${namespace}/${name} to finish`, timeoutMs, intervalMs: 1_000 },
  );
}
