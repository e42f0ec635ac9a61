// What users apply, checked by the test API server with a server-side dry run (which also checks
// the leader-election FlowSchema against flowcontrol.apiserver.k8s.io/v1): the chart with its
// default values, with the namespaced values CI lints, with its ServiceMonitor and PrometheusRule,
// with the values `make e2e-kind` installs (and the manifests that script applies), each kustomize
// overlay, and deploy/monitoring. The lifeboat.dev CRDs are installed first, and the Prometheus
// Operator's CRDs for ServiceMonitor and PrometheusRule (hack/testbin/tools/prometheus-operator-crds.sh
// takes them from its Go module), so that those two are checked against their real schemas.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { locateTool } from '../../env/binaries.ts';
import { repoRoot } from '../../env/paths.ts';
import { createNamespace, installCrds, makeKubectl, ok, toYaml, type Kubectl } from '../api/kubectl.ts';
import { CHART, DEPLOY, helmTemplate, kustomize, kustomizeFolder, objectId, OVERLAYS, parseManifests, type KubeObject } from './render.ts';

let kubectl: Kubectl;
/** Stands in for lifeboat-system, which another test installs the operator into and removes. */
let releaseNamespace: string;
let watched: string;

const MONITORING = 'monitoring.coreos.com/v1';
/** The Prometheus Operator's CRDs the monitoring objects need. */
const MONITORING_CRDS = ['servicemonitors.monitoring.coreos.com', 'prometheusrules.monitoring.coreos.com'];

/** Installs the Prometheus Operator's ServiceMonitor and PrometheusRule CRDs and waits until they are served. */
async function installMonitoringCrds(): Promise<void> {
  const files = MONITORING_CRDS.map((crd) => ['-f', join(locateTool('prometheus-operator-crds'), `monitoring.coreos.com_${crd.split('.')[0]}.yaml`)]);
  await ok(kubectl, ['apply', '--server-side', '--force-conflicts', '--field-manager=lifeboat-tests', ...files.flat()]);
  await ok(kubectl, ['wait', '--for=condition=Established', '--timeout=60s', ...MONITORING_CRDS.map((crd) => `crd/${crd}`)]);
}

type FlowSchemaRules = { rules?: { subjects?: { serviceAccount?: { namespace?: string } }[]; resourceRules?: { namespaces?: string[] }[] }[] };

/**
 * The objects with lifeboat-system moved to `to` (metadata and ServiceAccount subjects), as kustomize's
 * namespace field would, and in the FlowSchema's rules too, as docs/install.md tells a user to.
 */
function relocate(objects: KubeObject[], to: string): KubeObject[] {
  const move = (namespace: string | undefined) => (namespace === DEPLOY.namespace ? to : namespace);
  return objects.map((object) => {
    const moved = structuredClone(object) as KubeObject & { subjects?: { namespace?: string }[]; spec?: FlowSchemaRules };
    if (moved.kind === 'Namespace' && moved.metadata.name === DEPLOY.namespace) moved.metadata.name = to;
    if (moved.metadata.namespace === DEPLOY.namespace) moved.metadata.namespace = to;
    for (const subject of moved.subjects ?? []) subject.namespace = move(subject.namespace);
    if (moved.kind === 'FlowSchema') {
      for (const rule of moved.spec?.rules ?? []) {
        for (const subject of rule.subjects ?? []) if (subject.serviceAccount) subject.serviceAccount.namespace = move(subject.serviceAccount.namespace);
        for (const resourceRule of rule.resourceRules ?? []) resourceRule.namespaces = resourceRule.namespaces?.map((namespace) => move(namespace)!);
      }
    }
    return moved;
  });
}

const DRY_RUN = ['apply', '--server-side', '--dry-run=server', '--force-conflicts', '--field-manager=lifeboat-install-test', '-f', '-'];

/** `kubectl apply --server-side --dry-run=server`: every object accepted, no Pod Security warning. */
async function dryRun(objects: KubeObject[]): Promise<void> {
  expect(objects.length).toBeGreaterThan(0);
  const result = await kubectl(DRY_RUN, toYaml(...objects));
  if (result.code !== 0) throw new Error(`the API server refused:\n${result.stderr}${result.stdout}`);
  const applied = result.stdout.split('\n').filter((line) => line.endsWith('serverside-applied (server dry run)'));
  expect(applied).toHaveLength(objects.length);
  expect(result.stderr).not.toMatch(/would violate PodSecurity/);
}

beforeAll(async () => {
  kubectl = makeKubectl();
  await installCrds(kubectl);
  await installMonitoringCrds();
  releaseNamespace = await createNamespace(kubectl, 'install');
  // As deploy/base labels lifeboat-system: the operator's pods must meet the restricted standard.
  await ok(kubectl, ['label', 'namespace', releaseNamespace, 'pod-security.kubernetes.io/enforce=restricted', 'pod-security.kubernetes.io/warn=restricted']);
  watched = await createNamespace(kubectl, 'install-watched');
});

describe('helm template | kubectl apply --server-side --dry-run=server', () => {
  it('accepts the chart with its default values', async () => {
    const objects = await helmTemplate({}, { namespace: releaseNamespace });
    expect(objects.map(objectId)).toEqual(expect.arrayContaining(['CustomResourceDefinition/backupruns.lifeboat.dev', 'FlowSchema/lifeboat-operator-leader-election']));
    await dryRun(objects);
  });

  it('accepts the chart in namespaced mode (ci/namespaced-values.yaml, watching a namespace of this test)', async () => {
    const values = { ...(parse(readFileSync(join(CHART, 'ci/namespaced-values.yaml'), 'utf8')) as object), watchNamespaces: [watched] };
    const objects = await helmTemplate(values, { namespace: releaseNamespace });
    const monitoring = objects.filter((object) => object.apiVersion === MONITORING).map((object) => object.kind);
    expect(monitoring.sort()).toEqual(['PrometheusRule', 'ServiceMonitor']);
    expect(objects.map(objectId)).toContain(`RoleBinding/${watched}/lifeboat-operator`);
    await dryRun(objects);
  });

  it('accepts the chart with its ServiceMonitor and PrometheusRule enabled and labelled for a Prometheus', async () => {
    const objects = await helmTemplate(
      { serviceMonitor: { enabled: true, labels: { release: 'prom' }, interval: '1m', scrapeTimeout: '20s' }, prometheusRule: { enabled: true, labels: { release: 'prom' } } },
      { namespace: releaseNamespace },
    );
    expect(objects.filter((object) => object.apiVersion === MONITORING).map((object) => object.kind).sort()).toEqual(['PrometheusRule', 'ServiceMonitor']);
    await dryRun(objects);
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
    expect(objects.map((object) => object.kind)).toEqual(expect.arrayContaining(['Namespace', 'ClusterRole', 'Deployment', 'FlowSchema']));
    await dryRun(relocate(objects, releaseNamespace));
  });

  it('accepts deploy/monitoring', async () => {
    const objects = await kustomizeFolder('deploy/monitoring');
    expect(objects.map((object) => object.kind).sort()).toEqual(['PrometheusRule', 'ServiceMonitor']);
    await dryRun(relocate(objects, releaseNamespace));
  });

  // The dry run of the monitoring objects checks them against the CRDs' schemas: a mistake the
  // Prometheus Operator would not take is refused here too.
  it.each<[string, (endpoint: Record<string, unknown>) => void, RegExp]>([
    ['a scrape interval that is not a duration', (endpoint) => { endpoint.interval = '30 seconds'; }, /spec\.endpoints\[0\]\.interval/],
    ['honorLabels as a string', (endpoint) => { endpoint.honorLabels = 'always'; }, /spec\.endpoints\[0\]\.honorLabels/],
    ['a field the ServiceMonitor has not', (endpoint) => { endpoint.scrapePath = '/metrics'; }, /spec\.endpoints\[0\]\.scrapePath: field not declared in schema/],
  ])('refuses a ServiceMonitor of deploy/monitoring with %s', async (_, spoil, refusal) => {
    const monitor = relocate(await kustomizeFolder('deploy/monitoring'), releaseNamespace).find((object) => object.kind === 'ServiceMonitor') as KubeObject & {
      spec: { endpoints: Record<string, unknown>[] };
    };
    spoil(monitor.spec.endpoints[0]!);
    const result = await kubectl(DRY_RUN, toYaml(monitor));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(refusal);
  });
});
