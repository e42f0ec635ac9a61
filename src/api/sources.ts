// What a schedule backs up: a list of named sources, each a PostgreSQL database or a bucket.
import { z } from 'zod';
import { withRules } from './cel.ts';
import { DnsLabel } from './names.ts';
import { databaseNameField, postgresServerShape } from './postgres.ts';
import { bucketNameField, keyPrefixField, s3ConnectionShape } from './s3.ts';

// Zstd by default: at its default level it compresses about as well as gzip at several times the
// speed (docs/benchmarks.md), and stock zstd reads it (docs/restore-by-hand.md). Gzip stays for
// readers that lack zstd.
const Compression = z.enum(['Gzip', 'Zstd', 'None']).default('Zstd');

export const PostgresSource = z
  .object({
    ...postgresServerShape,
    database: databaseNameField('Database to back up.'),
    format: z
      .enum(['Custom', 'Plain'])
      .default('Custom')
      .describe('pg_dump output format: Custom (restorable with pg_restore, selectively and in parallel) or Plain (an SQL script for psql). Defaults to Custom.'),
    compression: Compression.describe('Compression of the dump stream: Zstd, Gzip (for readers without zstd) or None. Defaults to Zstd.'),
  })
  .describe('A PostgreSQL database, dumped with pg_dump from an exported snapshot whose time and row counts are recorded.');
export type PostgresSource = z.infer<typeof PostgresSource>;

export const BucketSource = z
  .object({
    bucket: bucketNameField('Bucket to back up.'),
    prefix: keyPrefixField('Back up only objects whose key starts with this prefix.').optional(),
    ...s3ConnectionShape,
    // 32, as for restores: on 20,000 small objects 8 took 15.1 s and 32 took 12.2 s, at the same
    // memory (read-ahead is bounded in bytes, not objects; docs/benchmarks.md).
    parallelism: z.int().min(1).max(64).default(32).describe('Objects fetched at the same time (GETs in flight; a large object is fetched as several ranges). Defaults to 32, as for restores; lower it to spare a busy source.'),
    compression: Compression.describe('Compression of the tar stream: Zstd, Gzip (for readers without zstd) or None. Defaults to Zstd, which stores what does not compress (images, archives, encrypted files) as it is instead of spending CPU on it, so None is rarely worth choosing.'),
  })
  .describe('An S3-compatible bucket, written as one tar stream that keeps each key, content type and user metadata.');
export type BucketSource = z.infer<typeof BucketSource>;

export const BackupSource = withRules(
  z.object({
    name: DnsLabel.describe('Name of the source, unique within the list; used in object keys, Job names and restore targets.'),
    postgres: PostgresSource.optional(),
    bucket: BucketSource.optional(),
  }),
  [
    {
      rule: 'has(self.postgres) != has(self.bucket)',
      message: 'set exactly one of postgres or bucket',
      check: (source) => (source.postgres === undefined) !== (source.bucket === undefined),
    },
  ],
).describe('One thing to back up: set exactly one of postgres or bucket.');
export type BackupSource = z.infer<typeof BackupSource>;

export const BackupSources = z
  .array(BackupSource)
  .min(1)
  .max(16)
  .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] })
  .describe('What to back up. Each source becomes one artifact and one Job per run; names must be unique.');
