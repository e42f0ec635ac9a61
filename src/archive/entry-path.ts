// Where each object lands when someone extracts a bucket archive with a stock `tar`.
//
// The exact key always travels in a pax record (object-entry.ts); the entry path is only a
// convenience for people recovering by hand, so it must never be dangerous or make `tar -x`
// fail. A key becomes `objects/<key>` when that is a plain relative path that extracts
// cleanly; every other key becomes `renamed/<index>`:
// - empty, `.` or `..` segments (`../x`, `./x`, `a//b`, `dir/`) and absolute keys, which
//   tar would rewrite or refuse, or which would escape the extraction directory;
// - control characters, segments over 255 bytes, paths over 4,000 bytes (file system limits);
// - a key that is both a file and a directory (`a` and `a/b`): the first one seen keeps its
//   path, the other is renamed, whatever the listing order.
export const OBJECTS_DIR = 'objects';
export const RENAMED_DIR = 'renamed';

const MAX_SEGMENT_BYTES = 255;
const MAX_PATH_BYTES = 4000;

export class EntryPathAllocator {
  private readonly files = new Set<string>();
  private readonly directories = new Set<string>();

  /** The entry path of the object with this key, the index-th entry of the archive. */
  pathFor(key: string, index: number): string {
    const path = `${OBJECTS_DIR}/${key}`;
    if (!isPlainRelativePath(path) || !this.claim(path)) return `${RENAMED_DIR}/${index}`;
    return path;
  }

  private claim(path: string): boolean {
    if (this.files.has(path) || this.directories.has(path)) return false;
    const ancestors: string[] = [];
    for (let slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) {
      const ancestor = path.slice(0, slash);
      if (this.files.has(ancestor)) return false;
      ancestors.push(ancestor);
    }
    this.files.add(path);
    for (const ancestor of ancestors) this.directories.add(ancestor);
    return true;
  }
}

function isPlainRelativePath(path: string): boolean {
  if (Buffer.byteLength(path) > MAX_PATH_BYTES) return false;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) return false;
  return path
    .split('/')
    .every((segment) => segment !== '' && segment !== '.' && segment !== '..' && Buffer.byteLength(segment) <= MAX_SEGMENT_BYTES);
}
