// scratch-create / scratch-drop: the throwaway database or bucket a drill restores into.
// A drill restores into new targets only: a name that already exists fails scratch-create with
// TargetExists (permanent), whatever it holds, so no drill ever checks data it did not restore
// or drops what it did not create. The one exception is the task's own `claim`: a target this
// very task created (marked with the claim) and left empty is taken back, so that a retried
// Job (its pod evicted after CREATE) does not fail the drill. Dropping is idempotent. Names
// must be scratch names (src/contract/tasks.ts), so nothing else can ever be dropped here.
import type { S3Client } from '@aws-sdk/client-s3';
import type { ScratchTask } from '../contract/tasks.ts';
import { RunnerError } from '../failures/runner-error.ts';
import { connectionSettings, withConnection } from '../postgres/connection.ts';
import {
  commentOnDatabase,
  createDatabase,
  databaseComment,
  databaseContents,
  databaseExists,
  describeContents,
  dropDatabase,
  isEmpty,
} from '../postgres/database.ts';
import { postgresFailure } from '../postgres/errors.ts';
import { bucketExists, bucketTags, createBucket, deleteBucket, isBucketEmpty, tagBucket } from '../s3/bucket.ts';
import { storageFailure } from '../s3/errors.ts';
import type { RunnerContext, TaskSummary } from './context.ts';

/** The bucket tag that carries the claim. */
export const SCRATCH_CLAIM_TAG = 'lifeboat.dev/scratch-claim';

/** The database comment that carries the claim. */
export function claimComment(claim: string): string {
  return `lifeboat scratch database, claim ${claim}`;
}

/** SQLSTATE duplicate_database: CREATE DATABASE lost a race with someone else's. */
const DUPLICATE_DATABASE = '42P04';

type Outcome = 'created' | 'reclaimed' | 'exists';

export async function runScratchCreate(task: ScratchTask, ctx: RunnerContext): Promise<TaskSummary> {
  const outcome = task.kind === 'database' ? await createScratchDatabase(task, ctx) : await createScratchBucket(task, ctx);
  const what = task.kind === 'database' ? 'database' : 'bucket';
  if (outcome === 'exists') {
    throw new RunnerError('TargetExists', `scratch ${what} ${task.name} already exists; a drill never reuses one`);
  }
  ctx.logger.info({ [what]: task.name, outcome }, `scratch ${what} ready`);
  return { kind: task.kind, name: task.name, created: true, ...(outcome === 'reclaimed' ? { reclaimed: true } : {}) };
}

async function createScratchDatabase(task: Extract<ScratchTask, { kind: 'database' }>, ctx: RunnerContext): Promise<Outcome> {
  const server = connectionSettings(task.postgres, ctx.env);
  const outcome = await withConnection(server, async (client): Promise<Outcome> => {
    const comment = await databaseComment(client, task.name);
    if (comment !== undefined) return task.claim !== undefined && comment === claimComment(task.claim) ? 'reclaimed' : 'exists';
    try {
      await createDatabase(client, task.name, { encoding: 'UTF8' });
    } catch (error) {
      if ((error as { code?: string }).code === DUPLICATE_DATABASE) return 'exists';
      throw error;
    }
    if (task.claim !== undefined) await commentOnDatabase(client, task.name, claimComment(task.claim));
    return 'created';
  }).catch((error: unknown) => {
    throw postgresFailure(error, server, `creating scratch database ${task.name}`);
  });
  if (outcome === 'reclaimed') {
    const scratch = connectionSettings(task.postgres, ctx.env, task.name);
    const contents = await withConnection(scratch, databaseContents).catch((error: unknown) => {
      throw postgresFailure(error, scratch, 'inspecting the scratch database');
    });
    if (!isEmpty(contents)) {
      throw new RunnerError('TargetExists', `scratch database ${task.name} already exists and is not empty (${describeContents(contents)}); a drill never reuses one`);
    }
  }
  return outcome;
}

async function createScratchBucket(task: Extract<ScratchTask, { kind: 'bucket' }>, ctx: RunnerContext): Promise<Outcome> {
  const s3 = ctx.s3(task.s3);
  const where = { bucket: task.name, ...(task.s3.endpoint ? { endpoint: task.s3.endpoint } : {}) };
  try {
    // HEAD first: in us-east-1, AWS answers CreateBucket on a bucket of one's own with 200.
    if (!(await bucketExists(s3, task.name, ctx.signal)) && (await createBucket(s3, task.name, ctx.signal)) === 'created') {
      if (task.claim !== undefined) await claimBucket(s3, task.name, task.claim, ctx);
      return 'created';
    }
    if (task.claim === undefined || (await bucketClaim(s3, task.name, ctx)) !== task.claim) return 'exists';
    if (!(await isBucketEmpty(s3, task.name, ctx.signal))) {
      throw new RunnerError('TargetExists', `scratch bucket ${task.name} already exists and is not empty; a drill never reuses one`);
    }
    return 'reclaimed';
  } catch (error) {
    // Another account's bucket of that name: it exists, just not for us to see.
    if ((error as { name?: string }).name === 'BucketAlreadyExists') return 'exists';
    throw storageFailure(error, where, 'creating scratch bucket');
  }
}

/** Tags the bucket with the claim; a server without bucket tagging only loses the retry's shortcut. */
async function claimBucket(s3: S3Client, bucket: string, claim: string, ctx: RunnerContext): Promise<void> {
  try {
    await tagBucket(s3, bucket, { [SCRATCH_CLAIM_TAG]: claim }, ctx.signal);
  } catch (error) {
    ctx.logger.warn({ bucket, err: error }, 'could not tag the scratch bucket with its claim: a retried scratch-create will find it taken');
  }
}

async function bucketClaim(s3: S3Client, bucket: string, ctx: RunnerContext): Promise<string | undefined> {
  try {
    return (await bucketTags(s3, bucket, ctx.signal))[SCRATCH_CLAIM_TAG];
  } catch (error) {
    ctx.logger.warn({ bucket, err: error }, 'could not read the scratch bucket tags');
    return undefined;
  }
}

export async function runScratchDrop(task: ScratchTask, ctx: RunnerContext): Promise<TaskSummary> {
  if (task.requireClaim && task.claim === undefined) throw new RunnerError('InvalidTask', 'requireClaim needs a claim');
  if (task.kind === 'database') {
    const server = connectionSettings(task.postgres, ctx.env);
    const existed = await withConnection(server, async (client) => {
      const exists = await databaseExists(client, task.name);
      // Not provably ours (a Provision stopped mid-way may not have created it): leave it.
      if (exists && task.requireClaim && (await databaseComment(client, task.name)) !== claimComment(task.claim!)) return 'unclaimed' as const;
      await dropDatabase(client, task.name);
      return exists;
    }).catch((error: unknown) => {
      throw postgresFailure(error, server, `dropping scratch database ${task.name}`);
    });
    if (existed === 'unclaimed') {
      ctx.logger.warn({ database: task.name }, 'scratch database exists without this drill\'s claim: left alone');
      return { kind: 'database', name: task.name, dropped: false, unclaimed: true };
    }
    ctx.logger.info({ database: task.name, existed }, existed ? 'scratch database dropped' : 'scratch database was already gone');
    return { kind: 'database', name: task.name, dropped: existed };
  }
  const s3 = ctx.s3(task.s3);
  if (task.requireClaim && (await bucketExists(s3, task.name, ctx.signal)) && (await bucketClaim(s3, task.name, ctx)) !== task.claim) {
    ctx.logger.warn({ bucket: task.name }, 'scratch bucket exists without this drill\'s claim: left alone');
    return { kind: 'bucket', name: task.name, dropped: false, unclaimed: true };
  }
  try {
    const outcome = await deleteBucket(s3, task.name, ctx.signal);
    ctx.logger.info({ bucket: task.name, outcome }, outcome === 'deleted' ? 'scratch bucket dropped' : 'scratch bucket was already gone');
    return { kind: 'bucket', name: task.name, dropped: outcome === 'deleted' };
  } catch (error) {
    throw storageFailure(error, { bucket: task.name, ...(task.s3.endpoint ? { endpoint: task.s3.endpoint } : {}) }, 'dropping scratch bucket');
  }
}
