// What the RestoreRequest refusal, selection and decryption tests look at besides the request's
// status: its Jobs, its events with their notes, and the databases and rows in the test
// PostgreSQL; and age keys made with the `age-keygen` CLI, as a person would make them.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Labels } from '../../../src/core/metadata.ts';
import { EVENTS, JOBS, SECRETS } from '../../../src/kube/resource-type.ts';
import type { KubeObject } from '../../../src/kube/types.ts';
import { withDatabase } from '../../support/backup-fixture.ts';
import { testEnv } from '../../support/env.ts';
import { waitFor } from '../../support/wait.ts';
import { makeKubectl, ok } from '../api/kubectl.ts';
import { getRestore, type RestoreObject } from './restore-support.ts';
import type { JobObject, Scene } from './support.ts';

/** The Jobs of one RestoreRequest (label lifeboat.dev/restore-request). */
export async function restoreJobs(scene: Scene, restore: string): Promise<JobObject[]> {
  const jobs = await scene.client.list<JobObject>(JOBS, { namespace: scene.namespace, labelSelector: `${Labels.restoreRequest}=${restore}` });
  return jobs.items;
}

export interface EventSeen {
  reason: string;
  note: string;
  type: string;
}

export async function eventsOf(scene: Scene, name: string): Promise<EventSeen[]> {
  const events = (await scene.client.list<KubeObject & { reason?: string; note?: string; type?: string; regarding?: { name?: string; kind?: string } }>(EVENTS, { namespace: scene.namespace })).items;
  return events
    .filter((event) => event.regarding?.name === name && event.regarding?.kind === 'RestoreRequest')
    .map((event) => ({ reason: event.reason ?? '', note: event.note ?? '', type: event.type ?? '' }));
}

/** Waits until the request has an event with each of these reasons (events are written after status). */
export async function waitForEvents(scene: Scene, name: string, reasons: string[]): Promise<EventSeen[]> {
  return waitFor(
    async () => {
      const events = await eventsOf(scene, name);
      return reasons.every((reason) => events.some((event) => event.reason === reason)) ? events : undefined;
    },
    { what: `events ${reasons.join(', ')} on RestoreRequest ${name}`, timeoutMs: 30_000, intervalMs: 500 },
  );
}

/** The note of the one event with this reason (fails the test when there is none). */
export function noteOf(events: EventSeen[], reason: string): string {
  const event = events.find((candidate) => candidate.reason === reason);
  if (!event) throw new Error(`no ${reason} event among ${events.map((e) => e.reason).join(', ')}`);
  return event.note;
}

/** Waits until `check` holds for the request's status (e.g. Pending with a Ready condition). */
export async function waitForRestoreState(scene: Scene, name: string, what: string, check: (restore: RestoreObject) => boolean, timeoutMs = 60_000): Promise<RestoreObject> {
  return waitFor(
    async () => {
      const restore = await getRestore(scene.client, scene.namespace, name);
      return restore && check(restore) ? restore : undefined;
    },
    { what: `RestoreRequest ${name} ${what}`, timeoutMs, intervalMs: 500 },
  );
}

/** The runner's JSON log lines of a Job's pod (kubectl logs, served by the test kubelet). */
export async function jobLog(scene: Scene, job: string): Promise<Record<string, unknown>[]> {
  const text = await ok(makeKubectl(), ['logs', '-n', scene.namespace, `job/${job}`]);
  return text.split('\n').flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

export async function databaseExists(database: string): Promise<boolean> {
  return withDatabase(testEnv(), 'postgres', async (client) => (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])).rowCount === 1);
}

export async function dropDatabase(database: string): Promise<void> {
  await withDatabase(testEnv(), 'postgres', (client) => client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
}

/** A new database (dropped first if left over) with what `sql` creates in it. */
export async function createDatabaseWith(database: string, sql: string): Promise<void> {
  await dropDatabase(database);
  await withDatabase(testEnv(), 'postgres', (client) => client.query(`CREATE DATABASE "${database}"`));
  await withDatabase(testEnv(), database, (client) => client.query(sql));
}

export async function query<T extends Record<string, unknown>>(database: string, sql: string): Promise<T[]> {
  return withDatabase(testEnv(), database, async (client) => (await client.query(sql)).rows as T[]);
}

/** Tables in schema public, sorted. */
export async function tablesOf(database: string): Promise<string[]> {
  const rows = await query<{ name: string }>(database, `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`);
  return rows.map((row) => row.name);
}

export interface AgeKey {
  /** The identity file as age-keygen writes it (comments included). */
  identityFile: string;
  recipient: string;
}

/** A new X25519 key pair from the age-keygen CLI (Debian package age). */
export async function ageKeygen(): Promise<AgeKey> {
  const run = promisify(execFile);
  const { stdout: identityFile } = await run('age-keygen', []);
  const child = run('age-keygen', ['-y']);
  child.child.stdin?.end(identityFile);
  const { stdout } = await child;
  return { identityFile, recipient: stdout.trim() };
}

export async function applySecret(scene: Scene, name: string, stringData: Record<string, string>): Promise<void> {
  await scene.client.apply(SECRETS, { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: scene.namespace }, type: 'Opaque', stringData } as KubeObject, { force: true });
}
