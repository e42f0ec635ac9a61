// What a bucket restore will write where: the key mapping (prefix remap) and, for the Skip
// and Fail policies, which target keys already exist, found with one listing of the target
// before anything is written.
import type { S3Client } from '@aws-sdk/client-s3';
import type { BucketArtifactInfo } from '../contract/manifests.ts';
import type { BucketRestoreTask } from '../contract/tasks.ts';
import { RunnerError } from '../failures/runner-error.ts';
import { listObjects } from './bucket-listing.ts';

/** S3's limit on key length, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;

export type KeyMapper = (key: string) => string;

/**
 * `prefixRemap` when given; otherwise a target prefix means "what was under the source prefix
 * goes under this one"; otherwise keys are restored unchanged.
 */
export function keyMapper(task: Pick<BucketRestoreTask, 'prefixRemap' | 'target'>, source: Pick<BucketArtifactInfo, 'prefix'>): KeyMapper {
  const map = task.prefixRemap ?? (task.target.prefix ? { from: source.prefix, to: task.target.prefix } : undefined);
  return (key) => {
    const mapped = map && key.startsWith(map.from) ? `${map.to}${key.slice(map.from.length)}` : key;
    if (mapped === '' || Buffer.byteLength(mapped) > MAX_KEY_BYTES) {
      throw new RunnerError(
        'InvalidTask',
        `prefixRemap turns key ${JSON.stringify(key.slice(0, 100))} into ${mapped === '' ? 'an empty key' : `a key over ${MAX_KEY_BYTES} bytes`}`,
      );
    }
    return mapped;
  };
}

/**
 * Target keys the restore would write that already exist. Lists the target under the longest
 * prefix common to all those keys (the whole bucket when the manifest has no object list).
 */
export async function existingTargetKeys(
  client: S3Client,
  bucket: string,
  source: Pick<BucketArtifactInfo, 'objects'>,
  mapKey: KeyMapper,
  signal: AbortSignal,
): Promise<Set<string>> {
  const wanted = source.objects ? new Set(source.objects.map((object) => mapKey(object.key))) : undefined;
  const prefix = wanted ? commonPrefix([...wanted]) : '';
  const existing = new Set<string>();
  if (wanted?.size === 0) return existing;
  for await (const listed of listObjects(client, { bucket, prefix, signal })) {
    if (!wanted || wanted.has(listed.key)) existing.add(listed.key);
  }
  return existing;
}

function commonPrefix(keys: string[]): string {
  if (keys.length === 0) return '';
  let prefix = keys[0] as string;
  for (const key of keys) {
    let length = 0;
    while (length < prefix.length && length < key.length && prefix.charCodeAt(length) === key.charCodeAt(length)) length++;
    prefix = prefix.slice(0, length);
    if (prefix === '') break;
  }
  // Never cut a surrogate pair in half: the prefix goes into a request as UTF-8.
  const last = prefix.charCodeAt(prefix.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? prefix.slice(0, -1) : prefix;
}
