// Runs pg_dump on an exported snapshot and exposes its output as a stream that ends only
// once pg_dump (and zstd, when it compresses) has exited 0. If pg_dump fails, the stream
// errors with pg_dump's own reason, so the upload behind it is aborted instead of completing
// a truncated dump.
import { Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { startZstd, zstdCompressArgs } from '../process/zstd-process.ts';
import { runTool } from './tools.ts';

export type StreamableFormat = 'custom' | 'plain' | 'tar';

const FORMAT_FLAG: Record<StreamableFormat, string> = { custom: 'c', plain: 'p', tar: 't' };

export interface PgDumpOptions {
  format: StreamableFormat;
  snapshotId: string;
  schemas?: string[];
  excludeSchemas?: string[];
  /** libpq environment of the child (connection settings). */
  env: NodeJS.ProcessEnv;
  toolEnv: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

export function pgDumpArgs(options: Pick<PgDumpOptions, 'format' | 'snapshotId' | 'schemas' | 'excludeSchemas'>): string[] {
  const args = [
    `--format=${FORMAT_FLAG[options.format]}`,
    `--snapshot=${options.snapshotId}`,
    // Never prompt: a missing password fails at once instead of hanging the Job.
    '--no-password',
  ];
  // The runner compresses the stream itself (zstd by default, much faster than pg_dump's
  // built-in gzip); a tar archive cannot be compressed by pg_dump anyway.
  if (options.format === 'custom') args.push('--compress=0');
  for (const schema of options.schemas ?? []) args.push(`--schema=${schema}`);
  for (const schema of options.excludeSchemas ?? []) args.push(`--exclude-schema=${schema}`);
  return args;
}

export interface RunningDump {
  /** pg_dump's output (zstd-compressed when compressWith was given); ends only after every
   *  process exited 0, errors otherwise. */
  output: Readable;
  /** Stops pg_dump (and zstd). */
  kill: () => void;
}

/**
 * With compressWith, pg_dump writes straight into a zstd process through a kernel pipe and
 * only the compressed bytes reach this process.
 */
export function startPgDump(options: PgDumpOptions & { compressWith?: { zstd: string; level: number } }): RunningDump {
  const signal = options.signal ? { signal: options.signal } : {};
  const zstd = options.compressWith
    ? startZstd(options.compressWith.zstd, zstdCompressArgs(options.compressWith.level), {
        stdin: 'pipe',
        stdout: 'pipe',
        env: options.toolEnv,
        ...signal,
      })
    : undefined;
  const pgDump = runTool('pg_dump', pgDumpArgs(options), {
    env: options.env,
    toolEnv: options.toolEnv,
    stdin: 'ignore',
    stdout: zstd ? (zstd.child.stdin as Writable) : 'pipe',
    ...signal,
  });
  // pg_dump holds the pipe into zstd now; closing our end lets zstd see the end of input.
  zstd?.child.stdin?.destroy();
  const processes = zstd ? [pgDump, zstd] : [pgDump];
  const kill = (): void => processes.forEach((process) => process.kill());

  // zstd failing makes pg_dump fail too (a broken pipe): then zstd's reason is the cause.
  const allExited = Promise.allSettled(processes.map((process) => process.exited)).then(([dumped, compressed]) => {
    if (compressed?.status === 'rejected') throw compressed.reason;
    if (dumped?.status === 'rejected') throw dumped.reason;
  });
  allExited.catch(() => undefined);

  const gate = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      callback(null, chunk);
    },
    flush(callback) {
      allExited.then(() => callback(), callback);
    },
  });
  const stdout = (zstd ?? pgDump).child.stdout as Readable;
  // If a later stage fails, the gate is destroyed: stop the processes rather than let them block.
  gate.on('close', () => {
    if (!gate.writableFinished) kill();
  });
  void pipeline(stdout, gate).catch((error: unknown) => {
    kill();
    gate.destroy(error as Error);
  });
  // A process failing before the output is drained (e.g. a connection error) fails the gate at once.
  for (const process of processes) {
    process.exited.catch(() => {
      kill();
      allExited.catch((error: unknown) => gate.destroy(error as Error));
    });
  }
  return { output: gate, kill };
}
