// Runs pg_restore (custom and tar archives) or psql (plain SQL) against the target database.
// Connection settings reach the tools through libpq environment variables only.
// Into a server older than the tools, which would reject a session setting they write
// (session-settings.ts), the restore runs as a script instead: pg_restore --file=- (or the
// plain dump) through a filter that leaves those settings out, into psql
// (docs/adr/0012-older-servers-restore-through-a-filtered-script.md).
import { createReadStream } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RunnerError } from '../failures/runner-error.ts';
import { startZstd, zstdDecompressArgs } from '../process/zstd-process.ts';
import { leaveOutSettings } from './preamble-filter.ts';
import { runTool, type RunningTool } from './tools.ts';

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
  /** Session settings the server does not know (settingsUnknownToServer): the restore runs
   *  as a filtered script, with one job, and these are left out of its preamble. */
  leaveOutSettings?: string[];
  /** Hears each preamble line left out, for the log. */
  onLeftOut?: (line: string) => void;
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
  return [...args, ...contentArgs(options)];
}

/** What to restore and how, the same whether pg_restore writes into the database or a script. */
function contentArgs(options: Pick<RestoreToolOptions, 'file' | 'clean' | 'noOwner' | 'noAcl' | 'role'>): string[] {
  const args: string[] = [];
  if (options.clean) args.push('--clean', '--if-exists');
  if (options.noOwner) args.push('--no-owner');
  if (options.noAcl) args.push('--no-acl');
  if (options.role) args.push(`--role=${options.role}`);
  if (options.file) args.push(options.file);
  return args;
}

/**
 * pg_restore writing the restore as SQL to stdout, for psql to run. --single-transaction
 * puts BEGIN before and COMMIT after everything, so a script cut short (pg_restore failed,
 * the input was stopped) ends without COMMIT and psql's session rolls back.
 */
export function pgRestoreScriptArgs(options: Pick<RestoreToolOptions, 'format' | 'file' | 'clean' | 'noOwner' | 'noAcl' | 'role'>): string[] {
  const args = ['--file=-', '--exit-on-error', `--format=${options.format === 'custom' ? 'c' : 't'}`, '--single-transaction'];
  return [...args, ...contentArgs(options)];
}

/** psql running pg_restore's script from stdin: the transaction is the script's own (see
 *  pgRestoreScriptArgs), never psql's --single-transaction, which would commit at end of input. */
export function psqlScriptArgs(): string[] {
  return ['--no-psqlrc', '--quiet', '--no-password', '--set=ON_ERROR_STOP=1', '--file=-'];
}

export function psqlArgs(options: Pick<RestoreToolOptions, 'file' | 'role'>): string[] {
  const args = ['--no-psqlrc', '--quiet', '--no-password', '--set=ON_ERROR_STOP=1', '--single-transaction'];
  if (options.role) args.push(`--command=SET ROLE ${options.role}`);
  args.push(`--file=${options.file ?? '-'}`);
  return args;
}

/** Where the archive goes and what runs it: one tool, or pg_restore's script into psql. */
interface Restorer {
  /** The child stdin (a kernel pipe, which zstd can write into directly) or the filter. */
  input: { pipe: Writable; childStdin: boolean } | undefined;
  exited: Promise<void>;
  /** The process holding the transaction first: killed, it rolls back. */
  kill: () => void;
}

function startRestorer(options: RestoreToolOptions, hasInput: boolean): Restorer {
  const signal = options.signal ? { signal: options.signal } : {};
  const tools = { env: options.env, toolEnv: options.toolEnv, ...signal };
  const leaveOut = options.leaveOutSettings ?? [];
  const filter = () => leaveOutSettings(leaveOut, options.onLeftOut);
  const single = (tool: RunningTool): Restorer => ({
    input: hasInput ? { pipe: tool.child.stdin as Writable, childStdin: true } : undefined,
    exited: tool.exited,
    kill: tool.kill,
  });
  if (options.format === 'plain') {
    // psql prints the results of the dump's SELECTs (set_config, setval): nobody reads them,
    // and a full pipe would stop psql.
    if (leaveOut.length === 0) return single(runTool('psql', psqlArgs(options), { ...tools, stdin: hasInput ? 'pipe' : 'ignore', stdout: 'ignore' }));
    const psql = runTool('psql', psqlArgs({ ...(options.role ? { role: options.role } : {}) }), { ...tools, stdin: 'pipe', stdout: 'ignore' });
    const filtering = filter();
    const psqlStdin = psql.child.stdin as Writable;
    psqlStdin.on('error', () => undefined);
    void pipeline(filtering, psqlStdin).catch(() => undefined);
    return { input: { pipe: filtering, childStdin: false }, exited: psql.exited, kill: psql.kill };
  }
  if (leaveOut.length === 0) return single(runTool('pg_restore', pgRestoreArgs(options), { ...tools, stdin: hasInput ? 'pipe' : 'ignore' }));

  const script = runTool('pg_restore', pgRestoreScriptArgs(options), { ...tools, stdin: hasInput ? 'pipe' : 'ignore', stdout: 'pipe' });
  const psql = runTool('psql', psqlScriptArgs(), { ...tools, stdin: 'pipe', stdout: 'ignore' });
  const psqlStdin = psql.child.stdin as Writable;
  psqlStdin.on('error', () => undefined);
  // psql sees the end of its input only once pg_restore has succeeded: a script cut short by
  // a failing pg_restore ends with psql stopped, never with psql running what it got.
  const piped = pipeline(script.child.stdout as Readable, filter(), psqlStdin, { end: false });
  piped.catch(() => undefined);
  script.exited.then(
    () => piped.then(() => psqlStdin.end(), () => undefined),
    () => undefined,
  );
  return {
    input: hasInput ? { pipe: script.child.stdin as Writable, childStdin: true } : undefined,
    exited: bothSucceed(script, psql),
    kill: () => {
      psql.kill();
      script.kill();
    },
  };
}

/**
 * pg_restore's script into psql. When pg_restore fails, psql is stopped (killed before its
 * input ends; the script, cut short, has no COMMIT anyway) and pg_restore's reason is the
 * one reported. When psql fails on its own (an exit status, not a signal: a real SQL error),
 * its reason is, not the broken pipe pg_restore then meets.
 */
async function bothSucceed(script: RunningTool, psql: RunningTool): Promise<void> {
  script.exited.catch(() => psql.kill());
  psql.exited.catch(() => script.kill());
  const [scripted, ran] = await Promise.allSettled([script.exited, psql.exited]);
  if (ran.status === 'rejected' && psql.child.signalCode === null) throw ran.reason;
  if (scripted.status === 'rejected') throw scripted.reason;
  if (ran.status === 'rejected') throw ran.reason;
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
  // A plain dump to be filtered reaches psql through the filter, not as a file psql opens.
  const filteredFile = options.format === 'plain' && (options.leaveOutSettings ?? []).length > 0 && !input && options.file;
  if (filteredFile) {
    input = createReadStream(options.file as string);
    options = { ...options };
    delete options.file;
  }
  const restorer = startRestorer(options, input !== undefined);
  if (!input || !restorer.input) {
    await restorer.exited;
    return;
  }
  const target = restorer.input;
  const zstd = options.decompressWith
    ? startZstd(options.decompressWith, zstdDecompressArgs(), {
        stdin: 'pipe',
        stdout: target.childStdin ? target.pipe : 'pipe',
        env: options.toolEnv,
        ...(options.signal ? { signal: options.signal } : {}),
      })
    : undefined;
  if (zstd && target.childStdin) {
    // zstd holds the pipe into the tool now; closing our end lets the tool see the end of input.
    target.pipe.destroy();
  } else if (zstd) {
    void pipeline(zstd.child.stdout as Readable, target.pipe).catch(() => undefined);
  }
  const stdin = zstd ? (zstd.child.stdin as Writable) : target.pipe;
  // EPIPE when a process exits early; its exit status tells why.
  stdin.on('error', () => undefined);
  // Kill the restore tool first: without all its input it cannot commit, and killed it
  // rolls its transaction back.
  const stop = (): void => {
    restorer.kill();
    zstd?.kill();
  };
  let inputError: unknown;
  input.once('error', (error) => {
    inputError = error;
    stop();
  });
  const feeding = pipeline(input, stdin).catch((error: unknown) => {
    inputError ??= error;
    // A broken pipe is the tool closing its input: it has exited, or is exiting, and its own
    // status tells how. pg_restore may exit 0 without reading the last bytes of its input;
    // its script is then whole, COMMIT included, and psql must be left to run it.
    if (!isPipeError(error)) stop();
  });
  const [restored, decompressed] = await Promise.allSettled([restorer.exited, zstd?.exited, feeding]);
  // The input's failure (checksum, decryption) is the cause; the tools' are its consequence,
  // and a zstd failure (corrupt data) explains the restore tool's.
  if (inputError !== undefined && !isPipeError(inputError)) throw inputError;
  // A restore tool that succeeded had the whole archive and has committed: pg_restore may
  // exit without reading the last bytes of its input, and zstd, still writing them, then
  // fails ("Write error … Connection reset by peer"), which changes nothing.
  if (restored.status === 'fulfilled') return;
  // zstd failing to write is the restore tool having gone (its reason is the one); any other
  // zstd failure (corrupt data) explains the restore tool's.
  if (decompressed?.status === 'rejected' && !/write error/i.test((decompressed.reason as Error).message)) throw decompressed.reason;
  throw restored.reason;
}

function isPipeError(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'EPIPE' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ERR_STREAM_DESTROYED';
}
