// Where backups are written: one S3 location per schedule, optionally age-encrypted.
import { z } from 'zod';
import { bucketNameField, keyPrefixField, s3ConnectionShape } from './s3.ts';
import { secretKeyRef } from './secret-refs.ts';

export const Encryption = z
  .object({
    recipientsSecret: secretKeyRef(
      'Secret with the age recipients (public keys, one per line) every artifact is encrypted to.',
      'recipients',
    ),
    identitySecret: secretKeyRef(
      'Secret with an age identity (private key) that decrypts the artifacts; restores and drills need it. Keep a copy outside the cluster: without it the backups cannot be read.',
      'identity',
    ).optional(),
  })
  .describe('Client-side encryption in the age format, so that `age -d` recovers an artifact without Lifeboat.');
export type Encryption = z.infer<typeof Encryption>;

export const BackupStorage = z
  .object({
    bucket: bucketNameField('Bucket the backups are written to.'),
    prefix: keyPrefixField('Key prefix for everything this schedule writes; objects go under <prefix>/<namespace>/<schedule>/<run>/<source>/.').optional(),
    ...s3ConnectionShape,
    encryption: Encryption.optional(),
  })
  .describe('S3-compatible location the backups are written to. Object storage is the source of truth: a schedule applied to a fresh cluster rediscovers its runs from here.');
export type BackupStorage = z.infer<typeof BackupStorage>;
