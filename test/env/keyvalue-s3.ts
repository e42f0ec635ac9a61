// A second S3 server: gofakes3 over a bbolt file. Its storage is a key-value store, as AWS
// S3's is, so it keeps the keys MinIO's file layout refuses or hides ('../x', './x', '//',
// segments over 255 bytes, both 'a' and 'a/b'). Tests use it to prove that such keys survive
// a backup and restore end to end. It does not check request signatures: the credentials are
// made up only so the runner can sign its requests as it always does.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { httpOk } from './http-check.ts';
import { ManagedProcess } from './managed-process.ts';
import { freePort } from './ports.ts';

export async function startKeyValueS3(bin: string, workDir: string) {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const server = new ManagedProcess({
    name: 'gofakes3',
    command: bin,
    args: ['-backend', 'bolt', '-bolt.db', join(workDir, 'keyvalue-s3.db'), '-host', `127.0.0.1:${port}`, '-quiet'],
    logFile: join(workDir, 'logs/gofakes3.log'),
  });
  server.start();
  // GET / lists the buckets: 200 once the server accepts requests.
  await server.waitUntil('healthy', () => httpOk(`${endpoint}/`), 30_000);
  return {
    endpoint,
    region: 'us-east-1',
    accessKeyId: 'lifeboat-test',
    secretAccessKey: randomBytes(18).toString('base64url'),
    process: server,
  };
}
