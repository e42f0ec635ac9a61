// PostgreSQL backup and restore speed, as ratios against peers measured in the same run on the
// same generated database (text and JSON rows, about 3x compressible). Lifeboat runs with the
// settings a user gets by setting nothing: the Job the operator builds for a schedule that names
// only the database, the storage and their Secrets (zstd, exact row counts, the default memory
// limit's heap flags), so it also hashes, counts rows and writes a manifest.
//
//   backup   Lifeboat vs the stock streaming pipeline `pg_dump -Fc -Z0 | zstd -3 | rclone rcat`
//            (within 1.05x), and vs the method it replaces, `pg_dump -Fc` (gzip) to a file, then
//            `rclone copyto` (at least 5x faster); with age encryption (throughput kept >= 0.85).
//   restore  lifeboat-runner postgres-restore (streamed with 1 job; N jobs) vs pg_restore from a
//            local file with the same jobs (<= 1.25x).
//
// Every case also gives its CPU seconds (the process and its children: the runner with pg_dump
// and zstd, the pipeline's every command) per GiB of dump, and what the PostgreSQL server and
// the S3 server spent meanwhile: on one machine they all share the cores.
//
//   node bench/runner-postgres.ts [--quick] [--size-mb 1024] [--jobs 2] [--reps 1] [--skip-restore]
//
// --quick is a 128 MB database for development. Uses the test environment's servers when
// LIFEBOAT_TESTENV is set (the dataset is then kept for the next run), else starts a throwaway
// PostgreSQL cluster and MinIO.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ageRecipientFromIdentity, generateAgeIdentity } from '../src/crypto/age-stream.ts';
import { type Measured, MiB, defaultBackupJob, fixed, measureShell, peerEnv, perGiB, quote, rcloneRemote, runJob, runnerEntry, withServers } from './peers.ts';
import { type Figure, type Ratio, loadNow, machineDescription, markdownTable, recordResults } from './results.ts';
import { type Servers, databaseSize, dropDatabase, ensureDataset, freshDatabase, libpq, makeBucket, runTask, servers, timed } from './runner-postgres-support.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'size-mb': { type: 'string' },
    jobs: { type: 'string', default: '2' },
    reps: { type: 'string', default: '1' },
    'skip-restore': { type: 'boolean', default: false },
  },
});
const sizeMb = Number(values['size-mb'] ?? (values.quick ? 128 : 1024));
const jobs = Number(values.jobs);
const reps = Number(values.reps);

const loadAtStart = loadNow();
const say = (line: string): void => console.log(line);
const loadLine = () => `load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`;
say(`${new Date().toISOString()}  ${machineDescription()}  ${loadLine()}`);
say(`runner: ${runnerEntry()}`);

/** One measured case: wall time, CPU of the process tree, and what the servers spent meanwhile. */
type Case = Measured & { servers: Record<string, number> };

interface Bench {
  server: Servers;
  database: string;
  bucket: string;
  work: string;
  /** Bytes of pg_dump -Fc -Z0 output: what every MiB/s and CPU s per GiB is of. */
  dumpBytes: number;
  /** That output, kept for the restores from a local file. */
  plainFile: string;
}

const server = await servers();
const work = mkdtempSync(join(tmpdir(), 'lifeboat-bench-pg-files-'));
const rows: string[][] = [];
const ratios: Ratio[] = [];
const figures: Figure[] = [];
try {
  const generating = performance.now();
  const database = await ensureDataset(server, sizeMb);
  say(`dataset ${database}: ${((await databaseSize(server, database)) / MiB) | 0} MiB on disk (ready in ${((performance.now() - generating) / 1000).toFixed(0)} s)`);
  const bucket = await makeBucket(server.client);
  const plainFile = join(work, 'plain.dump');
  // Warms the page cache and sizes the dump, untimed.
  await timed(join(server.postgres.binDir, 'pg_dump'), ['--format=c', '--compress=0', `--file=${plainFile}`], libpq(server, database));
  const bench: Bench = { server, database, bucket, work, dumpBytes: statSync(plainFile).size, plainFile };
  say(`pg_dump -Fc -Z0 output: ${(bench.dumpBytes / MiB).toFixed(0)} MiB; ${reps} repetition(s), best time counts; ${loadLine()}\n`);

  const artifact = await measureBackups(bench);
  if (!values['skip-restore']) await measureRestores(bench, artifact);

  say(`\n${markdownTable(['case', 'seconds', 'MiB/s of dump', 'CPU s (process + children)', 'CPU s/GiB of dump', 'PostgreSQL CPU s', 'S3 server CPU s'], rows)}`);
  say(`\n${markdownTable(['ratio', 'measured', 'goal', ''], ratios.map((r) => [r.name, `${r.value.toFixed(2)}x`, `${r.better === 'higher' ? '>=' : '<='} ${r.target}x`, (r.better === 'higher' ? r.value >= r.target : r.value <= r.target) ? 'met' : 'MISSED']))}`);
  say(`\nload average at the start ${loadAtStart.toFixed(2)}, at the end: ${loadLine()}`);
  say(`results: ${recordResults('runner-postgres', loadAtStart, ratios, figures)}`);
} finally {
  rmSync(work, { recursive: true, force: true });
  await server.stop();
}

/** Adds a case to the table and its figures to the results. */
function record(name: string, run: Case, bytes: number): void {
  rows.push([name, fixed(run.seconds), fixed(bytes / MiB / run.seconds, 0), fixed(run.cpuSeconds), fixed(perGiB(run.cpuSeconds, bytes)), fixed(run.servers.postgres ?? NaN), fixed(run.servers.s3 ?? NaN)]);
  figures.push({ name: `${name}: time`, value: run.seconds, unit: 's' }, { name: `${name}: CPU per GiB of dump`, value: perGiB(run.cpuSeconds, bytes), unit: 's/GiB' });
  say(`  ${name.padEnd(66)} ${fixed(run.seconds).padStart(6)} s  CPU ${fixed(run.cpuSeconds).padStart(5)} s  (${loadLine()})`);
}

async function best(runs: (() => Promise<Case>)[]): Promise<Case[]> {
  // Interleaved, so that a burst of load from elsewhere does not fall on one side only.
  const fastest: (Case | undefined)[] = runs.map(() => undefined);
  for (let rep = 0; rep < reps; rep++) {
    for (const [index, run] of runs.entries()) {
      const result = await run();
      if (!fastest[index] || result.seconds < (fastest[index] as Case).seconds) fastest[index] = result;
    }
  }
  return fastest as Case[];
}

/** Backups: Lifeboat with defaults against the stock pipeline and the method it replaces. Returns the artifact the restores read. */
async function measureBackups({ server, database, bucket, work, dumpBytes }: Bench) {
  const pids = server.pids;
  const recipient = await ageRecipientFromIdentity(await generateAgeIdentity());
  const secrets = {
    db: { username: server.postgres.user, password: '' },
    storage: { AWS_ACCESS_KEY_ID: server.s3.accessKeyId, AWS_SECRET_ACCESS_KEY: server.s3.secretAccessKey },
    age: { recipients: recipient },
  };
  // What a user writes: the database, the storage, the Secrets; nothing else.
  const source = { name: 'db', postgres: { host: server.postgres.host, port: server.postgres.port, database, connectionSecret: { name: 'db' } } };
  const storage = { bucket, prefix: 'bench', endpoint: server.s3.endpoint, region: server.s3.region, forcePathStyle: true, credentialsSecret: { name: 'storage' } };
  let runs = 0;
  const job = (encrypted: boolean) =>
    defaultBackupJob({
      run: `run-${++runs}`,
      source,
      storage: encrypted ? { ...storage, encryption: { recipientsSecret: { name: 'age' } } } : storage,
      secrets,
    });
  // The image has the PostgreSQL client tools on PATH; here they are the test environment's.
  const lifeboat = async (encrypted = false) => {
    const defaults = job(encrypted);
    const run = await withServers(pids, () => runJob(defaults, { LIFEBOAT_PG_BINDIR: server.postgres.binDir }));
    return { ...run, location: defaults.task.location as Record<string, string>, storage: defaults.task.storage };
  };
  say(`Lifeboat's task with defaults: ${JSON.stringify({ ...job(false).task, storage: '…', location: '…' })}`);

  const env = { ...libpq(server, database), ...peerEnv(work, rcloneRemote('s3', server.s3)) };
  const pgDump = quote(join(server.postgres.binDir, 'pg_dump'));
  const shell = (script: string) => withServers(pids, () => measureShell(script, env));

  say('backup');
  const devNull = await shell(`${pgDump} -Fc -Z0 > /dev/null`);
  record('pg_dump -Fc -Z0 > /dev/null (no compression, no upload)', devNull, dumpBytes);
  const [pipeline, ours] = await best([
    () => shell(`${pgDump} -Fc -Z0 | zstd -3 -q | rclone rcat ${quote(`s3:${bucket}/peer/${++runs}.dump.zst`)}`),
    () => lifeboat(),
  ]);
  record('peer: pg_dump -Fc -Z0 \\| zstd -3 \\| rclone rcat', pipeline as Case, dumpBytes);
  record('Lifeboat postgres-backup, defaults (zstd, exact row counts)', ours as Awaited<ReturnType<typeof lifeboat>>, dumpBytes);
  const file = join(work, 'gzip.dump');
  const replaced = await shell(`${pgDump} -Fc -f ${quote(file)} && rclone copyto ${quote(file)} ${quote(`s3:${bucket}/replaced/${++runs}.dump`)}`);
  rmSync(file, { force: true });
  record('replaced: pg_dump -Fc (gzip) > file, then rclone copyto', replaced, dumpBytes);
  const encrypted = await lifeboat(true);
  record('Lifeboat postgres-backup, defaults + age encryption', encrypted, dumpBytes);

  const lifeboatRun = ours as Awaited<ReturnType<typeof lifeboat>>;
  const stored = Number(lifeboatRun.result.summary?.sizeBytes ?? NaN);
  ratios.push(
    {
      name: 'backup: Lifeboat (defaults) vs the pipeline pg_dump -Z0, zstd -3, rclone rcat',
      value: lifeboatRun.seconds / (pipeline as Case).seconds,
      target: 1.05,
      better: 'lower',
      note: 'time ratio; Lifeboat also hashes, counts rows and writes manifests',
    },
    { name: 'backup: pg_dump -Fc to a file + upload vs Lifeboat (defaults)', value: replaced.seconds / lifeboatRun.seconds, target: 5, better: 'higher' },
    { name: 'backup: throughput kept with age encryption', value: lifeboatRun.seconds / encrypted.seconds, target: 0.85, better: 'higher' },
  );
  figures.push(
    { name: 'dump size (pg_dump -Fc -Z0)', value: dumpBytes / MiB, unit: 'MiB' },
    { name: 'Lifeboat artifact size (zstd)', value: stored / MiB, unit: 'MiB' },
    { name: 'Lifeboat backup: runner CPU per GiB of dump', value: perGiB(lifeboatRun.cpuSeconds, dumpBytes), unit: 's/GiB' },
    { name: 'peer pipeline: CPU per GiB of dump', value: perGiB((pipeline as Case).cpuSeconds, dumpBytes), unit: 's/GiB' },
    { name: 'Lifeboat backup: peak RSS (runner process)', value: lifeboatRun.peakRssBytes / MiB, unit: 'MiB' },
  );
  return { location: lifeboatRun.location, storage: lifeboatRun.storage };
}

/**
 * Restores of the Lifeboat backup against pg_restore from the local file, 1 job and N jobs.
 * Kept apart from the backups: restore rows are added here.
 */
async function measureRestores({ server, work, dumpBytes, plainFile }: Bench, artifact: { location: Record<string, string>; storage: unknown }) {
  const pids = server.pids;
  const pgRestore = join(server.postgres.binDir, 'pg_restore');
  const target = `bench_restore_${process.pid}`;
  const fromFile = (n: number) => async () => {
    await freshDatabase(server, target);
    const args = ['--dbname=', '--exit-on-error', n > 1 ? `--jobs=${n}` : '--single-transaction', quote(plainFile)];
    return withServers(pids, () => measureShell(`${quote(pgRestore)} ${args.join(' ')}`, libpq(server, target)));
  };
  const lifeboat = (n: number) => async () => {
    await freshDatabase(server, target);
    const postgres = { host: server.postgres.host, port: server.postgres.port, database: target, sslMode: 'disable' };
    return withServers(pids, () => runTask(server, 'postgres-restore', { storage: artifact.storage, artifact: artifact.location, target: postgres, parallelJobs: n, workDir: work }));
  };
  say('\nrestore');
  const [fileOne, oursOne] = await best([fromFile(1), lifeboat(1)]);
  record('pg_restore --single-transaction < local file', fileOne as Case, dumpBytes);
  record('Lifeboat postgres-restore, 1 job (streamed)', oursOne as Case, dumpBytes);
  const [fileN, oursN] = await best([fromFile(jobs), lifeboat(jobs)]);
  record(`pg_restore -j ${jobs} local file`, fileN as Case, dumpBytes);
  record(`Lifeboat postgres-restore, ${jobs} jobs`, oursN as Case, dumpBytes);
  await dropDatabase(server, target);
  ratios.push(
    { name: 'restore: Lifeboat vs pg_restore from a local file, 1 job', value: (oursOne as Case).seconds / (fileOne as Case).seconds, target: 1.25, better: 'lower' },
    { name: `restore: Lifeboat vs pg_restore from a local file, ${jobs} jobs`, value: (oursN as Case).seconds / (fileN as Case).seconds, target: 1.25, better: 'lower' },
  );
}

