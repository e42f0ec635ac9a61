// The built images run: each unpacked with umoci and started with runc the way the Deployment
// and the runner Jobs start them (user 65532 from the image, read-only root, no capabilities,
// no new privileges). The runner's Node, its PostgreSQL 17 tools and its entry point; the
// operator's entry point up to its configuration, which takes the runner image's default from
// the package.json in the image. Needs root, runc and umoci; skipped with the reason otherwise.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ImageName } from '../../../src/contract/images.ts';
import { describeBuiltImages, imagesSummary, REPO_ROOT } from './image-layout.ts';

const exec = promisify(execFile);

/** Why these checks cannot run on this machine, or '' when they can. */
function cannotRun(): string {
  if (process.getuid?.() !== 0) return 'runc and umoci unpack need root here';
  if (spawnSync('sh', ['-c', 'command -v runc && command -v umoci']).status !== 0) return 'runc or umoci is not installed (hack/system-deps.sh installs them)';
  return '';
}
const why = cannotRun();

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

let runs = 0;

/** Runs `args` (the image's entry point when absent) in the unpacked image, as a Pod would. */
async function run(bundle: string, args?: string[], env: string[] = []): Promise<Ran> {
  const path = join(bundle, 'config.json');
  const original = readFileSync(path, 'utf8');
  const spec = JSON.parse(original) as {
    process: { terminal?: boolean; args: string[]; env: string[]; noNewPrivileges?: boolean; capabilities?: object };
    root: { readonly?: boolean };
  };
  spec.process.terminal = false;
  spec.process.noNewPrivileges = true;
  spec.process.capabilities = { bounding: [], effective: [], permitted: [], ambient: [] };
  spec.process.env = [...spec.process.env, ...env];
  if (args) spec.process.args = args;
  spec.root.readonly = true;
  writeFileSync(path, JSON.stringify(spec));
  const id = `lifeboat-image-test-${process.pid}-${++runs}`;
  try {
    const { stdout, stderr } = await exec('runc', ['run', '--bundle', bundle, id], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  } finally {
    writeFileSync(path, original);
    await exec('runc', ['delete', '--force', id]).catch(() => undefined);
  }
}

describeBuiltImages('the built images, run with runc', () => {
  const work = mkdtempSync(join(tmpdir(), 'lifeboat-images-'));
  const bundles = new Map<ImageName, string>();

  beforeAll(async () => {
    if (why) return;
    const summary = imagesSummary();
    for (const name of ['operator', 'runner'] as const) {
      const image = summary[name];
      if (!image) throw new Error(`build/images/images.json has no ${name} image`);
      const bundle = join(work, name);
      await exec('umoci', ['unpack', '--image', `${join(REPO_ROOT, image.layout)}:${image.tag}`, bundle], { timeout: 120_000 });
      bundles.set(name, bundle);
    }
  }, 240_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /** A check that needs runc: skipped, under a title that says why, where it cannot run. */
  const check = (title: string, body: () => Promise<void>) => (why ? it.skip(`${title} (SKIPPED: ${why})`, () => undefined) : it(title, body));

  describe('runner', () => {
    const bundle = () => bundles.get('runner') ?? '';

    check('runs Node 24 as 65532', async () => {
      expect((await run(bundle(), ['/usr/local/bin/node', '--version'])).stdout).toMatch(/^v24\./);
      expect((await run(bundle(), ['id', '-u'])).stdout.trim()).toBe('65532');
    });

    check("finds PostgreSQL 17's pg_dump, pg_restore and psql first on its PATH", async () => {
      for (const tool of ['pg_dump', 'pg_restore', 'psql']) {
        const ran = await run(bundle(), [tool, '--version']);
        expect(ran).toMatchObject({ code: 0 });
        expect(ran.stdout).toMatch(new RegExp(`^${tool} \\(PostgreSQL\\) 17\\.`));
      }
    });

    check('starts its entry point on a read-only root', async () => {
      const ran = await run(bundle(), undefined);
      // Without a subcommand the runner prints its usage and exits 2 (RunnerExit.usage).
      expect(ran.code).toBe(2);
      expect(ran.stderr).toContain('usage: lifeboat-runner <subcommand>');
      expect(ran.stderr).toContain('postgres-backup');
    });
  });

  describe('operator', () => {
    check("starts its entry point and reads its configuration, the runner image defaulting to its own version's", async () => {
      const ran = await run(bundles.get('operator') ?? '', undefined, ['LIFEBOAT_WORKERS=many', 'LIFEBOAT_LEADER_ELECTION=false']);
      expect(ran.code).toBe(2);
      expect(ran.stderr).toContain('LIFEBOAT_WORKERS: must be a whole number');
      expect(ran.stderr).not.toContain('LIFEBOAT_RUNNER_IMAGE');
    });
  });
});
