import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generatedFiles } from './generate/files.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

function committed(path: string): string | undefined {
  try {
    return readFileSync(`${root}${path}`, 'utf8');
  } catch {
    return undefined;
  }
}

describe('generated CRDs and API reference', () => {
  it.each([...generatedFiles()])('%s matches the zod schemas (run `npx node hack/gen-crds.ts` to update)', (path, content) => {
    expect(committed(path)).toBe(content);
  });

  it('leaves no stale CRD in crds/ (e.g. of a removed kind)', () => {
    const generated = [...generatedFiles().keys()].filter((p) => p.startsWith('crds/')).map((p) => p.slice('crds/'.length));
    expect(readdirSync(`${root}crds`).sort()).toEqual(generated.sort());
  });
});
