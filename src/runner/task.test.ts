import { describe, expect, it } from '@jest/globals';
import { InvalidTaskError, parseTask } from './task.ts';

const storage = { bucket: 'backups', endpoint: 'http://127.0.0.1:9000' };
const location = { namespace: 'shop', schedule: 'nightly', run: 'nightly-1', source: 'db' };
const postgres = { host: 'db.shop.svc', database: 'shop' };

describe('parseTask', () => {
  it('fills the defaults of a postgres backup', () => {
    const task = parseTask('postgres-backup', JSON.stringify({ storage, location, postgres }));
    expect(task.format).toBe('custom');
    expect(task.compression).toBe('zstd');
    expect(task.rowCounts).toBe('exact');
    expect(task.postgres).toMatchObject({ port: 5432, sslMode: 'prefer', usernameEnv: 'PGUSER', passwordEnv: 'PGPASSWORD' });
    expect(task.storage).toMatchObject({ region: 'us-east-1', forcePathStyle: true, credentialsEnvPrefix: 'AWS_', prefix: '' });
  });

  it('fills the defaults of the restores as the RestoreRequest API has them', () => {
    const postgresRestore = parseTask('postgres-restore', JSON.stringify({ storage, artifact: location, target: postgres, decryption: {} }));
    expect(postgresRestore).toMatchObject({ createDatabase: true, overwritePolicy: 'Fail', parallelJobs: 1, noOwner: true });
    expect(postgresRestore.decryption).toEqual({ identityEnv: 'LIFEBOAT_AGE_IDENTITY' });
    const bucketRestore = parseTask('bucket-restore', JSON.stringify({ storage, artifact: location, target: { bucket: 'restored' } }));
    expect(bucketRestore).toMatchObject({ overwritePolicy: 'Fail', createBucket: true });
    expect(bucketRestore.prefixRemap).toBeUndefined();
  });

  it('turns away the directory format with the reason', () => {
    expect(() => parseTask('postgres-backup', JSON.stringify({ storage, location, postgres, format: 'directory' }))).toThrow(
      /format: format "directory" cannot be streamed/,
    );
  });

  it('names every invalid field in one line', () => {
    const run = () => parseTask('postgres-restore', JSON.stringify({ storage: { bucket: 'B' }, artifact: location, target: postgres, parallelJobs: 0 }));
    expect(run).toThrow(InvalidTaskError);
    expect(run).toThrow(/storage\.bucket: .*; parallelJobs: /);
  });

  it('refuses scratch names without the scratch prefix', () => {
    expect(() => parseTask('scratch-drop', JSON.stringify({ kind: 'database', postgres, name: 'shop' }))).toThrow(/lifeboat_scratch_/);
    expect(() => parseTask('scratch-drop', JSON.stringify({ kind: 'bucket', s3: {}, name: 'shop-assets' }))).toThrow(/lifeboat-scratch-/);
  });

  it('rejects invalid JSON', () => {
    expect(() => parseTask('verify', '{')).toThrow(/not valid JSON/);
  });

  it('requires recipients or a key variable when encryption is on', () => {
    expect(() => parseTask('postgres-backup', JSON.stringify({ storage, location, postgres, encryption: {} }))).toThrow(/recipients or keyEnv/);
  });
});
