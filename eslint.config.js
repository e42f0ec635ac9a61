import { readdirSync } from 'node:fs';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Imports run one way (docs/adr/0008-layers-and-the-runner-contract.md). Each top-level folder
// of src/ names the folders it may import; an import of any other one fails the lint, and a
// new folder without a layer below fails it too. Imports are relative, so a rule matches the
// folder's name as a path segment (no sub-folder shares a name with a top-level one).
const FOLDERS = readdirSync(new URL('./src', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

/** Packages that do I/O: not in the deciding core nor in the contract. */
const IO_PACKAGES = ['@aws-sdk/*', 'pg', 'pino', 'prom-client', 'age-encryption', 'tar-stream', 'node:fs', 'node:fs/*', 'node:child_process', 'node:http', 'node:https', 'node:net'];

function layer(folder, { may, also = [] }) {
  const forbidden = FOLDERS.filter((other) => other !== folder && !may.includes(other));
  return {
    files: [`src/${folder}/**/*.ts`],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^\\.\\.?/(?:\\.\\./)*(?:${forbidden.join('|')})/`,
              message: `${may.length > 0 ? `src/${folder} may import only itself and ${may.map((other) => `src/${other}`).join(', ')}` : `src/${folder} imports nothing of ours outside itself`} (docs/adr/0008-layers-and-the-runner-contract.md).`,
            },
            ...also,
          ],
        },
      ],
    },
  };
}

const LAYERS = [
  layer('api', { may: [] }),
  layer('contract', {
    may: [],
    also: [{ regex: '^(?!zod$|@jest/globals$)[^.]', message: 'src/contract imports nothing but zod (and jest in tests): the operator and the runner both load it.' }],
  }),
  layer('failures', { may: [] }),
  layer('crypto', { may: [] }),
  layer('process', { may: ['failures'] }),
  layer('archive', { may: ['crypto'] }),
  layer('core', {
    may: ['api', 'contract'],
    also: [
      { group: IO_PACKAGES, message: 'src/core is pure: no I/O (src/core/README.md).' },
      { group: ['@kubernetes/client-node'], allowTypeImports: true, message: 'src/core imports only types from client-node.' },
    ],
  }),
  layer('kube', { may: [] }),
  layer('runtime', { may: ['kube'] }),
  layer('s3', { may: ['contract', 'failures'] }),
  layer('postgres', { may: ['contract', 'failures', 'process'] }),
  layer('controllers', {
    may: ['api', 'contract', 'core', 'failures', 'kube', 'runtime', 's3'],
    also: [
      {
        regex: '^\\.\\.?/(?:\\.\\./)*s3/(?!run-store\\.ts$)',
        message: 'Controllers reach object storage only through the port, src/s3/run-store.ts.',
      },
      { group: ['@aws-sdk/*'], message: 'Controllers reach object storage only through the port, src/s3/run-store.ts.' },
    ],
  }),
  layer('operator', { may: ['api', 'contract', 'controllers', 'core', 'failures', 'kube', 'runtime'] }),
  layer('runner', { may: ['archive', 'contract', 'crypto', 'failures', 'postgres', 'process', 's3'] }),
];

for (const folder of FOLDERS) {
  if (!LAYERS.some((config) => config.files[0] === `src/${folder}/**/*.ts`)) {
    throw new Error(`src/${folder} has no layer in eslint.config.js: say what it may import (docs/adr/0008-layers-and-the-runner-contract.md)`);
  }
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.testenv/', 'charts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // TypeScript already reports undefined names, and knows Node's globals.
      'no-undef': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  ...LAYERS,
);
