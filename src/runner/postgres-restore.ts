// postgres-restore: resolve the artifact from its manifest, prepare the target database
// (create it when missing and createDatabase allows; an existing one must be empty unless
// overwritePolicy is Clean), then restore. With one job the
// archive streams into pg_restore inside a single transaction and the checksum is verified
// before pg_restore can see the end of it; with N jobs (or a tar or plain dump) the artifact
// is downloaded in parallel ranges (hashed in order in the same pass, decompressed into the
// file as it arrives: artifact-download.ts), verified, and restored from the local file. Into a server
// older than the client tools, the restore leaves out the session settings that server does
// not know, with one job (src/postgres/session-settings.ts, docs/postgres-versions.md).
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ArtifactManifest } from '../contract/manifests.ts';
import type { PostgresRestoreTask } from '../contract/tasks.ts';
import { ChecksumMismatchError, RunnerError } from '../failures/runner-error.ts';
import { connectionSettings, describeServer, libpqEnv, withConnection, type ConnectionSettings } from '../postgres/connection.ts';
import { createDatabase, databaseContents, describeContents, dropDatabase, isEmpty } from '../postgres/database.ts';
import { postgresFailure } from '../postgres/errors.ts';
import { runRestoreTool } from '../postgres/restore.ts';
import { readServerVersion, type ServerVersion } from '../postgres/server-version.ts';
import { settingsUnknownToServer, toolMajor } from '../postgres/session-settings.ts';
import { toolVersion } from '../postgres/tools.ts';
import { locateZstd } from '../process/zstd-process.ts';
import { headObject } from '../s3/download.ts';
import { isStorageError, storageFailure } from '../s3/errors.ts';
import { downloadArtifactInRanges } from './artifact-download.ts';
import { openArtifact } from './artifact-reader.ts';
import type { RunnerContext, TaskSummary } from './context.ts';
import { resolveIdentities } from './keys.ts';
import { readArtifactManifest } from './manifest.ts';
import { verifyStoredArtifact } from './verify.ts';
import { baseTools } from './versions.ts';

type PostgresManifest = Extract<ArtifactManifest, { kind: 'postgres' }>;

export async function runPostgresRestore(task: PostgresRestoreTask, ctx: RunnerContext): Promise<TaskSummary> {
  const started = performance.now();
  const s3 = ctx.s3(task.storage);
  const storageWhere = { bucket: task.storage.bucket, ...(task.storage.endpoint ? { endpoint: task.storage.endpoint } : {}) };
  const manifest = await readArtifactManifest(s3, task.storage, task.artifact, ctx.signal).catch((error: unknown) => {
    throw storageFailure(error, storageWhere, 'reading the manifest from');
  });
  if (manifest.kind !== 'postgres') {
    throw new RunnerError('InvalidTask', `artifact ${task.artifact.source} is a ${manifest.kind} backup, not a PostgreSQL one`);
  }
  const identities = manifest.artifact.encryption ? resolveIdentities(task.decryption, ctx.env) : [];
  const format = manifest.postgres.format;
  const zstd = manifest.artifact.compression === 'zstd' ? await locateZstd(ctx.env) : undefined;
  const clean = task.overwritePolicy === 'Clean';
  if (format === 'plain' && clean) {
    throw new RunnerError('InvalidTask', 'overwritePolicy Clean needs a custom or tar archive: a plain SQL dump has no DROP statements');
  }
  const restoreTool = format === 'plain' ? 'psql' : 'pg_restore';
  const restoreToolVersion = await toolVersion(restoreTool, ctx.env);

  const target = connectionSettings(task.target, ctx.env);
  const maintenance = connectionSettings(task.target, ctx.env, task.maintenanceDatabase);
  const { created, server } = await prepareTarget(task, manifest, target, maintenance);
  // Settings the tools write that this server would reject: pg_restore writes its own at the
  // start of each connection (so leaving them out means one job); a plain dump carries those
  // of the pg_dump that wrote it.
  const writer = format === 'plain' ? manifest.tools.pg_dump : restoreToolVersion;
  const writerMajor = writer === undefined ? undefined : toolMajor(writer);
  const leaveOut = settingsUnknownToServer(writerMajor, server.num);
  // Only a custom archive can be restored in parallel; only a custom archive is safe to
  // stream (pg_restore cannot reach its end, and so cannot commit, before the last byte).
  const jobs = format === 'custom' && leaveOut.length === 0 ? task.parallelJobs : 1;
  const streaming = format === 'custom' && jobs === 1;
  const log = ctx.logger.child({ target: describeServer(target), key: manifest.artifact.key, jobs, streaming });
  log.info({ created, serverVersion: server.text, client: restoreToolVersion }, 'target ready');
  if (leaveOut.length > 0) {
    log.warn(
      { serverVersion: server.text, client: writer ?? restoreToolVersion, settings: leaveOut, requestedJobs: task.parallelJobs },
      `PostgreSQL ${server.text} does not know ${leaveOut.join(', ')}, which the PostgreSQL ${writerMajor ?? 'client'} tools set: restoring through a script that leaves ${leaveOut.length === 1 ? 'it' : 'them'} out${format === 'custom' && task.parallelJobs > 1 ? `, with 1 job instead of ${task.parallelJobs}` : ''}`,
    );
  }

  try {
    const restore = {
      format,
      jobs,
      clean,
      noOwner: task.noOwner,
      noAcl: task.noAcl,
      ...(task.role ? { role: task.role } : {}),
      env: libpqEnv(target, ctx.env),
      toolEnv: ctx.env,
      signal: ctx.signal,
      ...(leaveOut.length > 0
        ? { leaveOutSettings: leaveOut, onLeftOut: (line: string) => log.warn({ statement: line, serverVersion: server.text }, 'left out a setting the server does not know') }
        : {}),
    };
    const reading = {
      bucket: task.storage.bucket,
      artifact: manifest.artifact,
      identities,
      signal: ctx.signal,
      onStoredBytes: (count: number) => ctx.progress.addBytes(count),
    };
    if (streaming && zstd) {
      ctx.progress.phase('restore', { bytes: manifest.artifact.sizeBytes });
      // The tail held back must reach into zstd's last data block, or zstd could emit the
      // end of the archive before the checksum is known: 1 MiB is far more than a block.
      const compressed = openArtifact(s3, { ...reading, decompress: false, holdBackBytes: 1024 * 1024 });
      await runRestoreTool({ ...restore, decompressWith: zstd.bin }, compressed);
      ctx.progress.finish();
    } else if (streaming) {
      ctx.progress.phase('restore', { bytes: manifest.artifact.sizeBytes });
      await runRestoreTool(restore, openArtifact(s3, reading));
      ctx.progress.finish();
    } else {
      const file = join(task.workDir ?? tmpdir(), `lifeboat-restore-${randomUUID()}`);
      try {
        ctx.progress.phase('download', { bytes: manifest.artifact.sizeBytes });
        // Sized by a HEAD, not by the manifest: bytes appended to the object must count.
        const head = await headObject(s3, { bucket: task.storage.bucket, key: manifest.artifact.key, signal: ctx.signal });
        await downloadArtifactInRanges(ctx.objects(task.storage), {
          ...reading,
          head,
          path: file,
          ...(zstd ? { zstd: { bin: zstd.bin, env: ctx.env } } : {}),
          ranges: {
            ...(task.download.concurrency ? { concurrency: task.download.concurrency } : {}),
            ...(task.download.partSizeBytes ? { rangeBytes: task.download.partSizeBytes } : {}),
          },
        });
        ctx.progress.finish();
        log.info('artifact downloaded and verified');
        ctx.progress.phase('restore');
        await runRestoreTool({ ...restore, file });
        ctx.progress.finish();
      } finally {
        await rm(file, { force: true });
      }
    }
  } catch (error) {
    if (created) {
      // A database this task created and could not fill is removed: a half-restored
      // database must not look like a restored one.
      await withConnection(maintenance, (client) => dropDatabase(client, target.database)).catch(() => undefined);
    }
    await explainCorruption(error, () => verifyStoredArtifact(s3, task.storage.bucket, manifest.artifact, ctx));
    if (!isStorageError(error)) throw error;
    throw storageFailure(error, { ...storageWhere, key: manifest.artifact.key }, 'reading');
  }
  const durationSeconds = Math.round(performance.now() - started) / 1000;
  log.info({ durationSeconds }, 'restore complete');
  return {
    database: target.database,
    created,
    jobs,
    key: manifest.artifact.key,
    sizeBytes: manifest.artifact.sizeBytes,
    sha256: manifest.artifact.sha256,
    checksumVerified: true,
    snapshotTime: manifest.snapshotTime,
    durationSeconds,
    ...(leaveOut.length > 0 ? { settingsLeftOut: leaveOut } : {}),
    // What did the restore, beside what wrote the artifact (the manifest's tools), so a drill
    // report can tell which client and server versions a recovery was proven with.
    tools: { ...baseTools(), [restoreTool]: restoreToolVersion, server: server.text, ...(zstd ? { zstd: zstd.version } : {}) },
  };
}

/**
 * When zstd or pg_restore choked on the data, the stored object may be corrupt: a zstd
 * process fails on it before the checksum is known. Re-reading it tells, and a mismatch is
 * then the reason reported.
 */
async function explainCorruption(error: unknown, verify: () => Promise<void>): Promise<void> {
  if (!(error instanceof RunnerError) || (error.code !== 'ToolFailed' && error.code !== 'ArtifactCorrupt')) return;
  try {
    await verify();
  } catch (mismatch) {
    if (mismatch instanceof ChecksumMismatchError) throw mismatch;
  }
}

/**
 * Checks the target (empty, or overwritePolicy Clean), or creates it when it is missing and
 * createDatabase allows; returns whether this task created it, and the server's version. The
 * target is tried first, so restoring into an existing database never needs the maintenance
 * database.
 */
async function prepareTarget(
  task: PostgresRestoreTask,
  manifest: PostgresManifest,
  target: ConnectionSettings,
  maintenance: ConnectionSettings,
): Promise<{ created: boolean; server: ServerVersion }> {
  const found = await withConnection(target, async (client) => ({
    contents: await databaseContents(client),
    server: await readServerVersion(client),
  })).catch((error: unknown) => {
    if ((error as { code?: string }).code === INVALID_CATALOG_NAME) return undefined;
    throw postgresFailure(error, target, 'inspecting the target database');
  });
  if (found === undefined) {
    if (!task.createDatabase) {
      throw new RunnerError(
        'DatabaseMissing',
        `target database ${target.database} does not exist at ${target.host}:${target.port} and createDatabase is false; create it, or set createDatabase to true`,
      );
    }
    // Should someone else create it in between, CREATE DATABASE fails (retryable), and the
    // next attempt finds it and checks it like any other existing database.
    const server = await withConnection(maintenance, async (client) => {
      await createDatabase(client, target.database, manifest.postgres);
      return readServerVersion(client);
    }).catch((error: unknown) => {
      throw postgresFailure(error, maintenance, `creating database ${target.database}`);
    });
    return { created: true, server };
  }
  const { contents, server } = found;
  if (!isEmpty(contents) && task.overwritePolicy !== 'Clean') {
    throw new RunnerError(
      'TargetNotEmpty',
      `target database ${describeServer(target)} is not empty (${describeContents(contents)}); set overwritePolicy to Clean to restore over it`,
    );
  }
  return { created: false, server };
}

/** SQLSTATE invalid_catalog_name: connecting to a database that does not exist. */
const INVALID_CATALOG_NAME = '3D000';
