// The chart and kustomize install the same operator: the same ServiceAccount, ClusterRole rules,
// Role rules, bindings, Deployment (pod spec included), metrics Service and leader-election
// FlowSchema (which must name the ServiceAccount and Lease namespace they install), for the cluster-wide
// overlay against the default values and the single-namespace overlay against watchNamespaces
// set to its namespace. Only Helm's bookkeeping labels may differ, and kustomize alone creates
// the Namespace (Helm installs into one: --create-namespace). deploy/monitoring scrapes that
// metrics Service and alerts as the chart's ServiceMonitor and PrometheusRule do.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { DEPLOY, helmTemplate, kustomize, kustomizeFolder, objectId, one, SINGLE_NAMESPACE, type KubeObject, type Overlay } from './render.ts';

const HELM_LABELS = ['helm.sh/chart', 'app.kubernetes.io/managed-by', 'app.kubernetes.io/version'];

function withoutHelmLabels(object: KubeObject): KubeObject {
  const copy = structuredClone(object);
  for (const label of HELM_LABELS) delete copy.metadata.labels?.[label];
  return copy;
}

type Deployment = KubeObject & {
  spec: { template: { spec: { serviceAccountName: string; containers: { env: { name: string; value?: string; valueFrom?: object }[] }[] } } };
};
type Role = KubeObject & { rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] };
type FlowSchema = KubeObject & { spec: Record<string, unknown> };

const CASES: [Overlay, object][] = [
  ['cluster-wide', {}],
  ['single-namespace', { watchNamespaces: [SINGLE_NAMESPACE] }],
];

describe.each(CASES)('deploy/overlays/%s and the chart with %j', (overlay, values) => {
  let fromKustomize: Map<string, KubeObject>;
  let fromChart: Map<string, KubeObject>;
  const byId = (objects: KubeObject[]) => new Map(objects.map((object) => [objectId(object), object]));

  let namespaces: string[];

  beforeAll(async () => {
    const [kustomized, charted] = await Promise.all([kustomize(overlay), helmTemplate({ ...values, crds: { enabled: false } })]);
    namespaces = kustomized.filter((object) => object.kind === 'Namespace').map((object) => object.metadata.name);
    fromKustomize = byId(kustomized.filter((object) => object.kind !== 'Namespace'));
    fromChart = byId(charted.map(withoutHelmLabels));
  });

  it('create the same objects, but for the Namespace', () => {
    expect([...fromChart.keys()].sort()).toEqual([...fromKustomize.keys()].sort());
    expect(namespaces).toEqual(['lifeboat-system']);
  });

  it.each([
    ['ServiceAccount', 'lifeboat-system/lifeboat-operator'],
    ['ClusterRole', 'lifeboat-operator'],
    ['Role', 'lifeboat-system/lifeboat-operator-leader-election'],
    ['RoleBinding', 'lifeboat-system/lifeboat-operator-leader-election'],
    ['Deployment', 'lifeboat-system/lifeboat-operator'],
    ['Service', 'lifeboat-system/lifeboat-operator-metrics'],
    ['FlowSchema', 'lifeboat-operator-leader-election'],
  ])('the same %s %s', (kind, name) => {
    const id = `${kind}/${name}`;
    expect(fromKustomize.get(id)).toBeDefined();
    expect(fromChart.get(id)).toEqual(fromKustomize.get(id));
  });

  // A FlowSchema that names another ServiceAccount or namespace is accepted by the API server and
  // silently matches nothing: check it against what the install runs the operator as.
  it("a FlowSchema that puts exactly the Lease Role's requests, by the Deployment's ServiceAccount in its namespace, into leader-election", () => {
    const deployment = fromKustomize.get('Deployment/lifeboat-system/lifeboat-operator') as Deployment;
    const role = fromKustomize.get('Role/lifeboat-system/lifeboat-operator-leader-election') as Role;
    const env = Object.fromEntries(deployment.spec.template.spec.containers[0]!.env.map((variable) => [variable.name, variable]));
    // The Lease is in the pod's own namespace: LIFEBOAT_LEASE_NAMESPACE is not set, POD_NAMESPACE comes from the pod.
    expect(env).not.toHaveProperty('LIFEBOAT_LEASE_NAMESPACE');
    expect(env.POD_NAMESPACE?.valueFrom).toEqual({ fieldRef: { fieldPath: 'metadata.namespace' } });
    for (const objects of [fromKustomize, fromChart]) {
      const flowSchema = objects.get('FlowSchema/lifeboat-operator-leader-election') as FlowSchema;
      expect(flowSchema.spec).toEqual({
        matchingPrecedence: 200,
        priorityLevelConfiguration: { name: 'leader-election' },
        distinguisherMethod: { type: 'ByUser' },
        rules: [
          {
            subjects: [{ kind: 'ServiceAccount', serviceAccount: { name: deployment.spec.template.spec.serviceAccountName, namespace: deployment.metadata.namespace } }],
            resourceRules: role.rules.map((rule) => ({ ...rule, namespaces: [role.metadata.namespace] })),
          },
        ],
      });
      expect(objects.get(`ServiceAccount/${deployment.metadata.namespace}/${deployment.spec.template.spec.serviceAccountName}`)).toBeDefined();
    }
    expect(role.rules).toEqual([{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] }]);
    expect(role.metadata.namespace).toBe(DEPLOY.namespace);
  });

  it('the same bindings of the ClusterRole', () => {
    const bindings = (objects: Map<string, KubeObject>) =>
      [...objects.values()].filter((object) => (object.roleRef as { kind?: string } | undefined)?.kind === 'ClusterRole');
    const expected = bindings(fromKustomize);
    expect(expected.map(objectId)).toEqual(overlay === 'cluster-wide' ? ['ClusterRoleBinding/lifeboat-operator'] : [`RoleBinding/${SINGLE_NAMESPACE}/lifeboat-operator`]);
    expect(bindings(fromChart)).toEqual(expected);
  });
});

interface ServiceMonitor extends KubeObject {
  spec: {
    selector: { matchLabels: Record<string, string> };
    namespaceSelector?: { matchNames?: string[] };
    endpoints: { port: string; path: string; interval?: string; scrapeTimeout?: string; honorLabels?: boolean }[];
  };
}

interface MetricsService extends KubeObject {
  spec: { selector: Record<string, string>; ports: { name: string; port: number; targetPort: string | number }[] };
}

describe('deploy/monitoring', () => {
  let monitoring: KubeObject[];
  let monitor: ServiceMonitor;
  let installed: KubeObject[];
  let charted: KubeObject[];

  beforeAll(async () => {
    [monitoring, installed, charted] = await Promise.all([
      kustomizeFolder('deploy/monitoring'),
      kustomize('cluster-wide'),
      helmTemplate({ crds: { enabled: false }, serviceMonitor: { enabled: true }, prometheusRule: { enabled: true } }),
    ]);
    monitor = one(monitoring, 'ServiceMonitor') as ServiceMonitor;
  });

  it("builds with kubectl kustomize into a PrometheusRule and a ServiceMonitor in the operator's namespace", () => {
    expect(monitoring.map((object) => `${object.apiVersion} ${object.kind} in ${object.metadata.namespace}`).sort()).toEqual(
      ['PrometheusRule', 'ServiceMonitor'].map((kind) => `monitoring.coreos.com/v1 ${kind} in ${DEPLOY.namespace}`),
    );
  });

  it("its ServiceMonitor selects the metrics Service of deploy/ by its labels and scrapes that Service's named port, which reaches the operator's http port", () => {
    const service = one(installed, 'Service') as MetricsService;
    // No namespaceSelector: a ServiceMonitor looks in its own namespace, the Service's.
    expect(monitor.spec.namespaceSelector).toBeUndefined();
    expect(monitor.metadata.namespace).toBe(service.metadata.namespace);
    expect(Object.keys(monitor.spec.selector.matchLabels).length).toBeGreaterThan(0);
    expect(service.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
    // Only the metrics Service carries those labels among the Services deploy/ makes.
    expect(installed.filter((object) => object.kind === 'Service' && Object.entries(monitor.spec.selector.matchLabels).every(([key, value]) => object.metadata.labels?.[key] === value))).toHaveLength(1);

    expect(monitor.spec.endpoints).toHaveLength(1);
    const endpoint = monitor.spec.endpoints[0]!;
    const port = service.spec.ports.find((candidate) => candidate.name === endpoint.port);
    expect(port).toBeDefined();
    const deployment = one(installed, 'Deployment') as KubeObject & {
      spec: { template: { metadata: { labels: Record<string, string> }; spec: { containers: { name: string; ports?: { name: string; containerPort: number }[] }[] } } };
    };
    expect(deployment.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    const containerPorts = deployment.spec.template.spec.containers.flatMap((container) => container.ports ?? []);
    expect(containerPorts.map((containerPort) => containerPort.name)).toContain(port!.targetPort);
    // /metrics, and the metrics' own namespace label kept: the alerts group by it.
    expect(endpoint).toMatchObject({ path: '/metrics', honorLabels: true });
  });

  it("its ServiceMonitor is the chart's with serviceMonitor.enabled, but for what the chart spells out that is the default", () => {
    const fromChart = withoutHelmLabels(one(charted, 'ServiceMonitor')) as ServiceMonitor;
    // The chart names the release namespace, which is where a ServiceMonitor looks without one;
    // and its scrapeTimeout default, 10s, is Prometheus's own.
    expect(fromChart.spec.namespaceSelector).toEqual({ matchNames: [fromChart.metadata.namespace] });
    expect(fromChart.spec.endpoints.map((endpoint) => endpoint.scrapeTimeout)).toEqual(['10s']);
    delete fromChart.spec.namespaceSelector;
    for (const endpoint of fromChart.spec.endpoints) delete endpoint.scrapeTimeout;
    expect(fromChart).toEqual(monitor);
  });

  it("its PrometheusRule has the name, rules and labels of the chart's with prometheusRule.enabled", () => {
    const fromChart = withoutHelmLabels(one(charted, 'PrometheusRule'));
    const fromKustomize = one(monitoring, 'PrometheusRule');
    // One name: a user moving from one install to the other replaces the rule instead of running both.
    expect(objectId(fromKustomize)).toEqual(objectId(fromChart));
    expect(fromKustomize.spec).toEqual(fromChart.spec);
    expect(fromKustomize.metadata.labels).toEqual(fromChart.metadata.labels);
  });
});
