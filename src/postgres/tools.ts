// The PostgreSQL client tools (pg_dump, pg_restore, psql): where they are, which version,
// and running them with their stderr kept for the failure reason.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RunnerError } from '../runner/errors.ts';

/** Directory of the client binaries; PATH when unset. The runner image sets it. */
export const PG_BINDIR_ENV = 'LIFEBOAT_PG_BINDIR';

export type PgTool = 'pg_dump' | 'pg_restore' | 'psql';

export function toolPath(tool: PgTool, env: NodeJS.ProcessEnv): string {
  const dir = env[PG_BINDIR_ENV];
  return dir ? join(dir, tool) : tool;
}

export async function toolVersion(tool: PgTool, env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)(toolPath(tool, env), ['--version'], { env: { PATH: env.PATH ?? '' } });
    return stdout.trim();
  } catch (error) {
    throw new RunnerError('ToolFailed', `${tool} is not available (${(error as Error).message.split('\n')[0]})`, {
      cause: error,
    });
  }
}

/** Keeps the last bytes a tool wrote to stderr: the reason it failed is at the end. */
class StderrTail {
  private text = '';
  private readonly limit = 16 * 1024;

  append(chunk: Buffer): void {
    this.text = (this.text + chunk.toString('utf8')).slice(-this.limit);
  }

  /** The most telling line: the last "error:"/"FATAL" line, else the last non-empty one. */
  reason(): string | undefined {
    const lines = this.text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.length > 0);
    const errorLine = [...lines].reverse().find((line) => /error:|FATAL|fatal:/i.test(line));
    return errorLine ?? lines.at(-1);
  }

  all(): string {
    return this.text;
  }
}

export interface RunningTool {
  child: ChildProcess;
  /** Resolves on exit 0; rejects with the stderr reason otherwise. */
  exited: Promise<void>;
  stderr: () => string;
  kill: () => void;
}

export function runTool(
  tool: PgTool,
  args: string[],
  options: {
    /** The child's whole environment (libpqEnv: connection settings and nothing secret else). */
    env: NodeJS.ProcessEnv;
    /** The runner's environment, to locate the binary. */
    toolEnv: NodeJS.ProcessEnv;
    stdin: 'pipe' | 'ignore';
    signal?: AbortSignal;
  },
): RunningTool {
  const child = spawn(toolPath(tool, options.toolEnv), args, {
    env: options.env,
    stdio: [options.stdin, 'pipe', 'pipe'],
  });
  const tail = new StderrTail();
  child.stderr?.on('data', (chunk: Buffer) => {
    tail.append(chunk);
  });
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  options.signal?.addEventListener('abort', kill, { once: true });
  const exited = new Promise<void>((resolve, reject) => {
    child.once('error', (error) => {
      reject(new RunnerError('ToolFailed', `cannot run ${tool}: ${error.message}`, { cause: error }));
    });
    child.once('close', (code, signal) => {
      options.signal?.removeEventListener('abort', kill);
      if (code === 0) {
        resolve();
        return;
      }
      const status = signal ? `was killed by ${signal}` : `exited with status ${code}`;
      const reason = tail.reason();
      reject(new RunnerError('ToolFailed', reason ? `${tool} ${status}: ${reason}` : `${tool} ${status}`));
    });
  });
  exited.catch(() => undefined);
  return { child, exited, stderr: () => tail.all(), kill };
}
