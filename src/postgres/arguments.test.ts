import { describe, expect, it } from '@jest/globals';
import { libpqEnv } from './connection.ts';
import { pgDumpArgs } from './dump.ts';
import { pgRestoreArgs, pgRestoreScriptArgs, psqlScriptArgs } from './restore.ts';

const settings = { host: 'db', port: 5433, database: 'shop', user: 'backup', password: 's3cret', sslMode: 'require' as const };

describe('connection settings', () => {
  it('reach the tools as libpq variables in an environment free of other secrets', () => {
    const env = libpqEnv(settings, { PATH: '/usr/bin', AWS_SECRET_ACCESS_KEY: 'x', LIFEBOAT_AGE_IDENTITY: 'y', PGPASSWORD: 'old' });
    expect(env).toEqual({
      PATH: '/usr/bin',
      PGHOST: 'db',
      PGPORT: '5433',
      PGDATABASE: 'shop',
      PGUSER: 'backup',
      PGPASSWORD: 's3cret',
      PGSSLMODE: 'require',
      PGAPPNAME: 'lifeboat-runner',
      PGCONNECT_TIMEOUT: '15',
    });
  });

  it('never appear in pg_dump or pg_restore arguments', () => {
    const args = [
      ...pgDumpArgs({ format: 'custom', snapshotId: '00000003-1', schemas: ['public'] }),
      ...pgRestoreArgs({ format: 'custom', jobs: 4, clean: true, noOwner: true, noAcl: true, file: '/work/x' }),
    ].join(' ');
    for (const value of ['db', '5433', 'shop', 'backup', 's3cret']) expect(args).not.toMatch(new RegExp(`\\b${value}\\b`));
  });
});

describe('pg_dump arguments', () => {
  it('dump the snapshot uncompressed (the runner compresses)', () => {
    expect(pgDumpArgs({ format: 'custom', snapshotId: 'S' })).toEqual(['--format=c', '--snapshot=S', '--no-password', '--compress=0']);
    expect(pgDumpArgs({ format: 'plain', snapshotId: 'S', excludeSchemas: ['tmp'] })).toEqual([
      '--format=p',
      '--snapshot=S',
      '--no-password',
      '--exclude-schema=tmp',
    ]);
  });
});

describe('pg_restore arguments', () => {
  it('restore a stream in a single transaction', () => {
    expect(pgRestoreArgs({ format: 'custom', jobs: 1, clean: false, noOwner: false, noAcl: false })).toEqual([
      '--dbname=',
      '--no-password',
      '--exit-on-error',
      '--format=c',
      '--single-transaction',
    ]);
  });

  it('restore a local file with N jobs, cleaning first when asked', () => {
    expect(pgRestoreArgs({ format: 'custom', jobs: 4, clean: true, noOwner: true, noAcl: true, role: 'app', file: '/w/f' })).toEqual([
      '--dbname=',
      '--no-password',
      '--exit-on-error',
      '--format=c',
      '--jobs=4',
      '--clean',
      '--if-exists',
      '--no-owner',
      '--no-acl',
      '--role=app',
      '/w/f',
    ]);
  });
});

describe('a restore into an older server, as a script', () => {
  it('has pg_restore write one transaction to stdout, the same options as a direct restore', () => {
    expect(pgRestoreScriptArgs({ format: 'custom', clean: true, noOwner: true, noAcl: false, role: 'app', file: '/w/f' })).toEqual([
      '--file=-',
      '--exit-on-error',
      '--format=c',
      '--single-transaction',
      '--clean',
      '--if-exists',
      '--no-owner',
      '--role=app',
      '/w/f',
    ]);
  });

  it('has psql run it without a transaction of its own, which would commit a script cut short', () => {
    expect(psqlScriptArgs()).toEqual(['--no-psqlrc', '--quiet', '--no-password', '--set=ON_ERROR_STOP=1', '--file=-']);
    expect(psqlScriptArgs()).not.toContain('--single-transaction');
  });
});
