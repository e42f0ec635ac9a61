// examples/gitops as Argo CD and Flux would read it: every kustomization builds with kubectl, the
// team's Lifeboat objects and the placeholder Secrets pass a server-side dry run against the real
// API server with the CRDs installed, the Secrets are exactly the ones those objects name (with
// the keys the API server defaults to), and every Argo CD Application and Flux Kustomization
// syncs a folder of this repository that exists and builds, in the order the docs promise.
// Argo CD's and Flux's own CRDs are not in the test cluster, so their objects are parsed, not applied.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { crdDescriptors, GROUP } from '../../../src/api/index.ts';
import { createNamespace, installCrds, makeKubectl, ok, repoRoot, type Kubectl } from '../api/kubectl.ts';

const EXAMPLES = join(repoRoot, 'examples/gitops');
const REPO_URL = 'https://github.com/lifeboat-dev/lifeboat';

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Argo CD's and Flux's specs have no types here
  spec?: any;
  stringData?: Record<string, string>;
}

function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((document) => document.toJS() as Manifest | null)
    .filter((manifest): manifest is Manifest => manifest !== null);
}

const readManifests = (path: string): Manifest[] => parseManifests(readFileSync(path, 'utf8'));
const ofKind = (manifests: Manifest[], kind: string): Manifest[] => manifests.filter((manifest) => manifest.kind === kind);
const named = (manifests: Manifest[], name: string): Manifest => {
  const found = manifests.find((manifest) => manifest.metadata.name === name);
  if (!found) throw new Error(`no object named ${name} in ${manifests.map((m) => m.metadata.name).join(', ')}`);
  return found;
};

/** Every folder under `root` with a kustomization.yaml, relative to `root`. */
function kustomizationDirs(root: string, prefix = ''): string[] {
  const dirs = existsSync(join(root, prefix, 'kustomization.yaml')) ? [prefix] : [];
  for (const entry of readdirSync(join(root, prefix), { withFileTypes: true })) {
    if (entry.isDirectory()) dirs.push(...kustomizationDirs(root, join(prefix, entry.name)));
  }
  return dirs;
}

/** The Secret references in an object: every `<x>Secret: { name, <y>Key... }`, with the keys it names. */
function secretRefs(value: unknown, found = new Map<string, Set<string>>()): Map<string, Set<string>> {
  if (Array.isArray(value)) value.forEach((item) => secretRefs(item, found));
  else if (value && typeof value === 'object') {
    for (const [field, inner] of Object.entries(value)) {
      if (field.endsWith('Secret') && inner && typeof inner === 'object' && typeof (inner as { name?: unknown }).name === 'string') {
        const ref = inner as Record<string, unknown>;
        const keys = found.get(ref.name as string) ?? new Set<string>();
        for (const [refField, key] of Object.entries(ref)) if (/(^k|K)ey$/.test(refField) && typeof key === 'string') keys.add(key);
        found.set(ref.name as string, keys);
      } else secretRefs(inner, found);
    }
  }
  return found;
}

/** Every value set is a key of charts/lifeboat/values.yaml (values.schema.json refuses unknown keys). */
function expectChartValues(values: unknown): void {
  const defaults = parseManifests(readFileSync(join(repoRoot, 'charts/lifeboat/values.yaml'), 'utf8'))[0] as unknown as Record<string, unknown>;
  const paths = (value: unknown, prefix: string): string[] =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.entries(value).flatMap(([key, inner]) => paths(inner, prefix ? `${prefix}.${key}` : key))
      : [prefix];
  for (const path of paths(values, '')) {
    const found = path.split('.').reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), defaults);
    expect({ path, known: found !== undefined }).toEqual({ path, known: true });
  }
}

let kubectl: Kubectl;
let namespace: string;
/** `kubectl kustomize` of every kustomization folder under examples/gitops, by folder. */
const built = new Map<string, Manifest[]>();

/** Checks that a folder Argo CD or Flux is told to sync exists here and builds the way the tool would build it. */
async function expectSyncableFolder(path: string): Promise<void> {
  const dir = join(repoRoot, path);
  expect(existsSync(dir) && statSync(dir).isDirectory()).toBe(true);
  if (existsSync(join(dir, 'kustomization.yaml'))) {
    expect(parseManifests(await ok(kubectl, ['kustomize', dir])).length).toBeGreaterThan(0);
  } else if (existsSync(join(dir, 'Chart.yaml'))) {
    expect(readFileSync(join(dir, 'Chart.yaml'), 'utf8')).toMatch(/^name: lifeboat$/m);
  } else {
    // Plain manifests (Argo CD's directory source, Flux's generated kustomization): the CRDs.
    const files = readdirSync(dir).filter((file) => file.endsWith('.yaml'));
    const kinds = files.flatMap((file) => readManifests(join(dir, file))).map((manifest) => manifest.kind);
    expect(new Set(kinds)).toEqual(new Set(['CustomResourceDefinition']));
    expect(files).toHaveLength(crdDescriptors.length);
  }
}

beforeAll(async () => {
  kubectl = makeKubectl();
  await installCrds(kubectl);
  namespace = await createNamespace(kubectl, 'gitops');
  for (const dir of kustomizationDirs(EXAMPLES)) built.set(dir, parseManifests(await ok(kubectl, ['kustomize', join(EXAMPLES, dir)])));
});

describe('examples/gitops', () => {
  it('has a kustomization for Argo CD, Flux and the team, and each builds with kubectl kustomize', () => {
    expect([...built.keys()].sort()).toEqual(['argocd', 'flux', 'flux/helm', 'team']);
    for (const [dir, manifests] of built) expect({ dir, empty: manifests.length === 0 }).toEqual({ dir, empty: false });
  });
});

describe("the team's folder", () => {
  it('holds a BackupSchedule and a DRDrill, and no Secret', () => {
    const manifests = built.get('team')!;
    expect(manifests.map((m) => `${m.kind}/${m.metadata.name}`).sort()).toEqual(['BackupSchedule/app', 'DRDrill/app-weekly']);
    expect(manifests.every((m) => m.apiVersion === `${GROUP}/v1alpha1` && m.metadata.namespace === undefined)).toBe(true);
  });

  it('applies to the API server with a server-side dry run', async () => {
    const out = await ok(kubectl, ['apply', '--server-side', '--dry-run=server', '-n', namespace, '-k', join(EXAMPLES, 'team')]);
    expect(out).toContain('backupschedule.lifeboat.dev/app serverside-applied (server dry run)');
    expect(out).toContain('drdrill.lifeboat.dev/app-weekly serverside-applied (server dry run)');
  });

  it('names exactly the placeholder Secrets, which have every key the defaulted objects read', async () => {
    // The API server's defaults fill in the key names (passwordKey, accessKeyIdKey, key, ...).
    const defaulted = JSON.parse(
      await ok(kubectl, ['apply', '--server-side', '--dry-run=server', '-n', namespace, '-k', join(EXAMPLES, 'team'), '-o', 'json']),
    ) as Manifest & { items?: Manifest[] };
    const objects = defaulted.items ?? [defaulted];
    expect(objects.map((object) => object.kind).sort()).toEqual(['BackupSchedule', 'DRDrill']);
    const refs = secretRefs(objects.map((object) => object.spec));
    const placeholders = readManifests(join(EXAMPLES, 'team/secrets.placeholder.yaml'));
    expect(placeholders.map((secret) => secret.metadata.name).sort()).toEqual([...refs.keys()].sort());
    for (const [name, keys] of refs) {
      expect({ name, keys: Object.keys(named(placeholders, name).stringData ?? {}).sort() }).toEqual({ name, keys: [...keys].sort() });
    }
  });

  it('has placeholders that apply (dry run) and hold no secret value', async () => {
    const out = await ok(kubectl, ['apply', '--server-side', '--dry-run=server', '-n', namespace, '-f', join(EXAMPLES, 'team/secrets.placeholder.yaml')]);
    expect(out.match(/^secret\/\S+ serverside-applied \(server dry run\)$/gm)).toHaveLength(readManifests(join(EXAMPLES, 'team/secrets.placeholder.yaml')).length);
    for (const secret of readManifests(join(EXAMPLES, 'team/secrets.placeholder.yaml'))) {
      for (const [key, value] of Object.entries(secret.stringData ?? {})) {
        if (key !== 'username') expect(`${secret.metadata.name}.${key}: ${value}`).toMatch(/: REPLACE-ME/);
      }
    }
  });

  it('gets the same Secrets from the External Secrets example', () => {
    const placeholders = readManifests(join(EXAMPLES, 'team/secrets.placeholder.yaml'));
    const external = readManifests(join(EXAMPLES, 'team/external-secrets.example.yaml'));
    expect(external.map((e) => e.kind)).toEqual(external.map(() => 'ExternalSecret'));
    const made = external.map((e) => ({
      name: e.spec.target.name as string,
      type: (e.spec.target.template?.type as string | undefined) ?? 'Opaque',
      keys: (e.spec.data as { secretKey: string }[]).map((d) => d.secretKey).sort(),
    }));
    const wanted = placeholders.map((s) => ({ name: s.metadata.name, type: (s as Manifest & { type: string }).type, keys: Object.keys(s.stringData ?? {}).sort() }));
    expect(made.sort((a, b) => a.name.localeCompare(b.name))).toEqual(wanted.sort((a, b) => a.name.localeCompare(b.name)));
  });
});

describe('the Argo CD Applications', () => {
  const applications = (): Manifest[] => [
    ...ofKind(built.get('argocd')!, 'Application'),
    ...readManifests(join(EXAMPLES, 'argocd/root-application.yaml')),
    ...readManifests(join(EXAMPLES, 'argocd/lifeboat-helm.yaml')),
  ];

  it('sync the CRDs first (wave -1), then the operator, then the backups, server-side', () => {
    // kustomize sorts by kind and name; Argo CD orders by wave.
    const waves = ofKind(built.get('argocd')!, 'Application')
      .map((app) => [app.metadata.name, Number(app.metadata.annotations?.['argocd.argoproj.io/sync-wave'])] as const)
      .sort((a, b) => a[1] - b[1]);
    expect(waves).toEqual([
      ['lifeboat-crds', -1],
      ['lifeboat', 0],
      ['team-app-backups', 1],
    ]);
    for (const app of ofKind(built.get('argocd')!, 'Application')) expect(app.spec.syncPolicy.syncOptions).toContain('ServerSideApply=true');
    expect(named(applications(), 'lifeboat-crds').spec.syncPolicy.automated.prune).toBe(false);
  });

  it('are under a root Application that syncs this folder', () => {
    expect(named(applications(), 'lifeboat-root').spec.source.path).toBe('examples/gitops/argocd');
  });

  it('each sync a folder of this repository that exists and builds', async () => {
    for (const app of applications()) {
      expect({ app: app.metadata.name, repoURL: app.spec.source.repoURL, project: app.spec.project }).toEqual({ app: app.metadata.name, repoURL: REPO_URL, project: 'default' });
      await expectSyncableFolder(app.spec.source.path as string);
    }
  });

  it('can take the operator from the chart instead, with values the chart has', () => {
    const helm = readManifests(join(EXAMPLES, 'argocd/lifeboat-helm.yaml'))[0]!;
    expect(helm.spec.source.path).toBe('charts/lifeboat');
    expect(helm.metadata.annotations?.['argocd.argoproj.io/sync-wave']).toBe('0');
    expectChartValues(helm.spec.source.helm.valuesObject);
  });
});

describe('the Flux objects', () => {
  const kustomizations = (): Manifest[] => ofKind(built.get('flux')!, 'Kustomization');

  it('take this repository from one GitRepository', () => {
    const [source] = ofKind(built.get('flux')!, 'GitRepository');
    expect(source?.spec.url).toBe(REPO_URL);
    for (const k of kustomizations()) expect(k.spec.sourceRef).toEqual({ kind: 'GitRepository', name: source?.metadata.name });
  });

  it('apply the CRDs, then the operator, then the backups, each waiting for the one before', () => {
    const byName = new Map(kustomizations().map((k) => [k.metadata.name, k]));
    expect([...byName.keys()].sort()).toEqual(['lifeboat', 'lifeboat-crds', 'team-app-backups']);
    expect(byName.get('lifeboat-crds')!.spec.dependsOn).toBeUndefined();
    expect(byName.get('lifeboat')!.spec.dependsOn).toEqual([{ name: 'lifeboat-crds' }]);
    expect(byName.get('team-app-backups')!.spec.dependsOn).toEqual([{ name: 'lifeboat' }]);
    for (const k of kustomizations()) expect(k.spec.wait).toBe(true);
    // Pruning the CRDs would delete every Lifeboat object with them.
    expect(byName.get('lifeboat-crds')!.spec.prune).toBe(false);
  });

  it('each apply a folder of this repository that exists and builds', async () => {
    for (const k of kustomizations()) await expectSyncableFolder((k.spec.path as string).replace(/^\.\//, ''));
  });

  it("check the backups' health with the expressions of deploy/flux, for all five kinds", () => {
    const shipped = ofKind(readManifests(join(repoRoot, 'deploy/flux/health-checks.yaml')), 'Kustomization')[0]?.spec.healthCheckExprs as { kind: string }[];
    const exprs = named(kustomizations(), 'team-app-backups').spec.healthCheckExprs as { kind: string }[];
    expect(exprs).toEqual(shipped);
    expect(exprs.map((e) => e.kind).sort()).toEqual(crdDescriptors.map((d) => d.kind).sort());
  });

  it('can take the operator from the chart instead: a HelmRelease of charts/lifeboat with values the chart has', async () => {
    const [release] = ofKind(built.get('flux/helm')!, 'HelmRelease');
    expect(release?.spec.chart.spec.sourceRef).toEqual({ kind: 'GitRepository', name: ofKind(built.get('flux')!, 'GitRepository')[0]?.metadata.name });
    expect(release?.spec.targetNamespace).toBe('lifeboat-system');
    await expectSyncableFolder((release?.spec.chart.spec.chart as string).replace(/^\.\//, ''));
    expectChartValues(release?.spec.values);
  });
});
