// What every subcommand gets from main: a logger, S3 clients (and a lean object reader), the
// cancellation signal (SIGTERM from the kubelet, the Job's deadline), a progress reporter and
// the environment (which holds the credentials; tasks never carry secrets themselves).
import type { S3Client } from '@aws-sdk/client-s3';
import type { Logger } from 'pino';
import type { S3Endpoint } from '../contract/s3-endpoint.ts';
import type { GetObject } from '../s3/object-reader.ts';
import type { ProgressReporter } from './progress.ts';

export interface RunnerContext {
  logger: Logger;
  /** Returns a client for the endpoint, shared between calls with the same endpoint. */
  s3: (endpoint: S3Endpoint) => S3Client;
  /** Plain object GETs without the SDK's per-request overhead (bucket backups' many GETs). */
  objects: (endpoint: S3Endpoint) => GetObject;
  /** Fires on SIGTERM/SIGINT; long operations stop and clean up (abort uploads). */
  signal: AbortSignal;
  progress: ProgressReporter;
  env: NodeJS.ProcessEnv;
  now: () => Date;
}

/**
 * What a subcommand hands back on success: a short summary that goes into the termination
 * message (the result file) for the operator to copy into status. Keep it small: the whole
 * message is capped at 4096 bytes.
 */
export type TaskSummary = Record<string, unknown>;

export type TaskRunner<Task> = (task: Task, ctx: RunnerContext) => Promise<TaskSummary>;
