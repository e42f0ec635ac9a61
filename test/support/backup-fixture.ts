// A small application to back up, for the end-to-end tests and `make demo`: a PostgreSQL
// database with a few tables, three buckets with some objects, the Secrets that reach them and
// the backup bucket, and a BackupSchedule over all of it. The credentials are the test
// environment's throwaway ones.
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import type { TestEnvInfo } from './env.ts';

export const APP_BUCKETS = ['diagrams', 'exports', 'uploads'] as const;

export interface AppFixture {
  namespace: string;
  /** Database name in the test PostgreSQL. */
  database: string;
  /** Application bucket per source name (diagrams, exports, uploads). */
  buckets: Record<(typeof APP_BUCKETS)[number], string>;
  backupBucket: string;
}

/** Bucket names unique to `id` (tests share one MinIO); the demo passes an empty id. */
export function appFixture(namespace: string, id = ''): AppFixture {
  const name = (base: string) => (id ? `${id}-${base}` : base);
  return {
    namespace,
    database: id ? `app_${id.replace(/[^a-z0-9]/g, '_')}` : 'app',
    buckets: { diagrams: name('diagrams'), exports: name('exports'), uploads: name('uploads') },
    backupBucket: name('lifeboat-backups'),
  };
}

export function adminS3(env: TestEnvInfo): S3Client {
  return new S3Client({
    endpoint: env.s3.endpoint,
    region: env.s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: env.s3.accessKeyId, secretAccessKey: env.s3.secretAccessKey },
  });
}

export async function withDatabase<T>(env: TestEnvInfo, database: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ host: env.postgres.host, port: env.postgres.port, user: env.postgres.user, database });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** Creates (or recreates) the application database with three tables. */
export async function seedDatabase(env: TestEnvInfo, database: string): Promise<{ tables: number; rows: number }> {
  await withDatabase(env, 'postgres', async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${database}`);
  });
  return withDatabase(env, database, async (client) => {
    await client.query(`
      CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
      CREATE TABLE diagrams (id serial PRIMARY KEY, customer_id int REFERENCES customers, title text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
      CREATE TABLE invoices (id serial PRIMARY KEY, customer_id int REFERENCES customers, amount_cents int NOT NULL, issued_on date NOT NULL);
      INSERT INTO customers (name) SELECT 'customer ' || n FROM generate_series(1, 25) AS n;
      INSERT INTO diagrams (customer_id, title) SELECT 1 + n % 25, 'diagram ' || n FROM generate_series(1, 120) AS n;
      INSERT INTO invoices (customer_id, amount_cents, issued_on) SELECT 1 + n % 25, 1000 + n * 7, date '2025-01-01' + n FROM generate_series(1, 60) AS n;
    `);
    return { tables: 3, rows: 25 + 120 + 60 };
  });
}

async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    if ((error as { name?: string }).name !== 'BucketAlreadyOwnedByYou') throw error;
  }
}

/** Creates the application buckets with a handful of objects each, and the empty backup bucket. */
export async function seedBuckets(env: TestEnvInfo, fixture: AppFixture): Promise<number> {
  const s3 = adminS3(env);
  let objects = 0;
  try {
    await ensureBucket(s3, fixture.backupBucket);
    for (const [source, bucket] of Object.entries(fixture.buckets)) {
      await ensureBucket(s3, bucket);
      for (let index = 1; index <= 5; index++) {
        const key = `${source}/2025/${String(index).padStart(2, '0')}/${source}-${index}.json`;
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify({ source, index, body: 'x'.repeat(200 * index) }), ContentType: 'application/json' }));
        objects++;
      }
    }
    return objects;
  } finally {
    s3.destroy();
  }
}

export async function listObjects(env: TestEnvInfo, bucket: string, prefix = ''): Promise<{ key: string; size: number }[]> {
  const s3 = adminS3(env);
  try {
    const found: { key: string; size: number }[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const entry of page.Contents ?? []) found.push({ key: entry.Key ?? '', size: entry.Size ?? 0 });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return found;
  } finally {
    s3.destroy();
  }
}

export const SECRET_NAMES = {
  database: 'app-db-credentials',
  storage: 'backup-storage-credentials',
  buckets: 'app-buckets-credentials',
} as const;

/** The Secrets the schedule names. `databasePassword` is what the runner sends (trust auth ignores it). */
export function secretManifests(env: TestEnvInfo, fixture: AppFixture, databasePassword = 'not-checked-by-trust-auth'): object[] {
  const s3Keys = { AWS_ACCESS_KEY_ID: env.s3.accessKeyId, AWS_SECRET_ACCESS_KEY: env.s3.secretAccessKey };
  const secret = (name: string, stringData: Record<string, string>) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: fixture.namespace },
    type: 'Opaque',
    stringData,
  });
  return [
    secret(SECRET_NAMES.database, { username: env.postgres.user, password: databasePassword }),
    secret(SECRET_NAMES.storage, s3Keys),
    secret(SECRET_NAMES.buckets, s3Keys),
  ];
}

export interface ScheduleOptions {
  name: string;
  schedule?: string;
  retention?: Record<string, number>;
  /** The Secret the database source uses (default: the fixture's). */
  databaseSecret?: string;
  /** Only these sources (default: the database and the three buckets). */
  sources?: string[];
  /** The backup storage's endpoint (default: the test MinIO), e.g. a proxy a test can cut. */
  storageEndpoint?: string;
  /** Retries of a failed Job pod (default 0: tests want a failure at once). */
  backoffLimit?: number;
  /** No new runs (catalog sync still recreates the old ones): how a schedule is applied to a new cluster before a restore. */
  suspend?: boolean;
  /** age encryption of the artifacts: the Secrets with the recipients and, optionally, the identity. */
  encryption?: { recipientsSecret: { name: string; key?: string }; identitySecret?: { name: string; key?: string } };
}

export function scheduleManifest(env: TestEnvInfo, fixture: AppFixture, options: ScheduleOptions) {
  const bucketSource = (name: (typeof APP_BUCKETS)[number]) => ({
    name,
    bucket: {
      bucket: fixture.buckets[name],
      endpoint: env.s3.endpoint,
      region: env.s3.region,
      forcePathStyle: true,
      credentialsSecret: { name: SECRET_NAMES.buckets },
    },
  });
  return {
    apiVersion: 'lifeboat.dev/v1alpha1',
    kind: 'BackupSchedule',
    metadata: { name: options.name, namespace: fixture.namespace },
    spec: {
      schedule: options.schedule ?? '* * * * *',
      timeZone: 'UTC',
      ...(options.suspend === undefined ? {} : { suspend: options.suspend }),
      concurrencyPolicy: 'Forbid',
      storage: {
        bucket: fixture.backupBucket,
        prefix: 'backups',
        endpoint: options.storageEndpoint ?? env.s3.endpoint,
        region: env.s3.region,
        forcePathStyle: true,
        credentialsSecret: { name: SECRET_NAMES.storage },
        ...(options.encryption ? { encryption: options.encryption } : {}),
      },
      sources: [
        {
          name: 'app-db',
          postgres: {
            host: env.postgres.host,
            port: env.postgres.port,
            database: fixture.database,
            connectionSecret: { name: options.databaseSecret ?? SECRET_NAMES.database },
            sslMode: 'disable',
          },
        },
        ...APP_BUCKETS.map(bucketSource),
      ].filter((source) => !options.sources || options.sources.includes(source.name)),
      ...(options.retention ? { retention: options.retention } : {}),
      objectives: { rpo: '1h' },
      jobTemplate: { activeDeadlineSeconds: 600, backoffLimit: options.backoffLimit ?? 0 },
    },
  };
}
