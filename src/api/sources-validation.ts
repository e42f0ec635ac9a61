// Checks on sources and storage that span fields the API server validates one at a time.
import { duplicates, error, type Problem } from './problems.ts';
import type { BackupSource } from './sources.ts';
import type { BackupStorage } from './storage.ts';

function normalizedPrefix(prefix: string | undefined): string {
  if (!prefix) return '';
  return prefix.endsWith('/') ? prefix : `${prefix}/`;
}

function overlaps(a: string | undefined, b: string | undefined): boolean {
  const [x, y] = [normalizedPrefix(a), normalizedPrefix(b)];
  return x.startsWith(y) || y.startsWith(x);
}

export function sourcesProblems(sources: BackupSource[], storage: BackupStorage, root: string): Problem[] {
  const problems = duplicates(sources.map((s) => s.name)).map(({ value, index }) =>
    error(`${root}.sources[${index}].name`, `source name "${value}" is used twice; give each source its own name`),
  );
  sources.forEach((source, index) => {
    const bucket = source.bucket;
    if (!bucket) return;
    const sameBucket = bucket.bucket === storage.bucket && (bucket.endpoint ?? '') === (storage.endpoint ?? '');
    if (sameBucket && overlaps(bucket.prefix, storage.prefix)) {
      problems.push(
        error(
          `${root}.sources[${index}].bucket`,
          `bucket "${bucket.bucket}" is also the backup storage and the prefixes overlap, so every backup would contain the previous ones; back up a different prefix or store backups elsewhere`,
        ),
      );
    }
  });
  return problems;
}
