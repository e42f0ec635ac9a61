// Builds an S3 client for one endpoint. Credentials come from environment variables only
// (the Job fills them from a Secret with secretKeyRef), so they never appear in a task spec,
// argv or a log line.
import { S3Client } from '@aws-sdk/client-s3';
import type { S3Endpoint } from '../contract/s3-endpoint.ts';
import { MissingCredentialsError } from '../failures/missing-credentials.ts';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export function credentialsFromEnv(prefix: string, env: NodeJS.ProcessEnv = process.env): S3Credentials {
  const accessKeyId = env[`${prefix}ACCESS_KEY_ID`];
  const secretAccessKey = env[`${prefix}SECRET_ACCESS_KEY`];
  if (!accessKeyId || !secretAccessKey) {
    throw new MissingCredentialsError(
      `S3 credentials missing: set ${prefix}ACCESS_KEY_ID and ${prefix}SECRET_ACCESS_KEY in the environment`,
    );
  }
  const sessionToken = env[`${prefix}SESSION_TOKEN`];
  return sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
}

export interface S3ClientOptions {
  env?: NodeJS.ProcessEnv;
  /** Upper bound of parallel connections; size it to the largest parallelism a task uses. */
  maxSockets?: number;
}

export function createS3Client(endpoint: S3Endpoint, options: S3ClientOptions = {}): S3Client {
  const maxSockets = options.maxSockets ?? 64;
  const agent = { keepAlive: true, maxSockets };
  const client = new S3Client({
    region: endpoint.region,
    forcePathStyle: endpoint.forcePathStyle,
    credentials: credentialsFromEnv(endpoint.credentialsEnvPrefix, options.env),
    ...(endpoint.endpoint ? { endpoint: endpoint.endpoint } : {}),
    // Integrity is end to end: the artifact's SHA-256 goes into the manifest and `verify`
    // re-reads the stored bytes. A per-request CRC on every part would only burn CPU.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 5,
    requestHandler: { connectionTimeout: 10_000, httpAgent: agent, httpsAgent: agent },
  });
  // Object bodies go out with `x-amz-content-sha256: UNSIGNED-PAYLOAD`. Otherwise the signer
  // hashes every Buffer body (each 16 MiB part) and the server hashes it again to check it:
  // two SHA-256 passes over every byte uploaded, for a check the artifact's own SHA-256 (in
  // the manifest, re-read by `verify`) already makes end to end. Headers stay signed.
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (UPLOADS.has(context.commandName ?? '') && request.headers) request.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
      return next(args);
    },
    { step: 'build', name: 'lifeboatUnsignedPayload' },
  );
  return client;
}

const UPLOADS = new Set(['PutObjectCommand', 'UploadPartCommand']);

/** One client per distinct endpoint config, so tasks share keep-alive connections. */
export function s3ClientFactory(options: S3ClientOptions = {}): (endpoint: S3Endpoint) => S3Client {
  return perEndpoint((endpoint) => createS3Client(endpoint, options));
}

/** Memoizes `make` by the endpoint's whole config (two configs that differ get two clients). */
export function perEndpoint<T>(make: (endpoint: S3Endpoint) => T): (endpoint: S3Endpoint) => T {
  const made = new Map<string, T>();
  return (endpoint) => {
    const id = JSON.stringify(endpoint);
    let value = made.get(id);
    if (value === undefined) {
      value = make(endpoint);
      made.set(id, value);
    }
    return value;
  };
}
