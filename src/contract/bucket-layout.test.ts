import { describe, expect, it } from '@jest/globals';
import { artifactDataKey, artifactManifestKey, runManifestKey, runVerificationKey } from './bucket-layout.ts';

const location = { namespace: 'shop', schedule: 'nightly', run: 'nightly-20250101', source: 'orders-db' };

describe('layout', () => {
  it('puts artifacts under <prefix>/<namespace>/<schedule>/<run>/<source>/', () => {
    expect(artifactDataKey('lifeboat', location, 'database.dump.zst')).toBe('lifeboat/shop/nightly/nightly-20250101/orders-db/database.dump.zst');
    expect(artifactManifestKey('lifeboat', location)).toBe('lifeboat/shop/nightly/nightly-20250101/orders-db/manifest.json');
    expect(runManifestKey('lifeboat', location)).toBe('lifeboat/shop/nightly/nightly-20250101/manifest.json');
  });

  it('puts the read-back verdict next to the run manifest, where no source folder can be', () => {
    expect(runVerificationKey('lifeboat', location)).toBe('lifeboat/shop/nightly/nightly-20250101/verification.json');
    expect(runVerificationKey('', location)).toBe('shop/nightly/nightly-20250101/verification.json');
  });

  it('tolerates an empty prefix and stray slashes', () => {
    expect(runManifestKey('', location)).toBe('shop/nightly/nightly-20250101/manifest.json');
    expect(runManifestKey('/a/b/', location)).toBe('a/b/shop/nightly/nightly-20250101/manifest.json');
  });
});
