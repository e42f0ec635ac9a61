// Reading and writing manifests (their schemas are the contract's, src/contract/manifests.ts):
// a per-artifact manifest only after its data object is complete, the run manifest last.
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { z } from 'zod';
import { artifactManifestKey, runManifestKey, runVerificationKey, type ArtifactLocation, type RunLocation } from '../contract/bucket-layout.ts';
import { ArtifactManifest, MANIFEST_FORMAT_VERSION, RunManifest, RunVerification, type StoredArtifact } from '../contract/manifests.ts';
import { RunnerError } from '../failures/runner-error.ts';
import type { WrittenArtifact } from './artifact-writer.ts';

/** How a freshly written artifact is recorded in its manifest; `recipients` are the public age recipients. */
export function storedArtifact(written: WrittenArtifact, recipients: string[]): StoredArtifact {
  return {
    key: written.key,
    sizeBytes: written.sizeBytes,
    sha256: written.sha256,
    compression: written.compression,
    encryption: written.encrypted ? { format: 'age', recipients } : null,
    contentType: 'application/octet-stream',
  };
}

export class ManifestNotFoundError extends RunnerError {
  override name = 'ManifestNotFoundError';

  constructor(message: string) {
    super('ManifestMissing', message);
  }
}

export class InvalidManifestError extends RunnerError {
  override name = 'InvalidManifestError';

  constructor(message: string) {
    super('ArtifactCorrupt', message);
  }
}

async function putJson(client: S3Client, bucket: string, key: string, value: unknown, signal?: AbortSignal): Promise<void> {
  await client.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: `${JSON.stringify(value, null, 2)}\n`,
      ContentType: 'application/json',
    }),
    signal ? { abortSignal: signal } : {},
  );
}

async function getJson<T>(
  client: S3Client,
  bucket: string,
  key: string,
  schema: z.ZodType<T>,
  signal?: AbortSignal,
): Promise<T> {
  let text: string;
  try {
    const response = await client.send(
      new GetObjectCommand({ Bucket: bucket, Key: key }),
      signal ? { abortSignal: signal } : {},
    );
    text = (await response.Body?.transformToString('utf8')) ?? '';
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchKey') {
      throw new ManifestNotFoundError(`no manifest at s3://${bucket}/${key} (the backup is missing or incomplete)`);
    }
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new InvalidManifestError(`manifest s3://${bucket}/${key} is not valid JSON`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new InvalidManifestError(
      `manifest s3://${bucket}/${key} is invalid: ${first ? `${first.path.join('.')}: ${first.message}` : 'unknown'}`,
    );
  }
  return parsed.data;
}

export interface ManifestStore {
  bucket: string;
  prefix: string;
}

/** Call only after the artifact's upload has completed. */
export async function writeArtifactManifest(
  client: S3Client,
  store: ManifestStore,
  manifest: ArtifactManifest,
  signal?: AbortSignal,
): Promise<string> {
  const valid = ArtifactManifest.parse(manifest);
  const key = artifactManifestKey(store.prefix, valid.location);
  await putJson(client, store.bucket, key, valid, signal);
  return key;
}

export async function readArtifactManifest(
  client: S3Client,
  store: ManifestStore,
  location: ArtifactLocation,
  signal?: AbortSignal,
): Promise<ArtifactManifest> {
  return getJson(client, store.bucket, artifactManifestKey(store.prefix, location), ArtifactManifest, signal);
}

export async function writeRunManifest(
  client: S3Client,
  store: ManifestStore,
  manifest: RunManifest,
  signal?: AbortSignal,
): Promise<string> {
  const valid = RunManifest.parse(manifest);
  const key = runManifestKey(store.prefix, valid.location);
  await putJson(client, store.bucket, key, valid, signal);
  return key;
}

export async function readRunManifest(
  client: S3Client,
  store: ManifestStore,
  location: RunLocation,
  signal?: AbortSignal,
): Promise<RunManifest> {
  return getJson(client, store.bucket, runManifestKey(store.prefix, location), RunManifest, signal);
}

/** The read-back's verdict, next to the run manifest (replacing an earlier verdict). */
export async function writeRunVerification(
  client: S3Client,
  store: ManifestStore,
  verdict: RunVerification,
  signal?: AbortSignal,
): Promise<string> {
  const valid = RunVerification.parse(verdict);
  const key = runVerificationKey(store.prefix, valid.location);
  await putJson(client, store.bucket, key, valid, signal);
  return key;
}

/** Builds the run manifest from the sources' manifests (all of which must exist). */
export function summarizeRun(
  store: ManifestStore,
  location: RunLocation,
  artifacts: ArtifactManifest[],
  completedAt: Date,
): RunManifest {
  if (artifacts.length === 0) throw new InvalidManifestError('a run manifest needs at least one source');
  const sources = artifacts.map((manifest) => ({
    name: manifest.location.source,
    kind: manifest.kind,
    manifestKey: artifactManifestKey(store.prefix, manifest.location),
    artifactKey: manifest.artifact.key,
    sizeBytes: manifest.artifact.sizeBytes,
    sha256: manifest.artifact.sha256,
    snapshotTime: manifest.snapshotTime,
    encrypted: manifest.artifact.encryption !== null,
  }));
  const snapshotTime = artifacts
    .map((manifest) => manifest.snapshotTime)
    .reduce((oldest, time) => (Date.parse(time) < Date.parse(oldest) ? time : oldest));
  return {
    formatVersion: MANIFEST_FORMAT_VERSION,
    location,
    completedAt: completedAt.toISOString(),
    snapshotTime,
    totalSizeBytes: sources.reduce((sum, source) => sum + source.sizeBytes, 0),
    sources,
  };
}
