// The real Kubernetes control plane, on 127.0.0.1 and free ports: etcd, kube-apiserver,
// kube-controller-manager and kube-scheduler, built from their Go modules (hack/testbin).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { httpOk } from './http-check.ts';
import { ManagedProcess } from './managed-process.ts';
import type { Pki } from './pki.ts';
import { freePort } from './ports.ts';
import { writeKubeconfig } from './kubeconfig.ts';

export interface ControlPlaneBinaries {
  etcd: string;
  'kube-apiserver': string;
  'kube-controller-manager': string;
  'kube-scheduler': string;
}

export interface ControlPlane {
  apiServerUrl: string;
  kubeconfig: string;
  etcdUrl: string;
  processes: ManagedProcess[];
}

const STARTUP_TIMEOUT_MS = 120_000;

export async function startEtcd(bin: string, workDir: string): Promise<{ url: string; process: ManagedProcess }> {
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${clientPort}`;
  const etcd = new ManagedProcess({
    name: 'etcd',
    command: bin,
    logFile: join(workDir, 'logs/etcd.log'),
    args: [
      `--data-dir=${join(workDir, 'etcd')}`,
      `--listen-client-urls=${url}`,
      `--advertise-client-urls=${url}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
      // Tests only: durability is not what is being tested, and fsync dominates on a shared disk.
      '--unsafe-no-fsync',
      '--quota-backend-bytes=4294967296',
      '--log-level=warn',
    ],
  });
  etcd.start();
  await etcd.waitUntil('healthy', () => httpOk(`${url}/health`), STARTUP_TIMEOUT_MS);
  return { url, process: etcd };
}

/** The user name of the operator's ServiceAccount, whose requests the audit log records. */
export const OPERATOR_USER = 'system:serviceaccount:lifeboat-system:lifeboat-operator';

/**
 * The API server's audit log: every request of the operator's ServiceAccount and nothing else, as
 * JSON lines (hack/rbac-usage.ts compares it with the shipped RBAC). LIFEBOAT_AUDIT_LOG puts it
 * outside the work dir, which goes when the environment stops.
 */
export function auditLogPath(workDir: string): string {
  return process.env.LIFEBOAT_AUDIT_LOG ?? join(workDir, 'logs/audit.log');
}

/**
 * Metadata (who, verb, resource, response code) for the operator's requests; for its creates also
 * the request body, because the owner references it sets are checked by admission, not by a
 * request of their own (blockOwnerDeletion needs update on the owner's finalizers), and only the
 * body shows them. The operator never writes Secrets, so no secret value lands in the log.
 */
function writeAuditPolicy(path: string): void {
  const policy = {
    apiVersion: 'audit.k8s.io/v1',
    kind: 'Policy',
    omitStages: ['RequestReceived'],
    rules: [
      { level: 'Request', users: [OPERATOR_USER], verbs: ['create'] },
      { level: 'Metadata', users: [OPERATOR_USER] },
      { level: 'None' },
    ],
  };
  writeFileSync(path, stringify(policy));
}

export async function startApiServer(
  bin: string,
  workDir: string,
  pki: Pki,
  etcdUrl: string,
): Promise<{ url: string; kubeconfig: string; process: ManagedProcess }> {
  const port = await freePort();
  const url = `https://127.0.0.1:${port}`;
  const auditPolicy = join(workDir, 'audit-policy.yaml');
  writeAuditPolicy(auditPolicy);
  mkdirSync(dirname(auditLogPath(workDir)), { recursive: true });
  const apiserver = new ManagedProcess({
    name: 'kube-apiserver',
    command: bin,
    logFile: join(workDir, 'logs/kube-apiserver.log'),
    args: [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${port}`,
      `--cert-dir=${join(workDir, 'apiserver-certs')}`,
      `--tls-cert-file=${pki.serverCert}`,
      `--tls-private-key-file=${pki.serverKey}`,
      `--client-ca-file=${pki.caCert}`,
      '--authorization-mode=RBAC',
      '--service-cluster-ip-range=10.0.0.0/24',
      `--service-account-issuer=${url}`,
      `--service-account-key-file=${pki.serviceAccountPub}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      // The API server reaches the process kubelet (logs, exec) as admin; the kubelet's
      // self-signed serving certificate is not verified (no --kubelet-certificate-authority).
      `--kubelet-client-certificate=${pki.adminCert}`,
      `--kubelet-client-key=${pki.adminKey}`,
      '--kubelet-preferred-address-types=InternalIP,Hostname',
      '--allow-privileged=true',
      // As many real clusters (OpenShift among them) run: setting blockOwnerDeletion on an owner
      // reference needs update on the owner's finalizers, so the tests prove whether the shipped
      // RBAC grants what the operator's owner references need. Added to the default plugins.
      '--enable-admission-plugins=OwnerReferencesPermissionEnforcement',
      `--audit-policy-file=${auditPolicy}`,
      `--audit-log-path=${auditLogPath(workDir)}`,
      '--audit-log-format=json',
      // Written as requests complete, not batched, so a test can read what happened just now.
      '--audit-log-mode=blocking',
      // One file for a whole run (the default rotates at 100 MB).
      '--audit-log-maxsize=4096',
      '--v=1',
    ],
  });
  apiserver.start();
  const tls = {
    ca: readFileSync(pki.caCert),
    cert: readFileSync(pki.adminCert),
    key: readFileSync(pki.adminKey),
  };
  await apiserver.waitUntil('ready', () => httpOk(`${url}/readyz`, tls), STARTUP_TIMEOUT_MS);
  const kubeconfig = join(workDir, 'kubeconfig');
  writeKubeconfig(kubeconfig, url, pki);
  return { url, kubeconfig, process: apiserver };
}

/**
 * Starts a control-plane component that talks to the API server through a kubeconfig and
 * serves /healthz on a secure port (kube-controller-manager, kube-scheduler), and waits
 * until it is healthy.
 */
async function startComponent(
  name: 'kube-controller-manager' | 'kube-scheduler',
  bin: string,
  workDir: string,
  kubeconfig: string,
  extraArgs: string[],
): Promise<ManagedProcess> {
  const port = await freePort();
  const component = new ManagedProcess({
    name,
    command: bin,
    logFile: join(workDir, `logs/${name}.log`),
    args: [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      `--cert-dir=${join(workDir, `${name}-certs`)}`,
      '--v=1',
      ...kubeApiRate(),
      ...extraArgs,
    ],
  });
  component.start();
  await component.waitUntil('healthy', () => httpOk(`https://127.0.0.1:${port}/healthz`, { insecure: true }), STARTUP_TIMEOUT_MS);
  return component;
}

/**
 * LIFEBOAT_TESTENV_KUBE_API_QPS raises the request rate the controller-manager and the scheduler
 * allow themselves (default 20 and 50 per second): the operator scale benchmark starts hundreds
 * of Jobs a minute, which the Job controller's default rate cannot create pods for, and what it
 * measures is the operator, not that limit. Unset, the components' defaults, as in the tests.
 */
function kubeApiRate(): string[] {
  const qps = Number(process.env.LIFEBOAT_TESTENV_KUBE_API_QPS);
  return qps > 0 ? [`--kube-api-qps=${qps}`, `--kube-api-burst=${2 * qps}`] : [];
}

export function startControllerManager(bin: string, workDir: string, pki: Pki, kubeconfig: string): Promise<ManagedProcess> {
  return startComponent('kube-controller-manager', bin, workDir, kubeconfig, [
    `--service-account-private-key-file=${pki.serviceAccountKey}`,
    `--root-ca-file=${pki.caCert}`,
    '--use-service-account-credentials=false',
    `--cluster-signing-cert-file=${pki.caCert}`,
    `--cluster-signing-key-file=${pki.caKey}`,
    // The node lifecycle controller would taint the process kubelet's node whenever a
    // heartbeat is late on a loaded machine, and evict its pods: not what tests are about.
    '--controllers=*,-nodelifecycle',
  ]);
}

export function startScheduler(bin: string, workDir: string, kubeconfig: string): Promise<ManagedProcess> {
  return startComponent('kube-scheduler', bin, workDir, kubeconfig, []);
}

export function ensureLogDir(workDir: string): void {
  mkdirSync(join(workDir, 'logs'), { recursive: true });
}
