import { describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { testEnv } from '../../support/env.ts';

describe('the throwaway PostgreSQL cluster', () => {
  it('accepts a superuser connection, and is not the machine-wide cluster on 5432', async () => {
    const { postgres } = testEnv();
    expect(postgres.port).not.toBe(5432);
    const client = new pg.Client({ host: postgres.host, port: postgres.port, user: postgres.user, database: 'postgres' });
    await client.connect();
    try {
      await client.query('CREATE DATABASE env_smoke');
      const db = new pg.Client({ host: postgres.host, port: postgres.port, user: postgres.user, database: 'env_smoke' });
      await db.connect();
      try {
        await db.query('CREATE TABLE t (id int primary key, note text)');
        await db.query("INSERT INTO t SELECT g, 'row ' || g FROM generate_series(1, 250) g");
        const { rows } = await db.query<{ n: string; super: boolean; dir: string }>(
          "SELECT count(*) AS n, current_setting('is_superuser') = 'on' AS super, current_setting('data_directory') AS dir FROM t",
        );
        expect(rows[0]).toMatchObject({ n: '250', super: true });
        expect(rows[0]?.dir.startsWith(testEnv().workDir)).toBe(true);
      } finally {
        await db.end();
      }
    } finally {
      await client.query('DROP DATABASE IF EXISTS env_smoke');
      await client.end();
    }
  });
});
