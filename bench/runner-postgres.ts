// PostgreSQL backup and restore speed, as ratios against baselines measured in the same run
// on the same generated data (text and JSON rows, about 3x compressible):
//
//   backup     lifeboat-runner postgres-backup (pg_dump -Fc -Z0 | zstd | SHA-256 | multipart
//              upload) vs the method it replaces: pg_dump -Fc to a local file, then upload it
//              (>= 1.3x faster); and vs the same pg_dump writing to /dev/null (<= 1.10x).
//   encryption the same backup with age: throughput lost (<= 15%).
//   restore    lifeboat-runner postgres-restore (streamed with 1 job; downloaded, verified and
//              restored with N jobs) vs pg_restore from a local file with the same jobs (<= 1.25x).
//
//   node bench/runner-postgres.ts [--size-mb 1024] [--jobs 2] [--reps 1]
//
// Uses the test environment's servers when LIFEBOAT_TESTENV is set (the dataset is then kept
// for the next run), else starts a throwaway PostgreSQL cluster and MinIO.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ageRecipientFromIdentity, generateAgeIdentity } from '../src/crypto/age-stream.ts';
import {
  MiB,
  databaseSize,
  dropDatabase,
  ensureDataset,
  freshDatabase,
  libpq,
  makeBucket,
  runRunner,
  servers,
  timed,
  uploadFile,
} from './runner-postgres-support.ts';

const { values } = parseArgs({
  options: {
    'size-mb': { type: 'string', default: '1024' },
    jobs: { type: 'string', default: '2' },
    reps: { type: 'string', default: '1' },
  },
});
const sizeMb = Number(values['size-mb']);
const jobs = Number(values.jobs);
const reps = Number(values.reps);

const machine = `${cpus()[0]?.model ?? 'unknown CPU'} x ${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}`;
console.log(`${new Date().toISOString()}  ${machine}  load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
const server = await servers();
const work = mkdtempSync(join(tmpdir(), 'lifeboat-bench-pg-files-'));
const say = (line: string): void => console.log(line);
try {
  const generating = performance.now();
  const database = await ensureDataset(server, sizeMb);
  say(`dataset ${database}: ${(await databaseSize(server, database)) / MiB | 0} MiB on disk (ready in ${((performance.now() - generating) / 1000).toFixed(0)} s)`);
  const bucket = await makeBucket(server.client);
  const pgDump = join(server.postgres.binDir, 'pg_dump');
  const pgRestore = join(server.postgres.binDir, 'pg_restore');
  const env = libpq(server, database);
  const plainFile = join(work, 'plain.dump');
  const gzipFile = join(work, 'gzip.dump');
  const identity = await generateAgeIdentity();
  const recipient = await ageRecipientFromIdentity(identity);
  const storage = { bucket, prefix: 'bench', endpoint: server.s3.endpoint, region: server.s3.region };
  const postgres = { host: server.postgres.host, port: server.postgres.port, database, sslMode: 'disable' };
  let runs = 0;
  const location = (source: string) => ({ namespace: 'bench', schedule: 'pg', run: `run-${++runs}`, source });

  // Warm the page cache and size the dump once, untimed.
  await timed(pgDump, ['--format=c', '--compress=0', `--file=${plainFile}`], env);
  const dumpBytes = statSync(plainFile).size;
  say(`pg_dump -Fc -Z0 output: ${(dumpBytes / MiB).toFixed(0)} MiB; ${reps} repetition(s), best time counts\n`);

  const best = async (name: string, measure: () => Promise<number>): Promise<number> => {
    let fastest = Infinity;
    for (let rep = 0; rep < reps; rep++) fastest = Math.min(fastest, await measure());
    say(`  ${name.padEnd(58)} ${fastest.toFixed(1).padStart(7)} s  ${(dumpBytes / MiB / fastest).toFixed(0).padStart(5)} MiB/s`);
    return fastest;
  };
  const backup = (extra: Record<string, unknown>) => async () => {
    const run = await runRunner(server, 'postgres-backup', { storage, location: location('db'), postgres, rowCounts: 'off', ...extra });
    return run.seconds;
  };

  say('backup (MiB/s of pg_dump output)');
  const devNull = await best('pg_dump -Fc -Z0 > /dev/null', () => timed(pgDump, ['--format=c', '--compress=0'], env));
  const baseline = await best('baseline: pg_dump -Fc > file, then upload the file', async () => {
    const dumping = await timed(pgDump, ['--format=c', `--file=${gzipFile}`], env);
    const uploading = await uploadFile(server, bucket, `baseline/${runs++}.dump`, gzipFile);
    return dumping + uploading;
  });
  const lifeboat = await best('lifeboat postgres-backup (zstd)', backup({ compression: 'zstd' }));
  const fastest = await best('lifeboat postgres-backup (zstd level 1)', backup({ compression: 'zstd', compressionLevel: 1 }));
  const encrypted = await best('lifeboat postgres-backup (zstd + age)', backup({ compression: 'zstd', encryption: { recipients: [recipient] } }));
  const counted = await best('lifeboat postgres-backup (zstd, exact row counts)', backup({ compression: 'zstd', rowCounts: 'exact' }));
  const gzip = await best('lifeboat postgres-backup (gzip)', backup({ compression: 'gzip' }));

  // The artifact the restores read: the zstd backup, unencrypted.
  const artifact = location('restore-source');
  await runRunner(server, 'postgres-backup', { storage, location: artifact, postgres, rowCounts: 'off' });

  say('\nrestore (MiB/s of pg_dump output)');
  const target = `bench_restore_${process.pid}`;
  const restoreFromFile = (n: number) => async () => {
    await freshDatabase(server, target);
    const args = ['--dbname=', '--exit-on-error', n > 1 ? `--jobs=${n}` : '--single-transaction', plainFile];
    return timed(pgRestore, args, libpq(server, target));
  };
  const restoreLifeboat = (n: number) => async () => {
    await freshDatabase(server, target);
    const run = await runRunner(server, 'postgres-restore', {
      storage,
      artifact,
      target: { ...postgres, database: target },
      parallelJobs: n,
      workDir: work,
    });
    return run.seconds;
  };
  const fileOne = await best('baseline: pg_restore --single-transaction < local file', restoreFromFile(1));
  const oursOne = await best('lifeboat postgres-restore, 1 job (streamed)', restoreLifeboat(1));
  const fileN = await best(`baseline: pg_restore -j ${jobs} local file`, restoreFromFile(jobs));
  const oursN = await best(`lifeboat postgres-restore, ${jobs} jobs (download, verify, restore)`, restoreLifeboat(jobs));
  await dropDatabase(server, target);

  const rows: [string, number, string, boolean][] = [
    ['backup speed-up vs pg_dump -Fc to file + upload', baseline / lifeboat, '>= 1.30', baseline / lifeboat >= 1.3],
    ['backup time vs pg_dump -Z0 to /dev/null', lifeboat / devNull, '<= 1.10', lifeboat / devNull <= 1.1],
    ['throughput lost to age encryption', 1 - lifeboat / encrypted, '<= 0.15', 1 - lifeboat / encrypted <= 0.15],
    ['restore time vs pg_restore from a local file, 1 job', oursOne / fileOne, '<= 1.25', oursOne / fileOne <= 1.25],
    [`restore time vs pg_restore from a local file, ${jobs} jobs`, oursN / fileN, '<= 1.25', oursN / fileN <= 1.25],
  ];
  say('\nratio                                                       measured   target');
  for (const [name, ratio, target_, ok] of rows) say(`  ${name.padEnd(58)} ${ratio.toFixed(2).padStart(6)}   ${target_}  ${ok ? 'ok' : 'MISSED'}`);
  say(`\n(informational: exact row counts make the backup ${(counted / lifeboat).toFixed(2)}x as long; gzip instead of zstd ${(gzip / lifeboat).toFixed(2)}x;`);
  say(` zstd level 1 instead of 3 ${(fastest / lifeboat).toFixed(2)}x, ${(fastest / devNull).toFixed(2)}x pg_dump to /dev/null)`);
  say(`load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
} finally {
  rmSync(work, { recursive: true, force: true });
  await server.stop();
}
