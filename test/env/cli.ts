// `make testenv-up` / `make testenv-down`: the test environment for a person.
//   node test/env/cli.ts up     start it in the background and print how to reach it
//   node test/env/cli.ts down   stop it and remove its temp dir
//   node test/env/cli.ts serve  (internal) run it in the foreground until SIGTERM
import { existsSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startEnvironment } from './environment.ts';
import { repoRoot } from './paths.ts';
import { isAlive, launchSupervisor, readState, stopSupervisor, type SupervisorState } from './supervisor.ts';

const DEFAULT_STATE_FILE = join(repoRoot, '.testenv/state.json');

function writeState(file: string, state: SupervisorState): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2), { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

async function serve(stateFile: string, parentPid: number | undefined): Promise<void> {
  writeState(stateFile, { status: 'starting', pid: process.pid });
  let env;
  try {
    env = await startEnvironment({ log: (line) => console.log(`[testenv] ${line}`) });
  } catch (err) {
    writeState(stateFile, { status: 'failed', pid: process.pid, error: (err as Error).message });
    process.exit(1);
  }
  writeState(stateFile, { status: 'ready', pid: process.pid, info: env.info, infoFile: env.infoFile });
  let stopping = false;
  const shutdown = async (why: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`[testenv] stopping (${why})`);
    await env.stop();
    rmSync(stateFile, { force: true });
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  if (parentPid) {
    setInterval(() => {
      if (!isAlive(parentPid)) void shutdown(`parent ${parentPid} is gone`);
    }, 1000);
  }
}

function describe(state: Extract<SupervisorState, { status: 'ready' }>): string {
  const { info } = state;
  return [
    'Lifeboat test environment is running:',
    `  kube-apiserver  ${info.kubeconfig} (admin kubeconfig)`,
    `  PostgreSQL      postgresql://${info.postgres.user}@${info.postgres.host}:${info.postgres.port}/postgres (trust auth)`,
    `  S3 (MinIO)      ${info.s3.endpoint} (credentials in ${state.infoFile})`,
    `  S3 (gofakes3)   ${info.keyValueS3.endpoint} (keeps keys MinIO refuses; signatures not checked)`,
    `  logs            ${info.workDir}/logs`,
    '',
    `  export KUBECONFIG=${info.kubeconfig}`,
    `  export LIFEBOAT_TESTENV=${state.infoFile}`,
    `  export PATH=${info.binDir}:$PATH   # kubectl`,
    '',
    'Stop it with: make testenv-down',
  ].join('\n');
}

/** `make demo` starts the operator as a background process next to the environment; it goes first. */
function stopDemoOperator(): void {
  const pidFile = join(repoRoot, '.testenv/operator.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (pid > 0 && isAlive(pid)) {
    process.kill(pid, 'SIGTERM');
    console.log(`stopped the demo operator (pid ${pid})`);
  }
  rmSync(pidFile, { force: true });
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { 'state-file': { type: 'string' }, 'parent-pid': { type: 'string' } },
  });
  const stateFile = values['state-file'] ?? DEFAULT_STATE_FILE;
  switch (positionals[0]) {
    case 'up': {
      const existing = readState(stateFile);
      if (existing?.status === 'ready' && isAlive(existing.pid)) {
        console.log(describe(existing));
        return;
      }
      const state = await launchSupervisor({ stateFile });
      console.log(describe(state));
      return;
    }
    case 'down': {
      stopDemoOperator();
      const state = readState(stateFile);
      if (!state || !isAlive(state.pid)) {
        rmSync(stateFile, { force: true });
        console.log('no test environment is running');
        return;
      }
      await stopSupervisor(state.pid);
      console.log('test environment stopped');
      return;
    }
    case 'serve':
      await serve(stateFile, values['parent-pid'] ? Number(values['parent-pid']) : undefined);
      return;
    default:
      console.error('usage: node test/env/cli.ts up|down');
      process.exit(2);
  }
}

main().catch((err: unknown) => {
  console.error((err as Error).message);
  process.exit(1);
});
