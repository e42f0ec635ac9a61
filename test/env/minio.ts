// The S3 server: MinIO on a free port, with credentials made up for this run.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { httpOk } from './http-check.ts';
import { ManagedProcess } from './managed-process.ts';
import { freePort } from './ports.ts';

export async function startMinio(bin: string, workDir: string) {
  const [port, consolePort] = [await freePort(), await freePort()];
  const dataDir = join(workDir, 'minio');
  mkdirSync(dataDir, { recursive: true });
  const accessKeyId = 'lifeboat-test';
  const secretAccessKey = randomBytes(18).toString('base64url');
  const endpoint = `http://127.0.0.1:${port}`;
  const server = new ManagedProcess({
    name: 'minio',
    command: bin,
    args: ['server', dataDir, '--address', `127.0.0.1:${port}`, '--console-address', `127.0.0.1:${consolePort}`, '--quiet'],
    logFile: join(workDir, 'logs/minio.log'),
    env: {
      ...process.env,
      MINIO_ROOT_USER: accessKeyId,
      MINIO_ROOT_PASSWORD: secretAccessKey,
      MINIO_BROWSER: 'off',
      MINIO_UPDATE: 'off',
      MINIO_CI_CD: '1',
    },
  });
  server.start();
  await server.waitUntil('healthy', () => httpOk(`${endpoint}/minio/health/ready`), 60_000);
  return { endpoint, region: 'us-east-1', accessKeyId, secretAccessKey, process: server };
}
