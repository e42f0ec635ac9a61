// charts/lifeboat rendered with helm template and read as objects: what each value changes.
// `helm lint --strict` for the default values and the namespaced values CI uses.
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../../env/paths.ts';
import { CHART, DEPLOY, helm, helmTemplate, helmTemplateResult, objectId, one, operatorEnv, parseManifests, type KubeObject } from './render.ts';

const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
const crdFiles = readdirSync(join(repoRoot, 'crds')).map((file) => parseManifests(readFileSync(join(repoRoot, 'crds', file), 'utf8'))[0]!);

type RoleBinding = KubeObject & { roleRef: { kind: string; name: string }; subjects: { kind: string; name: string; namespace: string }[] };
const crds = (objects: KubeObject[]) => objects.filter((object) => object.kind === 'CustomResourceDefinition');
const withoutCrds = (objects: KubeObject[]) => objects.filter((object) => object.kind !== 'CustomResourceDefinition');

async function templateError(values: object): Promise<string> {
  const result = await helmTemplateResult(values);
  expect(result.code).not.toBe(0);
  return result.stderr;
}

describe('helm lint --strict', () => {
  it.each([
    ['the default values', []],
    ['the namespaced values (ci/namespaced-values.yaml)', ['-f', join(CHART, 'ci/namespaced-values.yaml')]],
  ])('passes with %s', async (_, args) => {
    const result = await helm(['lint', '--strict', CHART, ...args]);
    expect(`${result.stdout}${result.stderr}`).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(result.code).toBe(0);
  });
});

describe('the chart with its default values', () => {
  it('is of the version in package.json, and deploys that version of the operator', async () => {
    const chart = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as { version: string; appVersion: string };
    expect(chart).toMatchObject({ version, appVersion: version });
    const deployment = one(await helmTemplate(), 'Deployment') as KubeObject & { spec: { template: { spec: { containers: { image: string }[] } } } };
    expect(deployment.spec.template.spec.containers[0]?.image).toBe(`ghcr.io/lifeboat-dev/lifeboat-operator:${version}`);
  });

  it('renders the CRDs, kept on uninstall, and the operator cluster-wide with two replicas under leader election', async () => {
    const objects = await helmTemplate();
    expect(withoutCrds(objects).map(objectId).sort()).toEqual([
      'ClusterRole/lifeboat-operator',
      'ClusterRoleBinding/lifeboat-operator',
      'Deployment/lifeboat-system/lifeboat-operator',
      'FlowSchema/lifeboat-operator-leader-election',
      'Role/lifeboat-system/lifeboat-operator-leader-election',
      'RoleBinding/lifeboat-system/lifeboat-operator-leader-election',
      'Service/lifeboat-system/lifeboat-operator-metrics',
      'ServiceAccount/lifeboat-system/lifeboat-operator',
    ]);
    expect(crds(objects).map((crd) => crd.metadata.annotations?.['helm.sh/resource-policy'])).toEqual(crdFiles.map(() => 'keep'));
    const env = operatorEnv(objects);
    expect(env).toMatchObject({ LIFEBOAT_LEADER_ELECTION: 'true', LIFEBOAT_LOG_LEVEL: 'info' });
    // The operator's own default: the runner of its version.
    expect(env).not.toHaveProperty('LIFEBOAT_RUNNER_IMAGE');
    expect(env).not.toHaveProperty('LIFEBOAT_WATCH_NAMESPACES');
    expect((one(objects, 'Deployment') as KubeObject & { spec: { replicas: number } }).spec.replicas).toBe(2);
  });

  it('ships the CRDs of crds/ unchanged but for labels and the keep annotation', async () => {
    const rendered = crds(await helmTemplate());
    expect(rendered.map((crd) => crd.metadata.name).sort()).toEqual(crdFiles.map((crd) => crd.metadata.name).sort());
    for (const crd of rendered) {
      const shipped = crdFiles.find((file) => file.metadata.name === crd.metadata.name)!;
      expect({ ...crd, metadata: { name: crd.metadata.name } }).toEqual(shipped);
    }
  });

  it('binds the ClusterRole to its ServiceAccount in the release namespace', async () => {
    const binding = one(await helmTemplate(), 'ClusterRoleBinding') as RoleBinding;
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'lifeboat-operator' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'lifeboat-operator', namespace: DEPLOY.namespace }]);
  });
});

describe('values', () => {
  it('crds.enabled=false drops the CRDs and nothing else', async () => {
    const [all, without] = await Promise.all([helmTemplate(), helmTemplate({ crds: { enabled: false } })]);
    expect(crds(without)).toEqual([]);
    expect(without).toEqual(withoutCrds(all));
  });

  it('crds.keep=false leaves the CRDs without helm.sh/resource-policy', async () => {
    const rendered = crds(await helmTemplate({ crds: { keep: false } }));
    expect(rendered).toHaveLength(crdFiles.length);
    for (const crd of rendered) expect(crd.metadata.annotations).toBeUndefined();
  });

  it('watchNamespaces grants the ClusterRole only in those namespaces, and the operator watches only them', async () => {
    const objects = await helmTemplate({ watchNamespaces: ['team-a', 'team-b'] });
    expect(objects.filter((object) => object.kind === 'ClusterRoleBinding')).toEqual([]);
    const bindings = objects.filter((object) => object.kind === 'RoleBinding' && object.metadata.name === 'lifeboat-operator') as RoleBinding[];
    expect(bindings.map((binding) => binding.metadata.namespace)).toEqual(['team-a', 'team-b']);
    for (const binding of bindings) {
      expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'lifeboat-operator' });
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'lifeboat-operator', namespace: DEPLOY.namespace }]);
    }
    // The ClusterRole is still there: the RoleBindings reference it.
    one(objects, 'ClusterRole', 'lifeboat-operator');
    // The Lease stays in the release's namespace.
    expect(one(objects, 'Role').metadata.namespace).toBe(DEPLOY.namespace);
    expect(operatorEnv(objects).LIFEBOAT_WATCH_NAMESPACES).toBe('team-a,team-b');
  });

  it('one replica may run without leader election: no Lease Role, no FlowSchema, LIFEBOAT_LEADER_ELECTION=false', async () => {
    const objects = await helmTemplate({ replicas: 1, leaderElection: { enabled: false } });
    expect(objects.filter((object) => ['Role', 'FlowSchema'].includes(object.kind) || object.metadata.name.endsWith('leader-election'))).toEqual([]);
    expect(operatorEnv(objects).LIFEBOAT_LEADER_ELECTION).toBe('false');
  });

  it('more than one replica runs leader election, and refuses to run without it', async () => {
    const objects = await helmTemplate({ replicas: 3 });
    expect((one(objects, 'Deployment') as KubeObject & { spec: { replicas: number } }).spec.replicas).toBe(3);
    expect(operatorEnv(objects).LIFEBOAT_LEADER_ELECTION).toBe('true');
    one(objects, 'Role', 'lifeboat-operator-leader-election');
    expect(await templateError({ replicas: 3, leaderElection: { enabled: false } })).toContain(
      'replicas is 3 but leaderElection.enabled is false: more than one replica needs leader election',
    );
  });

  it('leaderElection.flowSchema.enabled=false drops the FlowSchema and nothing else', async () => {
    const [all, without] = await Promise.all([helmTemplate(), helmTemplate({ leaderElection: { flowSchema: { enabled: false } } })]);
    expect(all.filter((object) => object.kind === 'FlowSchema').map(objectId)).toEqual(['FlowSchema/lifeboat-operator-leader-election']);
    expect(without).toEqual(all.filter((object) => object.kind !== 'FlowSchema'));
    expect(operatorEnv(without).LIFEBOAT_LEADER_ELECTION).toBe('true');
  });

  it('runnerImage sets LIFEBOAT_RUNNER_IMAGE, its tag defaulting to the chart version', async () => {
    expect(operatorEnv(await helmTemplate({ runnerImage: { repository: 'mirror.example/lifeboat-runner' } })).LIFEBOAT_RUNNER_IMAGE).toBe(`mirror.example/lifeboat-runner:${version}`);
    expect(operatorEnv(await helmTemplate({ runnerImage: { tag: '0.0.9' } })).LIFEBOAT_RUNNER_IMAGE).toBe('ghcr.io/lifeboat-dev/lifeboat-runner:0.0.9');
  });

  it('image, log level, resources, scheduling and extra env reach the Deployment', async () => {
    const objects = await helmTemplate({
      image: { repository: 'mirror.example/lifeboat-operator', tag: '0.1.0-rc1', pullPolicy: 'Always' },
      logLevel: 'debug',
      resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } },
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'ops', effect: 'NoSchedule' }],
      extraEnv: [{ name: 'LIFEBOAT_WORKERS', value: '4' }],
      imagePullSecrets: [{ name: 'regcred' }],
    });
    const pod = (one(objects, 'Deployment') as KubeObject & { spec: { template: { spec: Record<string, unknown> & { containers: Record<string, unknown>[] } } } }).spec.template.spec;
    expect(pod.containers[0]).toMatchObject({ image: 'mirror.example/lifeboat-operator:0.1.0-rc1', imagePullPolicy: 'Always', resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } } });
    expect(pod).toMatchObject({ nodeSelector: { 'kubernetes.io/os': 'linux' }, tolerations: [{ key: 'dedicated' }], imagePullSecrets: [{ name: 'regcred' }] });
    expect(operatorEnv(objects)).toMatchObject({ LIFEBOAT_LOG_LEVEL: 'debug', LIFEBOAT_WORKERS: '4' });
  });

  it('a release of another name prefixes every name, so two releases do not collide', async () => {
    const objects = await helmTemplate({}, { release: 'backups', namespace: 'ops' });
    for (const object of withoutCrds(objects)) expect(object.metadata.name).toMatch(/^backups-lifeboat-operator/);
    expect((one(objects, 'ClusterRoleBinding') as RoleBinding).subjects).toEqual([{ kind: 'ServiceAccount', name: 'backups-lifeboat-operator', namespace: 'ops' }]);
    // The FlowSchema is cluster-scoped too, and follows the release's ServiceAccount and namespace.
    const flowSchema = one(objects, 'FlowSchema') as KubeObject & { spec: { rules: { subjects: unknown[]; resourceRules: { namespaces: string[] }[] }[] } };
    expect(flowSchema.metadata.name).toBe('backups-lifeboat-operator-leader-election');
    expect(flowSchema.spec.rules.map((rule) => rule.subjects)).toEqual([[{ kind: 'ServiceAccount', serviceAccount: { name: 'backups-lifeboat-operator', namespace: 'ops' } }]]);
    expect(flowSchema.spec.rules.flatMap((rule) => rule.resourceRules.map((resourceRule) => resourceRule.namespaces))).toEqual([['ops']]);
  });
});

describe('values.schema.json', () => {
  it.each([
    [{ watchNamespaces: ['Team_A'] }, /watchNamespaces\/0.*does not match pattern/s],
    [{ replica: 3 }, /additional properties 'replica' not allowed/],
    [{ replicas: 0 }, /replicas.*minimum/s],
    [{ logLevel: 'loud' }, /logLevel.*value must be one of/s],
    [{ crds: { enabled: 'always' } }, /crds\/enabled.*got string, want boolean/s],
    [{ leaderElection: { flowSchema: { enabled: 'sometimes' } } }, /leaderElection\/flowSchema\/enabled.*got string, want boolean/s],
  ])('refuses %j with a message naming the value', async (values, message) => {
    const error = await templateError(values);
    expect(error).toContain('values don\'t meet the specifications of the schema');
    expect(error).toMatch(message);
  });
});

describe('ServiceMonitor and PrometheusRule', () => {
  it('are not rendered unless enabled', async () => {
    const kinds = (await helmTemplate()).map((object) => object.kind);
    expect(kinds).not.toContain('ServiceMonitor');
    expect(kinds).not.toContain('PrometheusRule');
  });

  // The test API server has no monitoring.coreos.com CRDs, so these two are checked here, not by
  // a server-side dry run: the ServiceMonitor must select the metrics Service and name its port,
  // and the PrometheusRule must carry the rules file as it is.
  it('the ServiceMonitor selects the metrics Service by its labels and scrapes its named port', async () => {
    const objects = await helmTemplate({ serviceMonitor: { enabled: true, labels: { release: 'prom' }, interval: '1m' } });
    const monitor = one(objects, 'ServiceMonitor') as KubeObject & {
      spec: { selector: { matchLabels: Record<string, string> }; namespaceSelector: { matchNames: string[] }; endpoints: { port: string; path: string; interval: string; honorLabels: boolean }[] };
    };
    const service = one(objects, 'Service') as KubeObject & { spec: { ports: { name: string }[] } };
    expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(monitor.metadata.labels).toMatchObject({ release: 'prom' });
    expect(service.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
    expect(monitor.spec.namespaceSelector.matchNames).toEqual([service.metadata.namespace]);
    // honorLabels keeps the metrics' own namespace label, which the alerts group by.
    expect(monitor.spec.endpoints).toEqual([{ port: service.spec.ports[0]!.name, path: '/metrics', interval: '1m', scrapeTimeout: '10s', honorLabels: true }]);
  });

  it('the PrometheusRule wraps files/prometheus-rules.yaml unchanged', async () => {
    const objects = await helmTemplate({ prometheusRule: { enabled: true, labels: { release: 'prom' } } });
    const rule = one(objects, 'PrometheusRule') as KubeObject & { spec: unknown };
    expect(rule.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(rule.metadata.labels).toMatchObject({ release: 'prom', 'app.kubernetes.io/name': 'lifeboat' });
    expect(rule.spec).toEqual(parse(readFileSync(join(CHART, 'files/prometheus-rules.yaml'), 'utf8')));
  });
});
