// The identity the end-to-end tests give the operator: the ServiceAccount the install ships, with
// nothing but the RBAC the install ships, never the admin kubeconfig. By default the install is
// the cluster-wide one (OPERATOR_INSTALL); a test passes another (an OperatorInstall: a kustomize
// folder and the ServiceAccount it makes) to run the operator under that install's RBAC instead,
// e.g. rbac-namespaced.test.ts under deploy/overlays/single-namespace. A request the shipped Role
// lacks fails the test as it would fail in a cluster (issue 12), and the audit log of the test API
// server (test/env/control-plane.ts) records what the operator used, for hack/rbac-usage.ts.
//
// The shipped identity objects (Namespace, ServiceAccount, ClusterRole, Roles and their bindings;
// not the Deployment or the Service) are rendered from the install with the testbin kubectl and
// applied once per test process with server-side apply and --force-conflicts: idempotent, and safe
// when several test files do it at once. A token for the ServiceAccount comes from the TokenRequest
// API (`kubectl create token`) for each operator start, so that an operator always starts with a
// token of the ServiceAccount as it is now (a token dies with the object it was issued for).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { KubeClient, type KubeClientOptions } from '../../src/kube/client.ts';
import type { ResourceType } from '../../src/kube/resource-type.ts';
import type { KubeObject } from '../../src/kube/types.ts';
import { repoRoot } from '../env/paths.ts';
import { testEnv } from './env.ts';

const exec = promisify(execFile);

/**
 * The install whose RBAC the operator runs under, relative to the repository root: the
 * cluster-wide install (its ClusterRoleBinding grants the ClusterRole in every namespace, which
 * the tests' namespaces need). The one place to change when deploy/ moves.
 */
export const OPERATOR_INSTALL = 'deploy/overlays/cluster-wide';

/** Who an install makes the operator: its ServiceAccount, and the user name the API server gives its tokens. */
export interface OperatorIdentity {
  namespace: string;
  serviceAccount: string;
  /** The user name the API server gives the ServiceAccount's tokens (and writes in the audit log). */
  username: string;
}

/** The identity of the ServiceAccount `serviceAccount` in `namespace`. */
export function serviceAccountIdentity(namespace: string, serviceAccount: string): OperatorIdentity {
  return { namespace, serviceAccount, username: `system:serviceaccount:${namespace}:${serviceAccount}` };
}

/** Who the shipped install makes the operator. */
export const OPERATOR_IDENTITY = {
  namespace: 'lifeboat-system',
  serviceAccount: 'lifeboat-operator',
  username: 'system:serviceaccount:lifeboat-system:lifeboat-operator',
} as const satisfies OperatorIdentity;

/** An install the operator can run under: a kustomize folder, and the identity it makes. */
export interface OperatorInstall {
  /** A kustomize folder, absolute or relative to the repository root. */
  path: string;
  identity: OperatorIdentity;
}

/** The install every end-to-end test runs the operator under unless it says otherwise. */
export const SHIPPED_INSTALL: OperatorInstall = { path: OPERATOR_INSTALL, identity: OPERATOR_IDENTITY };

/** The kinds of the install that make up the operator's identity; the rest (Deployment, Service) is not applied. */
const IDENTITY_KINDS = new Set(['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);

/** Long enough for any test file; each operator start asks for a new one anyway. */
const TOKEN_SECONDS = 4 * 60 * 60;

async function kubectl(args: string[], input?: string): Promise<string> {
  const { kubeconfig, binDir } = testEnv();
  const child = exec(join(binDir, 'kubectl'), [`--kubeconfig=${kubeconfig}`, ...args], { maxBuffer: 16 * 2 ** 20 });
  if (input !== undefined) child.child.stdin?.end(input);
  return (await child).stdout;
}

/** The install as `kubectl kustomize` renders it (the shipped one unless `path` names another). */
export async function renderInstall(path: string = OPERATOR_INSTALL): Promise<KubeObject[]> {
  const yaml = await kubectl(['kustomize', resolve(repoRoot, path)]);
  return parseAllDocuments(yaml)
    .map((document) => document.toJS() as KubeObject | null)
    .filter((object): object is KubeObject => object !== null);
}

/** The Namespace, ServiceAccount and RBAC objects of the install, nothing else. */
export async function identityObjects(install: OperatorInstall = SHIPPED_INSTALL): Promise<KubeObject[]> {
  return (await renderInstall(install.path)).filter((object) => IDENTITY_KINDS.has(object.kind ?? ''));
}

/** Applied installs, by folder: each once per test process (again after a failure). */
const applied = new Map<string, Promise<void>>();

/** Applies the identity objects of the install (the shipped one by default), once per test process. */
export function ensureOperatorRbac(install: OperatorInstall = SHIPPED_INSTALL): Promise<void> {
  const key = resolve(repoRoot, install.path);
  let applying = applied.get(key);
  if (!applying) {
    applying = applyIdentity(install).catch((error: unknown) => {
      applied.delete(key);
      throw error;
    });
    applied.set(key, applying);
  }
  return applying;
}

async function applyIdentity(install: OperatorInstall): Promise<void> {
  const manifests = (await identityObjects(install)).map((object) => stringify(object)).join('---\n');
  // Two files creating the Namespace at the same instant can see a conflict, and a test that
  // uninstalled the operator leaves the Namespace terminating for a while: apply again.
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      await kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=lifeboat-tests', '-f', '-'], manifests);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
  }
}

/** A fresh token for a ServiceAccount, from the TokenRequest API. */
function requestToken(namespace: string, serviceAccount: string): Promise<string> {
  return kubectl(['create', 'token', serviceAccount, '-n', namespace, `--duration=${TOKEN_SECONDS}s`]).then((token) => token.trim());
}

/** A fresh token for the operator's ServiceAccount in the install (the shipped one by default). */
export async function requestOperatorToken(install: OperatorInstall = SHIPPED_INSTALL): Promise<string> {
  const { namespace, serviceAccount } = install.identity;
  await ensureOperatorRbac(install);
  try {
    return await requestToken(namespace, serviceAccount);
  } catch {
    // The ServiceAccount went (a test that deleted the install): apply the identity again.
    applied.delete(resolve(repoRoot, install.path));
    await ensureOperatorRbac(install);
    return requestToken(namespace, serviceAccount);
  }
}

interface KubeconfigFile {
  clusters: { name: string; cluster: Record<string, unknown> }[];
}

/**
 * Where an operator reaches the API server when it is not the test API server itself, e.g. a
 * recording proxy in front of it: its URL and the PEM of the CA its serving certificate chains to.
 */
export interface ApiEndpoint {
  server: string;
  caPem: string;
}

/**
 * Writes a kubeconfig that authenticates as the operator's ServiceAccount in the install (the
 * shipped one by default; the admin kubeconfig's cluster and CA, or `endpoint`, and a bearer
 * token instead of the admin certificate) into the environment's work dir, and returns its path:
 * for operators in this process and for operators spawned as their own.
 */
export async function writeOperatorKubeconfig(install: OperatorInstall = SHIPPED_INSTALL, endpoint?: ApiEndpoint): Promise<string> {
  return writeTokenKubeconfig(install.identity.serviceAccount, await requestOperatorToken(install), endpoint);
}

/** The same for any ServiceAccount, e.g. one a test gives fewer rules than the operator's. */
export async function writeServiceAccountKubeconfig(namespace: string, serviceAccount: string): Promise<string> {
  return writeTokenKubeconfig(serviceAccount, await requestToken(namespace, serviceAccount));
}

function writeTokenKubeconfig(user: string, token: string, endpoint?: ApiEndpoint): string {
  const admin = parse(readFileSync(testEnv().kubeconfig, 'utf8')) as KubeconfigFile;
  const adminCluster = admin.clusters[0];
  if (!adminCluster) throw new Error(`${testEnv().kubeconfig} names no cluster`);
  const cluster = endpoint
    ? { name: adminCluster.name, cluster: { server: endpoint.server, 'certificate-authority-data': Buffer.from(endpoint.caPem).toString('base64') } }
    : adminCluster;
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [cluster],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: user, context: { cluster: cluster.name, user } }],
    'current-context': user,
  };
  const path = join(testEnv().workDir, `operator-kubeconfig-${process.pid}-${randomBytes(4).toString('hex')}`);
  writeFileSync(path, stringify(config), { mode: 0o600 });
  return path;
}

/** A client authenticated as the operator's ServiceAccount in the install (the shipped one by default). */
export async function operatorClient(options: KubeClientOptions = {}, install: OperatorInstall = SHIPPED_INSTALL, endpoint?: ApiEndpoint): Promise<KubeClient> {
  return KubeClient.load(await writeOperatorKubeconfig(install, endpoint), options);
}

const SUBJECT_ACCESS_REVIEWS: ResourceType = {
  group: 'authorization.k8s.io',
  version: 'v1',
  kind: 'SubjectAccessReview',
  plural: 'subjectaccessreviews',
  namespaced: false,
};

/** What a SubjectAccessReview asks about: a verb on a resource, in a namespace (undefined: in all of them). */
export interface ResourceAccess {
  verb: string;
  group: string;
  resource: string;
  subresource?: string | undefined;
  namespace: string | undefined;
}

/** The API server's answer to "may this ServiceAccount do this?", with the groups every ServiceAccount token carries. */
export async function serviceAccountMay(client: KubeClient, identity: OperatorIdentity, access: ResourceAccess): Promise<boolean> {
  const review = await client.create<KubeObject & { status?: { allowed?: boolean } }>(SUBJECT_ACCESS_REVIEWS, {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    metadata: {},
    spec: {
      user: identity.username,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${identity.namespace}`, 'system:authenticated'],
      resourceAttributes: access,
    },
  } as KubeObject);
  return review.status?.allowed === true;
}
