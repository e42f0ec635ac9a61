// The promise of docs/restore-by-hand.md: an artifact restores with stock tools alone (an S3
// client, sha256sum, age, zstd, pg_restore), without Lifeboat. These run the documented
// commands, with curl as the S3 client.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ageRecipientFromIdentity, generateAgeIdentity } from '../../../src/crypto/age-stream.ts';
import { fingerprint } from './postgres-compare.ts';
import { connectionTo, createDatabase, databaseName, dropDatabase, env, makeBucket, runRunner, storageFor, withDatabase } from './runner-harness.ts';

jest.setTimeout(120_000);

let source: string;
let bucket: string;
let workDir: string;
const databases: string[] = [];

beforeAll(async () => {
  source = databaseName('lb_byhand');
  databases.push(source);
  await createDatabase(source);
  await withDatabase(source, (c) =>
    c.query(`CREATE TABLE parts (id int PRIMARY KEY, name text, spec jsonb);
      INSERT INTO parts SELECT g, 'part ' || g, jsonb_build_object('g', g) FROM generate_series(1, 5000) g;
      SELECT lo_from_bytea(7777, 'by hand');`),
  );
  bucket = await makeBucket();
  workDir = mkdtempSync(join(tmpdir(), 'lifeboat-by-hand-'));
});

afterAll(async () => {
  for (const database of databases) await dropDatabase(database);
  rmSync(workDir, { recursive: true, force: true });
});

/** Runs a documented shell pipeline with the S3 and libpq settings in its environment. */
async function sh(script: string, extra: Record<string, string> = {}): Promise<string> {
  const info = env();
  const { stdout } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', script], {
    env: {
      PATH: `${info.postgres.binDir}:${process.env.PATH}`,
      S3_ENDPOINT: info.s3.endpoint,
      AWS_ACCESS_KEY_ID: info.s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: info.s3.secretAccessKey,
      PGHOST: info.postgres.host,
      PGPORT: String(info.postgres.port),
      PGUSER: info.postgres.user,
      ...extra,
    },
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

// curl signs S3 requests itself (--aws-sigv4), so it stands in for `aws s3 cp` or `mc cat`.
const S3_GET = 'curl --fail --silent --show-error --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY"';

describe.each([
  { name: 'an unencrypted artifact', encrypted: false, decode: 'zstd -dc "$ARTIFACT"' },
  { name: 'an age-encrypted artifact', encrypted: true, decode: 'age -d -i "$AGE_KEY_FILE" "$ARTIFACT" | zstd -dc' },
])('$name', ({ encrypted, decode }) => {
  const run = encrypted ? 'by-hand-age' : 'by-hand-plain';
  let keyFile: string;

  beforeAll(async () => {
    const identity = await generateAgeIdentity();
    keyFile = join(workDir, `${run}.key`);
    writeFileSync(keyFile, `# created: for a test\n${identity}\n`, { mode: 0o600 });
    const backup = await runRunner('postgres-backup', {
      storage: storageFor(bucket),
      location: { namespace: 'shop', schedule: 'nightly', run, source: 'parts' },
      postgres: connectionTo(source),
      ...(encrypted ? { encryption: { recipients: [await ageRecipientFromIdentity(identity)] } } : {}),
    });
    expect(backup.code).toBe(0);
  });

  it('restores with curl, sha256sum, age, zstd and pg_restore', async () => {
    const target = databaseName('lb_byhand_restored');
    databases.push(target);
    const prefix = `$S3_ENDPOINT/${bucket}/backups/shop/nightly/${run}/parts`;
    const manifest = JSON.parse(await sh(`${S3_GET} "${prefix}/manifest.json"`));
    const file = join(workDir, `${run}.artifact`);
    await sh(`${S3_GET} --output "${file}" "$S3_ENDPOINT/${bucket}/${manifest.artifact.key}"`);
    // The checksum in the manifest covers the stored bytes: check it before restoring.
    await sh(`echo "${manifest.artifact.sha256}  ${file}" | sha256sum --check --quiet`);
    await sh(`createdb "${target}" && ${decode} | pg_restore --dbname="${target}" --single-transaction --exit-on-error`, {
      AGE_KEY_FILE: keyFile,
      ARTIFACT: file,
    });
    const [original, restored] = [await fingerprint(source), await fingerprint(target)];
    expect(restored).toEqual(original);
  });
});
