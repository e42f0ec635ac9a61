// zstd as a separate process, for the PostgreSQL paths, where pg_dump's output and
// pg_restore's input can go straight from one process to the other through a kernel pipe.
// Moving a gigabyte of uncompressed dump through Node's streams costs more CPU (allocation,
// garbage collection, thread-pool round trips) than compressing it; with zstd in between,
// Node only ever handles the compressed bytes. The output is the same zstd format as the
// in-process compressor's, so either can read what the other wrote.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { runProcess, type RunningProcess, type StdioEnd } from './child-process.ts';

/** Path of the zstd binary, or "off" to compress in-process; `zstd` from PATH when unset. */
export const ZSTD_ENV = 'LIFEBOAT_ZSTD';

export interface ZstdBinary {
  bin: string;
  /** e.g. "*** Zstandard CLI (64-bit) v1.5.4, by Yann Collet ***", for the manifest. */
  version: string;
}

const located = new Map<string, Promise<ZstdBinary | undefined>>();

/** The zstd binary to use, or undefined when there is none (the runner then compresses in-process). */
export function locateZstd(env: NodeJS.ProcessEnv): Promise<ZstdBinary | undefined> {
  const setting = env[ZSTD_ENV] ?? 'zstd';
  if (setting === 'off') return Promise.resolve(undefined);
  let found = located.get(setting);
  if (!found) {
    found = promisify(execFile)(setting, ['--version'], { env: { PATH: env.PATH ?? '' } }).then(
      ({ stdout }) => ({ bin: setting, version: stdout.trim() }),
      () => undefined,
    );
    located.set(setting, found);
  }
  return found;
}

export function zstdCompressArgs(level: number): string[] {
  // --check (a content checksum in the frame) is zstd's default; said here because the
  // in-process compressor sets the same.
  return ['--compress', `-${level}`, '--check', '--quiet', '--stdout'];
}

export function zstdDecompressArgs(): string[] {
  return ['--decompress', '--quiet', '--stdout'];
}

export function startZstd(
  bin: string,
  args: string[],
  options: { stdin: StdioEnd; stdout: StdioEnd; env: NodeJS.ProcessEnv; signal?: AbortSignal },
): RunningProcess {
  return runProcess('zstd', bin, args, {
    env: { PATH: options.env.PATH ?? '' },
    stdio: [options.stdin, options.stdout],
    ...(options.signal ? { signal: options.signal } : {}),
  });
}
