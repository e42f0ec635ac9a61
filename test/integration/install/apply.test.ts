// What users apply, checked by the test API server with a server-side dry run: the chart with its
// default values, with the namespaced values CI lints, with the values `make e2e-kind` installs
// (and the manifests that script applies), and each kustomize overlay. The lifeboat.dev CRDs are
// installed first. The ServiceMonitor and PrometheusRule are left out: the server has no
// monitoring.coreos.com CRDs (chart.test.ts checks them client-side).
import { beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../../env/paths.ts';
import { createNamespace, installCrds, makeKubectl, ok, toYaml, type Kubectl } from '../api/kubectl.ts';
import { CHART, DEPLOY, helmTemplate, kustomize, objectId, OVERLAYS, parseManifests, type KubeObject } from './render.ts';

let kubectl: Kubectl;
/** Stands in for lifeboat-system, which another test installs the operator into and removes. */
let releaseNamespace: string;
let watched: string;

const MONITORING = 'monitoring.coreos.com/v1';

/** The objects with lifeboat-system moved to `to` (metadata and ServiceAccount subjects), as kustomize's namespace field would. */
function relocate(objects: KubeObject[], to: string): KubeObject[] {
  return objects.map((object) => {
    const moved = structuredClone(object) as KubeObject & { subjects?: { namespace?: string }[] };
    if (moved.kind === 'Namespace' && moved.metadata.name === DEPLOY.namespace) moved.metadata.name = to;
    if (moved.metadata.namespace === DEPLOY.namespace) moved.metadata.namespace = to;
    for (const subject of moved.subjects ?? []) if (subject.namespace === DEPLOY.namespace) subject.namespace = to;
    return moved;
  });
}

/** `kubectl apply --server-side --dry-run=server`: every object accepted, no Pod Security warning. */
async function dryRun(objects: KubeObject[]): Promise<void> {
  expect(objects.length).toBeGreaterThan(0);
  const args = ['apply', '--server-side', '--dry-run=server', '--force-conflicts', '--field-manager=lifeboat-install-test', '-f', '-'];
  const result = await kubectl(args, toYaml(...objects));
  if (result.code !== 0) throw new Error(`the API server refused:\n${result.stderr}${result.stdout}`);
  const applied = result.stdout.split('\n').filter((line) => line.endsWith('serverside-applied (server dry run)'));
  expect(applied).toHaveLength(objects.length);
  expect(result.stderr).not.toMatch(/would violate PodSecurity/);
}

beforeAll(async () => {
  kubectl = makeKubectl();
  await installCrds(kubectl);
  releaseNamespace = await createNamespace(kubectl, 'install');
  // As deploy/base labels lifeboat-system: the operator's pods must meet the restricted standard.
  await ok(kubectl, ['label', 'namespace', releaseNamespace, 'pod-security.kubernetes.io/enforce=restricted', 'pod-security.kubernetes.io/warn=restricted']);
  watched = await createNamespace(kubectl, 'install-watched');
});

describe('helm template | kubectl apply --server-side --dry-run=server', () => {
  it('accepts the chart with its default values', async () => {
    const objects = await helmTemplate({}, { namespace: releaseNamespace });
    expect(objects.map(objectId)).toContain('CustomResourceDefinition/backupruns.lifeboat.dev');
    await dryRun(objects);
  });

  it('accepts the chart in namespaced mode (ci/namespaced-values.yaml, watching a namespace of this test)', async () => {
    const values = { ...(parse(readFileSync(join(CHART, 'ci/namespaced-values.yaml'), 'utf8')) as object), watchNamespaces: [watched] };
    const objects = await helmTemplate(values, { namespace: releaseNamespace });
    const monitoring = objects.filter((object) => object.apiVersion === MONITORING).map((object) => object.kind);
    expect(monitoring.sort()).toEqual(['PrometheusRule', 'ServiceMonitor']);
    const rest = objects.filter((object) => object.apiVersion !== MONITORING);
    expect(rest.map(objectId)).toContain(`RoleBinding/${watched}/lifeboat-operator`);
    await dryRun(rest);
  });

  it('accepts what make e2e-kind applies: the chart with hack/e2e-kind/values.yaml, then its backends and Lifeboat objects', async () => {
    const values = parse(readFileSync(join(repoRoot, 'hack/e2e-kind/values.yaml'), 'utf8')) as object;
    await dryRun(await helmTemplate(values, { namespace: releaseNamespace }));
    // The script's namespace is lifeboat-e2e; here the test's own stands in for it.
    const story = ['00-backends.yaml', '10-backup.yaml', '20-drill.yaml']
      .flatMap((file) => parseManifests(readFileSync(join(repoRoot, 'hack/e2e-kind', file), 'utf8')))
      .filter((object) => object.kind !== 'Namespace')
      .map((object) => ({ ...object, metadata: { ...object.metadata, namespace: watched } }));
    expect(story.map((object) => object.kind)).toEqual(expect.arrayContaining(['BackupSchedule', 'BackupRun', 'DRDrill', 'DRDrillRun']));
    await dryRun(story);
  });
});

describe('kubectl kustomize | kubectl apply --server-side --dry-run=server', () => {
  it.each(OVERLAYS)('accepts deploy/overlays/%s', async (overlay) => {
    const objects = await kustomize(overlay);
    expect(objects.map((object) => object.kind)).toEqual(expect.arrayContaining(['Namespace', 'ClusterRole', 'Deployment']));
    await dryRun(relocate(objects, releaseNamespace));
  });
});
