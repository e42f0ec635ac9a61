// Runs pg_restore (custom and tar archives) or psql (plain SQL) against the target database.
// Connection settings reach the tools through libpq environment variables only.
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RunnerError } from '../failures/runner-error.ts';
import { startZstd, zstdDecompressArgs } from '../process/zstd-process.ts';
import { runTool } from './tools.ts';

export interface RestoreToolOptions {
  format: 'custom' | 'tar' | 'plain';
  /** Local file to restore from; without it the archive comes through stdin. */
  file?: string;
  jobs: number;
  clean: boolean;
  noOwner: boolean;
  noAcl: boolean;
  role?: string;
  env: NodeJS.ProcessEnv;
  toolEnv: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** A zstd binary: the input is zstd-compressed and a zstd process decompresses it
   *  straight into the tool's stdin. */
  decompressWith?: string;
}

export function pgRestoreArgs(options: Omit<RestoreToolOptions, 'env' | 'toolEnv' | 'signal' | 'decompressWith'>): string[] {
  // An empty --dbname makes pg_restore restore into a database (instead of printing SQL)
  // while libpq takes the actual name from PGDATABASE.
  const args = ['--dbname=', '--no-password', '--exit-on-error'];
  args.push(`--format=${options.format === 'custom' ? 'c' : 't'}`);
  if (options.jobs > 1) args.push(`--jobs=${options.jobs}`);
  // Streaming (or a single job) restores in one transaction: a failure, including a checksum
  // mismatch found at the end of the stream, leaves the target as it was.
  else args.push('--single-transaction');
  if (options.clean) args.push('--clean', '--if-exists');
  if (options.noOwner) args.push('--no-owner');
  if (options.noAcl) args.push('--no-acl');
  if (options.role) args.push(`--role=${options.role}`);
  if (options.file) args.push(options.file);
  return args;
}

export function psqlArgs(options: Pick<RestoreToolOptions, 'file' | 'role'>): string[] {
  const args = ['--no-psqlrc', '--quiet', '--no-password', '--set=ON_ERROR_STOP=1', '--single-transaction'];
  if (options.role) args.push(`--command=SET ROLE ${options.role}`);
  args.push(`--file=${options.file ?? '-'}`);
  return args;
}

/**
 * Restores from `input` (a stream that ends only once its checksum has been verified) or
 * from options.file. If the input fails, the tool is killed before its stdin is closed, so
 * the single transaction is rolled back rather than committed.
 */
export async function runRestoreTool(options: RestoreToolOptions, input?: Readable): Promise<void> {
  if (options.format === 'plain' && options.clean) {
    throw new RunnerError('InvalidTask', 'clean needs a custom or tar archive: a plain SQL dump has no DROP statements');
  }
  const tool =
    options.format === 'plain'
      ? runTool('psql', psqlArgs(options), {
          env: options.env,
          toolEnv: options.toolEnv,
          stdin: input ? 'pipe' : 'ignore',
          ...(options.signal ? { signal: options.signal } : {}),
        })
      : runTool('pg_restore', pgRestoreArgs(options), {
          env: options.env,
          toolEnv: options.toolEnv,
          stdin: input ? 'pipe' : 'ignore',
          ...(options.signal ? { signal: options.signal } : {}),
        });
  if (!input) {
    await tool.exited;
    return;
  }
  const zstd = options.decompressWith
    ? startZstd(options.decompressWith, zstdDecompressArgs(), {
        stdin: 'pipe',
        stdout: tool.child.stdin as Writable,
        env: options.toolEnv,
        ...(options.signal ? { signal: options.signal } : {}),
      })
    : undefined;
  // zstd holds the pipe into the tool now; closing our end lets the tool see the end of input.
  if (zstd) tool.child.stdin?.destroy();
  const stdin = (zstd ?? tool).child.stdin as Writable;
  // EPIPE when a process exits early; its exit status tells why.
  stdin.on('error', () => undefined);
  // Kill the restore tool first: without all its input it cannot commit, and killed it
  // rolls its transaction back.
  const stop = (): void => {
    tool.kill();
    zstd?.kill();
  };
  let inputError: unknown;
  input.once('error', (error) => {
    inputError = error;
    stop();
  });
  const feeding = pipeline(input, stdin).catch((error: unknown) => {
    inputError ??= error;
    stop();
  });
  const [restored, decompressed] = await Promise.allSettled([tool.exited, zstd?.exited, feeding]);
  // The input's failure (checksum, decryption) is the cause; the tools' are its consequence,
  // and a zstd failure (corrupt data) explains the restore tool's.
  if (inputError !== undefined && !isPipeError(inputError)) throw inputError;
  if (decompressed?.status === 'rejected') throw decompressed.reason;
  if (restored.status === 'rejected') throw restored.reason;
}

function isPipeError(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'EPIPE' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ERR_STREAM_DESTROYED';
}
