// Writes crds/*.yaml, the same CRDs as templates of charts/lifeboat (templates/crds/), and
// docs/api-reference.md from the zod schemas in src/api.
//   npx node hack/gen-crds.ts          write the files
//   npx node hack/gen-crds.ts --check  exit 1 when a committed file differs
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generatedFiles } from '../src/api/generate/files.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const check = process.argv.includes('--check');
let stale = 0;

for (const [path, content] of generatedFiles()) {
  const target = `${root}${path}`;
  let current: string | undefined;
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === content) continue;
  if (check) {
    console.error(`${path} is out of date: run npx node hack/gen-crds.ts`);
    stale++;
  } else {
    writeFileSync(target, content);
    console.log(`wrote ${path}`);
  }
}
process.exitCode = stale ? 1 : 0;
