// Row counts per table, taken in the backup's own snapshot, so a drill can compare the
// restored copy against exactly what was dumped. Partitions are counted on their own (the
// partitioned parent holds no rows); tables of extensions are left out (pg_dump skips them).
import type pg from 'pg';
import type { TableRowCount } from '../contract/manifests.ts';
import { quoteIdent } from './connection.ts';

export type RowCountMode = 'exact' | 'estimate' | 'off';

interface TableRow {
  schema: string;
  table: string;
  kind: string;
  populated: boolean;
  estimate: number;
  parent: string | null;
}

export async function listTables(client: pg.ClientBase, schemas: string[] = [], excludeSchemas: string[] = []): Promise<TableRow[]> {
  const { rows } = await client.query<TableRow>(
    `SELECT n.nspname AS schema, c.relname AS "table", c.relkind AS kind, c.relispopulated AS populated,
            c.reltuples::float8 AS estimate,
            (SELECT pn.nspname || '.' || p.relname
               FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace
              WHERE i.inhrelid = c.oid AND c.relispartition LIMIT 1) AS parent
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'm')
        AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
        AND NOT EXISTS (SELECT 1 FROM pg_depend d
                         WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
        AND (cardinality($1::text[]) = 0 OR n.nspname = ANY($1::text[]))
        AND NOT (n.nspname = ANY($2::text[]))
      ORDER BY 1, 2`,
    [schemas, excludeSchemas],
  );
  return rows;
}

/** Counts on `client`, which must be inside the snapshot's transaction for exact counts. */
export async function countRows(
  client: pg.Client,
  mode: RowCountMode,
  filter: { schemas?: string[]; excludeSchemas?: string[] } = {},
): Promise<TableRowCount[]> {
  if (mode === 'off') return [];
  const tables = await listTables(client, filter.schemas, filter.excludeSchemas);
  const counts: TableRowCount[] = [];
  for (const table of tables) {
    let rows: number | null;
    if (!table.populated) {
      rows = null; // an unpopulated materialized view cannot be read
    } else if (mode === 'estimate') {
      rows = table.estimate >= 0 ? Math.round(table.estimate) : null;
    } else {
      const result = await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM ONLY ${quoteIdent(table.schema)}.${quoteIdent(table.table)}`,
      );
      rows = Number(result.rows[0]?.n ?? 0);
    }
    counts.push({
      schema: table.schema,
      table: table.table,
      rows,
      ...(table.parent ? { partitionOf: table.parent } : {}),
    });
  }
  return counts;
}
