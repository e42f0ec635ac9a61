// The environment runs in a supervisor process of its own (`cli.ts serve`), so that it
// outlives `make testenv-up` for a person, and dies with Jest when Jest dies: the supervisor
// watches the pid it was started for and tears everything down when that process is gone.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, closeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { TestEnvInfo } from '../support/env.ts';
import { repoRoot } from './paths.ts';

export type SupervisorState =
  | { status: 'starting'; pid: number }
  | { status: 'ready'; pid: number; info: TestEnvInfo; infoFile: string }
  | { status: 'failed'; pid: number; error: string };

export function readState(stateFile: string): SupervisorState | undefined {
  if (!existsSync(stateFile)) return undefined;
  try {
    return JSON.parse(readFileSync(stateFile, 'utf8')) as SupervisorState;
  } catch {
    return undefined; // being written
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface LaunchOptions {
  stateFile: string;
  /** Tear the environment down when this process exits. */
  parentPid?: number;
  timeoutMs?: number;
}

/** Starts `cli.ts serve` detached and waits until it reports the environment ready. */
export async function launchSupervisor(options: LaunchOptions): Promise<Extract<SupervisorState, { status: 'ready' }>> {
  mkdirSync(dirname(options.stateFile), { recursive: true });
  const logFile = join(dirname(options.stateFile), 'supervisor.log');
  const out = openSync(logFile, 'a');
  const args = [join(repoRoot, 'test/env/cli.ts'), 'serve', '--state-file', options.stateFile];
  if (options.parentPid) args.push('--parent-pid', String(options.parentPid));
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  child.unref();
  const pid = child.pid;
  if (!pid) throw new Error('could not start the test environment supervisor');

  const deadline = Date.now() + (options.timeoutMs ?? 300_000);
  for (;;) {
    const state = readState(options.stateFile);
    if (state?.pid === pid && state.status === 'ready') return state;
    if (state?.pid === pid && state.status === 'failed') {
      throw new Error(`the test environment did not come up:\n${state.error}`);
    }
    if (!isAlive(pid)) {
      const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-40).join('\n') : '';
      throw new Error(`the test environment supervisor exited during start-up. Its log (${logFile}):\n${tail}`);
    }
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGTERM');
      throw new Error(`the test environment was not ready within ${(options.timeoutMs ?? 300_000) / 1000}s; see ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Asks a supervisor to tear its environment down and waits until it has. */
export async function stopSupervisor(pid: number, timeoutMs = 60_000): Promise<void> {
  if (!isAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      throw new Error(`the test environment supervisor (pid ${pid}) did not stop within ${timeoutMs / 1000}s and was killed`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
