// The chart and kustomize install the same operator: the same ServiceAccount, ClusterRole rules,
// Role rules, bindings, Deployment (pod spec included) and metrics Service, for the cluster-wide
// overlay against the default values and the single-namespace overlay against watchNamespaces
// set to its namespace. Only Helm's bookkeeping labels may differ, and kustomize alone creates
// the Namespace (Helm installs into one: --create-namespace).
import { beforeAll, describe, expect, it } from '@jest/globals';
import { helmTemplate, kustomize, objectId, SINGLE_NAMESPACE, type KubeObject, type Overlay } from './render.ts';

const HELM_LABELS = ['helm.sh/chart', 'app.kubernetes.io/managed-by', 'app.kubernetes.io/version'];

function withoutHelmLabels(object: KubeObject): KubeObject {
  const copy = structuredClone(object);
  for (const label of HELM_LABELS) delete copy.metadata.labels?.[label];
  return copy;
}

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
  ])('the same %s %s', (kind, name) => {
    const id = `${kind}/${name}`;
    expect(fromKustomize.get(id)).toBeDefined();
    expect(fromChart.get(id)).toEqual(fromKustomize.get(id));
  });

  it('the same bindings of the ClusterRole', () => {
    const bindings = (objects: Map<string, KubeObject>) =>
      [...objects.values()].filter((object) => (object.roleRef as { kind?: string } | undefined)?.kind === 'ClusterRole');
    const expected = bindings(fromKustomize);
    expect(expected.map(objectId)).toEqual(overlay === 'cluster-wide' ? ['ClusterRoleBinding/lifeboat-operator'] : [`RoleBinding/${SINGLE_NAMESPACE}/lifeboat-operator`]);
    expect(bindings(fromChart)).toEqual(expected);
  });
});
