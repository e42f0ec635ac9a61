// Runs pg_dump on an exported snapshot and exposes its output as a stream that ends only
// once pg_dump has exited 0. If pg_dump fails, the stream errors with pg_dump's own reason,
// so the upload behind it is aborted instead of completing a truncated dump.
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { runTool, type RunningTool } from './tools.ts';

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
  /** pg_dump's output; ends only after a successful exit, errors otherwise. */
  output: Readable;
  tool: RunningTool;
}

export function startPgDump(options: PgDumpOptions): RunningDump {
  const tool = runTool('pg_dump', pgDumpArgs(options), {
    env: options.env,
    toolEnv: options.toolEnv,
    stdin: 'ignore',
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const gate = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      callback(null, chunk);
    },
    flush(callback) {
      tool.exited.then(() => callback(), callback);
    },
  });
  const stdout = tool.child.stdout as Readable;
  // If a later stage fails, the gate is destroyed: stop pg_dump rather than let it block.
  gate.on('close', () => {
    if (!gate.writableFinished) tool.kill();
  });
  // pg_dump dying early also ends stdout: the flush above then reports its exit status.
  void pipeline(stdout, gate).catch((error: unknown) => {
    tool.kill();
    gate.destroy(error as Error);
  });
  // An exit failure before stdout is drained (e.g. a connection error) fails the gate at once.
  tool.exited.catch((error: unknown) => gate.destroy(error as Error));
  return { output: gate, tool };
}
