// postgres-backup: snapshot -> row counts and pg_dump in that snapshot -> compress, encrypt,
// hash -> multipart upload -> manifest. The snapshot transaction stays open until pg_dump
// has exited; the manifest is written only after the data object is complete.
import { artifactDataKey } from '../contract/bucket-layout.ts';
import type { ArtifactManifest, TableRowCount } from '../contract/manifests.ts';
import type { PostgresBackupTask } from '../contract/tasks.ts';
import { connect, connectionSettings, describeServer, libpqEnv } from '../postgres/connection.ts';
import { startPgDump } from '../postgres/dump.ts';
import { postgresFailure } from '../postgres/errors.ts';
import { countRows } from '../postgres/row-counts.ts';
import { exportSnapshot, releaseSnapshot, type ExportedSnapshot } from '../postgres/snapshot.ts';
import { toolVersion } from '../postgres/tools.ts';
import { locateZstd } from '../process/zstd-process.ts';
import { deleteObjectQuietly, requireBucket } from '../s3/bucket.ts';
import { isStorageError, storageFailure } from '../s3/errors.ts';
import { writeArtifact, type WrittenArtifact } from './artifact-writer.ts';
import { DEFAULT_ZSTD_LEVEL, compressionExtension } from './compression.ts';
import type { RunnerContext, TaskSummary } from './context.ts';
import { resolveRecipients } from './keys.ts';
import { storedArtifact, writeArtifactManifest } from './manifest.ts';
import { baseTools } from './versions.ts';

const DATA_FILE = { custom: 'database.dump', plain: 'database.sql', tar: 'database.tar' } as const;

export function artifactFileName(task: Pick<PostgresBackupTask, 'format' | 'compression'>, encrypted: boolean): string {
  return `${DATA_FILE[task.format]}${compressionExtension(task.compression)}${encrypted ? '.age' : ''}`;
}

export async function runPostgresBackup(task: PostgresBackupTask, ctx: RunnerContext): Promise<TaskSummary> {
  // The task schema has already turned "directory" away: it cannot be streamed.
  const format = task.format;
  const startedAt = ctx.now();
  const settings = connectionSettings(task.postgres, ctx.env);
  const server = describeServer(settings);
  const s3 = ctx.s3(task.storage);
  const storageWhere = { bucket: task.storage.bucket, ...(task.storage.endpoint ? { endpoint: task.storage.endpoint } : {}) };
  // Everything that can fail without touching the database, at once: the keys, the tools,
  // and the bucket (a missing bucket fails here, before the database is touched).
  const [recipients, pgDumpVersion, zstd] = await Promise.all([
    resolveRecipients(task.encryption, ctx.env),
    toolVersion('pg_dump', ctx.env),
    task.compression === 'zstd' ? locateZstd(ctx.env) : undefined,
    requireBucket(s3, task.storage.bucket, task.storage.endpoint, ctx.signal),
  ]);

  const key = artifactDataKey(task.storage.prefix, task.location, artifactFileName(task, recipients.length > 0));
  const log = ctx.logger.child({ server, key });

  const db = await connect(settings).catch((error: unknown) => {
    throw postgresFailure(error, settings, 'connecting');
  });
  try {
    let snapshot: ExportedSnapshot;
    try {
      snapshot = await exportSnapshot(db);
    } catch (error) {
      throw postgresFailure(error, settings, 'exporting a snapshot');
    }
    log.info({ snapshotId: snapshot.snapshotId, snapshotTime: snapshot.snapshotTime, lsn: snapshot.lsn }, 'snapshot exported');

    // Counting and dumping run at the same time, both in the exported snapshot; a failure of
    // either stops the other.
    const stop = new AbortController();
    const signal = AbortSignal.any([ctx.signal, stop.signal]);
    const level = task.compressionLevel ?? DEFAULT_ZSTD_LEVEL;
    const dump = startPgDump({
      ...(zstd ? { compressWith: { zstd: zstd.bin, level } } : {}),
      format,
      snapshotId: snapshot.snapshotId,
      schemas: task.schemas,
      excludeSchemas: task.excludeSchemas,
      env: libpqEnv(settings, ctx.env),
      toolEnv: ctx.env,
      signal,
    });
    const counting = countRows(db, task.rowCounts, { schemas: task.schemas, excludeSchemas: task.excludeSchemas }).catch(
      (error: unknown) => {
        const failure = postgresFailure(error, settings, 'counting rows');
        stop.abort(failure);
        throw failure;
      },
    );
    counting.catch(() => undefined);

    ctx.progress.phase('dump');
    let written: WrittenArtifact;
    try {
      written = await writeArtifact(s3, {
        bucket: task.storage.bucket,
        key,
        source: dump.output,
        compression: task.compression,
        sourceCompressed: zstd !== undefined,
        ...(task.compressionLevel ? { compressionLevel: task.compressionLevel } : {}),
        ...(recipients.length > 0 ? { encryption: { recipients } } : {}),
        signal,
        ...(task.upload.partSizeBytes ? { partSizeBytes: task.upload.partSizeBytes } : {}),
        ...(task.upload.queueSize ? { queueSize: task.upload.queueSize } : {}),
        onSourceBytes: (count) => ctx.progress.addBytes(count),
      });
    } catch (error) {
      dump.kill();
      if (stop.signal.aborted) throw stop.signal.reason;
      throw isStorageError(error) ? storageFailure(error, { ...storageWhere, key }, 'uploading') : error;
    }
    const progress = ctx.progress.finish();
    // From here on the data object exists: if the backup still fails, remove it, so only
    // complete backups (data and manifest) stay in the bucket.
    let tables: TableRowCount[];
    let manifest: ArtifactManifest;
    let manifestKey: string;
    try {
      tables = await counting;
      try {
        await releaseSnapshot(db);
      } catch (error) {
        throw postgresFailure(error, settings, 'closing the snapshot');
      }
      manifest = {
        formatVersion: 1,
        kind: 'postgres',
        location: task.location,
        startedAt: startedAt.toISOString(),
        completedAt: ctx.now().toISOString(),
        snapshotTime: snapshot.snapshotTime.toISOString(),
        tools: {
          ...baseTools(),
          pg_dump: pgDumpVersion,
          server: snapshot.serverVersion,
          ...(zstd ? { zstd: zstd.version } : {}),
        },
        artifact: storedArtifact(written, recipients),
        postgres: {
          host: settings.host,
          port: settings.port,
          database: settings.database,
          format,
          serverVersion: snapshot.serverVersion,
          inRecovery: snapshot.inRecovery,
          encoding: snapshot.encoding,
          collate: snapshot.collate,
          ctype: snapshot.ctype,
          snapshotId: snapshot.snapshotId,
          lsn: snapshot.lsn,
          dumpBytes: written.sourceBytes,
          rowCounts: { mode: task.rowCounts, tables },
        },
      };
      try {
        manifestKey = await writeArtifactManifest(s3, task.storage, manifest, ctx.signal);
      } catch (error) {
        throw storageFailure(error, storageWhere, 'writing the manifest to');
      }
    } catch (error) {
      await deleteObjectQuietly(s3, task.storage.bucket, key);
      throw error;
    }
    log.info({ sizeBytes: written.sizeBytes, sha256: written.sha256, dumpBytes: written.sourceBytes, manifestKey }, 'backup complete');

    return {
      key: written.key,
      manifestKey,
      sizeBytes: written.sizeBytes,
      sha256: written.sha256,
      dumpBytes: written.sourceBytes,
      encrypted: written.encrypted,
      snapshotTime: manifest.snapshotTime,
      lsn: snapshot.lsn,
      tables: tables.length,
      rows: tables.reduce((sum, table) => sum + (table.rows ?? 0), 0),
      durationSeconds: progress.elapsedSeconds,
    };
  } finally {
    await db.end().catch(() => undefined);
  }
}
