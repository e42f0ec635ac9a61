// drill-check's schemaObjects: the dump's table of contents (pg_restore --list of the artifact,
// read through the verifying, decrypting reader) against the restored database's catalog, with
// the awkward schema and names that pg_restore prints ambiguously (spaces, quotes, dashes).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { scratchDatabaseName } from '../../../src/contract/tasks.ts';
import { ageRecipientFromIdentity, generateAgeIdentity } from '../../../src/crypto/age-stream.ts';
import { loadAwkwardSchema } from './postgres-compare.ts';
import { connectionTo, createDatabase, databaseName, dropDatabase, failureOf, makeBucket, runRunner, storageFor, withDatabase } from './runner-harness.ts';

jest.setTimeout(180_000);

/** Names pg_restore --list prints without quotes, where a space could end any field. */
const AWKWARD_NAMES = `
CREATE SCHEMA "a b";
CREATE TABLE "a b"."c d" (x int CONSTRAINT "x positive" CHECK (x > 0));
CREATE TABLE "a b".c (x int UNIQUE);
CREATE VIEW "a b"."v - w" AS SELECT 1 AS y;
CREATE FUNCTION "a b"."f n"("x y" "a b"."c d", n numeric(5, 2)) RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE PROCEDURE refresh(INOUT n int) LANGUAGE sql AS 'SELECT 1';
CREATE DOMAIN "a b"."d""q" AS int;
ALTER DOMAIN "a b"."d""q" ADD CONSTRAINT "dq check" CHECK (VALUE > 0) NOT VALID;
CREATE TABLE "we""ird
name" (id int);
CREATE RULE cache_notify AS ON INSERT TO cache DO ALSO NOTIFY cache_insert;
CREATE POLICY audit_all ON audit USING (true);
CREATE TRIGGER "c touch" BEFORE INSERT ON "a b".c FOR EACH ROW EXECUTE FUNCTION log_note();
`;

let source: string;
let bucket: string;
let identity: string;
const databases: string[] = [];
const runId = randomBytes(5).toString('hex');
const artifact = (run: string) => ({ namespace: 'shop', schedule: 'nightly', run, source: 'orders' });

beforeAll(async () => {
  source = databaseName('lb_schema_src');
  databases.push(source);
  await createDatabase(source);
  await loadAwkwardSchema(source);
  await withDatabase(source, (client) => client.query(AWKWARD_NAMES));
  bucket = await makeBucket();
  identity = await generateAgeIdentity();
  const recipient = await ageRecipientFromIdentity(identity);
  for (const [run, extra] of [
    ['custom-age', { format: 'custom', encryption: { recipients: [recipient] } }],
    ['tar', { format: 'tar' }],
    ['plain', { format: 'plain' }],
  ] as const) {
    const backup = await runRunner('postgres-backup', { storage: storageFor(bucket), location: artifact(run), postgres: connectionTo(source), ...extra });
    expect(backup.result).toMatchObject({ ok: true });
  }
});

afterAll(async () => {
  for (const database of databases) await dropDatabase(database);
});

/** A new scratch database with the run's backup restored into it, as a drill makes one. */
async function restoredScratch(run: string, index: number): Promise<string> {
  const name = scratchDatabaseName(runId, index);
  databases.push(name);
  const created = await runRunner('scratch-create', { kind: 'database', postgres: connectionTo('postgres'), name });
  expect(created.result).toMatchObject({ ok: true, summary: { created: true } });
  const restore = await runRunner(
    'postgres-restore',
    { storage: storageFor(bucket), artifact: artifact(run), target: connectionTo(name), createDatabase: false, decryption: {} },
    { env: { LIFEBOAT_AGE_IDENTITY: identity } },
  );
  expect(restore.result).toMatchObject({ ok: true });
  return name;
}

function schemaCheck(database: string, run: string, env: NodeJS.ProcessEnv = { LIFEBOAT_AGE_IDENTITY: identity }) {
  return runRunner('drill-check', { postgres: connectionTo(database), schemaObjects: { storage: storageFor(bucket), artifact: artifact(run), decryption: {} } }, { env });
}

describe('schema objects of a custom dump (encrypted)', () => {
  let scratch: string;

  beforeAll(async () => {
    scratch = await restoredScratch('custom-age', 0);
  });

  it('are all found after the restore', async () => {
    const check = await schemaCheck(scratch, 'custom-age');
    expect(check.stderr).toBe('');
    const summary = check.result.summary as { schemaObjects: { expected: number; found: number } };
    expect(check.result).toMatchObject({
      ok: true,
      summary: {
        passed: true,
        schemaObjects: { format: 'custom', missing: 0 },
        checks: [{ name: 'schema-objects', type: 'SchemaObjects', ok: true, message: "every schema object in the dump's table of contents exists" }],
      },
    });
    // Tables, views, sequences, indexes, constraints, functions, types, triggers, rules, policies...
    expect(summary.schemaObjects.expected).toBeGreaterThan(50);
    expect(summary.schemaObjects.found).toBe(summary.schemaObjects.expected);
    expect(check.result.summary).toMatchObject({
      checks: [{ expected: `${summary.schemaObjects.expected} schema objects`, actual: `${summary.schemaObjects.expected} present` }],
    });
  });

  it('fails naming what was dropped after the restore', async () => {
    await withDatabase(scratch, (client) =>
      client.query(`DROP TABLE "a b"."c d" CASCADE; DROP VIEW "données".joyeux; DROP FUNCTION log_note() CASCADE;
        DROP TABLE "we""ird
name"; ALTER DOMAIN "a b"."d""q" DROP CONSTRAINT "dq check"; DROP POLICY audit_all ON audit;`),
    );
    const failure = failureOf(await schemaCheck(scratch, 'custom-age'));
    expect(failure.code).toBe('CheckFailed');
    expect(failure.reason).toMatch(/^1 of 1 checks failed: schema-objects \(\d+ missing: /);
    const details = (await schemaCheck(scratch, 'custom-age')).result.details as { checks: { missing: string[]; actual: string; expected: string }[] };
    const [check] = details.checks;
    // The function takes its triggers with it (CASCADE), the table the function whose argument
    // type it was (its CHECK constraint is part of the table's entry, not one of its own).
    expect(check?.missing.sort()).toEqual(
      [
        'TABLE a b.c d',
        'FUNCTION a b.f n("a b"."c d", numeric)',
        'VIEW données.joyeux',
        'FUNCTION public.log_note()',
        'TRIGGER données.note note_audit',
        'TRIGGER a b.c c touch',
        'TABLE public.we"ird name',
        'CHECK CONSTRAINT a b.d"q dq check',
        'POLICY public.audit audit_all',
      ].sort(),
    );
    expect(Number(check?.expected.split(' ')[0]) - Number(check?.actual.split(' ')[0])).toBe(9);
  });

  it('needs the identity to read an encrypted dump', async () => {
    const failure = failureOf(await schemaCheck(scratch, 'custom-age', {}));
    expect(failure).toMatchObject({ code: 'DecryptionFailed', reason: 'the artifact is encrypted and the identity variable LIFEBOAT_AGE_IDENTITY is not set' });
  });
});

describe('schema objects of other dumps', () => {
  it('are checked for a tar dump', async () => {
    const scratch = await restoredScratch('tar', 1);
    const check = await schemaCheck(scratch, 'tar');
    expect(check.result).toMatchObject({ ok: true, summary: { passed: true, schemaObjects: { format: 'tar', missing: 0 } } });
  });

  it('are skipped, saying why, for a plain dump', async () => {
    const scratch = await restoredScratch('plain', 2);
    const check = await schemaCheck(scratch, 'plain');
    expect(check.result).toMatchObject({
      ok: true,
      summary: {
        passed: true,
        schemaObjects: { format: 'plain', skipped: true },
        checks: [{ name: 'schema-objects', type: 'SchemaObjects', ok: true, skipped: true, actual: 'not supported for a plain dump' }],
      },
    });
  });
});
