import { describe, expect, it } from '@jest/globals';
import { EntryPathAllocator } from './entry-path.ts';

function pathsOf(keys: string[]): string[] {
  const allocator = new EntryPathAllocator();
  return keys.map((key, index) => allocator.pathFor(key, index));
}

describe('entry paths', () => {
  it.each([
    ['a plain key', 'photos/2024/cat.jpg', 'objects/photos/2024/cat.jpg'],
    ['unicode and spaces', 'dír/ünï cödé 日本.txt', 'objects/dír/ünï cödé 日本.txt'],
    ['a parent segment', '../x', 'renamed/0'],
    ['a dot segment', './x', 'renamed/0'],
    ['an empty segment', 'a//b', 'renamed/0'],
    ['leading slashes', '//x', 'renamed/0'],
    ['a trailing slash (folder marker)', 'dir/', 'renamed/0'],
    ['a control character', 'line\nbreak', 'renamed/0'],
    ['a segment over 255 bytes', 'k'.repeat(256), 'renamed/0'],
    ['a 255-byte segment', 'k'.repeat(255), `objects/${'k'.repeat(255)}`],
    ['a dot-dot inside a name (not a segment)', 'a..b/..c', 'objects/a..b/..c'],
  ])('%s', (_name, key, expected) => {
    expect(pathsOf([key])).toEqual([expected]);
  });

  it('renames the second of a file and a directory with the same name, in either order', () => {
    expect(pathsOf(['a', 'a/b', 'a/b/c'])).toEqual(['objects/a', 'renamed/1', 'renamed/2']);
    expect(pathsOf(['a/b', 'a'])).toEqual(['objects/a/b', 'renamed/1']);
  });

  it('keeps long multi-segment keys within file system limits', () => {
    const key = Array.from({ length: 10 }, () => 'x'.repeat(99)).join('/');
    expect(pathsOf([key])).toEqual([`objects/${key}`]);
    expect(pathsOf([Array.from({ length: 41 }, () => 'y'.repeat(99)).join('/')])).toEqual(['renamed/0']);
  });
});
