// scratch-create / scratch-drop: the throwaway database or bucket a drill restores into.
// Creating is idempotent for an empty target (a retried Job must not fail), but never
// accepts one that holds data. Names must carry the scratch prefix (see task.ts).
import type { ScratchTask } from '../contract/tasks.ts';
import { RunnerError } from '../failures/runner-error.ts';
import { connectionSettings, withConnection } from '../postgres/connection.ts';
import { createDatabase, databaseContents, databaseExists, describeContents, dropDatabase, isEmpty } from '../postgres/database.ts';
import { postgresFailure } from '../postgres/errors.ts';
import { createBucket, deleteBucket, isBucketEmpty } from '../s3/bucket.ts';
import { storageFailure } from '../s3/errors.ts';
import type { RunnerContext, TaskSummary } from './context.ts';

export async function runScratchCreate(task: ScratchTask, ctx: RunnerContext): Promise<TaskSummary> {
  if (task.kind === 'database') {
    const server = connectionSettings(task.postgres, ctx.env);
    const scratch = connectionSettings(task.postgres, ctx.env, task.name);
    const existed = await withConnection(server, async (client) => {
      if (await databaseExists(client, task.name)) return true;
      await createDatabase(client, task.name, { encoding: 'UTF8' });
      return false;
    }).catch((error: unknown) => {
      throw postgresFailure(error, server, `creating scratch database ${task.name}`);
    });
    if (existed) {
      const contents = await withConnection(scratch, databaseContents).catch((error: unknown) => {
        throw postgresFailure(error, scratch, 'inspecting the scratch database');
      });
      if (!isEmpty(contents)) {
        throw new RunnerError('TargetNotEmpty', `scratch database ${task.name} already exists and is not empty (${describeContents(contents)})`);
      }
    }
    ctx.logger.info({ database: task.name, existed }, 'scratch database ready');
    return { kind: 'database', name: task.name, created: !existed };
  }

  const s3 = ctx.s3(task.s3);
  const where = { bucket: task.name, ...(task.s3.endpoint ? { endpoint: task.s3.endpoint } : {}) };
  try {
    const outcome = await createBucket(s3, task.name, ctx.signal);
    if (outcome === 'existed' && !(await isBucketEmpty(s3, task.name, ctx.signal))) {
      throw new RunnerError('TargetNotEmpty', `scratch bucket ${task.name} already exists and is not empty`);
    }
    ctx.logger.info({ bucket: task.name, outcome }, 'scratch bucket ready');
    return { kind: 'bucket', name: task.name, created: outcome === 'created' };
  } catch (error) {
    throw storageFailure(error, where, 'creating scratch bucket');
  }
}

export async function runScratchDrop(task: ScratchTask, ctx: RunnerContext): Promise<TaskSummary> {
  if (task.kind === 'database') {
    const server = connectionSettings(task.postgres, ctx.env);
    const existed = await withConnection(server, async (client) => {
      const exists = await databaseExists(client, task.name);
      await dropDatabase(client, task.name);
      return exists;
    }).catch((error: unknown) => {
      throw postgresFailure(error, server, `dropping scratch database ${task.name}`);
    });
    ctx.logger.info({ database: task.name, existed }, 'scratch database dropped');
    return { kind: 'database', name: task.name, dropped: existed };
  }
  const s3 = ctx.s3(task.s3);
  try {
    const outcome = await deleteBucket(s3, task.name, ctx.signal);
    ctx.logger.info({ bucket: task.name, outcome }, 'scratch bucket dropped');
    return { kind: 'bucket', name: task.name, dropped: outcome === 'deleted' };
  } catch (error) {
    throw storageFailure(error, { bucket: task.name, ...(task.s3.endpoint ? { endpoint: task.s3.endpoint } : {}) }, 'dropping scratch bucket');
  }
}
