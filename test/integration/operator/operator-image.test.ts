// The operator as a cluster runs it: deploy/overlays/cluster-wide (rendered with kubectl kustomize through a
// one-host overlay, operator-install.ts) applied to the test API server, its pod run from the
// lifeboat-operator image with runc, as the ServiceAccount lifeboat-operator with nothing but the
// shipped Role and ClusterRole, configured in-cluster (the kubelet's KUBERNETES_SERVICE_HOST/PORT,
// the projected token and kube-root-ca.crt). It answers /healthz, /readyz and /metrics, and backs
// up a real database and buckets into MinIO through runner Jobs from the lifeboat-runner image,
// whose V8 heap is sized from the Jobs' memory limit. It watches only this test's namespace, and
// holds the shipped Lease in lifeboat-system, which no other test uses.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it, jest } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import { runnerNodeOptions } from '../../../src/core/jobs/runner-heap.ts';
import { BACKUP_SCHEDULES } from '../../../src/controllers/resource-types.ts';
import { CONFIG_MAPS, LEASES, PODS } from '../../../src/kube/resource-type.ts';
import type { KubeObject } from '../../../src/kube/types.ts';
import { scheduleManifest } from '../../support/backup-fixture.ts';
import { testEnv } from '../../support/env.ts';
import { freePort } from '../../env/ports.ts';
import { ok, type Kubectl } from '../api/kubectl.ts';
import { describeBuiltImages, imagesSummary } from '../images/image-layout.ts';
import { OPERATOR, renderOverlay, writeOperatorOverlay } from './operator-install.ts';
import { makeKubectl, Scene, waitFor } from './support.ts';

jest.setTimeout(300_000);

const exec = promisify(execFile);

interface PodObject extends KubeObject {
  spec: {
    serviceAccountName?: string;
    containers: { name: string; image: string; volumeMounts?: { name: string; mountPath: string }[]; env?: { name: string; value?: string }[] }[];
    volumes?: { name: string; projected?: { sources: { serviceAccountToken?: object; configMap?: { name: string } }[] } }[];
  };
  status?: { phase?: string; containerStatuses?: { name: string; containerID?: string; state?: { running?: object } }[] };
}

/** The Jobs' memory limit: the runner's heap is sized from it. */
const MEMORY_LIMIT = '256Mi';
const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Why the kubelet cannot run the images here (runtime-mode.ts's rules), or '' when it can. */
function noRunc(): string {
  if (process.env.LIFEBOAT_KUBELET_MODE === 'process') return 'LIFEBOAT_KUBELET_MODE=process';
  if (process.getuid?.() !== 0) return 'runc mode needs root';
  if (spawnSync('sh', ['-c', 'command -v runc && command -v umoci']).status !== 0) return 'runc or umoci is not installed (hack/system-deps.sh installs them)';
  return '';
}

describeBuiltImages('the operator image in the cluster, under the RBAC it ships', () => {
  if (noRunc()) {
    // The operator's image has no host command to stand in for it: without runc its pod cannot start.
    it.skip(`SKIPPED, the kubelet runs pods as host processes: ${noRunc()}`, () => undefined);
    return;
  }

  const images = imagesSummary();
  let kubectl: Kubectl;
  let scene: Scene;
  let overlayDir: string;
  let manifests: string;
  let port: number;
  let operatorPod: PodObject;

  const operatorLog = async () => ok(kubectl, ['logs', '-n', OPERATOR.namespace, `deployment/${OPERATOR.deployment}`]);

  beforeAll(async () => {
    kubectl = makeKubectl();
    scene = await Scene.create('op-image');
    port = await freePort();
    overlayDir = mkdtempSync(join(testEnv().workDir, 'operator-overlay-'));
    writeOperatorOverlay(overlayDir, { httpPort: port, watchNamespaces: [scene.namespace] });
    manifests = await renderOverlay(join(testEnv().binDir, 'kubectl'), overlayDir);
    await ok(kubectl, ['apply', '--server-side', '--field-manager=lifeboat-tests', '-f', '-'], manifests);
    operatorPod = await waitFor(
      async () => {
        const pods = (await scene.client.list<PodObject>(PODS, { namespace: OPERATOR.namespace, labelSelector: OPERATOR.selector })).items;
        return pods.find((pod) => pod.status?.containerStatuses?.[0]?.state?.running);
      },
      { what: 'the operator pod to run', timeoutMs: 120_000, intervalMs: 500 },
    );
  });

  afterAll(async () => {
    // The Deployment's pod gets SIGTERM, gives up its Lease and exits. The Namespace, the
    // ServiceAccount and its RBAC stay: the other operator tests run as that ServiceAccount
    // (test/support/operator-identity.ts), and its tokens die with it.
    if (manifests) {
      const workload = parseAllDocuments(manifests)
        .filter((document) => ['Deployment', 'Service'].includes(String(document.get('kind'))))
        .map((document) => document.toString())
        .join('---\n');
      await kubectl(['delete', '--wait=true', '--timeout=90s', '--ignore-not-found', '-f', '-'], workload);
    }
    await scene?.tearDown();
    if (overlayDir) rmSync(overlayDir, { recursive: true, force: true });
  });

  it('renders deploy/overlays/cluster-wide with the image of this version, one replica and its settings', () => {
    const objects = parseAllDocuments(manifests).map((document) => document.toJS() as KubeObject & { spec?: { replicas?: number; template?: PodObject } });
    expect(objects.map((object) => `${object.kind}/${object.metadata.name}`).sort()).toEqual([
      'ClusterRole/lifeboat-operator',
      'ClusterRoleBinding/lifeboat-operator',
      'Deployment/lifeboat-operator',
      'FlowSchema/lifeboat-operator-leader-election',
      'Namespace/lifeboat-system',
      'Role/lifeboat-operator-leader-election',
      'RoleBinding/lifeboat-operator-leader-election',
      'Service/lifeboat-operator-metrics',
      'ServiceAccount/lifeboat-operator',
    ]);
    const deployment = objects.find((object) => object.kind === 'Deployment')!;
    expect(deployment.spec?.replicas).toBe(1);
    const container = deployment.spec?.template?.spec.containers[0];
    expect(container?.image).toBe(images.operator?.reference);
    expect(container?.env).toEqual(
      expect.arrayContaining([
        { name: 'LIFEBOAT_LEADER_ELECTION', value: 'true' },
        { name: 'LIFEBOAT_HTTP_PORT', value: String(port) },
        { name: 'LIFEBOAT_WATCH_NAMESPACES', value: scene.namespace },
      ]),
    );
  });

  it('runs from the operator image with runc, as the ServiceAccount lifeboat-operator, configured in-cluster', async () => {
    expect(operatorPod.spec.serviceAccountName).toBe(OPERATOR.serviceAccount);
    expect(operatorPod.spec.containers[0]?.image).toBe(images.operator?.reference);
    expect(operatorPod.status?.containerStatuses?.[0]?.containerID).toMatch(/^runc:\/\//);
    // The ServiceAccount admission plugin's projected volume: a token, kube-root-ca.crt, the namespace.
    const mount = operatorPod.spec.containers[0]?.volumeMounts?.find((m) => m.mountPath === SA_DIR);
    expect(mount).toBeDefined();
    const sources = operatorPod.spec.volumes?.find((volume) => volume.name === mount?.name)?.projected?.sources ?? [];
    expect(sources.some((source) => source.serviceAccountToken)).toBe(true);
    expect(sources.map((source) => source.configMap?.name)).toContain('kube-root-ca.crt');
    // The controller-manager publishes the cluster's CA, the one the API server's certificate is signed by.
    const rootCa = await scene.client.get<KubeObject & { data?: Record<string, string> }>(CONFIG_MAPS, OPERATOR.namespace, 'kube-root-ca.crt');
    const kubeconfigCa = /certificate-authority-data: (\S+)/.exec(readFileSync(testEnv().kubeconfig, 'utf8'))?.[1];
    const caFile = /certificate-authority: (\S+)/.exec(readFileSync(testEnv().kubeconfig, 'utf8'))?.[1];
    const ca = kubeconfigCa ? Buffer.from(kubeconfigCa, 'base64').toString() : readFileSync(caFile!, 'utf8');
    expect(rootCa.data?.['ca.crt']?.trim()).toBe(ca.trim());

    // With no kubeconfig in the pod, only that token gets it the Lease, which the shipped Role allows.
    const lease = await waitFor(
      async () => {
        const found = await scene.client.find<KubeObject & { spec?: { holderIdentity?: string } }>(LEASES, OPERATOR.namespace, OPERATOR.lease);
        return found?.spec?.holderIdentity?.startsWith(operatorPod.metadata.name ?? '-') ? found : undefined;
      },
      { what: 'the operator pod to hold the Lease', timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(lease.spec?.holderIdentity).toContain(operatorPod.metadata.name);
    const log = await operatorLog();
    expect(log).toContain('acting as leader');
  });

  it('answers /healthz, /readyz and /metrics on 127.0.0.1', async () => {
    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    await waitFor(async () => (await fetch(`${base}/readyz`)).status === 200, { what: '/readyz to answer 200', timeoutMs: 60_000, intervalMs: 500 });
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('lifeboat_');
  });

  it('backs up a real database and buckets into MinIO through runner Jobs from the runner image, each with the heap its memory limit gives', async () => {
    const schedule = scheduleManifest(testEnv(), scene.fixture, { name: 'app', schedule: '0 0 1 1 *' });
    await scene.client.apply(
      BACKUP_SCHEDULES,
      { ...schedule, spec: { ...schedule.spec, jobTemplate: { ...schedule.spec.jobTemplate, resources: { limits: { memory: MEMORY_LIMIT } } } } } as KubeObject,
      { force: true },
    );
    await scene.createManualRun('in-cluster', 'app');
    const run = await scene.finalRun('in-cluster', 180_000);
    expect(run.status?.phase).toBe('Succeeded');
    expect(run.status?.artifacts?.map((artifact) => artifact.phase)).toEqual(['Succeeded', 'Succeeded', 'Succeeded', 'Succeeded']);
    const objects = await scene.objectsOf('app', 'in-cluster');
    expect(objects).toEqual(expect.arrayContaining(['manifest.json']));
    expect(objects.some((key) => key.startsWith('app-db'))).toBe(true);

    // The run succeeds on its pods' results; the kubelet's last status writes may come after.
    const pods = await waitFor(
      async () => {
        const all = (await scene.client.list<PodObject>(PODS, { namespace: scene.namespace, labelSelector: 'lifeboat.dev/backup-run=in-cluster' })).items;
        return all.every((pod) => pod.status?.phase === 'Succeeded' && pod.status.containerStatuses?.[0]?.containerID) ? all : undefined;
      },
      { what: "the run's pods to have succeeded", timeoutMs: 30_000, intervalMs: 500 },
    );
    // One Job per source, then the run's own steps (finalize, verify): all from the runner image.
    expect(pods.filter((pod) => pod.metadata.labels?.['lifeboat.dev/step'] === 'backup')).toHaveLength(4);
    // What V8 makes of the operator's NODE_OPTIONS for 256Mi, asked of the same Node the image holds.
    const nodeOptions = runnerNodeOptions(MEMORY_LIMIT);
    const { stdout } = await exec(process.execPath, ['-e', 'process.stdout.write(String(require("v8").getHeapStatistics().heap_size_limit))'], { env: { NODE_OPTIONS: nodeOptions } });
    const heapLimit = Number(stdout);
    expect(heapLimit).toBeLessThan(Number.parseInt(MEMORY_LIMIT, 10) * 2 ** 20);
    for (const pod of pods) {
      expect({ pod: pod.metadata.name, image: pod.spec.containers[0]?.image }).toEqual({ pod: pod.metadata.name, image: images.runner?.reference });
      expect({ pod: pod.metadata.name, containerID: pod.status?.containerStatuses?.[0]?.containerID }).toEqual({ pod: pod.metadata.name, containerID: expect.stringMatching(/^runc:\/\//) });
      const lines = (await ok(kubectl, ['logs', '-n', scene.namespace, pod.metadata.name ?? ''])).split('\n').filter((line) => line.startsWith('{'));
      const started = lines.map((line) => JSON.parse(line) as { msg?: string; heapSizeLimitBytes?: number; nodeOptions?: string }).find((line) => line.msg === 'task started');
      expect(started).toMatchObject({ nodeOptions, heapSizeLimitBytes: heapLimit });
    }

    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/lifeboat_reconcile_total\{kind="BackupRun",result="[a-z-]+"\} [1-9]/);
    // Nothing the operator did was refused: the shipped RBAC covers it.
    expect(await operatorLog()).not.toMatch(/forbidden/i);
  });
});
