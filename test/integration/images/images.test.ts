// The operator and runner images `make images` built (docs/images.md): named and tagged from
// src/contract/images.ts, configured to run as 65532 with an entry point that is in the image,
// holding the tools the runner runs and a recovery by hand needs, the Debian packages
// images/<name>/packages asks for and nothing apt did not pull in for them, and nothing of the
// build: no source, source map, test, credential, private key or path of this checkout, in any
// layer.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { IMAGE_SOURCE, imageReference, IMAGE_REPOSITORIES, type ImageName } from '../../../src/contract/images.ts';
import {
  describeBuiltImages,
  imagesSummary,
  mergeLayers,
  packageVersion,
  parseDpkgStatus,
  readLayout,
  REPO_ROOT,
  requestedPackages,
  walkLayers,
  type DpkgPackage,
  type LayerEntry,
  type Layout,
} from './image-layout.ts';

const PG_BINDIR = 'usr/lib/postgresql/17/bin';

/** What a file's content must never hold: keys, test credentials, this machine's paths. */
const FORBIDDEN_CONTENT: [string, RegExp][] = [
  // A key's body, not the PEM label a parser looks for (jose's has one).
  ['a private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----\s*[A-Za-z0-9+/=\s]{64,}/],
  ['an age identity', /AGE-SECRET-KEY-1[0-9A-Z]{50,}/],
  ['a test credential', /hunter2|s3cr3t value|the-right-one|wJalrXUtnFEMI\/K7MDENG\/bPxRfiCYEXAMPLEKEY|not-checked-by-trust-auth/],
];

/** Paths that are part of a build or a test, never of an image. */
const FORBIDDEN_PATHS: [string, RegExp][] = [
  ['a source map', /\.map$/],
  ['a TypeScript file', /\.[cm]?ts$/],
  ['a test file', /\.(test|spec)\.[cm]?[jt]s$/],
  ['a test folder of ours', /^app\/dist\/(.*\/)?(testing|__tests__)(\/|$)/],
  ['a git folder', /(^|\/)\.git(\/|$)/],
  ['an environment or npm credentials file', /(^|\/)(\.env|\.npmrc|\.netrc|kubeconfig)$/],
  ['an SSH key', /(^|\/)id_(rsa|dsa|ecdsa|ed25519)$/],
  ['a host file of the build machine', /^etc\/(resolv\.conf|hostname)$/],
];

interface Walked {
  layout: Layout;
  entries: LayerEntry[];
  files: Map<string, LayerEntry>;
  dpkgStatus: string;
  appPackageJson: { type?: string; version?: string };
  distSources: Map<string, string>;
  findings: string[];
}

async function walk(name: ImageName): Promise<Walked> {
  const summary = imagesSummary()[name];
  if (!summary) throw new Error(`build/images/images.json has no ${name} image`);
  const layout = readLayout(summary.layout, summary.tag);
  const findings: string[] = [];
  const distSources = new Map<string, string>();
  let dpkgStatus = '';
  let appPackageJson = {};
  const machinePaths = [REPO_ROOT.replace(/\/$/, ''), join(homedir(), '.cache')];
  const entries = await walkLayers(layout.layers, {
    // Every file small enough to be a key or a credential; the application's files whatever their size, but node.
    wants: (entry) => entry.size < 1024 * 1024 || (entry.path.startsWith('app/') && entry.size < 16 * 1024 * 1024),
    inspect: (entry, content) => {
      const text = content.toString('latin1');
      for (const [what, pattern] of FORBIDDEN_CONTENT) if (pattern.test(text)) findings.push(`${entry.path} (layer ${entry.layer}) holds ${what}`);
      if (entry.path.startsWith('app/')) {
        for (const path of machinePaths) if (text.includes(path)) findings.push(`${entry.path} names the build machine's ${path}`);
      }
      if (entry.path === 'var/lib/dpkg/status') dpkgStatus = content.toString('utf8');
      if (entry.path === 'app/package.json') appPackageJson = JSON.parse(content.toString('utf8')) as object;
      if (entry.path.startsWith('app/dist/') && entry.path.endsWith('.js')) distSources.set(entry.path, content.toString('utf8'));
    },
  });
  for (const entry of entries) {
    for (const [what, pattern] of FORBIDDEN_PATHS) if (pattern.test(entry.path)) findings.push(`${entry.path} (layer ${entry.layer}) is ${what}`);
  }
  return { layout, entries, files: mergeLayers(entries), dpkgStatus, appPackageJson, distSources, findings };
}

function installed(status: string): DpkgPackage[] {
  return parseDpkgStatus(status).filter((pkg) => pkg.status === 'install ok installed');
}

/**
 * Installed packages that nothing asked for: neither requested, nor part of minbase (Essential,
 * Priority required, apt), nor a dependency of one that is.
 */
function unrequested(packages: DpkgPackage[], requested: string[]): string[] {
  const byName = new Map(packages.map((pkg) => [pkg.name, pkg]));
  const providers = new Map<string, string[]>();
  for (const pkg of packages) for (const virtual of pkg.provides) providers.set(virtual, [...(providers.get(virtual) ?? []), pkg.name]);
  const wanted = new Set<string>();
  const queue = [...requested, 'apt', ...packages.filter((pkg) => pkg.essential || pkg.priority === 'required').map((pkg) => pkg.name)];
  while (queue.length > 0) {
    const name = queue.pop() ?? '';
    if (wanted.has(name) || !byName.has(name)) continue;
    wanted.add(name);
    for (const alternatives of byName.get(name)?.depends ?? []) {
      const satisfied = alternatives.flatMap((alternative) => [alternative, ...(providers.get(alternative) ?? [])]).filter((candidate) => byName.has(candidate));
      queue.push(...satisfied);
    }
  }
  return packages.map((pkg) => pkg.name).filter((name) => !wanted.has(name));
}

/** What a compiled module imports: `import … from '…'`, `export … from '…'`, `import '…'`, `import('…')`. */
function importsOf(source: string): string[] {
  const statements = /^\s*(?:import|export)\s(?:[^;'"]*?\sfrom\s*)?['"]([^'"]+)['"]/gm;
  const dynamic = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;
  return [...source.matchAll(statements), ...source.matchAll(dynamic)].map((match) => match[1] ?? '');
}

/** The package a bare specifier names: "pg", "@aws-sdk/client-s3" of "@aws-sdk/client-s3/x". */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? '');
}

function resolveFrom(file: string, specifier: string): string {
  const parts = file.split('/').slice(0, -1);
  for (const segment of specifier.split('/')) {
    if (segment === '..') parts.pop();
    else if (segment !== '.') parts.push(segment);
  }
  return parts.join('/');
}

const IMAGES: ImageName[] = ['operator', 'runner'];

describeBuiltImages('the images make images built', () => {
  const version = packageVersion();

  it('are listed in build/images/images.json with the references, tags and layouts of src/contract/images.ts', () => {
    const summary = imagesSummary();
    for (const name of IMAGES) {
      expect(summary[name]).toMatchObject({ reference: imageReference(name, version), layout: `build/images/${IMAGE_REPOSITORIES[name]}`, tag: version });
      expect(readLayout(summary[name]?.layout ?? '', version).manifestDigest).toBe(summary[name]?.digest);
    }
  });

  describe.each(IMAGES)('the %s image', (name) => {
    let image: Walked;
    beforeAll(async () => {
      image = await walk(name);
    }, 180_000);

    it('runs node on its own entry point as 65532, in /app, with the version and source labels', () => {
      expect(image.layout.config).toMatchObject({
        User: '65532:65532',
        Entrypoint: ['/usr/local/bin/node', `/app/dist/${name}/main.js`],
        WorkingDir: '/app',
        Labels: { 'org.opencontainers.image.version': version, 'org.opencontainers.image.source': IMAGE_SOURCE },
      });
      expect(image.layout.config.Cmd ?? []).toEqual([]);
      const node = image.files.get('usr/local/bin/node');
      expect(node).toMatchObject({ type: 'file', uid: 0 });
      expect((node?.mode ?? 0) & 0o111).toBe(0o111);
      expect(image.files.get(`app/dist/${name}/main.js`)?.type).toBe('file');
      // ESM dist/ needs package.json's "type"; drill reports read its version.
      expect(image.appPackageJson).toMatchObject({ type: 'module', version });
    });

    it('holds every module its dist/ imports, relative or from node_modules', () => {
      const missing: string[] = [];
      for (const [file, source] of image.distSources) {
        for (const specifier of importsOf(source)) {
          if (specifier.startsWith('node:')) continue;
          const found = specifier.startsWith('.') ? image.files.has(resolveFrom(file, specifier)) : image.files.has(`app/node_modules/${packageOf(specifier)}/package.json`);
          if (!found) missing.push(`${file} imports ${specifier}`);
        }
      }
      expect(image.distSources.size).toBeGreaterThan(100);
      expect(missing).toEqual([]);
    });

    it('has no source, source map, test, credential, private key or build machine path in any layer', () => {
      expect(image.findings).toEqual([]);
      // /app holds the program and nothing else of the checkout.
      const appTop = new Set([...image.files.keys()].filter((path) => path.startsWith('app/')).map((path) => path.split('/')[1]));
      expect([...appTop].sort()).toEqual(['dist', 'node_modules', 'package.json']);
      const distFiles = [...image.files.values()].filter((entry) => entry.path.startsWith('app/dist/') && entry.type === 'file');
      expect(distFiles.filter((entry) => !entry.path.endsWith('.js')).map((entry) => entry.path)).toEqual([]);
    });

    it('lets its user write nothing: the application is root-owned and read-only to others, no file is world-writable', () => {
      const app = image.entries.filter((entry) => entry.layer === image.layout.layers.length - 1);
      const notRootOwnedReadOnly = app.filter((entry) => entry.uid !== 0 || entry.gid !== 0 || (entry.type !== 'symlink' && (entry.mode & 0o022) !== 0));
      expect(notRootOwnedReadOnly.map((entry) => entry.path)).toEqual([]);
      const writable = [...image.files.values()].filter(
        (entry) => entry.type !== 'symlink' && (entry.uid === 65532 || ((entry.mode & 0o002) !== 0 && !(entry.type === 'directory' && (entry.mode & 0o1000) !== 0))),
      );
      expect(writable.map((entry) => entry.path)).toEqual([]);
    });

    it('keeps no apt lists, apt caches, manuals, translations, or documentation but the copyright files', () => {
      const stray = [...image.files.values()].filter(
        (entry) =>
          entry.type === 'file' &&
          // apt's empty lock file stays; the lists and the cache go.
          ((/^var\/lib\/apt\/lists\/./.test(entry.path) && !(entry.path === 'var/lib/apt/lists/lock' && entry.size === 0)) ||
            /^var\/cache\/apt\/./.test(entry.path) ||
            /^usr\/share\/(man|locale)\/./.test(entry.path) ||
            (/^usr\/share\/doc\/./.test(entry.path) && !/\/copyright$/.test(entry.path))),
      );
      expect(stray.map((entry) => entry.path)).toEqual([]);
      expect(image.files.get('usr/share/doc/libc6/copyright')?.type).toBe('file');
    });

    it('has the Debian packages images/<name>/packages asks for, and no package that neither they nor minbase need', () => {
      const packages = installed(image.dpkgStatus);
      const names = packages.map((pkg) => pkg.name);
      expect(names).toEqual(expect.arrayContaining(requestedPackages(name)));
      expect(unrequested(packages, requestedPackages(name))).toEqual([]);
      // build/images/<repository>.packages, what make images printed, is this list.
      const listed = readFileSync(join(REPO_ROOT, `build/images/${IMAGE_REPOSITORIES[name]}.packages`), 'utf8').trim().split('\n');
      expect(listed).toEqual(packages.map((pkg) => `${pkg.name} ${pkg.version}`).sort());
      expect(image.files.get('etc/passwd')?.type).toBe('file');
    });

    if (name === 'operator') {
      it('has no PostgreSQL client: the operator never runs one', () => {
        expect(installed(image.dpkgStatus).filter((pkg) => pkg.name.startsWith('postgresql'))).toEqual([]);
      });
    }

    if (name === 'runner') {
      it("holds PostgreSQL 17's pg_dump, pg_restore and psql and points the runner at them", () => {
        const client = installed(image.dpkgStatus).find((pkg) => pkg.name === 'postgresql-client-17');
        expect(client?.version).toMatch(/^17\./);
        for (const tool of ['pg_dump', 'pg_restore', 'psql']) expect(image.files.get(`${PG_BINDIR}/${tool}`)?.type).toBe('file');
        const env = image.layout.config.Env ?? [];
        expect(env).toContain(`LIFEBOAT_PG_BINDIR=/${PG_BINDIR}`);
        expect(env.find((variable) => variable.startsWith('PATH='))).toMatch(new RegExp(`^PATH=/${PG_BINDIR}:`));
      });

      it('holds what docs/restore-by-hand.md uses: zstd, gzip, tar, sha256sum, age, curl, jq, getfattr, createdb', () => {
        const tools = ['usr/bin/zstd', 'usr/bin/gzip', 'usr/bin/tar', 'usr/bin/sha256sum', 'usr/bin/age', 'usr/bin/curl', 'usr/bin/jq', 'usr/bin/getfattr', `${PG_BINDIR}/createdb`];
        const absent = tools.filter((tool) => !['file', 'symlink', 'link'].includes(image.files.get(tool)?.type ?? ''));
        expect(absent).toEqual([]);
      });
    }
  });
});
