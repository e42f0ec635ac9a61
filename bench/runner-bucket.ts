// Bucket backup speed, as ratios against peers measured in the same run on the same objects.
// Lifeboat runs with the settings a user gets by setting nothing (the Job the operator builds
// for a bucket source that names only the bucket and its endpoint: zstd, the default
// parallelism, the default memory limit's heap flags). The peers:
//
//   script     what a user would write: `rclone copy --transfers 32` of the bucket into a temp
//              dir, then `tar | zstd -3 | rclone rcat` of the dir. Lifeboat at least 2x faster
//              on small objects (20,000 of 4-64 KiB), at least as fast on large ones (4 x 256 MB
//              of random bytes).
//   baseline   the method it replaces: GET one object at a time into a temp dir, tar -czf, upload
//              the file. Lifeboat at least 5x faster (small objects).
//   floor      parallel GETs with the runner's own reader, bodies dropped: the cheapest reads
//              this machine can do (time, and this process's CPU), the CPU of the two SHA-256
//              passes a backup makes over the same bytes, and the runner's upload of as many bytes
//              from memory: read + hash + send is what a backup cannot spend less than (no goal).
//
// Every row gives the CPU seconds of the process and its children (the runner with zstd; every
// command of a script) and of the S3 server meanwhile: on one machine they share the cores.
// Goal: the runner's CPU at most 5 s per GiB on the large, incompressible objects. A run over
// one small object gives the part of that CPU that does not grow with the bytes (start, listing,
// manifests); the CPU per GiB is printed with it and without it.
//
//   node bench/runner-bucket.ts [--quick] [--small 20000] [--large 4] [--large-mb 256] [--transfers 32] [--repeat 3]
//
// --quick is 2,000 small objects and 2 x 64 MB, for development. Uses the test environment's S3
// server when LIFEBOAT_TESTENV is set, else a MinIO of its own.
import { mkdirSync, mkdtempSync, rmSync, statSync, createReadStream, createWriteStream } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ageRecipientFromIdentity, generateAgeIdentity } from '../src/crypto/age-stream.ts';
import { listObjects } from '../src/runner/bucket-listing.ts';
import { type Measured, fixed, measure, measureShell, peerEnv, perGiB, quote, rcloneRemote, runnerEntry, withServers } from './peers.ts';
import { type Figure, type Ratio, loadNow, machineDescription, markdownTable, met, recordResults } from './results.ts';
import {
  MiB,
  defaultBucketBackup,
  hashingCpuSeconds,
  uploadOnly,
  leanParallelGets,
  makeBucket,
  mb,
  runBucketBackup,
  s3Server,
  seedLargeObjects,
  seedSmallObjects,
  uniqueBucket,
  type S3Server,
} from './runner-bucket-support.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    small: { type: 'string' },
    large: { type: 'string' },
    'large-mb': { type: 'string' },
    repeat: { type: 'string', default: '3' },
    transfers: { type: 'string', default: '32' },
  },
});
const smallCount = Number(values.small ?? (values.quick ? 2000 : 20000));
const largeCount = Number(values.large ?? (values.quick ? 2 : 4));
const largeBytes = Number(values['large-mb'] ?? (values.quick ? 64 : 256)) * MiB;
const transfers = Number(values.transfers);
const repeats = Number(values.repeat);

type Case = Measured & { servers: Record<string, number> };

const loadAtStart = loadNow();
const loadLine = () => `load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`;
console.log(`${new Date().toISOString()}  ${machineDescription()}  ${loadLine()}`);
console.log(`runner: ${runnerEntry()}`);

const server = await s3Server();
const pids = { s3: server.pid };
const work = mkdtempSync(join(tmpdir(), 'lifeboat-bench-bucket-'));
const rows: string[][] = [];
const ratios: Ratio[] = [];
const figures: Figure[] = [];
let runs = 0;
try {
  const [source, backups] = [uniqueBucket('speed-src'), uniqueBucket('speed-bak')];
  await makeBucket(server.client, source);
  await makeBucket(server.client, backups);
  const seeding = performance.now();
  await seedSmallObjects(server.client, source, smallCount);
  await seedLargeObjects(server.client, source, largeCount, largeBytes);
  await server.client.send(new PutObjectCommand({ Bucket: source, Key: 'fixed/one.txt', Body: 'lifeboat '.repeat(114) }));
  console.log(`seeded ${smallCount} small objects and ${largeCount} x ${mb(largeBytes)} MiB in ${((performance.now() - seeding) / 1000).toFixed(0)} s; ${loadLine()}`);
  const recipient = await ageRecipientFromIdentity(await generateAgeIdentity());
  const env = peerEnv(work, rcloneRemote('s3', server));
  const say = (line: string) => console.log(line);

  const record = (name: string, run: Case, bytes: number) => {
    rows.push([name, fixed(run.seconds), fixed(bytes / MiB / run.seconds), fixed(run.cpuSeconds), fixed(perGiB(run.cpuSeconds, bytes)), fixed(run.servers.s3 ?? NaN)]);
    say(`  ${name.padEnd(70)} ${fixed(run.seconds).padStart(6)} s  CPU ${fixed(run.cpuSeconds).padStart(5)} s  (${loadLine()})`);
  };
  const lifeboat = (prefix: string, options: { recipient?: string; parallelism?: number } = {}) =>
    withServers(pids, () => runBucketBackup(defaultBucketBackup(server, { run: `run-${++runs}`, source, prefix, backups, ...options })));

  /** The script a user would write: rclone copy into a temp dir, then tar | zstd | rclone rcat. */
  const script = async (prefix: string) => {
    const dir = join(work, `copy-${++runs}`);
    mkdirSync(dir);
    try {
      const copy = await withServers(pids, () => measureShell(`rclone copy --transfers ${transfers} ${quote(`s3:${source}/${prefix}`)} ${quote(dir)}`, env));
      const archive = await withServers(pids, () => measureShell(`tar -C ${quote(dir)} -cf - . | zstd -3 -q | rclone rcat ${quote(`s3:${backups}/script/${runs}.tar.zst`)}`, env));
      const total: Case = {
        seconds: copy.seconds + archive.seconds,
        cpuSeconds: copy.cpuSeconds + archive.cpuSeconds,
        peakRssBytes: Math.max(copy.peakRssBytes, archive.peakRssBytes),
        servers: { s3: (copy.servers.s3 ?? NaN) + (archive.servers.s3 ?? NaN) },
      };
      return { copy, archive, total };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  const measureSet = async (label: string, prefix: string, getConcurrency: number) => {
    const objects: { key: string; size: number }[] = [];
    let bytes = 0;
    for await (const object of listObjects(server.client, { bucket: source, prefix })) {
      objects.push({ key: object.key, size: object.size });
      bytes += object.size;
    }
    say(`${label}: ${objects.length} objects, ${mb(bytes)} MiB`);
    const floor = await withServers(pids, async () => ({ ...(await leanParallelGets(server, source, objects, getConcurrency)), peakRssBytes: NaN }));
    record(`${label}: floor: parallel GETs, runner's reader (${getConcurrency}), bodies dropped`, floor, bytes);
    const hashing = { seconds: NaN, cpuSeconds: hashingCpuSeconds(bytes), peakRssBytes: NaN, servers: {} };
    record(`${label}: floor: two SHA-256 passes over the bytes (in this process)`, hashing, bytes);
    const sending = await withServers(pids, async () => ({ ...(await uploadOnly(server, backups, bytes)), peakRssBytes: NaN }));
    record(`${label}: floor: the runner's upload of as many bytes from memory`, sending, bytes);
    const peer = await script(prefix);
    record(`${label}: script: rclone copy --transfers ${transfers} to a temp dir`, peer.copy, bytes);
    record(`${label}: script: tar \\| zstd -3 \\| rclone rcat`, peer.archive, bytes);
    record(`${label}: script, both steps`, peer.total, bytes);
    // The CPU goal is on the large set: on a shared machine one run's CPU varies by a quarter,
    // so it takes the run with the median CPU of `repeat`.
    const repeat = label === 'large' ? repeats : 1;
    const plain = await medianCpu(repeat, () => lifeboat(prefix));
    record(`${label}: Lifeboat bucket-backup, defaults${repeat > 1 ? ` (median CPU of ${repeat})` : ''}`, plain, bytes);
    const encrypted = await lifeboat(prefix, { recipient });
    record(`${label}: Lifeboat bucket-backup, defaults + age encryption`, encrypted, bytes);
    return { keys: objects.map((object) => object.key), bytes, floor, hashing, sending, peer, plain, encrypted };
  };

  const small = await measureSet('small', 'small/', transfers);
  // The default before 2026-12-02 (32 since): what the wider default buys.
  const narrower = await lifeboat('small/', { parallelism: 8 });
  record('small: Lifeboat bucket-backup, parallelism 8', narrower, small.bytes);
  const baseline = await withServers(pids, () => oneByOneBaseline(server, source, backups, small.keys));
  record('small: baseline: one at a time into a temp dir, tar -czf, upload', baseline, small.bytes);
  const large = await measureSet('large', 'large/', largeCount);
  // What a run costs whatever it backs up (Node's start, loading the runner, the S3 client's
  // first requests, listing, the multipart upload's start and end, manifests): not per GiB.
  const fixedCost = await medianCpu(repeats, () => lifeboat('fixed/'));
  record(`fixed: Lifeboat bucket-backup of one 1 KiB object (start, list, manifests; median CPU of ${repeats})`, fixedCost, Number.NaN);
  const perGiBBeyondFixed = perGiB(large.plain.cpuSeconds - fixedCost.cpuSeconds, large.bytes);

  ratios.push(
    { name: 'small: script (rclone copy, then tar, zstd, rclone rcat) vs Lifeboat', value: small.peer.total.seconds / small.plain.seconds, target: 2, better: 'higher' },
    { name: 'large: script (rclone copy, then tar, zstd, rclone rcat) vs Lifeboat', value: large.peer.total.seconds / large.plain.seconds, target: 1, better: 'higher' },
    { name: 'small: one-at-a-time baseline vs Lifeboat', value: baseline.seconds / small.plain.seconds, target: 5, better: 'higher' },
    { name: 'large: runner CPU per GiB (incompressible)', value: perGiB(large.plain.cpuSeconds, large.bytes), target: 5, better: 'lower', unit: 's/GiB' },
    { name: 'large: the same beyond the fixed cost of a run', value: perGiBBeyondFixed, target: 5, better: 'lower', unit: 's/GiB' },
    { name: 'small: throughput kept with age encryption', value: small.plain.seconds / small.encrypted.seconds, target: 0.85, better: 'higher' },
    { name: 'large: throughput kept with age encryption', value: large.plain.seconds / large.encrypted.seconds, target: 0.85, better: 'higher' },
  );
  for (const [label, set] of [['small', small], ['large', large]] as const) {
    figures.push(
      { name: `${label}: Lifeboat time`, value: set.plain.seconds, unit: 's' },
      { name: `${label}: script time`, value: set.peer.total.seconds, unit: 's' },
      { name: `${label}: runner CPU`, value: set.plain.cpuSeconds, unit: 's' },
      { name: `${label}: runner CPU per GiB`, value: perGiB(set.plain.cpuSeconds, set.bytes), unit: 's/GiB' },
      { name: `${label}: script CPU (rclone, tar, zstd)`, value: set.peer.total.cpuSeconds, unit: 's' },
      { name: `${label}: script CPU per GiB`, value: perGiB(set.peer.total.cpuSeconds, set.bytes), unit: 's/GiB' },
      { name: `${label}: floor (parallel GETs) time`, value: set.floor.seconds, unit: 's' },
      { name: `${label}: floor (parallel GETs) CPU per GiB`, value: perGiB(set.floor.cpuSeconds, set.bytes), unit: 's/GiB' },
      { name: `${label}: floor (two SHA-256 passes) CPU per GiB`, value: perGiB(set.hashing.cpuSeconds, set.bytes), unit: 's/GiB' },
      { name: `${label}: floor (upload from memory) CPU per GiB`, value: perGiB(set.sending.cpuSeconds, set.bytes), unit: 's/GiB' },
    );
  }
  figures.push({ name: 'fixed: runner CPU of a run over one small object', value: fixedCost.cpuSeconds, unit: 's' });
  const peakRss = Math.max(small.plain.peakRssBytes, small.encrypted.peakRssBytes, large.plain.peakRssBytes, large.encrypted.peakRssBytes);
  figures.push({ name: 'peak RSS of the runner (default 1Gi limit)', value: peakRss / MiB, unit: 'MiB' });

  say(`\n${markdownTable(['case', 'seconds', 'MiB/s', 'CPU s (process + children)', 'CPU s/GiB', 'S3 server CPU s'], rows)}`);
  say(`\n${markdownTable(['ratio', 'measured', 'goal', ''], ratios.map((r) => [r.name, r.unit === 's/GiB' ? `${r.value.toFixed(2)} s/GiB` : `${r.value.toFixed(2)}x`, `${r.better === 'higher' ? '>=' : '<='} ${r.target}${r.unit === 's/GiB' ? ' s/GiB' : 'x'}`, met(r) ? 'met' : 'MISSED']))}`);
  say(`\npeak RSS of the runner: ${mb(peakRss)} MiB; load average at the start ${loadAtStart.toFixed(2)}, at the end: ${loadLine()}`);
  say(`results: ${recordResults('runner-bucket', loadAtStart, ratios, figures)}`);
} finally {
  rmSync(work, { recursive: true, force: true });
  await server.stop();
}

/** Runs `run` `count` times in a row and returns the run whose CPU is the median. */
async function medianCpu<T extends { cpuSeconds: number }>(count: number, run: () => Promise<T>): Promise<T> {
  const runs: T[] = [];
  for (let i = 0; i < count; i++) runs.push(await run());
  if (count > 1) console.log(`    CPU s of the ${count} runs: ${runs.map((r) => r.cpuSeconds.toFixed(2)).join(', ')}`);
  return [...runs].sort((a, b) => a.cpuSeconds - b.cpuSeconds)[Math.floor(count / 2)] as T;
}

/** What teams did before: download each object in turn to a temp dir, tar.gz it, upload the file. */
async function oneByOneBaseline(server: S3Server, source: string, backups: string, keys: string[]): Promise<Measured> {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-baseline-'));
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  try {
    for (const key of keys) {
      const path = join(dir, 'data', key);
      mkdirSync(dirname(path), { recursive: true });
      const response = await server.client.send(new GetObjectCommand({ Bucket: source, Key: key }));
      await pipeline(response.Body as NodeJS.ReadableStream, createWriteStream(path));
    }
    const archive = join(dir, 'bucket.tar.gz');
    const tar = await measure('tar', ['-czf', archive, '-C', join(dir, 'data'), '.'], { PATH: process.env.PATH });
    const upload = new Upload({
      client: server.client,
      params: { Bucket: backups, Key: `baseline/${Date.now()}.tar.gz`, Body: createReadStream(archive), ContentLength: statSync(archive).size },
    });
    await upload.done();
    const own = process.cpuUsage(cpuBefore);
    // This process's CPU (the GETs and the upload, with the SDK) and tar's.
    return { seconds: (performance.now() - started) / 1000, cpuSeconds: (own.user + own.system) / 1e6 + tar.cpuSeconds, peakRssBytes: NaN };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
