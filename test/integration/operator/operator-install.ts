// deploy/overlays/cluster-wide as the e2e test and `make demo` install it into the test cluster: the shipped
// manifests (namespace, ServiceAccount, Role, ClusterRole, Deployment) unchanged but for a
// kustomize overlay with what a cluster of one host needs. Pods share the host's network there,
// so the operator listens on a free port of 127.0.0.1 instead of 8080 on every address; one
// replica is enough (leader election stays on, on the shipped Lease); and a test watches only
// its own namespace, so that it never acts on another test's resources.
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { repoRoot } from '../../env/paths.ts';

/** What deploy/overlays/cluster-wide creates and names. */
export const OPERATOR = {
  namespace: 'lifeboat-system',
  deployment: 'lifeboat-operator',
  serviceAccount: 'lifeboat-operator',
  lease: 'lifeboat-operator',
  container: 'operator',
  /** The pods' labels (the Deployment's selector). */
  selector: 'app.kubernetes.io/name=lifeboat,app.kubernetes.io/component=operator',
} as const;

export interface OperatorOverlay {
  /** LIFEBOAT_HTTP_PORT: /healthz, /readyz and /metrics on 127.0.0.1. */
  httpPort: number;
  /** LIFEBOAT_WATCH_NAMESPACES; all namespaces when left out, as shipped. */
  watchNamespaces?: string[];
  logLevel?: string;
}

/**
 * Writes `dir`/kustomization.yaml: deploy/overlays/cluster-wide with one replica and the settings above.
 * Kustomize takes a base only by a relative path, so the overlay names it relative to `dir`.
 */
export function writeOperatorOverlay(dir: string, overlay: OperatorOverlay): string {
  mkdirSync(dir, { recursive: true });
  const env: Record<string, string> = {
    LIFEBOAT_HTTP_HOST: '127.0.0.1',
    LIFEBOAT_HTTP_PORT: String(overlay.httpPort),
    ...(overlay.watchNamespaces ? { LIFEBOAT_WATCH_NAMESPACES: overlay.watchNamespaces.join(',') } : {}),
    ...(overlay.logLevel ? { LIFEBOAT_LOG_LEVEL: overlay.logLevel } : {}),
  };
  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: [relative(dir, join(repoRoot, 'deploy/overlays/cluster-wide'))],
    replicas: [{ name: OPERATOR.deployment, count: 1 }],
    patches: [
      // A strategic merge: env entries merge by name, so LIFEBOAT_LOG_LEVEL replaces the shipped one.
      {
        patch: stringify({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: OPERATOR.deployment, namespace: OPERATOR.namespace },
          spec: { template: { spec: { containers: [{ name: OPERATOR.container, env: Object.entries(env).map(([name, value]) => ({ name, value })) }] } } },
        }),
      },
      // Ports merge by number, so the named port's number is replaced in place.
      {
        target: { kind: 'Deployment', name: OPERATOR.deployment },
        patch: stringify([{ op: 'replace', path: '/spec/template/spec/containers/0/ports/0/containerPort', value: overlay.httpPort }]),
      },
    ],
  };
  writeFileSync(join(dir, 'kustomization.yaml'), stringify(kustomization));
  return dir;
}

/** `kubectl kustomize dir` with the given kubectl: the manifests to apply, as YAML. */
export async function renderOverlay(kubectlPath: string, dir: string): Promise<string> {
  const { stdout } = await promisify(execFile)(kubectlPath, ['kustomize', dir], { maxBuffer: 16 * 2 ** 20 });
  return stdout;
}
