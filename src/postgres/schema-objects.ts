// Which of a dump's schema objects (toc.ts) exist in a restored database: the catalog is read
// once, every object written the way pg_dump names it in its table of contents ("<schema>
// <name>", newlines as spaces, functions with their argument types as format_type() writes them
// under an empty search_path, as pg_dump does), and each entry looked up by its type's family.
import type pg from 'pg';
import type { TocEntry } from './toc.ts';

/** Entry types compared as one: pg_dump writes a constraint as CONSTRAINT, FK CONSTRAINT or CHECK CONSTRAINT. */
export function typeFamily(type: string): string {
  return type.endsWith('CONSTRAINT') ? 'CONSTRAINT' : type;
}

const name = (expression: string) => `translate(${expression}, E'\\n\\r', '  ')`;

/**
 * Every object of the checked kinds, as `<family> <schema> <name>` lines. Runs as one
 * statement; the caller sets `search_path = ''` for the statement (function signatures then
 * read as pg_dump writes them: schema-qualified but for pg_catalog's types).
 */
export const CATALOG_OBJECTS_SQL = `
SELECT 'SCHEMA', '- ' || ${name('nspname')} FROM pg_catalog.pg_namespace
UNION ALL
SELECT 'EXTENSION', '- ' || ${name('extname')} FROM pg_catalog.pg_extension
UNION ALL
SELECT CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, ${name('n.nspname')} || ' ' || ${name('t.typname')}
  FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
UNION ALL
SELECT CASE p.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END,
       ${name('n.nspname')} || ' ' || ${name('p.proname')} || '(' || coalesce((
         SELECT string_agg(pg_catalog.format_type(a.type, NULL), ', ' ORDER BY a.position)
           FROM unnest(p.proargtypes::pg_catalog.oid[]) WITH ORDINALITY AS a(type, position)), '') || ')'
  FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
 WHERE p.prokind <> 'a'
UNION ALL
SELECT CASE c.relkind WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                      WHEN 'S' THEN 'SEQUENCE' WHEN 'i' THEN 'INDEX' WHEN 'I' THEN 'INDEX' ELSE 'TABLE' END,
       ${name('n.nspname')} || ' ' || ${name('c.relname')}
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S', 'i', 'I')
UNION ALL
SELECT 'CONSTRAINT', ${name('n.nspname')} || ' ' || ${name('c.relname')} || ' ' || ${name('k.conname')}
  FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_class c ON c.oid = k.conrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
UNION ALL
SELECT 'CONSTRAINT', ${name('n.nspname')} || ' ' || ${name('t.typname')} || ' ' || ${name('k.conname')}
  FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_type t ON t.oid = k.contypid JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
UNION ALL
SELECT 'TRIGGER', ${name('n.nspname')} || ' ' || ${name('c.relname')} || ' ' || ${name('g.tgname')}
  FROM pg_catalog.pg_trigger g JOIN pg_catalog.pg_class c ON c.oid = g.tgrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
UNION ALL
SELECT 'RULE', ${name('n.nspname')} || ' ' || ${name('c.relname')} || ' ' || ${name('r.rulename')}
  FROM pg_catalog.pg_rewrite r JOIN pg_catalog.pg_class c ON c.oid = r.ev_class JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE r.rulename <> '_RETURN'
UNION ALL
SELECT 'POLICY', ${name('n.nspname')} || ' ' || ${name('c.relname')} || ' ' || ${name('p.polname')}
  FROM pg_catalog.pg_policy p JOIN pg_catalog.pg_class c ON c.oid = p.polrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
`;

/** The catalog's objects as `<family> <qualified>` keys, from the rows of CATALOG_OBJECTS_SQL. */
export function catalogKeys(rows: readonly (readonly unknown[])[]): Set<string> {
  return new Set(rows.map((row) => `${String(row[0])} ${String(row[1])}`));
}

export function entryKey(entry: Pick<TocEntry, 'type' | 'qualified'>): string {
  return `${typeFamily(entry.type)} ${entry.qualified}`;
}

/** The schema names in the catalog rows (to split names for people, see parseTocLine). */
export function catalogSchemas(rows: readonly (readonly unknown[])[]): string[] {
  return rows.filter((row) => row[0] === 'SCHEMA').map((row) => String(row[1]).slice(2));
}

export interface SchemaObjectsComparison {
  expected: number;
  found: number;
  /** Entries of the dump not in the catalog, in the dump's order. */
  missing: TocEntry[];
}

export function compareSchemaObjects(entries: readonly TocEntry[], catalog: ReadonlySet<string>): SchemaObjectsComparison {
  const missing = entries.filter((entry) => !catalog.has(entryKey(entry)));
  return { expected: entries.length, found: entries.length - missing.length, missing };
}

/** Runs CATALOG_OBJECTS_SQL in `client`'s current transaction (read-only is enough). */
export async function readCatalogObjects(client: pg.ClientBase): Promise<unknown[][]> {
  await client.query(`SET LOCAL search_path = ''`);
  const result = await client.query<unknown[]>({ text: CATALOG_OBJECTS_SQL, rowMode: 'array' });
  return result.rows;
}
