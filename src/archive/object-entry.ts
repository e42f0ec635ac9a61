// How one S3 object is described in a bucket archive: a regular-file entry whose pax records
// carry the exact key and the object's metadata.
//
// The records are named `SCHILY.xattr.user.lifeboat.*`, the pax spelling of extended
// attributes. Two reasons: GNU tar and bsdtar know the SCHILY.xattr namespace, so they list
// and extract the archive silently (a vendor keyword such as `LIFEBOAT.key` makes GNU tar print
// "Ignoring unknown extended header keyword" once per record: 40,000 warnings for 20,000
// objects); and `tar --xattrs --xattrs-include='user.lifeboat.*' -x` puts the exact key and the
// metadata on each extracted file (`getfattr -d`), which is the by-hand recovery path.
import type { PaxRecords } from './pax.ts';
import { TarFormatError } from './pax.ts';

export const RECORD_PREFIX = 'SCHILY.xattr.user.lifeboat.';
const KEY = `${RECORD_PREFIX}key`;
const ETAG = `${RECORD_PREFIX}etag`;
const LAST_MODIFIED = `${RECORD_PREFIX}last-modified`;
const USER_METADATA_PREFIX = `${RECORD_PREFIX}meta.`;

/** The HTTP headers S3 stores with an object and returns on GET, beside user metadata. */
export const STORED_HEADERS = [
  ['contentType', 'content-type'],
  ['cacheControl', 'cache-control'],
  ['contentDisposition', 'content-disposition'],
  ['contentEncoding', 'content-encoding'],
  ['contentLanguage', 'content-language'],
  ['expires', 'expires'],
] as const;

export type StoredHeaderName = (typeof STORED_HEADERS)[number][0];

export type ArchivedObject = {
  key: string;
  size: number;
  /** User metadata (`x-amz-meta-*`), names lower-case as S3 returns them. */
  metadata: Record<string, string>;
  /** ETag at backup time, quotes included; informational (a restore makes new ETags). */
  etag?: string;
  lastModified?: Date;
} & Partial<Record<StoredHeaderName, string>>;

/** The pax records of an object, except `path` and `size`, which the tar writer adds. */
export function objectRecords(object: ArchivedObject): PaxRecords {
  const records: [string, string][] = [[KEY, object.key]];
  for (const [field, name] of STORED_HEADERS) {
    const value = object[field];
    if (value !== undefined) records.push([`${RECORD_PREFIX}${name}`, value]);
  }
  for (const [name, value] of Object.entries(object.metadata)) records.push([`${USER_METADATA_PREFIX}${name}`, value]);
  if (object.etag !== undefined) records.push([ETAG, object.etag]);
  if (object.lastModified !== undefined) {
    records.push([LAST_MODIFIED, object.lastModified.toISOString()]);
    // The standard record as well, so `tar -tv` shows the object's time.
    records.push(['mtime', (object.lastModified.getTime() / 1000).toFixed(3)]);
  }
  return records;
}

/** Reads an object back from an entry's pax records; size comes from the tar header. */
export function objectFromRecords(records: ReadonlyMap<string, string>, size: number, entryPath: string): ArchivedObject {
  const key = records.get(KEY);
  if (key === undefined) {
    throw new TarFormatError(`tar entry ${JSON.stringify(entryPath)} has no ${KEY} record: not a Lifeboat bucket archive`);
  }
  const object: ArchivedObject = { key, size, metadata: {} };
  for (const [field, name] of STORED_HEADERS) {
    const value = records.get(`${RECORD_PREFIX}${name}`);
    if (value !== undefined) object[field] = value;
  }
  for (const [keyword, value] of records) {
    if (keyword.startsWith(USER_METADATA_PREFIX)) object.metadata[keyword.slice(USER_METADATA_PREFIX.length)] = value;
  }
  const etag = records.get(ETAG);
  if (etag !== undefined) object.etag = etag;
  const lastModified = records.get(LAST_MODIFIED);
  if (lastModified !== undefined) object.lastModified = new Date(lastModified);
  return object;
}
