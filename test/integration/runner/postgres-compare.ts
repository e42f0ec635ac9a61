// What "the restored database matches" means: the same schema (pg_dump --schema-only), and
// per table the same row count and checksum of the rows, the same sequence positions and
// the same large objects.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { env, withDatabase } from './runner-harness.ts';

export interface DatabaseFingerprint {
  schema: string;
  tables: Record<string, { rows: number; md5: string }>;
  sequences: Record<string, string>;
  largeObjects: Record<string, string>;
}

export async function schemaDump(database: string): Promise<string> {
  const info = env();
  const { stdout } = await promisify(execFile)(join(info.postgres.binDir, 'pg_dump'), ['--schema-only'], {
    env: { PGHOST: info.postgres.host, PGPORT: String(info.postgres.port), PGUSER: info.postgres.user, PGDATABASE: database },
    maxBuffer: 64 * 1024 * 1024,
  });
  // \restrict keys are random per dump (pg_dump >= 15.14); nothing else differs run to run.
  return stdout
    .split('\n')
    .filter((line) => !line.startsWith('\\restrict') && !line.startsWith('\\unrestrict'))
    .join('\n');
}

export async function fingerprint(database: string): Promise<DatabaseFingerprint> {
  const schema = await schemaDump(database);
  return withDatabase(database, async (client) => {
    const { rows: tables } = await client.query<{ schema: string; name: string; populated: boolean }>(`
      SELECT n.nspname AS schema, c.relname AS name, c.relispopulated AS populated
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
       ORDER BY 1, 2`);
    const result: DatabaseFingerprint = { schema, tables: {}, sequences: {}, largeObjects: {} };
    for (const table of tables) {
      const name = `"${table.schema}"."${table.name}"`;
      if (!table.populated) {
        result.tables[name] = { rows: -1, md5: 'unpopulated' };
        continue;
      }
      const { rows } = await client.query<{ n: string; md5: string }>(
        `SELECT count(*) AS n, md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) AS md5 FROM ${name} t`,
      );
      result.tables[name] = { rows: Number(rows[0]?.n), md5: String(rows[0]?.md5) };
    }
    const { rows: sequences } = await client.query<{ name: string; value: string }>(
      `SELECT schemaname || '.' || sequencename AS name, coalesce(last_value::text, 'unused') AS value FROM pg_sequences ORDER BY 1`,
    );
    for (const sequence of sequences) result.sequences[sequence.name] = sequence.value;
    const { rows: objects } = await client.query<{ oid: string; md5: string }>(
      `SELECT oid::text, md5(lo_get(oid)) AS md5 FROM pg_largeobject_metadata ORDER BY oid`,
    );
    for (const object of objects) result.largeObjects[object.oid] = object.md5;
    return result;
  });
}

export async function loadAwkwardSchema(database: string): Promise<void> {
  const { readFile } = await import('node:fs/promises');
  const sql = await readFile(join(import.meta.dirname, 'awkward-schema.sql'), 'utf8');
  await withDatabase(database, (client) => client.query(sql));
}
