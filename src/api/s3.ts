// Where S3-compatible object storage is reached; shared by backup storage, bucket sources,
// bucket restore targets and drill scratch space.
import { z } from 'zod';
import { matchesRule, withRules } from './cel.ts';
import { S3CredentialsRef } from './secret-refs.ts';

export const s3ConnectionShape = {
  endpoint: z
    .string()
    .max(2048)
    .regex(new RegExp('^https?://[^/ ]+(/[^ ]*)?$'))
    .optional()
    .describe('S3 endpoint URL, e.g. https://minio.storage.svc:9000. Omit it for AWS S3.'),
  region: z.string().min(1).max(64).regex(/^[a-z0-9-]+$/).default('us-east-1').describe('Region of the bucket. Defaults to us-east-1, which MinIO and most S3-compatible servers accept.'),
  forcePathStyle: z
    .boolean()
    .default(false)
    .describe('Address buckets as <endpoint>/<bucket> instead of <bucket>.<endpoint>. MinIO and most self-hosted servers need true.'),
  credentialsSecret: S3CredentialsRef.optional(),
};

export function bucketNameField(description: string) {
  return withRules(z.string().min(3).max(63), [
    matchesRule(
      '^[a-z0-9][a-z0-9.-]*[a-z0-9]$',
      'must be a bucket name: 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit',
    ),
    {
      rule: "!self.contains('..') && !self.matches('^[0-9]+[.][0-9]+[.][0-9]+[.][0-9]+$')",
      message: 'must be a bucket name: no two adjacent dots and not formatted like an IP address',
      messageExpression: `'"' + self + '" must be a bucket name: no two adjacent dots and not formatted like an IP address'`,
      check: (name: string) => !name.includes('..') && !/^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/.test(name),
    },
  ]).describe(description);
}

export function keyPrefixField(description: string) {
  return z
    .string()
    .max(512)
    .regex(/^([^/].*)?$/)
    .describe(`${description} A key prefix such as "backups/app"; it must not start with "/".`);
}
