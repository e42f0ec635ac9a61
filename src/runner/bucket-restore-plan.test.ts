import { describe, expect, it } from '@jest/globals';
import { keyMapper } from './bucket-restore-plan.ts';

const target = (prefix = '') => ({ target: { bucket: 't', prefix, region: 'us-east-1', forcePathStyle: true, credentialsEnvPrefix: 'AWS_' } });

describe('restore key mapping', () => {
  it('keeps keys unchanged without prefixRemap or a target prefix', () => {
    expect(keyMapper(target(), { prefix: 'src/' })('src/a/b')).toBe('src/a/b');
  });

  it('moves keys under prefixRemap.to, and leaves keys outside prefixRemap.from alone', () => {
    const map = keyMapper({ ...target(), prefixRemap: { from: 'photos/', to: 'restored/photos/' } }, { prefix: '' });
    expect(map('photos/cat.jpg')).toBe('restored/photos/cat.jpg');
    expect(map('docs/a.txt')).toBe('docs/a.txt');
  });

  it('reads a target prefix as "what was under the source prefix goes here"', () => {
    expect(keyMapper(target('copy/'), { prefix: 'live/' })('live/x/y')).toBe('copy/x/y');
  });

  it('refuses a mapping that makes an empty or over-long key', () => {
    expect(() => keyMapper({ ...target(), prefixRemap: { from: 'a', to: '' } }, { prefix: '' })('a')).toThrow(/empty key/);
    expect(() => keyMapper({ ...target(), prefixRemap: { from: '', to: 'x'.repeat(1000) } }, { prefix: '' })('y'.repeat(30))).toThrow(
      /over 1024 bytes/,
    );
  });
});
