// Creating, dropping and inspecting whole databases (restore targets and drill scratch).
import type pg from 'pg';
import { quoteIdent, quoteLiteral } from './connection.ts';

export async function databaseExists(client: pg.ClientBase, name: string): Promise<boolean> {
  const { rows } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  return rows.length > 0;
}

export interface DatabaseLocale {
  encoding?: string;
  collate?: string;
  ctype?: string;
}

/**
 * CREATE DATABASE from template0 (template1 may hold objects that would collide with the
 * restore), with the source's encoding and locale when this server has that locale.
 */
export async function createDatabase(client: pg.ClientBase, name: string, locale: DatabaseLocale = {}): Promise<void> {
  const base = `CREATE DATABASE ${quoteIdent(name)} TEMPLATE template0`;
  const encoding = locale.encoding ? ` ENCODING ${quoteLiteral(locale.encoding)}` : '';
  const collation =
    locale.collate && locale.ctype ? ` LC_COLLATE ${quoteLiteral(locale.collate)} LC_CTYPE ${quoteLiteral(locale.ctype)}` : '';
  if (collation) {
    try {
      await client.query(base + encoding + collation);
      return;
    } catch (error) {
      // 22023: invalid locale name / incompatible encoding on this server; keep the encoding.
      if ((error as { code?: string }).code !== '22023') throw error;
    }
  }
  await client.query(base + encoding);
}

export async function dropDatabase(client: pg.ClientBase, name: string): Promise<void> {
  await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
}

/** What a database holds besides what CREATE DATABASE puts there: empty when all zero.
 *  Types count only on their own (enums, domains, ...), not a table's row and array types. */
export interface DatabaseContents {
  relations: number;
  schemas: number;
  functions: number;
  types: number;
  extensions: number;
  largeObjects: number;
}

export async function databaseContents(client: pg.ClientBase): Promise<DatabaseContents> {
  const userSchema = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'`;
  const { rows } = await client.query<Record<keyof DatabaseContents, string>>(`
    SELECT
      (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${userSchema}) AS relations,
      (SELECT count(*) FROM pg_namespace n WHERE ${userSchema} AND n.nspname <> 'public') AS schemas,
      (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE ${userSchema}) AS functions,
      (SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace LEFT JOIN pg_class r ON r.oid = t.typrelid
        WHERE ${userSchema} AND t.typcategory <> 'A' AND (t.typrelid = 0 OR r.relkind = 'c')) AS types,
      (SELECT count(*) FROM pg_extension WHERE extname <> 'plpgsql') AS extensions,
      (SELECT count(*) FROM pg_largeobject_metadata) AS "largeObjects"`);
  const row = rows[0];
  return {
    relations: Number(row?.relations ?? 0),
    schemas: Number(row?.schemas ?? 0),
    functions: Number(row?.functions ?? 0),
    types: Number(row?.types ?? 0),
    extensions: Number(row?.extensions ?? 0),
    largeObjects: Number(row?.largeObjects ?? 0),
  };
}

export function isEmpty(contents: DatabaseContents): boolean {
  return Object.values(contents).every((count) => count === 0);
}

export function describeContents(contents: DatabaseContents): string {
  const parts = Object.entries(contents)
    .filter(([, count]) => count > 0)
    .map(([kind, count]) => `${count} ${kind.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`)}`);
  return parts.join(', ');
}

/** A database's comment: undefined when the database does not exist, null when it has none. */
export async function databaseComment(client: pg.ClientBase, name: string): Promise<string | null | undefined> {
  const { rows } = await client.query<{ comment: string | null }>(
    `SELECT pg_catalog.shobj_description(oid, 'pg_database') AS comment FROM pg_catalog.pg_database WHERE datname = $1`,
    [name],
  );
  return rows.length === 0 ? undefined : (rows[0]?.comment ?? null);
}

export async function commentOnDatabase(client: pg.ClientBase, name: string, comment: string): Promise<void> {
  await client.query(`COMMENT ON DATABASE ${quoteIdent(name)} IS ${quoteLiteral(comment)}`);
}
