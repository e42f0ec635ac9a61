// A bucket archive: one pax tar stream holding every object of a bucket (or prefix) as a
// regular file, its exact key and metadata in pax records (object-entry.ts) and its path safe
// for a stock `tar -x` (entry-path.ts). This module joins those rules to the tar codec.
import { coalesce } from './coalesce.ts';
import { EntryPathAllocator } from './entry-path.ts';
import { type ArchivedObject, objectFromRecords, objectRecords } from './object-entry.ts';
import { readTar } from './tar-reader.ts';
import { writeTar } from './tar-writer.ts';

export interface ObjectToArchive {
  object: ArchivedObject;
  /** Exactly object.size bytes. */
  body: AsyncIterable<Buffer> | Iterable<Buffer>;
  /** Told the entry path chosen for the object, before its body is read. */
  onPath?: (path: string) => void;
}

export interface ArchivedObjectEntry {
  object: ArchivedObject;
  /** Where a stock `tar -x` would put it; informational only, never used as a file path here. */
  path: string;
  /** Read it before asking for the next entry; unread bytes are skipped. */
  body: AsyncIterable<Buffer>;
}

/** Archive bytes come out in chunks of at least this size (but the last). */
const OUTPUT_CHUNK_BYTES = 128 * 1024;

export function writeBucketArchive(objects: AsyncIterable<ObjectToArchive>): AsyncGenerator<Buffer> {
  const paths = new EntryPathAllocator();
  let index = 0;
  async function* entries() {
    for await (const { object, body, onPath } of objects) {
      const path = paths.pathFor(object.key, index++);
      onPath?.(path);
      const mtimeSeconds = object.lastModified ? object.lastModified.getTime() / 1000 : 0;
      yield { path, size: object.size, mtimeSeconds, records: objectRecords(object), body };
    }
  }
  return coalesce(writeTar(entries()), OUTPUT_CHUNK_BYTES);
}

export async function* readBucketArchive(source: AsyncIterable<Buffer>): AsyncGenerator<ArchivedObjectEntry> {
  for await (const entry of readTar(source)) {
    yield { object: objectFromRecords(entry.records, entry.size, entry.path), path: entry.path, body: entry.body };
  }
}
