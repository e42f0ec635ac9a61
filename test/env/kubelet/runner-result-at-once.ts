// The opt-in fast mode (--complete-runner-pods): a runner container is not run; its pod ends at
// once, Succeeded, with the termination message a successful runner would leave for that task
// (src/contract/result.ts), so that what a benchmark measures is the operator and Kubernetes, not
// the runner. Only tasks whose success the operator can read without the runner's side effects
// are answered: the backup subcommands, finalize-run and verify. Nothing is written to storage:
// the keys in the result name objects that do not exist, so a schedule in this mode must not be
// restored or drilled. Any other container (or a task that does not parse) runs for real.
import { createHash } from 'node:crypto';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import type { V1Container } from '@kubernetes/client-node';
import { artifactDataKey, artifactManifestKey, runManifestKey } from '../../../src/contract/bucket-layout.ts';
import type { Compression } from '../../../src/contract/compression.ts';
import { serializeResult } from '../../../src/contract/result.ts';
import { RunnerEnv } from '../../../src/contract/runner-env.ts';
import { isSubcommand, TASK_SCHEMAS, type TaskFor } from '../../../src/contract/tasks.ts';

/** The termination message a successful runner would write for this container's task; undefined: run it. */
export function runnerResultAtOnce(container: V1Container, now: Date): string | undefined {
  const subcommand = container.args?.[0];
  const taskJson = container.env?.find((variable) => variable.name === RunnerEnv.task)?.value;
  if (!subcommand || !isSubcommand(subcommand) || taskJson === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(taskJson);
  } catch {
    return undefined;
  }
  const task = TASK_SCHEMAS[subcommand].safeParse(parsed);
  if (!task.success) return undefined;
  const summary = summaryFor(subcommand, task.data, now);
  return summary && serializeResult({ ok: true, subcommand, summary });
}

function summaryFor(subcommand: string, task: unknown, now: Date): Record<string, unknown> | undefined {
  switch (subcommand) {
    case 'bucket-backup': {
      // What the runner reports for an empty source bucket: a tar of no objects (its two zero blocks).
      const backup = task as TaskFor<'bucket-backup'>;
      const artifact = emptyArtifact(backup.compression);
      return {
        key: artifactDataKey(backup.storage.prefix, backup.location, `bucket.tar${extension(backup.compression)}`),
        manifestKey: artifactManifestKey(backup.storage.prefix, backup.location),
        ...artifact,
        encrypted: false,
        objects: 0,
        objectBytes: 0,
        vanishedObjects: 0,
        snapshotTime: now.toISOString(),
        durationSeconds: 0,
      };
    }
    case 'postgres-backup': {
      const backup = task as TaskFor<'postgres-backup'>;
      const dataFile = { custom: 'database.dump', plain: 'database.sql', tar: 'database.tar' }[backup.format];
      const artifact = emptyArtifact(backup.compression);
      return {
        key: artifactDataKey(backup.storage.prefix, backup.location, `${dataFile}${extension(backup.compression)}`),
        manifestKey: artifactManifestKey(backup.storage.prefix, backup.location),
        ...artifact,
        dumpBytes: EMPTY_TAR.length,
        encrypted: false,
        snapshotTime: now.toISOString(),
        tables: 0,
        rows: 0,
        durationSeconds: 0,
      };
    }
    case 'finalize-run': {
      const finalize = task as TaskFor<'finalize-run'>;
      return { manifestKey: runManifestKey(finalize.storage.prefix, finalize.location), snapshotTime: now.toISOString(), totalSizeBytes: 0, sources: finalize.sources.length };
    }
    case 'verify': {
      const verify = task as TaskFor<'verify'>;
      // The runner lists what it read back; without manifests in storage there is nothing to name
      // but the one source a per-source verification asks for. The operator reads only success.
      return { verified: verify.location.source ? [{ source: verify.location.source, ...emptyArtifact('zstd') }] : [] };
    }
    default:
      return undefined;
  }
}

const EMPTY_TAR = Buffer.alloc(1024);

function emptyArtifact(compression: Compression): { sizeBytes: number; sha256: string } {
  const bytes = compression === 'zstd' ? zstdCompressSync(EMPTY_TAR) : compression === 'gzip' ? gzipSync(EMPTY_TAR) : EMPTY_TAR;
  return { sizeBytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

function extension(compression: Compression): string {
  return compression === 'zstd' ? '.zst' : compression === 'gzip' ? '.gz' : '';
}
