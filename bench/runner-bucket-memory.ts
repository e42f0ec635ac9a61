// Peak memory of a bucket backup: lifeboat-runner archives a bucket holding one 300 MB object
// and 20,000 small ones (4-64 KiB), as its own process under GNU time; its peak RSS must stay
// under 256 MB. Exits 1 if it does not (or if the backup fails), so it can gate a build.
//
//   node bench/runner-bucket-memory.ts [--quick] [--small 20000] [--large-mb 300] [--encrypt] [--node-options '...']
//
// The runner runs as the operator's Job would for a schedule that sets nothing but a 256Mi
// memory limit in its jobTemplate: the default task (zstd, default parallelism) and the heap
// flags the operator derives from that limit (NODE_OPTIONS, src/core/jobs/runner-heap.ts), unless
// --node-options says otherwise. Without them V8 sizes its young generation from the machine's
// memory (128 MB of new space on a 24 GB machine), which alone would take the runner past 256 MB.
//
// Uses the test environment's S3 server when LIFEBOAT_TESTENV is set, else starts a MinIO of
// its own from the test binaries (make testbin).
import { parseArgs } from 'node:util';
import { ageRecipientFromIdentity, generateAgeIdentity } from '../src/crypto/age-stream.ts';
import { runJob, runnerEntry } from './peers.ts';
import { loadNow, recordResults } from './results.ts';
import { MiB, defaultBucketBackup, makeBucket, mb, s3Server, seedLargeObjects, seedSmallObjects, uniqueBucket } from './runner-bucket-support.ts';

const LIMIT_BYTES = 256 * MiB;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    small: { type: 'string' },
    'large-mb': { type: 'string' },
    encrypt: { type: 'boolean', default: false },
    'node-options': { type: 'string' },
  },
});
const smallCount = Number(values.small ?? (values.quick ? 2000 : 20000));
const largeBytes = Number(values['large-mb'] ?? (values.quick ? 64 : 300)) * MiB;
const loadAtStart = loadNow();

const server = await s3Server();
try {
  const [source, backups] = [uniqueBucket('mem-src'), uniqueBucket('mem-bak')];
  await makeBucket(server.client, source);
  await makeBucket(server.client, backups);
  const seeding = performance.now();
  await seedLargeObjects(server.client, source, 1, largeBytes);
  const { bytes: smallBytes } = await seedSmallObjects(server.client, source, smallCount);
  console.log(`seeded 1 x ${mb(largeBytes)} MiB + ${smallCount} small objects (${mb(smallBytes)} MiB) in ${((performance.now() - seeding) / 1000).toFixed(1)} s`);

  const recipient = values.encrypt ? await ageRecipientFromIdentity(await generateAgeIdentity()) : undefined;
  const job = defaultBucketBackup(server, {
    run: 'memory',
    source,
    prefix: '',
    backups,
    ...(recipient ? { recipient } : {}),
    jobTemplate: { resources: { limits: { memory: '256Mi' } } },
  });
  const run = await runJob(job, values['node-options'] === undefined ? {} : { NODE_OPTIONS: values['node-options'] });
  const ok = run.result.ok;
  const total = largeBytes + smallBytes;
  console.log(
    [
      `bucket-backup (${runnerEntry()}) ${ok ? 'succeeded' : `FAILED: ${run.result.reason}`}`,
      `objects: ${String(run.result.summary?.objects ?? '?')}`,
      `data: ${mb(total)} MiB in ${run.seconds.toFixed(1)} s (${mb(total / run.seconds)} MiB/s)`,
      `node options: ${values['node-options'] ?? job.env.NODE_OPTIONS ?? '(none)'}`,
      `peak RSS: ${mb(run.peakRssBytes)} MiB (limit ${mb(LIMIT_BYTES)} MiB)${values.encrypt ? ', encrypted' : ''}`,
    ].join('\n'),
  );
  console.log(
    `results: ${recordResults('runner-bucket-memory', loadAtStart, [
      { name: 'peak RSS of a bucket backup with a 256Mi limit (1 large + small objects)', value: run.peakRssBytes / MiB, target: LIMIT_BYTES / MiB, better: 'lower', unit: 'MiB' },
    ], [{ name: 'runner CPU (process + children)', value: run.cpuSeconds, unit: 's' }])}`,
  );
  process.exitCode = ok && run.peakRssBytes < LIMIT_BYTES ? 0 : 1;
} finally {
  await server.stop();
}
