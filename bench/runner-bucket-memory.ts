// Peak memory of a bucket backup: lifeboat-runner archives a bucket holding one 300 MB object
// and 20,000 small ones (4-64 KiB), as its own process under GNU time; its peak RSS must stay
// under 256 MB. Exits 1 if it does not (or if the backup fails), so it can gate a build.
//
//   node bench/runner-bucket-memory.ts [--small 20000] [--large-mb 300] [--encrypt] [--node-options '...']
//
// The runner runs with RUNNER_NODE_OPTIONS unless --node-options says otherwise: on a machine
// without a memory limit V8 sizes its young generation from the physical memory (128 MB of
// new space on a 24 GB machine), which alone would take the runner past 256 MB. In a pod with
// a memory limit Node sizes the heap from the cgroup instead; the flags give the same effect
// here, and the Job should set them (NODE_OPTIONS) so the runner behaves the same everywhere.
//
// Uses the test environment's S3 server when LIFEBOAT_TESTENV is set, else starts a MinIO of
// its own from the test binaries (make testbin).
import { parseArgs } from 'node:util';
import { ageRecipientFromIdentity, generateAgeIdentity } from '../src/crypto/age-stream.ts';
import {
  MiB,
  RUNNER_NODE_OPTIONS,
  location,
  makeBucket,
  mb,
  runRunnerMeasured,
  runnerEntry,
  s3Server,
  seedLargeObjects,
  seedSmallObjects,
  storage,
  uniqueBucket,
} from './runner-bucket-support.ts';

const LIMIT_BYTES = 256 * MiB;

const { values } = parseArgs({
  options: {
    small: { type: 'string', default: '20000' },
    'large-mb': { type: 'string', default: '300' },
    encrypt: { type: 'boolean', default: false },
    'node-options': { type: 'string', default: RUNNER_NODE_OPTIONS },
  },
});
const smallCount = Number(values.small);
const largeBytes = Number(values['large-mb']) * MiB;

const server = await s3Server();
try {
  const [source, backups] = [uniqueBucket('mem-src'), uniqueBucket('mem-bak')];
  await makeBucket(server.client, source);
  await makeBucket(server.client, backups);
  const seeding = performance.now();
  await seedLargeObjects(server.client, source, 1, largeBytes);
  const { bytes: smallBytes } = await seedSmallObjects(server.client, source, smallCount);
  console.log(`seeded 1 x ${mb(largeBytes)} MiB + ${smallCount} small objects (${mb(smallBytes)} MiB) in ${((performance.now() - seeding) / 1000).toFixed(1)} s`);

  const encryption = values.encrypt ? { encryption: { recipients: [await ageRecipientFromIdentity(await generateAgeIdentity())] } } : {};
  const run = await runRunnerMeasured(server, 'bucket-backup', {
    storage: storage(server, backups),
    location: location('memory'),
    source: { endpoint: server.endpoint, bucket: source },
    compression: 'zstd',
    ...encryption,
  }, values['node-options'] ? { NODE_OPTIONS: values['node-options'] } : {});
  const total = largeBytes + smallBytes;
  console.log(
    [
      `bucket-backup (${runnerEntry()}) ${run.ok ? 'succeeded' : `FAILED: ${run.result.reason}`}`,
      `objects: ${String(run.result.summary?.objects ?? '?')}`,
      `data: ${mb(total)} MiB in ${run.seconds.toFixed(1)} s (${mb(total / run.seconds)} MiB/s)`,
      `node options: ${values['node-options'] || '(none)'}`,
      `peak RSS: ${mb(run.peakRssBytes)} MiB (limit ${mb(LIMIT_BYTES)} MiB)${values.encrypt ? ', encrypted' : ''}`,
    ].join('\n'),
  );
  process.exitCode = run.ok && run.peakRssBytes < LIMIT_BYTES ? 0 : 1;
} finally {
  await server.stop();
}
