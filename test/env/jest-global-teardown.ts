import { rmSync } from 'node:fs';
import { stopSupervisor } from './supervisor.ts';

// Stopping every server and removing the work dir (MinIO's data, the unpacked images) can take
// a minute on a loaded machine. A supervisor that does not stop in time is killed and reported,
// but not thrown: Jest writes its results only after the global teardown, and a slow cleanup must
// not lose the verdict of every test that ran.
const STOP_TIMEOUT_MS = 180_000;

export default async function globalTeardown(): Promise<void> {
  const pid = Number(process.env.LIFEBOAT_TESTENV_SUPERVISOR);
  if (pid) {
    await stopSupervisor(pid, STOP_TIMEOUT_MS).catch((error: unknown) => {
      console.error(`test environment teardown: ${(error as Error).message}`);
    });
  }
  const stateDir = process.env.LIFEBOAT_TESTENV_STATE_DIR;
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
}
