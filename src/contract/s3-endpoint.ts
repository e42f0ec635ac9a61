// How a task names an S3 endpoint and bucket. Here, not in src/s3, so that the operator can
// build and check tasks without loading the AWS SDK.
import { z } from 'zod';

export const S3Endpoint = z.object({
  /** Custom endpoint URL (MinIO, Ceph, ...); omit for AWS. */
  endpoint: z.url().optional(),
  region: z.string().min(1).default('us-east-1'),
  /** Path-style addressing (`host/bucket/key`), which most S3-compatible servers need. */
  forcePathStyle: z.boolean().default(true),
  /**
   * Prefix of the environment variables holding the credentials: `<prefix>ACCESS_KEY_ID`,
   * `<prefix>SECRET_ACCESS_KEY` and optionally `<prefix>SESSION_TOKEN`.
   */
  credentialsEnvPrefix: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name prefix such as AWS_')
    .default('AWS_'),
});
export type S3Endpoint = z.infer<typeof S3Endpoint>;

/** S3 bucket names: 3-63 characters of lowercase letters, digits, dots and hyphens. */
export const BucketName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name (3-63 lowercase letters, digits, . and -)');
