// The identity the end-to-end tests give the operator: the ServiceAccount the install ships, with
// nothing but the RBAC the install ships, never the admin kubeconfig. A request the shipped Role
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
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { KubeClient, type KubeClientOptions } from '../../src/kube/client.ts';
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

/** Who the install makes the operator. */
export const OPERATOR_IDENTITY = {
  namespace: 'lifeboat-system',
  serviceAccount: 'lifeboat-operator',
  /** The user name the API server gives the ServiceAccount's tokens (and writes in the audit log). */
  username: 'system:serviceaccount:lifeboat-system:lifeboat-operator',
} as const;

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

/** The install as `kubectl kustomize` renders it. */
export async function renderInstall(): Promise<KubeObject[]> {
  const yaml = await kubectl(['kustomize', join(repoRoot, OPERATOR_INSTALL)]);
  return parseAllDocuments(yaml)
    .map((document) => document.toJS() as KubeObject | null)
    .filter((object): object is KubeObject => object !== null);
}

/** The Namespace, ServiceAccount and RBAC objects of the install, nothing else. */
export async function identityObjects(): Promise<KubeObject[]> {
  return (await renderInstall()).filter((object) => IDENTITY_KINDS.has(object.kind ?? ''));
}

let applied: Promise<void> | undefined;

/** Applies the shipped identity objects, once per test process (again after a failure). */
export function ensureOperatorRbac(): Promise<void> {
  applied ??= applyIdentity().catch((error: unknown) => {
    applied = undefined;
    throw error;
  });
  return applied;
}

async function applyIdentity(): Promise<void> {
  const manifests = (await identityObjects()).map((object) => stringify(object)).join('---\n');
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

/** A fresh token for the operator's ServiceAccount. */
export async function requestOperatorToken(): Promise<string> {
  await ensureOperatorRbac();
  try {
    return await requestToken(OPERATOR_IDENTITY.namespace, OPERATOR_IDENTITY.serviceAccount);
  } catch {
    // The ServiceAccount went (a test that deleted the install): apply the identity again.
    applied = undefined;
    await ensureOperatorRbac();
    return requestToken(OPERATOR_IDENTITY.namespace, OPERATOR_IDENTITY.serviceAccount);
  }
}

interface KubeconfigFile {
  clusters: { name: string; cluster: Record<string, unknown> }[];
}

/**
 * Writes a kubeconfig that authenticates as the operator's ServiceAccount (the admin kubeconfig's
 * cluster and CA, a bearer token instead of the admin certificate) into the environment's work
 * dir, and returns its path: for operators in this process and for operators spawned as their own.
 */
export async function writeOperatorKubeconfig(): Promise<string> {
  return writeTokenKubeconfig(OPERATOR_IDENTITY.serviceAccount, await requestOperatorToken());
}

/** The same for any ServiceAccount, e.g. one a test gives fewer rules than the operator's. */
export async function writeServiceAccountKubeconfig(namespace: string, serviceAccount: string): Promise<string> {
  return writeTokenKubeconfig(serviceAccount, await requestToken(namespace, serviceAccount));
}

function writeTokenKubeconfig(user: string, token: string): string {
  const admin = parse(readFileSync(testEnv().kubeconfig, 'utf8')) as KubeconfigFile;
  const cluster = admin.clusters[0];
  if (!cluster) throw new Error(`${testEnv().kubeconfig} names no cluster`);
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

/** A client authenticated as the operator's ServiceAccount. */
export async function operatorClient(options: KubeClientOptions = {}): Promise<KubeClient> {
  return KubeClient.load(await writeOperatorKubeconfig(), options);
}
