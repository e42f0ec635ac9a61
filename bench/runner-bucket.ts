// Bucket backup speed, as ratios measured in the same run on generated data (issue 4, "Speed"):
// - small objects (20,000 of 4-64 KiB): lifeboat-runner bucket-backup vs the method it
//   replaces (GET one object at a time into a temp dir, tar and gzip the dir, upload the
//   file; target >= 5x) and vs plain parallel GETs of the same objects (target >= 0.7x);
// - large objects (4 of 256 MB): bucket-backup vs plain parallel GETs (target >= 0.8x);
// - encryption: throughput lost to age encryption (target <= 15%).
// Plain parallel GETs are measured twice: with the AWS SDK (what a script would use) and with
// the runner's own object reader (the cheapest reads this machine can do). Each row also
// shows the CPU seconds of the runner and of the S3 server: on one machine they share the
// cores, which is what bounds the ratios here (docs/benchmarks.md).
//
//   node bench/runner-bucket.ts [--small 20000] [--large 4] [--large-mb 256] [--concurrency 32]
//
// Uses the test environment's S3 server when LIFEBOAT_TESTENV is set, else a MinIO of its
// own. The runner runs as its own process, as in a Job, with RUNNER_NODE_OPTIONS.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createWriteStream, createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ageRecipientFromIdentity, generateAgeIdentity } from '../src/crypto/age-stream.ts';
import { listObjects } from '../src/runner/bucket-listing.ts';
import {
  MiB,
  RUNNER_NODE_OPTIONS,
  location,
  makeBucket,
  cpuSecondsOf,
  leanParallelGets,
  mb,
  parallelGets,
  runRunnerMeasured,
  s3Server,
  seedLargeObjects,
  seedSmallObjects,
  storage,
  uniqueBucket,
  type S3Server,
} from './runner-bucket-support.ts';

const { values } = parseArgs({
  options: {
    small: { type: 'string', default: '20000' },
    large: { type: 'string', default: '4' },
    'large-mb': { type: 'string', default: '256' },
    concurrency: { type: 'string', default: '32' },
  },
});
const concurrency = Number(values.concurrency);

const server = await s3Server();
try {
  const [source, backups] = [uniqueBucket('speed-src'), uniqueBucket('speed-bak')];
  await makeBucket(server.client, source);
  await makeBucket(server.client, backups);
  const seeding = performance.now();
  await seedSmallObjects(server.client, source, Number(values.small));
  await seedLargeObjects(server.client, source, Number(values.large), Number(values['large-mb']) * MiB);
  console.log(`seeded in ${((performance.now() - seeding) / 1000).toFixed(0)} s`);
  const recipient = await ageRecipientFromIdentity(await generateAgeIdentity());

  const rows: string[][] = [];
  const rate = (bytes: number, seconds: number) => bytes / seconds;
  /** Runs `work`, with the S3 server's CPU seconds meanwhile. */
  const withServerCpu = async <T extends { seconds: number }>(work: () => Promise<T>): Promise<T & { serverCpuSeconds: number }> => {
    const before = cpuSecondsOf(server.pid);
    const result = await work();
    return { ...result, serverCpuSeconds: cpuSecondsOf(server.pid) - before };
  };
  const measureSet = async (prefix: string, getConcurrency: number) => {
    const keys: string[] = [];
    let bytes = 0;
    for await (const object of listObjects(server.client, { bucket: source, prefix })) {
      keys.push(object.key);
      bytes += object.size;
    }
    const sdkGets = await withServerCpu(() => parallelGets(server.client, source, keys, getConcurrency));
    const leanGets = await withServerCpu(() => leanParallelGets(server, source, keys, getConcurrency));
    const plain = await backup(server, source, backups, prefix, concurrency, undefined);
    const encrypted = await backup(server, source, backups, prefix, concurrency, recipient);
    return { keys, bytes, sdkGets, leanGets, plain, encrypted };
  };

  const small = await measureSet('small/', concurrency);
  const baseline = await withServerCpu(() => oneByOneBaseline(server, source, backups, small.keys));
  const large = await measureSet('large/', Number(values.large));

  const cpu = (seconds: number) => (Number.isNaN(seconds) ? '?' : seconds.toFixed(1));
  const line = (what: string, run: { seconds: number; serverCpuSeconds: number; cpuSeconds?: number }, bytes: number) => [
    what,
    run.seconds.toFixed(1),
    mb(rate(bytes, run.seconds)),
    run.cpuSeconds === undefined ? '' : cpu(run.cpuSeconds),
    cpu(run.serverCpuSeconds),
  ];
  rows.push(line(`small: ${small.keys.length} objects, one at a time + tar.gz + upload (baseline)`, baseline, small.bytes));
  rows.push(line(`small: plain parallel GETs, AWS SDK (${concurrency})`, small.sdkGets, small.bytes));
  rows.push(line(`small: plain parallel GETs, runner's reader (${concurrency})`, small.leanGets, small.bytes));
  rows.push(line('small: lifeboat bucket-backup (zstd)', small.plain, small.bytes));
  rows.push(line('small: lifeboat bucket-backup (zstd + age)', small.encrypted, small.bytes));
  rows.push(line(`large: plain parallel GETs, AWS SDK (${values.large})`, large.sdkGets, large.bytes));
  rows.push(line(`large: plain parallel GETs, runner's reader (${values.large})`, large.leanGets, large.bytes));
  rows.push(line('large: lifeboat bucket-backup (zstd)', large.plain, large.bytes));
  rows.push(line('large: lifeboat bucket-backup (zstd + age)', large.encrypted, large.bytes));
  console.log(table(['measurement', 'seconds', 'MiB/s', 'runner CPU s', 'S3 server CPU s'], rows));

  const ratios: string[][] = [
    ratio('small: lifeboat vs one-at-a-time baseline', baseline.seconds / small.plain.seconds, '>= 5x'),
    ratio('small: lifeboat vs plain parallel GETs (SDK)', small.sdkGets.seconds / small.plain.seconds, '>= 0.7x'),
    ratio("small: lifeboat vs plain parallel GETs (runner's reader)", small.leanGets.seconds / small.plain.seconds, '>= 0.7x'),
    ratio('large: lifeboat vs plain parallel GETs (SDK)', large.sdkGets.seconds / large.plain.seconds, '>= 0.8x'),
    ratio("large: lifeboat vs plain parallel GETs (runner's reader)", large.leanGets.seconds / large.plain.seconds, '>= 0.8x'),
    ratio('small: throughput kept with encryption', small.plain.seconds / small.encrypted.seconds, '>= 0.85x'),
    ratio('large: throughput kept with encryption', large.plain.seconds / large.encrypted.seconds, '>= 0.85x'),
  ];
  console.log(table(['ratio', 'measured', 'target'], ratios));
  console.log(`peak RSS of the runner: ${mb(Math.max(small.plain.peakRssBytes, small.encrypted.peakRssBytes, large.plain.peakRssBytes, large.encrypted.peakRssBytes))} MiB`);
} finally {
  await server.stop();
}

async function backup(server: S3Server, source: string, backups: string, prefix: string, concurrency: number, recipient: string | undefined) {
  const run = await runRunnerMeasured(
    server,
    'bucket-backup',
    {
      storage: storage(server, backups),
      location: location(`speed-${Date.now()}`),
      source: { endpoint: server.endpoint, bucket: source, prefix },
      compression: 'zstd',
      concurrency,
      ...(recipient ? { encryption: { recipients: [recipient] } } : {}),
    },
    { NODE_OPTIONS: RUNNER_NODE_OPTIONS },
  );
  if (!run.ok) throw new Error(`bucket-backup failed: ${run.result.reason}`);
  return run;
}

/** What teams did before: download each object in turn to a temp dir, tar.gz it, upload the file. */
async function oneByOneBaseline(server: S3Server, source: string, backups: string, keys: string[]): Promise<{ seconds: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-baseline-'));
  const started = performance.now();
  try {
    for (const key of keys) {
      const path = join(dir, 'data', key);
      mkdirSync(dirname(path), { recursive: true });
      const response = await server.client.send(new GetObjectCommand({ Bucket: source, Key: key }));
      await pipeline(response.Body as NodeJS.ReadableStream, createWriteStream(path));
    }
    const archive = join(dir, 'bucket.tar.gz');
    const tar = spawnSync('tar', ['-czf', archive, '-C', join(dir, 'data'), '.']);
    if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr}`);
    const upload = new Upload({
      client: server.client,
      params: { Bucket: backups, Key: `baseline/${Date.now()}.tar.gz`, Body: createReadStream(archive), ContentLength: statSync(archive).size },
    });
    await upload.done();
    return { seconds: (performance.now() - started) / 1000 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function ratio(what: string, value: number, target: string): string[] {
  const [op, number] = target.split(' ') as [string, string];
  const met = op === '>=' ? value >= Number(number.replace('x', '')) : value <= Number(number.replace('x', ''));
  return [what, `${value.toFixed(2)}x`, `${target} ${met ? 'met' : 'NOT met'}`];
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const format = (row: string[]) => `| ${row.map((cell, column) => cell.padEnd(widths[column] as number)).join(' | ')} |`;
  return [format(header), `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`, ...rows.map(format)].join('\n');
}
