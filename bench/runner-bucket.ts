// Bucket backup speed, as ratios measured in the same run on generated data (issue 4, "Speed"):
// - small objects (20,000 of 4-64 KiB): lifeboat-runner bucket-backup vs the method it
//   replaces (GET one object at a time into a temp dir, tar and gzip the dir, upload the
//   file; target >= 5x) and vs plain parallel GETs of the same objects (target >= 0.7x);
// - large objects (4 of 256 MB): bucket-backup vs plain parallel GETs (target >= 0.8x);
// - encryption: throughput lost to age encryption (target <= 15%).
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
  const measureSet = async (prefix: string, getConcurrency: number) => {
    const keys: string[] = [];
    let bytes = 0;
    for await (const object of listObjects(server.client, { bucket: source, prefix })) {
      keys.push(object.key);
      bytes += object.size;
    }
    const gets = await parallelGets(server.client, source, keys, getConcurrency);
    const plain = await backup(server, source, backups, prefix, concurrency, undefined);
    const encrypted = await backup(server, source, backups, prefix, concurrency, recipient);
    return { keys, bytes, gets, plain, encrypted };
  };

  const small = await measureSet('small/', concurrency);
  const baseline = await oneByOneBaseline(server, source, backups, small.keys);
  const large = await measureSet('large/', Number(values.large));

  const line = (what: string, seconds: number, bytes: number) => [what, seconds.toFixed(1), mb(rate(bytes, seconds))];
  rows.push(line(`small: ${small.keys.length} objects, one at a time + tar.gz + upload (baseline)`, baseline, small.bytes));
  rows.push(line(`small: plain parallel GETs (${concurrency})`, small.gets.seconds, small.bytes));
  rows.push(line('small: lifeboat bucket-backup (zstd)', small.plain.seconds, small.bytes));
  rows.push(line('small: lifeboat bucket-backup (zstd + age)', small.encrypted.seconds, small.bytes));
  rows.push(line(`large: plain parallel GETs (${values.large})`, large.gets.seconds, large.bytes));
  rows.push(line('large: lifeboat bucket-backup (zstd)', large.plain.seconds, large.bytes));
  rows.push(line('large: lifeboat bucket-backup (zstd + age)', large.encrypted.seconds, large.bytes));
  console.log(table(['measurement', 'seconds', 'MiB/s'], rows));

  const ratios: string[][] = [
    ratio('small: lifeboat vs one-at-a-time baseline', baseline / small.plain.seconds, '>= 5x'),
    ratio('small: lifeboat vs plain parallel GETs', small.gets.seconds / small.plain.seconds, '>= 0.7x'),
    ratio('large: lifeboat vs plain parallel GETs', large.gets.seconds / large.plain.seconds, '>= 0.8x'),
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
async function oneByOneBaseline(server: S3Server, source: string, backups: string, keys: string[]): Promise<number> {
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
    return (performance.now() - started) / 1000;
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
