// Pure comparison of a restored bucket with its backup: which objects to hash, and the verdict
// once they are hashed. Keys here are target keys (after the restore's prefix remap).
import { clip, plural } from './check-result.ts';

/** An object as the backup recorded it. */
export interface ExpectedObject {
  /** Its key in the backed-up bucket (before any remap). */
  sourceKey: string;
  sizeBytes: number;
  sha256: string;
}

/** What a content mismatch says: the key and both sides, short. */
export interface ObjectMismatch {
  key: string;
  expected: string;
  actual: string;
}

export interface BucketComparison {
  passed: boolean;
  objectCount: { expected: number; actual: number };
  /** Objects found in the target with the expected size and read back. */
  checked: number;
  /** Of those and the size mismatches: the ones that differ (size or SHA-256). */
  mismatched: number;
  /** The first few content mismatches. */
  mismatches: ObjectMismatch[];
  /** Expected objects the target does not hold. */
  missing: number;
  /** Objects in the target the backup does not hold. */
  extra: number;
  missingKeys: string[];
  extraKeys: string[];
}

const SHOWN_MISMATCHES = 10;
const SHOWN_KEYS = 3;
const SHOWN_KEY_CHARS = 100;

/** Target keys present with the expected size: the ones worth reading back. */
export function objectsToHash(expected: ReadonlyMap<string, ExpectedObject>, listed: ReadonlyMap<string, number>): string[] {
  const keys: string[] = [];
  for (const [key, object] of expected) if (listed.get(key) === object.sizeBytes) keys.push(key);
  return keys;
}

/**
 * The verdict. `hashed` holds the SHA-256 of every key objectsToHash named, or undefined for an
 * object that was gone by the time it was read (counted as missing).
 */
export function compareBucket(
  expected: ReadonlyMap<string, ExpectedObject>,
  listed: ReadonlyMap<string, number>,
  hashed: ReadonlyMap<string, string | undefined>,
): BucketComparison {
  const mismatches: ObjectMismatch[] = [];
  const missingKeys: string[] = [];
  let mismatched = 0;
  let checked = 0;
  let missing = 0;
  for (const [key, object] of expected) {
    const size = listed.get(key);
    const sha256 = hashed.get(key);
    if (size === undefined || (size === object.sizeBytes && sha256 === undefined)) {
      missing += 1;
      if (missingKeys.length < SHOWN_KEYS) missingKeys.push(clip(key, SHOWN_KEY_CHARS));
      continue;
    }
    if (size === object.sizeBytes) checked += 1;
    if (size === object.sizeBytes && sha256 === object.sha256) continue;
    mismatched += 1;
    if (mismatches.length < SHOWN_MISMATCHES) {
      mismatches.push({
        key: clip(key, SHOWN_KEY_CHARS),
        expected: describeObject(object.sizeBytes, object.sha256),
        actual: size === object.sizeBytes ? describeObject(size, sha256) : describeObject(size),
      });
    }
  }
  const extraKeys: string[] = [];
  let extra = 0;
  for (const key of listed.keys()) {
    if (expected.has(key)) continue;
    extra += 1;
    if (extraKeys.length < SHOWN_KEYS) extraKeys.push(clip(key, SHOWN_KEY_CHARS));
  }

  return {
    // Nothing missing and nothing extra: the same keys, so the same count.
    passed: missing === 0 && extra === 0 && mismatched === 0,
    objectCount: { expected: expected.size, actual: listed.size },
    checked,
    mismatched,
    mismatches,
    missing,
    extra,
    missingKeys,
    extraKeys,
  };
}

/** "1024 bytes, SHA-256 9f86d081884c…" */
export function describeObject(sizeBytes: number, sha256?: string): string {
  return sha256 === undefined ? plural(sizeBytes, 'byte') : `${plural(sizeBytes, 'byte')}, SHA-256 ${sha256.slice(0, 12)}…`;
}

/** The failure's one line: the counts that matter. */
export function describeComparison(bucket: string, comparison: BucketComparison): string {
  const { objectCount, mismatched, missing, extra } = comparison;
  const parts = [
    mismatched > 0 ? `${mismatched} of ${objectCount.expected} objects differ from the backup` : '',
    missing > 0 ? `${missing} missing` : '',
    extra > 0 ? `${extra} not in the backup` : '',
  ].filter(Boolean);
  const first = comparison.mismatches[0]?.key ?? comparison.missingKeys[0] ?? comparison.extraKeys[0];
  const example = first === undefined ? '' : `; first: ${JSON.stringify(first)}`;
  return `restored bucket ${bucket} does not match the backup: ${parts.join(', ')} (expected ${plural(objectCount.expected, 'object')}, found ${objectCount.actual})${example}`;
}
