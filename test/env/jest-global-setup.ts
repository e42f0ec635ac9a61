// Starts the test environment once for the integration project; the supervisor dies with Jest.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TESTENV_VAR } from '../support/env.ts';
import { kubeletMode } from './environment.ts';
import { launchSupervisor } from './supervisor.ts';

export default async function globalSetup(): Promise<void> {
  // First thing in the output: whether pods run from images with runc or as host processes.
  process.stdout.write(`\n${(await kubeletMode()).line}\n`);
  const stateDir = mkdtempSync(join(tmpdir(), 'lifeboat-jest-'));
  const state = await launchSupervisor({ stateFile: join(stateDir, 'state.json'), parentPid: process.pid });
  process.env[TESTENV_VAR] = state.infoFile;
  process.env.KUBECONFIG = state.info.kubeconfig;
  process.env.LIFEBOAT_TESTENV_SUPERVISOR = String(state.pid);
  process.env.LIFEBOAT_TESTENV_STATE_DIR = stateDir;
}
