// The operator under the namespaced install's RBAC (issue 12): deploy/overlays/single-namespace
// as a user adapts it to their namespace (the RoleBinding and LIFEBOAT_WATCH_NAMESPACES moved from
// `default` to this test's namespace), with a name prefix so that its ServiceAccount is not the
// one the cluster-wide ClusterRoleBinding of the other tests binds. The built operator runs as
// that ServiceAccount (a TokenRequest token) and backs up, restores and deletes a backup. Every
// request it makes is recorded, and none may be refused, none may be cluster-scoped (a list or
// watch of all namespaces, a Namespace, a non-resource URL), none may go outside the watched
// namespace and its own, and each must be allowed by the install's grants.
//
// The requests are recorded by a TLS proxy in front of the test API server, not read from the API
// server's audit log: that log records only the shipped ServiceAccount
// (lifeboat-system/lifeboat-operator, test/env/control-plane.ts), and that ServiceAccount is bound
// cluster-wide whenever another operator test has run. The proxy writes each request as the audit
// log would (verb, objectRef, response code, the body of creates for their owner references) with
// the user the bearer token names, so hack/rbac-usage.ts reads both the same way.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request, type Server } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { parse, stringify } from 'yaml';
import { compare, grantsIn, usesIn, type Grant, type Use } from '../../../hack/rbac-usage.ts';
import type { KubeObject } from '../../../src/kube/types.ts';
import { repoRoot } from '../../env/paths.ts';
import { createPki } from '../../env/pki.ts';
import { withDatabase } from '../../support/backup-fixture.ts';
import { testEnv } from '../../support/env.ts';
import { identityObjects, renderInstall, serviceAccountIdentity, serviceAccountMay, type ApiEndpoint, type OperatorInstall } from '../../support/operator-identity.ts';
import { createRestore, databaseTarget, finalRestore, restoreManifest } from './restore-support.ts';
import { BACKUP_RUNS, Scene, waitFor } from './support.ts';

jest.setTimeout(300_000);

/** The shipped overlay this test runs the operator under. */
const SINGLE_NAMESPACE = 'deploy/overlays/single-namespace';
/** What the overlay watches as shipped; a user changes it to their namespace. */
const SHIPPED_WATCHED = 'default';
/** Gives the test install's objects names of their own: its ServiceAccount is bound by nothing else. */
const PREFIX = 'namespaced-';


/**
 * deploy/overlays/single-namespace for `namespace`, as its own comment tells a user to adapt it (the
 * RoleBinding's namespace and LIFEBOAT_WATCH_NAMESPACES), under a name prefix; written into the
 * environment's work dir. Kustomize takes a base only by a relative path.
 */
async function namespacedInstall(namespace: string): Promise<OperatorInstall> {
  const dir = mkdtempSync(join(testEnv().workDir, 'namespaced-install-'));
  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: [relative(dir, join(repoRoot, SINGLE_NAMESPACE))],
    namePrefix: PREFIX,
    patches: [
      {
        target: { kind: 'RoleBinding', name: 'lifeboat-operator', namespace: SHIPPED_WATCHED },
        patch: stringify([{ op: 'replace', path: '/metadata/namespace', value: namespace }]),
      },
      {
        patch: stringify({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'lifeboat-operator', namespace: 'lifeboat-system' },
          spec: { template: { spec: { containers: [{ name: 'operator', env: [{ name: 'LIFEBOAT_WATCH_NAMESPACES', value: namespace }] }] } } },
        }),
      },
    ],
  };
  writeFileSync(join(dir, 'kustomization.yaml'), stringify(kustomization));
  const accounts = (await renderInstall(dir)).filter((object) => object.kind === 'ServiceAccount');
  if (accounts.length !== 1) throw new Error(`${SINGLE_NAMESPACE} should make one ServiceAccount, made ${accounts.length}`);
  const account = accounts[0]!;
  return { path: dir, identity: serviceAccountIdentity(account.metadata.namespace ?? '', account.metadata.name ?? '') };
}

interface ObjectRef {
  apiGroup: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

/** What the API server's RequestInfo makes of a request: its verb, and the object for a resource request. */
function requestAttributes(method: string, uri: string): { verb: string; objectRef?: ObjectRef } {
  const url = new URL(uri, 'https://api');
  const parts = url.pathname.split('/').filter(Boolean);
  let apiGroup: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length > 2) [apiGroup, rest] = ['', parts.slice(2)];
  else if (parts[0] === 'apis' && parts.length > 3) [apiGroup, rest] = [parts[1]!, parts.slice(3)];
  else return { verb: method.toLowerCase() };
  let namespace: string | undefined;
  // /namespaces/<ns>/<resource>...: namespaced; /namespaces/<name> alone is the Namespace itself.
  if (rest[0] === 'namespaces' && rest.length > 2) [namespace, rest] = [rest[1], rest.slice(2)];
  const [resource = '', name, subresource] = rest;
  const watching = ['true', '1'].includes(url.searchParams.get('watch') ?? '');
  const verb =
    method === 'GET' ? (watching ? 'watch' : name ? 'get' : 'list')
    : method === 'POST' ? 'create'
    : method === 'PUT' ? 'update'
    : method === 'PATCH' ? 'patch'
    : method === 'DELETE' ? (name ? 'delete' : 'deletecollection')
    : method.toLowerCase();
  return { verb, objectRef: { apiGroup, resource, subresource, namespace, name } };
}

/** The user a bearer token names (a ServiceAccount token is a JWT whose subject is its user name). */
function tokenUser(authorization: string | undefined): string {
  const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
  const payload = token?.split('.')[1];
  if (!payload) return 'anonymous or not a bearer token';
  return (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub?: string }).sub ?? 'a token without a subject';
}

interface RecordingProxy {
  endpoint: ApiEndpoint;
  /** The requests so far, one JSON line each, shaped like the API server's audit events. */
  log(): string;
  close(): Promise<void>;
}

/**
 * A TLS proxy on 127.0.0.1 in front of the test API server, with a certificate of a CA of its own:
 * it passes every request and its answer through unchanged, streams included (watches), and
 * records each request when the answer's status arrives.
 */
async function startRecordingProxy(): Promise<RecordingProxy> {
  const admin = parse(readFileSync(testEnv().kubeconfig, 'utf8')) as { clusters: { cluster: { server: string; 'certificate-authority-data': string } }[] };
  const upstream = new URL(admin.clusters[0]!.cluster.server);
  const agent = new Agent({ ca: Buffer.from(admin.clusters[0]!.cluster['certificate-authority-data'], 'base64'), keepAlive: true });
  const pki = createPki(mkdtempSync(join(testEnv().workDir, 'recording-proxy-')));
  const lines: string[] = [];
  let count = 0;

  const record = (incoming: IncomingMessage, code: number, body: Buffer) => {
    const { verb, objectRef } = requestAttributes(incoming.method ?? 'GET', incoming.url ?? '/');
    const event = {
      auditID: `proxy-${++count}`,
      stage: 'ResponseStarted',
      verb,
      user: { username: tokenUser(incoming.headers.authorization) },
      requestURI: incoming.url,
      objectRef,
      responseStatus: { code },
      // Only creates, as the test API server's audit policy: owner references are in their bodies.
      requestObject: verb === 'create' && body.length > 0 ? (JSON.parse(body.toString('utf8')) as unknown) : undefined,
    };
    lines.push(JSON.stringify(event));
  };

  const server: Server = createServer({ cert: readFileSync(pki.serverCert), key: readFileSync(pki.serverKey) }, (incoming, outgoing) => {
    const body: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => body.push(chunk));
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers: { ...incoming.headers, host: upstream.host }, agent },
      (answer) => {
        record(incoming, answer.statusCode ?? 0, Buffer.concat(body));
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forward.on('error', () => outgoing.destroy());
    // The operator ended a watch (or went): end the request upstream too.
    outgoing.on('close', () => {
      if (!outgoing.writableFinished) forward.destroy();
    });
    incoming.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: { server: `https://127.0.0.1:${port}`, caPem: readFileSync(pki.caCert, 'utf8') },
    log: () => lines.join('\n'),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}

const describeUse = (use: Use) =>
  `${use.verb} ${use.group || 'core'}/${use.resource}${use.subresource ? `/${use.subresource}` : ''}${use.namespace ? ` in ${use.namespace}` : ' (cluster-scoped)'}${use.name ? ` ${use.name}` : ''} -> ${use.code}`;

/** Stops a spawned operator with SIGTERM, as the kubelet does, and waits until it has exited (its lease released). */
function terminate(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

describe('the operator under the RBAC of deploy/overlays/single-namespace', () => {
  let proxy: RecordingProxy;
  let scene: Scene;
  let install: OperatorInstall;
  let objects: KubeObject[];
  let grants: Grant[];
  let restoredDatabase: string | undefined;

  beforeAll(async () => {
    proxy = await startRecordingProxy();
    scene = await Scene.create('op-rbac-ns', { install: namespacedInstall, endpoint: proxy.endpoint });
    install = scene.install;
    objects = await identityObjects(install);
    grants = grantsIn(objects, { namespace: install.identity.namespace, name: install.identity.serviceAccount });
  });

  afterAll(async () => {
    if (restoredDatabase) {
      const database = restoredDatabase;
      await withDatabase(testEnv(), 'postgres', (client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)).catch(() => undefined);
    }
    await scene?.tearDown();
    await proxy?.close();
  });

  /** The API server's answer to "may the install's ServiceAccount do this here?" (namespace undefined: in all namespaces). */
  function allowed(verb: string, group: string, resource: string, namespace: string | undefined): Promise<boolean> {
    return serviceAccountMay(scene.client, install.identity, { verb, group, resource, namespace });
  }

  it("binds the operator's rules in the watched namespace only, the lease Role in its own, and watches that namespace", async () => {
    expect(install.identity.serviceAccount).toBe(`${PREFIX}lifeboat-operator`);
    expect(objects.filter((object) => object.kind === 'ClusterRoleBinding')).toEqual([]);
    const where = (grant: Grant) => `${grant.source.split(' ')[0]} in ${grant.namespace ?? 'every namespace'}`;
    expect([...new Set(grants.map(where))].sort()).toEqual([`ClusterRole in ${scene.namespace}`, `Role in ${install.identity.namespace}`]);
    // The Deployment a user would apply watches exactly the namespace its RoleBinding grants.
    const deployment = (await renderInstall(install.path)).find((object) => object.kind === 'Deployment') as
      | (KubeObject & { spec: { template: { spec: { containers: { name: string; env?: { name: string; value?: string }[] }[] } } } })
      | undefined;
    const env = deployment?.spec.template.spec.containers.find((container) => container.name === 'operator')?.env ?? [];
    expect(env.find((variable) => variable.name === 'LIFEBOAT_WATCH_NAMESPACES')?.value).toBe(scene.namespace);
  });

  it('lets its ServiceAccount read Lifeboat objects and Secrets in the watched namespace, and nowhere else', async () => {
    expect(await allowed('list', 'lifeboat.dev', 'backupschedules', scene.namespace)).toBe(true);
    expect(await allowed('get', '', 'secrets', scene.namespace)).toBe(true);
    expect(await allowed('create', 'coordination.k8s.io', 'leases', install.identity.namespace)).toBe(true);
    expect(await allowed('list', 'lifeboat.dev', 'backupschedules', undefined)).toBe(false);
    expect(await allowed('watch', 'batch', 'jobs', undefined)).toBe(false);
    expect(await allowed('list', 'lifeboat.dev', 'backupschedules', SHIPPED_WATCHED)).toBe(false);
    expect(await allowed('get', '', 'secrets', SHIPPED_WATCHED)).toBe(false);
  });

  it('backs up, restores and deletes a backup with only namespaced requests the install grants, none refused', async () => {
    await scene.applySchedule({ name: 'app', schedule: '0 0 1 1 *', sources: ['app-db', 'diagrams'] });
    // The built operator as its own process, as the Deployment runs it, through the recording proxy.
    const operator = scene.spawnOperator({ leaseName: 'namespaced' });

    await scene.createManualRun('now', 'app');
    expect((await scene.finalRun('now')).status?.phase).toBe('Succeeded');
    expect(await scene.objectsOf('app', 'now')).toEqual(expect.arrayContaining(['manifest.json']));

    restoredDatabase = `${scene.fixture.database}_restored`;
    await createRestore(scene.client, restoreManifest(scene.namespace, 'undo', { backupRunRef: { name: 'now' } }, [databaseTarget('app-db', restoredDatabase)]));
    expect((await finalRestore(scene.client, scene.namespace, 'undo')).status?.phase).toBe('Succeeded');
    const count = (database: string) => withDatabase(testEnv(), database, async (client) => (await client.query<{ n: string }>('SELECT count(*) AS n FROM customers')).rows[0]?.n);
    expect(await count(restoredDatabase)).toBe(await count(scene.fixture.database));

    // Deleting the run: the operator's finalizer, its storage Secret read by name, the artifacts deleted.
    await scene.client.delete(BACKUP_RUNS, scene.namespace, 'now');
    await waitFor(async () => (await scene.run('now')) === undefined, { what: 'BackupRun now to be deleted', timeoutMs: 60_000, intervalMs: 1_000 });
    expect(await scene.objectsOf('app', 'now')).toEqual([]);

    expect(await terminate(operator)).toBe(0);

    const events = proxy
      .log()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { user: { username: string } });
    // Everything that went through the proxy came from the operator, with the install's token.
    expect(new Set(events.map((event) => event.user.username))).toEqual(new Set([install.identity.username]));
    const uses = usesIn(proxy.log(), install.identity.username);
    expect(uses.length).toBeGreaterThan(0);
    // Nothing refused, nothing cluster-scoped (usesIn keeps requests without a namespace, with
    // namespace ''), nothing outside the watched namespace and the lease's.
    expect(uses.filter((use) => use.code === 403).map(describeUse)).toEqual([]);
    expect(uses.filter((use) => use.namespace === '' || use.resource === 'namespaces').map(describeUse)).toEqual([]);
    expect(uses.filter((use) => ![scene.namespace, install.identity.namespace].includes(use.namespace)).map(describeUse)).toEqual([]);
    expect(uses.filter((use) => use.namespace === install.identity.namespace && use.resource !== 'leases').map(describeUse)).toEqual([]);
    // Each request is one the install's grants allow where it was made.
    const report = compare(uses, grants);
    expect(report.missing).toEqual([]);
    expect(report.refused).toEqual([]);
    // The informers listed and watched in the namespace, and the flows ran through the proxy.
    const made = new Set(uses.map((use) => `${use.verb} ${use.resource}${use.subresource ? `/${use.subresource}` : ''}`));
    for (const access of ['list backupschedules', 'watch backupschedules', 'watch jobs', 'watch pods', 'create jobs', 'get secrets', 'patch backupruns', 'patch restorerequests/status', 'update leases']) {
      expect(made).toContain(access);
    }
  });
});
