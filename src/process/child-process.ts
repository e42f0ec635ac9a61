// Runs a helper program (pg_dump, pg_restore, psql, zstd) with its stderr kept for the
// failure reason, killed when the task is cancelled.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Stream } from 'node:stream';
import { RunnerError } from '../failures/runner-error.ts';

/** Keeps the last bytes a program wrote to stderr: the reason it failed is at the end. */
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

/** One end of a child's stdin or stdout: a pipe to us, nothing, or a stream or fd to hand over. */
export type StdioEnd = 'pipe' | 'ignore' | Stream | number;

export interface RunningProcess {
  child: ChildProcess;
  /** Resolves on exit 0; rejects with a RunnerError carrying the stderr reason otherwise. */
  exited: Promise<void>;
  stderr: () => string;
  kill: () => void;
}

export function runProcess(
  name: string,
  path: string,
  args: string[],
  options: {
    /** The child's whole environment: nothing is inherited implicitly. */
    env: NodeJS.ProcessEnv;
    /** stdin and stdout; stderr is always captured. */
    stdio: [StdioEnd, StdioEnd];
    signal?: AbortSignal;
  },
): RunningProcess {
  const child = spawn(path, args, { env: options.env, stdio: [options.stdio[0], options.stdio[1], 'pipe'] });
  const tail = new StderrTail();
  child.stderr?.on('data', (chunk: Buffer) => tail.append(chunk));
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  options.signal?.addEventListener('abort', kill, { once: true });
  const exited = new Promise<void>((resolve, reject) => {
    child.once('error', (error) => {
      reject(new RunnerError('ToolFailed', `cannot run ${name}: ${error.message}`, { cause: error }));
    });
    child.once('close', (code, signal) => {
      options.signal?.removeEventListener('abort', kill);
      if (code === 0) {
        resolve();
        return;
      }
      const status = signal ? `was killed by ${signal}` : `exited with status ${code}`;
      const reason = tail.reason();
      reject(new RunnerError('ToolFailed', reason ? `${name} ${status}: ${reason}` : `${name} ${status}`));
    });
  });
  exited.catch(() => undefined);
  return { child, exited, stderr: () => tail.all(), kill };
}
