// Where a parallel PostgreSQL restore's time goes, against `pg_restore` from a local file in
// the same run on the same artifact:
//
//   lifeboat-runner postgres-restore with N jobs (ranged download, SHA-256 in the same pass,
//   zstd -d writing the local file as bytes arrive, then pg_restore -j N) vs pg_restore -j N
//   from the decompressed artifact already on disk (goal: within 1.25x); and the streamed
//   1-job restore (the default) against both local-file baselines.
//
// The N-job runner is split into phases from its own log lines (start-up, target checks,
// download, pg_restore), and the download phase into its parts, measured alone in this
// process: ranged GETs with SHA-256, one GET with SHA-256, zstd -d writing the file, and the
// whole phase as the runner does it, followed by pg_restore -j N from that just-written file.
//
//   node bench/runner-postgres-restore.ts [--size-mb 1024] [--jobs 2] [--reps 2]
//
// Uses the test environment's servers when LIFEBOAT_TESTENV is set (the dataset of
// bench/runner-postgres.ts, bench_documents_<size>mb, is then kept), else starts a throwaway
// PostgreSQL cluster and MinIO.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ArtifactManifest } from '../src/contract/manifests.ts';
import { downloadArtifactInRanges } from '../src/runner/artifact-download.ts';
import { downloadArtifactToFile } from '../src/runner/artifact-reader.ts';
import { Sha256Counter } from '../src/runner/hashing.ts';
import { readArtifactManifest } from '../src/runner/manifest.ts';
import { downloadToFile, getObjectStream, headObject, readObjectRanges } from '../src/s3/download.ts';
import { createObjectReader } from '../src/s3/object-reader.ts';
import { readRangesInOrder } from '../src/s3/ranged-download.ts';
import { repoRoot, runnerEntry } from './peers.ts';
import { loadNow, recordResults, type Figure, type Ratio } from './results.ts';
import {
  MiB,
  databaseSize,
  dropDatabase,
  ensureDataset,
  freshDatabase,
  libpq,
  makeBucket,
  runTask,
  servers,
  timed,
  type Servers,
} from './runner-postgres-support.ts';

const { values } = parseArgs({
  options: {
    'size-mb': { type: 'string', default: '1024' },
    jobs: { type: 'string', default: '2' },
    reps: { type: 'string', default: '2' },
  },
});
const sizeMb = Number(values['size-mb']);
const jobs = Number(values.jobs);
const reps = Number(values.reps);

const loadAtStart = loadNow();
const load = (): string => loadavg().map((l) => l.toFixed(1)).join(' ');
const say = (line: string): void => console.log(line);
say(`${new Date().toISOString()}  load average ${load()}`);

/** The runner's log lines that close each phase, in order. */
const MARKS = ['task started', 'target ready', 'artifact downloaded and verified', 'restore complete', 'task succeeded'] as const;

interface RunnerTiming {
  seconds: number;
  /** User + system CPU seconds of the runner and its children (zstd, pg_restore), from GNU time. */
  cpuSeconds: number;
  /** Seconds from spawn to each log line in MARKS that appeared. */
  marks: Partial<Record<(typeof MARKS)[number], number>>;
}

/** lifeboat-runner as runTask runs it (its own process, under GNU time), keeping its log lines' times. */
function runRunnerTimed(server: Servers, subcommand: string, task: unknown): Promise<RunnerTiming> {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-bench-run-'));
  const resultFile = join(dir, 'result.json');
  const timeFile = join(dir, 'time');
  const spawnedAt = Date.now();
  return new Promise<RunnerTiming>((resolve, reject) => {
    const node = join(repoRoot, 'node_modules/.bin/node');
    const child = spawn('/usr/bin/time', ['-f', '%U %S', '-o', timeFile, node, runnerEntry(), subcommand], {
      env: {
        PATH: process.env.PATH,
        HOME: dir,
        TMPDIR: dir,
        AWS_ACCESS_KEY_ID: server.s3.accessKeyId,
        AWS_SECRET_ACCESS_KEY: server.s3.secretAccessKey,
        PGUSER: server.postgres.user,
        LIFEBOAT_PG_BINDIR: server.postgres.binDir,
        LIFEBOAT_TASK: JSON.stringify(task),
        LIFEBOAT_RESULT_FILE: resultFile,
      },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const marks: RunnerTiming['marks'] = {};
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        try {
          const entry = JSON.parse(line) as { msg?: string; time?: number };
          const mark = MARKS.find((name) => name === entry.msg);
          if (mark && entry.time) marks[mark] = (entry.time - spawnedAt) / 1000;
        } catch {
          // not a log line
        }
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (Date.now() - spawnedAt) / 1000;
      let result = '';
      let cpuSeconds = Number.NaN;
      try {
        result = readFileSync(resultFile, 'utf8');
        const [user, system] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()?.split(' ').map(Number) ?? [];
        cpuSeconds = (user ?? Number.NaN) + (system ?? Number.NaN);
      } catch {
        // no result written
      }
      rmSync(dir, { recursive: true, force: true });
      if (code === 0) resolve({ seconds, cpuSeconds, marks });
      else reject(new Error(`lifeboat-runner ${subcommand} exited ${code}: ${result}`));
    });
  });
}

const server = await servers();
const work = mkdtempSync(join(tmpdir(), 'lifeboat-bench-restore-'));
try {
  const generating = performance.now();
  const database = await ensureDataset(server, sizeMb);
  say(`dataset ${database}: ${((await databaseSize(server, database)) / MiB) | 0} MiB on disk (ready in ${((performance.now() - generating) / 1000).toFixed(0)} s)`);
  const bucket = await makeBucket(server.client);
  const pgRestore = join(server.postgres.binDir, 'pg_restore');
  const storage = { bucket, prefix: 'bench', endpoint: server.s3.endpoint, region: server.s3.region };
  const postgres = { host: server.postgres.host, port: server.postgres.port, database, sslMode: 'disable' };
  const artifact = { namespace: 'bench', schedule: 'pg', run: 'run-1', source: 'db' };

  // The artifact every restore reads: a backup with the defaults a user gets (zstd), no row
  // counts (they do not change what is restored).
  await runTask(server, 'postgres-backup', { storage, location: artifact, postgres, rowCounts: 'off' });
  const manifest = (await readArtifactManifest(server.client, storage, artifact)) as Extract<ArtifactManifest, { kind: 'postgres' }>;
  const stored = manifest.artifact;
  const object = { bucket, key: stored.key };
  // The baselines' file is this artifact decompressed, as a user restoring by hand would have
  // it (docs/restore-by-hand.md): a dump pg_dump wrote to a pipe, so without data offsets.
  const compressedFile = join(work, 'artifact.dump.zst');
  const localFile = join(work, 'artifact.dump');
  await downloadToFile(server.client, { ...object, path: compressedFile });
  await timed('zstd', ['-d', '-q', '-f', compressedFile, '-o', localFile], { PATH: process.env.PATH });
  const dumpBytes = statSync(localFile).size;
  say(`artifact: ${(stored.sizeBytes / MiB).toFixed(0)} MiB ${stored.compression}, ${(dumpBytes / MiB).toFixed(0)} MiB decompressed; ${reps} repetition(s), best counts\n`);

  const target = `bench_restore_${process.pid}`;
  const targetEnv = libpq(server, target);
  /** Empty target, checkpointed, and the kernel's dirty pages written back, untimed. */
  const settle = async (): Promise<void> => {
    await freshDatabase(server, target);
    await timed(join(server.postgres.binDir, 'psql'), ['-q', '-c', 'CHECKPOINT'], libpq(server, 'postgres'));
    await timed('sync', [], { PATH: process.env.PATH });
  };
  const restoreArgs = (n: number, file: string): string[] => [
    '--dbname=',
    '--no-password',
    '--exit-on-error',
    '--format=c',
    n > 1 ? `--jobs=${n}` : '--single-transaction',
    '--no-owner',
    file,
  ];
  const restoreTask = (n: number) => ({
    storage,
    artifact,
    target: { ...postgres, database: target },
    parallelJobs: n,
    workDir: work,
  });

  const times = new Map<string, number[]>();
  const record = (name: string, seconds: number): void => {
    times.set(name, [...(times.get(name) ?? []), seconds]);
  };
  const phaseTimes = new Map<string, number[]>();
  const recordPhases = (prefix: string, run: RunnerTiming, keys: [string, (typeof MARKS)[number] | 'exit', (typeof MARKS)[number] | 'spawn'][]): void => {
    for (const [name, end, start] of keys) {
      const to = end === 'exit' ? run.seconds : run.marks[end];
      const from = start === 'spawn' ? 0 : run.marks[start];
      if (to === undefined || from === undefined) continue;
      const key = `${prefix}: ${name}`;
      phaseTimes.set(key, [...(phaseTimes.get(key) ?? []), to - from]);
    }
    const cpu = `${prefix}: CPU seconds of the runner, zstd and pg_restore (not the servers)`;
    phaseTimes.set(cpu, [...(phaseTimes.get(cpu) ?? []), run.cpuSeconds]);
  };

  const fileN = `baseline: pg_restore -j ${jobs} from the local file`;
  const fileOne = 'baseline: pg_restore --single-transaction from the local file';
  const oursOne = 'lifeboat restore, 1 job (streamed; the default)';
  const oursN = `lifeboat restore, ${jobs} jobs (download to a file, then pg_restore -j ${jobs})`;
  const rangedHash = 'part: SDK ranged GETs (6 x 8 MiB) + SHA-256, bytes dropped';
  const leanHash = 'part: object-reader ranged GETs (4 x 8 MiB, in order) + SHA-256, bytes dropped';
  const singleHash = 'part: one SDK GET + SHA-256, bytes dropped';
  const unzstd = 'part: zstd -d local file to a new file';
  const phase = 'part: download phase before (SDK ranges, SHA-256, zstd -d to file)';
  const leanPhase = 'part: download phase now (object-reader ranges, SHA-256, zstd -d to file)';
  const freshN = `part: pg_restore -j ${jobs} from that just-written file`;
  const getObject = createObjectReader(
    { endpoint: server.s3.endpoint, region: server.s3.region, forcePathStyle: true, credentialsEnvPrefix: 'AWS_' } as never,
    { env: { AWS_ACCESS_KEY_ID: server.s3.accessKeyId, AWS_SECRET_ACCESS_KEY: server.s3.secretAccessKey } },
  );
  const head = await headObject(server.client, object);
  const sectioned = `by hand: zstd -dc | pg_restore pre-data + data (1 txn), then post-data -j ${jobs}`;
  const sectionData = 'of which: zstd -dc | pg_restore --section=pre-data --section=data';
  const sectionPost = `of which: pg_restore -j ${jobs} --section=post-data (indexes, constraints)`;

  const measurements: [string, () => Promise<number>][] = [
    [fileN, async () => (await settle(), timed(pgRestore, restoreArgs(jobs, localFile), targetEnv))],
    [fileOne, async () => (await settle(), timed(pgRestore, restoreArgs(1, localFile), targetEnv))],
    [
      oursOne,
      async () => {
        await settle();
        const run = await runRunnerTimed(server, 'postgres-restore', restoreTask(1));
        recordPhases('1 job', run, [
          ['start-up (spawn to first log line)', 'task started', 'spawn'],
          ['manifest and target checks', 'target ready', 'task started'],
          ['streamed restore', 'restore complete', 'target ready'],
          ['exit', 'exit', 'restore complete'],
        ]);
        return run.seconds;
      },
    ],
    [
      oursN,
      async () => {
        await settle();
        const run = await runRunnerTimed(server, 'postgres-restore', restoreTask(jobs));
        recordPhases(`${jobs} jobs`, run, [
          ['start-up (spawn to first log line)', 'task started', 'spawn'],
          ['manifest and target checks', 'target ready', 'task started'],
          ['download, verify, zstd -d to file', 'artifact downloaded and verified', 'target ready'],
          [`pg_restore -j ${jobs}, file removed`, 'restore complete', 'artifact downloaded and verified'],
          ['exit', 'exit', 'restore complete'],
        ]);
        return run.seconds;
      },
    ],
    [
      // What a restore could do instead with N jobs: stream the data (as the 1-job restore
      // does), then build indexes and constraints in parallel; post-data needs only the archive's
      // table of contents, at its start, not a seekable copy of the data.
      sectioned,
      async () => {
        await settle();
        const data = await timed(
          'bash',
          ['-euo', 'pipefail', '-c', 'zstd -dc -q "$1" | "$2" --dbname= --no-password --exit-on-error --format=c --section=pre-data --section=data --single-transaction --no-owner', 'sectioned', compressedFile, pgRestore],
          targetEnv,
        );
        const post = await timed(pgRestore, ['--dbname=', '--no-password', '--exit-on-error', '--format=c', `--jobs=${jobs}`, '--section=post-data', '--no-owner', localFile], targetEnv);
        record(sectionData, data);
        record(sectionPost, post);
        return data + post;
      },
    ],
    [
      rangedHash,
      async () => {
        const started = performance.now();
        const hash = new Sha256Counter();
        for await (const chunk of readObjectRanges(server.client, object)) hash.update(chunk as Buffer);
        return (performance.now() - started) / 1000;
      },
    ],
    [
      leanHash,
      async () => {
        const started = performance.now();
        const hash = new Sha256Counter();
        for await (const chunk of readRangesInOrder(getObject, { ...object, ...head })) hash.update(chunk);
        return (performance.now() - started) / 1000;
      },
    ],
    [
      leanPhase,
      async () => {
        await settle();
        const out = join(work, 'downloaded.dump');
        try {
          const started = performance.now();
          await downloadArtifactInRanges(getObject, { bucket, artifact: stored, head, path: out, zstd: { bin: 'zstd', env: process.env } });
          return (performance.now() - started) / 1000;
        } finally {
          await rm(out, { force: true });
        }
      },
    ],
    [
      singleHash,
      async () => {
        const started = performance.now();
        const hash = new Sha256Counter();
        const { body } = await getObjectStream(server.client, object);
        for await (const chunk of body) hash.update(chunk as Buffer);
        return (performance.now() - started) / 1000;
      },
    ],
    [
      unzstd,
      async () => {
        await settle();
        const out = join(work, 'unzstd.dump');
        try {
          return await timed('zstd', ['-d', '-q', '-f', compressedFile, '-o', out], { PATH: process.env.PATH });
        } finally {
          await rm(out, { force: true });
        }
      },
    ],
    [
      phase,
      async () => {
        await settle();
        const out = join(work, 'downloaded.dump');
        try {
          const started = performance.now();
          await downloadArtifactToFile(server.client, { bucket, artifact: stored, path: out, zstd: { bin: 'zstd', env: process.env }, ranges: {} });
          const downloading = (performance.now() - started) / 1000;
          // Straight on, as the runner goes on: the file's pages may still be on their way to disk.
          await freshDatabase(server, target);
          record(freshN, await timed(pgRestore, restoreArgs(jobs, out), targetEnv));
          return downloading;
        } finally {
          await rm(out, { force: true });
        }
      },
    ],
  ];

  for (let rep = 0; rep < reps; rep++) {
    // Alternate the order, so neither side always runs on a cache the other warmed.
    const order = rep % 2 === 0 ? measurements : [...measurements].reverse();
    for (const [name, measure] of order) {
      const seconds = await measure();
      record(name, seconds);
      say(`  rep ${rep + 1}  ${name.padEnd(78)} ${seconds.toFixed(2).padStart(6)} s  (load ${load()})`);
    }
  }
  await dropDatabase(server, target);

  const best = (name: string): number => Math.min(...(times.get(name) ?? [Number.NaN]));
  const all = (name: string): string => (times.get(name) ?? []).map((s) => s.toFixed(1)).join(', ');
  say(`\nmeasurement (best of ${reps}; all runs in brackets)                                        seconds  MiB/s of dump`);
  const figures: Figure[] = [];
  for (const name of [fileN, fileOne, oursOne, oursN, sectioned, sectionData, sectionPost, rangedHash, leanHash, singleHash, unzstd, phase, leanPhase, freshN]) {
    const seconds = best(name);
    say(`  ${name.padEnd(80)} ${seconds.toFixed(2).padStart(6)}  ${(dumpBytes / MiB / seconds).toFixed(0).padStart(5)}  (${all(name)})`);
    figures.push({ name, value: seconds, unit: 's' });
  }
  say(`\nphases of the runner (from its log lines; median of ${reps})`);
  for (const [name, list] of phaseTimes) {
    const sorted = [...list].sort((a, b) => a - b);
    const median = sorted[Math.floor((sorted.length - 1) / 2)] as number;
    say(`  ${name.padEnd(80)} ${median.toFixed(2).padStart(6)} s  (${list.map((s) => s.toFixed(1)).join(', ')})`);
    figures.push({ name: `phase, ${name}`, value: median, unit: 's' });
  }

  const ratios: Ratio[] = [
    {
      name: `restore, ${jobs} jobs vs pg_restore -j ${jobs} from a local file`,
      value: best(oursN) / best(fileN),
      target: 1.25,
      better: 'lower',
      note: 'pg_restore -j needs the whole file first: download and zstd -d cannot overlap the restore',
    },
    { name: `restore, 1 job streamed vs pg_restore -j ${jobs} from a local file`, value: best(oursOne) / best(fileN), target: 1.25, better: 'lower' },
    { name: 'restore, 1 job streamed vs pg_restore --single-transaction from a local file', value: best(oursOne) / best(fileOne), target: 1.25, better: 'lower' },
  ];
  say('\nratio                                                                       measured   goal');
  for (const ratio of ratios) say(`  ${ratio.name.padEnd(74)} ${ratio.value.toFixed(2).padStart(6)}x  <= ${ratio.target}x  ${ratio.value <= ratio.target ? 'met' : 'MISSED'}`);
  figures.push({ name: `pg_restore -j ${jobs} vs --single-transaction, both from the local file`, value: best(fileN) / best(fileOne), unit: 'x' });
  say(`\n(pg_restore -j ${jobs} takes ${(best(fileN) / best(fileOne)).toFixed(2)}x the time of one job from the same file; load average at the end ${load()})`);
  say(`results: ${recordResults('runner-postgres-restore', loadAtStart, ratios, figures)}`);
} finally {
  rmSync(work, { recursive: true, force: true });
  await server.stop();
}
