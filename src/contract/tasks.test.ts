import { describe, expect, it } from '@jest/globals';
import { BucketCheckTask, DrillCheckTask, ScratchTask, scratchBucketName, scratchDatabaseName } from './tasks.ts';

const postgres = { host: 'scratch.db', database: 'postgres' };

describe('scratch names', () => {
  it('are built from the run id and the source index', () => {
    expect(scratchDatabaseName('k3x9a', 0)).toBe('lifeboat_scratch_k3x9a_0');
    expect(scratchBucketName('k3x9a', 12)).toBe('lifeboat-scratch-k3x9a-12');
  });

  it('stay within 63 characters, for PostgreSQL and for S3', () => {
    const runId = 'a'.repeat(20);
    expect(scratchDatabaseName(runId, 999)).toHaveLength(41);
    expect(scratchBucketName(runId, 999)).toHaveLength(41);
  });

  it('refuse a run id or index that would make a bad or ambiguous name', () => {
    for (const runId of ['', 'A1', 'run-1', 'run_1', 'a'.repeat(21), 'é']) {
      expect(() => scratchDatabaseName(runId, 0)).toThrow(/run id/);
      expect(() => scratchBucketName(runId, 0)).toThrow(/run id/);
    }
    for (const index of [-1, 1.5, 1000, Number.NaN]) expect(() => scratchDatabaseName('r1', index)).toThrow(/index/);
  });

  it('are exactly what the scratch task accepts', () => {
    for (const [runId, index] of [['r', 0], ['0123456789abcdefghij', 999], ['k3x9a', 15]] as const) {
      expect(ScratchTask.safeParse({ kind: 'database', postgres, name: scratchDatabaseName(runId, index) }).success).toBe(true);
      expect(ScratchTask.safeParse({ kind: 'bucket', s3: {}, name: scratchBucketName(runId, index) }).success).toBe(true);
    }
    for (const name of ['shop', 'lifeboat_scratch_', 'lifeboat_scratch_r_', 'lifeboat_scratch_r_01', 'lifeboat_scratch_R_0', 'lifeboat_scratch_a_b_0', 'xlifeboat_scratch_r_0', 'lifeboat-scratch-r-0']) {
      expect(ScratchTask.safeParse({ kind: 'database', postgres, name }).success).toBe(false);
    }
    for (const name of ['shop-assets', 'lifeboat-scratch-', 'lifeboat-scratch-r', 'lifeboat-scratch-r-1000', 'lifeboat-scratch-a-b-0', 'lifeboat_scratch_r_0']) {
      expect(ScratchTask.safeParse({ kind: 'bucket', s3: {}, name }).success).toBe(false);
    }
  });

  it('take a claim that can go into a comment and a bucket tag', () => {
    const name = scratchDatabaseName('r1', 0);
    expect(ScratchTask.safeParse({ kind: 'database', postgres, name, claim: '2b1f3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d' }).success).toBe(true);
    expect(ScratchTask.safeParse({ kind: 'database', postgres, name, claim: "x' OR 1=1" }).success).toBe(false);
  });
});

describe('drill check tasks', () => {
  const storage = { bucket: 'backups' };
  const artifact = { namespace: 'shop', schedule: 'nightly', run: 'nightly-1', source: 'db' };

  it('drill-check takes the schema objects check', () => {
    const task = DrillCheckTask.parse({ postgres, schemaObjects: { storage, artifact, decryption: {} } });
    expect(task.schemaObjects).toMatchObject({ artifact, decryption: { identityEnv: 'LIFEBOAT_AGE_IDENTITY' } });
  });

  it('bucket-check fills its defaults', () => {
    const task = BucketCheckTask.parse({ storage, artifact, target: { bucket: scratchBucketName('r1', 1), endpoint: 'http://minio:9000' } });
    expect(task).toMatchObject({ concurrency: 16, target: { prefix: '', credentialsEnvPrefix: 'AWS_', forcePathStyle: true } });
    expect(task.prefixRemap).toBeUndefined();
    expect(task.decryption).toBeUndefined();
  });
});
