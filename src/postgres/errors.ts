// One-line reasons for PostgreSQL failures, phrased for the person reading the Job's status.
import { RunnerError } from '../failures/runner-error.ts';
import { describeServer, type ConnectionSettings } from './connection.ts';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET']);

/** Turns an error from connecting or querying into a RunnerError naming the server. */
export function postgresFailure(error: unknown, settings: ConnectionSettings, doing: string): RunnerError {
  if (error instanceof RunnerError) return error;
  const server = describeServer(settings);
  const { code, message } = error as { code?: string; message?: string };
  const text = oneLine(message ?? String(error));
  if (code && NETWORK_CODES.has(code)) {
    return new RunnerError('DatabaseUnreachable', `cannot reach PostgreSQL at ${server} (${code}) while ${doing}`, { cause: error });
  }
  if (/timeout/i.test(text) && /connect/i.test(text)) {
    return new RunnerError('DatabaseUnreachable', `cannot reach PostgreSQL at ${server} (connection timed out) while ${doing}`, { cause: error });
  }
  if (code === '28P01' || code === '28000') {
    return new RunnerError('AuthenticationFailed', `PostgreSQL at ${server} rejected the credentials while ${doing}: ${text}`, { cause: error });
  }
  if (code === '3D000') {
    return new RunnerError('DatabaseError', `database does not exist at ${server} while ${doing}: ${text}`, { cause: error });
  }
  return new RunnerError('DatabaseError', `PostgreSQL at ${server} failed while ${doing}: ${text}`, { cause: error });
}

export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
