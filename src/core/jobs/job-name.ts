// Child names that fit where Kubernetes puts them: a Job's name becomes its pods' `job-name`
// label, so it must stay within 63 characters. Too long, it is cut and given a hash of the full
// name, which keeps it deterministic (a second create is a 409) and unique.
import { createHash } from 'node:crypto';

export const MAX_JOB_NAME_LENGTH = 63;
const HASH_LENGTH = 8;

export function childName(parent: string, suffix: string, maxLength = MAX_JOB_NAME_LENGTH): string {
  const full = `${parent}-${suffix}`;
  if (full.length <= maxLength) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, HASH_LENGTH);
  const head = full.slice(0, maxLength - HASH_LENGTH - 1).replace(/[-.]+$/, '');
  return `${head}-${hash}`;
}
