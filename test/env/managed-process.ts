// A server process owned by the test environment: started in its own process group (so the
// whole tree can be killed), its output kept in a log file, and its death noticed at once.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, existsSync } from 'node:fs';

export interface ProcessSpec {
  /** Short name used in messages, e.g. "kube-apiserver". */
  name: string;
  command: string;
  args: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Signal that asks the server to shut down cleanly (PostgreSQL wants SIGINT for a fast shutdown). */
  stopSignal?: NodeJS.Signals;
}

const live = new Set<ManagedProcess>();

// Last line of defence: whatever way this process ends, take every server down with it.
process.on('exit', () => {
  for (const p of live) p.killNow();
});

export class ManagedProcess {
  readonly spec: ProcessSpec;
  private child: ChildProcess | undefined;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(spec: ProcessSpec) {
    this.spec = spec;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The exit status once the process has ended, undefined while it runs. */
  get exitStatus(): string | undefined {
    if (!this.exit) return undefined;
    return this.exit.signal ? `killed by ${this.exit.signal}` : `exited with code ${this.exit.code}`;
  }

  start(): void {
    if (!existsSync(this.spec.command)) {
      throw new Error(`${this.spec.name}: binary not found at ${this.spec.command}`);
    }
    const out = openSync(this.spec.logFile, 'a');
    try {
      this.child = spawn(this.spec.command, this.spec.args, {
        cwd: this.spec.cwd,
        env: this.spec.env ?? process.env,
        stdio: ['ignore', out, out],
        detached: true,
      });
    } finally {
      closeSync(out);
    }
    live.add(this);
    const child = this.child;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        live.delete(this);
        resolve();
      });
      child.once('error', (err) => {
        this.exit = { code: null, signal: null };
        live.delete(this);
        this.spawnError = err;
        resolve();
      });
    });
  }

  private spawnError: Error | undefined;

  /** The last lines of the log, for error messages. */
  logTail(lines = 30): string {
    let text = '';
    try {
      text = readFileSync(this.spec.logFile, 'utf8');
    } catch {
      return '(no log)';
    }
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  }

  /** An error that names the server, how it ended and where its log is, with the log's tail. */
  failure(what: string): Error {
    const status = this.spawnError ? `could not start: ${this.spawnError.message}` : (this.exitStatus ?? 'still running');
    return new Error(
      `${this.spec.name} ${what} (${status}). Log: ${this.spec.logFile}\n--- last lines ---\n${this.logTail()}`,
    );
  }

  /** Polls `check` until it returns true; fails early with the log tail if the process dies. */
  async waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exit) throw this.failure(`died before it was ${what}`);
      let ok = false;
      try {
        ok = await check();
      } catch {
        ok = false;
      }
      if (ok) return;
      if (Date.now() > deadline) throw this.failure(`was not ${what} within ${Math.round(timeoutMs / 1000)}s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Asks the process group to stop, and kills it if it has not after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.child || this.exit) return;
    this.signalGroup(this.spec.stopSignal ?? 'SIGTERM');
    const timer = setTimeout(() => this.signalGroup('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
    // Children that outlived the leader (e.g. postgres backends) go too.
    this.signalGroup('SIGKILL');
  }

  /** Synchronous kill for exit handlers. */
  killNow(): void {
    if (this.child && !this.exit) this.signalGroup('SIGKILL');
  }

  private signalGroup(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (!pid) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // The group is already gone.
    }
  }
}
