import { describe, expect, it } from '@jest/globals';
import { imageReference, ImagesSummary, ImageTag, runnerImage } from './images.ts';

describe('image references', () => {
  it('name both images in the one registry, tagged with the version', () => {
    expect(imageReference('operator', '0.1.0')).toBe('ghcr.io/lifeboat-dev/lifeboat-operator:0.1.0');
    expect(runnerImage('0.1.0')).toBe('ghcr.io/lifeboat-dev/lifeboat-runner:0.1.0');
    expect(runnerImage('1.2.3-rc.1')).toBe('ghcr.io/lifeboat-dev/lifeboat-runner:1.2.3-rc.1');
  });

  it.each(['', 'unknown version', '.1', 'v1+build', 'x'.repeat(129)])('refuse %j as a tag', (version) => {
    expect(ImageTag.safeParse(version).success).toBe(false);
    expect(() => runnerImage(version)).toThrow();
  });
});

describe('ImagesSummary', () => {
  it('reads what make images writes, and nothing but the two images', () => {
    const summary = {
      runner: { reference: 'ghcr.io/lifeboat-dev/lifeboat-runner:0.1.0', layout: 'build/images/lifeboat-runner', tag: '0.1.0', digest: `sha256:${'a'.repeat(64)}` },
    };
    expect(ImagesSummary.parse(summary)).toEqual(summary);
    expect(ImagesSummary.safeParse({ ...summary, sidecar: summary.runner }).success).toBe(false);
    expect(ImagesSummary.safeParse({ runner: { ...summary.runner, digest: 'md5:x' } }).success).toBe(false);
  });
});
