import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CHART_CRD_DIR } from './generate/chart-crd.ts';
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

  it.each(['crds', CHART_CRD_DIR])('leaves no stale CRD in %s (e.g. of a removed kind)', (dir) => {
    const generated = [...generatedFiles().keys()].filter((p) => p.startsWith(`${dir}/`)).map((p) => p.slice(dir.length + 1));
    expect(readdirSync(`${root}${dir}`).sort()).toEqual(generated.sort());
  });

  it('gives the chart the same CRD objects as crds/, behind crds.enabled', () => {
    const files = generatedFiles();
    for (const [path, content] of files) {
      if (!path.startsWith('crds/')) continue;
      const template = files.get(`${CHART_CRD_DIR}/${path.slice('crds/'.length)}`)!;
      const untemplated = template
        .split('\n')
        .filter((line) => !line.includes('{{'))
        .filter((line) => !/^ {2}(annotations|labels):$|^ {4}helm\.sh\/resource-policy: keep$/.test(line))
        .join('\n');
      expect(untemplated).toBe(content.split('\n').filter((line) => !line.startsWith('#')).join('\n'));
    }
  });
});
