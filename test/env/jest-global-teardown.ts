import { rmSync } from 'node:fs';
import { stopSupervisor } from './supervisor.ts';

export default async function globalTeardown(): Promise<void> {
  const pid = Number(process.env.LIFEBOAT_TESTENV_SUPERVISOR);
  if (pid) await stopSupervisor(pid);
  const stateDir = process.env.LIFEBOAT_TESTENV_STATE_DIR;
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
}
