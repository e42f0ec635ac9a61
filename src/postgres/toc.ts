// The table of contents of a custom or tar dump (`pg_restore --list`), and the schema objects
// in it. pg_restore prints one entry a line:
//
//   <dump id>; <catalog oid> <object oid> <type> <schema> <name> <owner>
//
// with names as they are (no quotes; a newline or carriage return in a name printed as a space),
// "-" for an object that lives in no schema, and an empty owner for extensions. A name holding
// a space therefore cannot be told from the next field by the text alone, so an entry keeps
// "<schema> <name>" as one string (`qualified`), to be compared with the restored catalog
// written the same way (schema-objects.ts); the split into schema and name is for people.
// The catalog oid tells an object's own entry from the entries about it: TABLE DATA, SEQUENCE
// SET, INDEX ATTACH... carry 0 there, so "TABLE DATA" never reads as a TABLE in schema "DATA".
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RunnerError } from '../failures/runner-error.ts';
import { inheritedEnv } from './connection.ts';
import { runTool } from './tools.ts';

/** The system catalogs (fixed oids in every PostgreSQL version) holding the objects checked. */
export const CATALOG = {
  pg_namespace: 2615,
  pg_extension: 3079,
  pg_type: 1247,
  pg_proc: 1255,
  pg_class: 1259,
  pg_constraint: 2606,
  pg_trigger: 2620,
  pg_rewrite: 2618,
  pg_policy: 3256,
} as const;

/**
 * The entry types checked after a restore, by the catalog their objects live in. Left out:
 * AGGREGATE (its tag is a signature format of its own), operators, casts, collations, text
 * search objects, foreign servers, publications, event triggers, statistics, large objects,
 * and everything that is not an object (COMMENT, ACL, DEFAULT, TABLE DATA, SEQUENCE SET, ...).
 */
export const CHECKED_TYPES: Readonly<Record<string, number>> = {
  SCHEMA: CATALOG.pg_namespace,
  EXTENSION: CATALOG.pg_extension,
  TYPE: CATALOG.pg_type,
  DOMAIN: CATALOG.pg_type,
  FUNCTION: CATALOG.pg_proc,
  PROCEDURE: CATALOG.pg_proc,
  TABLE: CATALOG.pg_class,
  'FOREIGN TABLE': CATALOG.pg_class,
  VIEW: CATALOG.pg_class,
  'MATERIALIZED VIEW': CATALOG.pg_class,
  SEQUENCE: CATALOG.pg_class,
  INDEX: CATALOG.pg_class,
  CONSTRAINT: CATALOG.pg_constraint,
  'FK CONSTRAINT': CATALOG.pg_constraint,
  'CHECK CONSTRAINT': CATALOG.pg_constraint,
  TRIGGER: CATALOG.pg_trigger,
  RULE: CATALOG.pg_rewrite,
  POLICY: CATALOG.pg_policy,
};

/** Longest first, so "MATERIALIZED VIEW" is not read as a VIEW in schema "MATERIALIZED"... */
const TYPES_BY_LENGTH = Object.keys(CHECKED_TYPES).sort((a, b) => b.length - a.length);

export interface TocEntry {
  dumpId: number;
  /** The entry type as pg_dump wrote it: TABLE, FK CONSTRAINT, FUNCTION, ... */
  type: string;
  /** "<schema> <name>" as printed ("-" for the schema of a SCHEMA or EXTENSION). */
  qualified: string;
  /** The schema, where it can be told (see parseTocLine); "-" for none. */
  schema: string;
  /** The rest of `qualified`: a relation's, type's or schema's name; `table constraint` for
   *  constraints, triggers, rules and policies; `name(argument types)` for functions. */
  name: string;
  owner: string;
}

/**
 * One line of `pg_restore --list`; undefined for comments, blank lines and entries of a type
 * not checked. The owner is taken to be the last word (a role name with a space in it would
 * make its objects look missing: a false failure, never a false pass). `schemas`, the schema
 * names known (from the dump and the catalog), picks the split of "a b c": the longest known
 * schema that the text starts with; without one, the first word.
 */
export function parseTocLine(line: string, schemas: ReadonlySet<string> = new Set()): TocEntry | undefined {
  const match = /^(\d+); (\d+) (\d+) (.*)$/.exec(line.replace(/\r$/, ''));
  if (!match) return undefined;
  const [, dumpId, catalog, , rest] = match as unknown as [string, string, string, string, string];
  const type = TYPES_BY_LENGTH.find((candidate) => rest.startsWith(`${candidate} `) && CHECKED_TYPES[candidate] === Number(catalog));
  if (type === undefined) return undefined;
  const fields = rest.slice(type.length + 1);
  const ownerAt = fields.lastIndexOf(' ');
  if (ownerAt <= 0) return undefined;
  const qualified = fields.slice(0, ownerAt);
  const { schema, name } = splitQualified(qualified, schemas);
  return { dumpId: Number(dumpId), type, qualified, schema, name, owner: fields.slice(ownerAt + 1) };
}

function splitQualified(qualified: string, schemas: ReadonlySet<string>): { schema: string; name: string } {
  if (qualified.startsWith('- ')) return { schema: '-', name: qualified.slice(2) };
  let best = '';
  for (const schema of schemas) {
    if (schema.length > best.length && qualified.startsWith(`${schema} `)) best = schema;
  }
  const at = best ? best.length : qualified.indexOf(' ');
  return at < 0 ? { schema: '', name: qualified } : { schema: qualified.slice(0, at), name: qualified.slice(at + 1) };
}

/** The checked entries of a whole `pg_restore --list` output; schema names come from its SCHEMA entries and `schemas`. */
export function parseToc(text: string, schemas: Iterable<string> = []): TocEntry[] {
  const lines = text.split('\n');
  const known = new Set(schemas);
  for (const line of lines) {
    const entry = parseTocLine(line);
    if (entry?.type === 'SCHEMA') known.add(entry.name);
  }
  return lines.flatMap((line) => parseTocLine(line, known) ?? []);
}

/** How an entry reads to a person: `TABLE public.diagrams`, `SCHEMA sales`. */
export function describeEntry(entry: Pick<TocEntry, 'type' | 'schema' | 'name'>): string {
  return entry.schema === '-' || entry.schema === '' ? `${entry.type} ${entry.name}` : `${entry.type} ${entry.schema}.${entry.name}`;
}

/**
 * `pg_restore --list` of the archive streaming in on `input`. pg_restore reads only the table
 * of contents at the archive's start and exits: the rest of the input is not read, and the
 * caller should stop producing it (`input` is destroyed here once pg_restore is done).
 */
export async function listArchive(
  input: Readable,
  options: { format: 'custom' | 'tar'; toolEnv: NodeJS.ProcessEnv; signal?: AbortSignal },
): Promise<string> {
  const tool = runTool('pg_restore', ['--list', `--format=${options.format === 'custom' ? 'c' : 't'}`], {
    // No connection: pg_restore only reads the archive.
    env: inheritedEnv(options.toolEnv),
    toolEnv: options.toolEnv,
    stdin: 'pipe',
    ...(options.signal ? { signal: options.signal } : {}),
  });
  let output = '';
  tool.child.stdout?.setEncoding('utf8');
  tool.child.stdout?.on('data', (chunk: string) => (output += chunk));
  const stdin = tool.child.stdin as Writable;
  stdin.on('error', () => undefined); // EPIPE once pg_restore has its table of contents
  let inputError: unknown;
  const feeding = pipeline(input, stdin).catch((error: unknown) => {
    inputError = error;
  });
  try {
    await tool.exited;
  } catch (error) {
    input.destroy();
    await feeding;
    // A broken input (checksum, decryption) explains pg_restore's failure better than it can.
    if (inputError !== undefined && !isPipeError(inputError)) throw inputError;
    throw error;
  }
  input.destroy();
  if (!/^;\s*Selected TOC Entries:/m.test(output)) {
    throw new RunnerError('ToolFailed', 'pg_restore --list printed no table of contents');
  }
  return output;
}

function isPipeError(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'EPIPE' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ERR_STREAM_DESTROYED';
}
