// SupersededVersions: a pass that would decide from a version its own write replaced is
// recognised as behind, until the cache shows anything else.
import { describe, expect, it } from '@jest/globals';
import { SupersededVersions } from './superseded-versions.ts';

describe('SupersededVersions', () => {
  it('knows the version read and the ones written on the way as behind the last write', () => {
    const versions = new SupersededVersions();
    versions.wrote('ns/run', ['10', '11', '12']);
    expect(versions.isBehind('ns/run', '10')).toBe(true);
    expect(versions.isBehind('ns/run', '11')).toBe(true);
    expect(versions.isBehind('ns/other', '10')).toBe(false);
  });

  it('is current again, and forgets the key, once the cache shows the write or anything newer', () => {
    const versions = new SupersededVersions();
    versions.wrote('ns/run', ['10', '12']);
    expect(versions.isBehind('ns/run', '12')).toBe(false);
    expect(versions.size).toBe(0);
    expect(versions.isBehind('ns/run', '10')).toBe(false);
    versions.wrote('ns/run', ['12', '13']);
    expect(versions.isBehind('ns/run', '14')).toBe(false);
    expect(versions.isBehind('ns/run', '12')).toBe(false);
  });

  it('remembers nothing for a pass that wrote nothing, or wrote without a version to compare', () => {
    const versions = new SupersededVersions();
    versions.wrote('ns/run', ['10']);
    versions.wrote('ns/run', ['10', '10']);
    versions.wrote('ns/run', [undefined, undefined]);
    expect(versions.size).toBe(0);
    expect(versions.isBehind('ns/run', '10')).toBe(false);
  });

  it('keeps the versions of writes made before the cache caught up with the first', () => {
    const versions = new SupersededVersions();
    versions.wrote('ns/run', ['10', '11']);
    versions.wrote('ns/run', ['11', '12']);
    expect(versions.isBehind('ns/run', '10')).toBe(true);
    expect(versions.isBehind('ns/run', '11')).toBe(true);
    expect(versions.isBehind('ns/run', '12')).toBe(false);
  });
});
