// The chart's leader-election FlowSchema as the API server's Priority and Fairness uses it: applied
// for real (with the release's ServiceAccount and Lease Role) under a release named for this test,
// then requests made with a token of that ServiceAccount. The API server names the FlowSchema and
// priority level it classified each request to in the response headers
// X-Kubernetes-PF-FlowSchema-UID and X-Kubernetes-PF-PriorityLevel-UID: the operator's get, create
// and update of a Lease in its namespace go to this FlowSchema and the priority level
// leader-election; its other requests (a list of Leases, a Lease in another namespace) do not.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { parse } from 'yaml';
import { testEnv } from '../../support/env.ts';
import { createNamespace, eventually, makeKubectl, ok, toYaml, type Kubectl } from '../api/kubectl.ts';
import { helmTemplate, one, type KubeObject } from './render.ts';

/** The kinds a Lease request by the operator depends on; the rest of the chart plays no part. */
const KINDS = ['ServiceAccount', 'Role', 'RoleBinding', 'FlowSchema'];

interface Answer {
  status: number;
  flowSchemaUid: string | undefined;
  priorityLevelUid: string | undefined;
}

let kubectl: Kubectl;
let namespace: string;
let other: string;
let flowSchema: KubeObject & { metadata: { uid?: string } };
let leaderElectionUid: string;
let serviceAccount: string;
let token: string;
let server: URL;
let ca: Buffer;

/** One request to the API server with the ServiceAccount's token: its status and APF headers. */
function call(method: string, path: string, body?: object): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      new URL(path, server),
      { method, ca, headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) } },
      (response) => {
        response.resume();
        response.on('end', () => {
          const header = (name: string) => response.headers[name.toLowerCase()] as string | undefined;
          resolve({ status: response.statusCode ?? 0, flowSchemaUid: header('X-Kubernetes-PF-FlowSchema-UID'), priorityLevelUid: header('X-Kubernetes-PF-PriorityLevel-UID') });
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body ? JSON.stringify(body) : undefined);
  });
}

async function uid(args: string[]): Promise<string> {
  return (await ok(kubectl, ['get', ...args, '-o', 'jsonpath={.metadata.uid}'])).trim();
}

beforeAll(async () => {
  kubectl = makeKubectl();
  namespace = await createNamespace(kubectl, 'apf');
  other = await createNamespace(kubectl, 'apf-other');
  // A release of its own name: the FlowSchema is cluster-scoped, and the shipped one may be installed.
  const objects = (await helmTemplate({ crds: { enabled: false } }, { release: namespace, namespace })).filter((object) => KINDS.includes(object.kind));
  await ok(kubectl, ['apply', '--server-side', '--field-manager=lifeboat-tests', '-f', '-'], toYaml(...objects));
  serviceAccount = one(objects, 'ServiceAccount').metadata.name;
  flowSchema = one(objects, 'FlowSchema');
  flowSchema.metadata.uid = await uid(['flowschema', flowSchema.metadata.name]);
  leaderElectionUid = await uid(['prioritylevelconfiguration', 'leader-election']);
  // The API server's Priority and Fairness controller takes the new FlowSchema in and then writes
  // its Dangling condition: once that is False, requests are classified with it.
  await eventually(async () => {
    const dangling = await ok(kubectl, ['get', 'flowschema', flowSchema.metadata.name, '-o', 'jsonpath={.status.conditions[?(@.type=="Dangling")].status}']);
    if (dangling.trim() !== 'False') throw new Error(`FlowSchema ${flowSchema.metadata.name} is not in use yet (Dangling: "${dangling}")`);
  }, 60_000);
  token = (await ok(kubectl, ['create', 'token', serviceAccount, '-n', namespace, '--duration=600s'])).trim();
  const kubeconfig = parse(readFileSync(testEnv().kubeconfig, 'utf8')) as { clusters: { cluster: { server: string; 'certificate-authority-data': string } }[] };
  server = new URL(kubeconfig.clusters[0]!.cluster.server);
  ca = Buffer.from(kubeconfig.clusters[0]!.cluster['certificate-authority-data'], 'base64');
});

afterAll(async () => {
  if (flowSchema) await kubectl(['delete', 'flowschema', flowSchema.metadata.name, '--ignore-not-found']);
});

describe("the chart's leader-election FlowSchema, in the API server", () => {
  it("classifies the operator's get, create and update of its Lease to itself and the priority level leader-election", async () => {
    const leases = `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`;
    const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: serviceAccount, namespace }, spec: { holderIdentity: 'a', leaseDurationSeconds: 15 } };
    const answers = [await call('GET', `${leases}/${serviceAccount}`), await call('POST', leases, lease)];
    const created = (await ok(kubectl, ['get', 'lease', serviceAccount, '-n', namespace, '-o', 'jsonpath={.metadata.resourceVersion}'])).trim();
    answers.push(await call('PUT', `${leases}/${serviceAccount}`, { ...lease, metadata: { ...lease.metadata, resourceVersion: created }, spec: { ...lease.spec, holderIdentity: 'b' } }));
    // Not found before it is created, created, replaced: each allowed by the Lease Role.
    expect(answers.map((answer) => answer.status)).toEqual([404, 201, 200]);
    for (const answer of answers) expect(answer).toMatchObject({ flowSchemaUid: flowSchema.metadata.uid, priorityLevelUid: leaderElectionUid });
  });

  it("leaves the operator's other requests where they were: a list of Leases, a Lease in another namespace", async () => {
    const answers = [
      await call('GET', `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`),
      await call('GET', `/apis/coordination.k8s.io/v1/namespaces/${other}/leases/${serviceAccount}`),
    ];
    // Refused by RBAC (the Lease Role has neither), but classified first, as every request is.
    expect(answers.map((answer) => answer.status)).toEqual([403, 403]);
    for (const answer of answers) {
      expect(answer.flowSchemaUid).toMatch(/^[0-9a-f-]{36}$/);
      expect(answer.flowSchemaUid).not.toBe(flowSchema.metadata.uid);
      expect(answer.priorityLevelUid).not.toBe(leaderElectionUid);
    }
  });
});
