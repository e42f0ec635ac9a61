// The operator under the RBAC it ships (issue 12): the install's ClusterRole and leader-election
// Role grant exactly what the end-to-end flows use (measured with hack/rbac-usage.ts on the test
// API server's audit log, docs/testing.md), the API server's own authorizer (SubjectAccessReview
// for the ServiceAccount) allows each of those where the flows need it and refuses what the operator
// must never do, and a backup end to end as the ServiceAccount makes only granted requests, none
// refused. Every other operator test runs as the same ServiceAccount (support.ts), and fails if
// the API server refused its operator anything.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { compare, grantedAccesses, grantsIn, usesIn, type Access, type Grant } from '../../../hack/rbac-usage.ts';
import { auditLogPath } from '../../env/control-plane.ts';
import { testEnv } from '../../support/env.ts';
import { ensureOperatorRbac, identityObjects, OPERATOR_IDENTITY, serviceAccountMay, writeServiceAccountKubeconfig } from '../../support/operator-identity.ts';
import { ok, toYaml } from '../api/kubectl.ts';
import { makeKubectl, Scene, testLease, waitFor } from './support.ts';

jest.setTimeout(240_000);


/** The groups the API server gives every token of the ServiceAccount. */

/** Where a grant applies: every namespace (the ClusterRole), or only the operator's own (the leader-election Role). */
type Scope = 'any namespace' | typeof OPERATOR_IDENTITY.namespace;

interface Need extends Access {
  scope: Scope;
}

const need = (scope: Scope, group: string, resource: string, verbs: string[]): Need[] =>
  verbs.map((verb) => ({ scope, group, ...splitResource(resource), verb }));

function splitResource(resource: string): { resource: string; subresource: string } {
  const [name = '', subresource = ''] = resource.split('/');
  return { resource: name, subresource };
}

const LIFEBOAT = 'lifeboat.dev';
const ANY: Scope = 'any namespace';

/**
 * What the end-to-end flows use, by hack/rbac-usage.ts on the audit log of every operator test
 * (docs/testing.md has the table and how to measure it again). A grant missing here fails the
 * first test below: add a rule only with the flow that needs it.
 */
const NEEDED: Need[] = [
  // Informers: every kind the controllers read is listed and watched, never fetched one by one.
  ...need(ANY, LIFEBOAT, 'backupschedules', ['list', 'watch']),
  ...need(ANY, LIFEBOAT, 'drdrills', ['list', 'watch']),
  // Restores: the finalizer held while their Jobs may run.
  ...need(ANY, LIFEBOAT, 'restorerequests', ['list', 'watch', 'patch']),
  // Runs: created by schedules, catalog sync and drills; deleted by retention and drill history;
  // finalizers patched; a drill run re-read before its report is written.
  ...need(ANY, LIFEBOAT, 'backupruns', ['list', 'watch', 'create', 'delete', 'patch']),
  ...need(ANY, LIFEBOAT, 'drdrillruns', ['get', 'list', 'watch', 'create', 'delete', 'patch']),
  // Status: merge patches through the status subresource, one per pass.
  ...['backupschedules', 'backupruns', 'restorerequests', 'drdrills', 'drdrillruns'].flatMap((plural) => need(ANY, LIFEBOAT, `${plural}/status`, ['patch'])),
  // blockOwnerDeletion on the children it creates (OwnerReferencesPermissionEnforcement):
  // schedules own runs, runs and restores own Jobs, drills own drill runs, drill runs own Jobs.
  ...['backupschedules', 'backupruns', 'restorerequests', 'drdrills', 'drdrillruns'].flatMap((plural) => need(ANY, LIFEBOAT, `${plural}/finalizers`, ['update'])),
  // Runner Jobs, and their pods' termination messages (the runner's result).
  ...need(ANY, 'batch', 'jobs', ['list', 'watch', 'create', 'delete']),
  ...need(ANY, '', 'pods', ['list', 'watch']),
  // Secrets by name only: key names for status, S3 keys of the backup storage.
  ...need(ANY, '', 'secrets', ['get']),
  ...need(ANY, 'events.k8s.io', 'events', ['create']),
  // Leader election, in the operator's own namespace only.
  ...need(OPERATOR_IDENTITY.namespace, 'coordination.k8s.io', 'leases', ['get', 'create', 'update']),
];

interface Forbidden extends Access {
  namespace?: string;
  why: string;
}

const never = (group: string, resource: string, verbs: string[], why: string, namespace?: string): Forbidden[] =>
  verbs.map((verb) => ({ group, ...splitResource(resource), verb, why, namespace }));

/** What the operator must never be able to do, whatever a flow wants. */
const NEVER: Forbidden[] = [
  ...never('', 'secrets', ['list', 'watch'], 'it reads a Secret only by the name a spec gives'),
  ...never('', 'secrets', ['list', 'watch'], 'not even across namespaces', ''),
  ...never('', 'secrets', ['create', 'update', 'patch', 'delete', 'deletecollection'], 'it never writes a Secret'),
  ...never('', 'pods', ['create', 'update', 'patch', 'delete'], 'pods come from its Jobs, through the Job controller'),
  ...never('', 'pods/exec', ['create', 'get'], 'it never runs anything in a pod'),
  ...never('', 'pods/log', ['get'], 'the result is the termination message, not the log'),
  ...never('', 'serviceaccounts/token', ['create'], 'it mints no tokens'),
  ...never('', 'configmaps', ['get', 'list', 'create'], 'it has no use for ConfigMaps'),
  ...never('apiextensions.k8s.io', 'customresourcedefinitions', ['create', 'update', 'patch', 'delete'], 'the CRDs are installed by the user, never by the operator', ''),
  ...never(LIFEBOAT, 'backupschedules', ['create', 'update', 'patch', 'delete'], 'schedules are the user\'s'),
  ...never(LIFEBOAT, 'drdrills', ['create', 'update', 'patch', 'delete'], 'drills are the user\'s'),
  ...never(LIFEBOAT, 'restorerequests', ['create', 'update', 'delete'], 'restores are the user\'s; only the finalizer is patched'),
  ...never('batch', 'jobs', ['update', 'patch'], 'a Job is created whole and replaced by deleting it'),
  ...never('coordination.k8s.io', 'leases', ['get', 'create', 'update'], 'leases only in its own namespace', 'default'),
  ...never('rbac.authorization.k8s.io', 'roles', ['create', 'bind', 'escalate'], 'no way to grant itself more'),
  ...never('rbac.authorization.k8s.io', 'clusterrolebindings', ['create'], 'no way to grant itself more', ''),
  ...never('', 'users', ['impersonate'], 'it acts only as itself', ''),
  ...never('', 'namespaces', ['create', 'delete'], 'namespaces are the user\'s', ''),
];

const describeAccess = (access: Access) => `${access.group || 'core'} ${access.resource}${access.subresource ? `/${access.subresource}` : ''} ${access.verb}`;
const scopeOf = (grant: Grant): Scope => (grant.namespace === OPERATOR_IDENTITY.namespace ? OPERATOR_IDENTITY.namespace : ANY);

describe('the operator ServiceAccount under the RBAC the install ships', () => {
  let scene: Scene;
  let grants: Grant[];

  /** The API server's answer to "may the operator's ServiceAccount do this?". */
  function allowed(access: Access, namespace: string | undefined): Promise<boolean> {
    return serviceAccountMay(scene.client, OPERATOR_IDENTITY, { namespace, group: access.group, resource: access.resource, subresource: access.subresource, verb: access.verb });
  }

  beforeAll(async () => {
    scene = await Scene.create('op-rbac');
    await ensureOperatorRbac();
    grants = grantsIn(await identityObjects());
  });

  afterAll(() => scene?.tearDown());

  it('grants exactly what the flows use, with no wildcard', () => {
    const granted = grants.flatMap((grant) => grantedAccesses([grant]).map((access) => `${scopeOf(grant)}: ${describeAccess(access)}`));
    expect([...new Set(granted)].sort()).toEqual(NEEDED.map((access) => `${access.scope}: ${describeAccess(access)}`).sort());
    for (const { rule } of grants) {
      expect([...(rule.apiGroups ?? []), ...(rule.resources ?? []), ...rule.verbs]).not.toContain('*');
    }
  });

  it("lets the ServiceAccount do each of them, in the test's namespace or the operator's own", async () => {
    const refused: string[] = [];
    for (const access of NEEDED) {
      const namespace = access.scope === ANY ? scene.namespace : access.scope;
      if (!(await allowed(access, namespace))) refused.push(`${describeAccess(access)} in ${namespace}`);
    }
    expect(refused).toEqual([]);
  });

  it('refuses the ServiceAccount what the operator must never do', async () => {
    const granted: string[] = [];
    for (const access of NEVER) {
      const namespace = access.namespace === undefined ? scene.namespace : access.namespace || undefined;
      if (await allowed(access, namespace)) granted.push(`${describeAccess(access)} in ${namespace ?? 'all namespaces'}: ${access.why}`);
    }
    expect(granted).toEqual([]);
  });

  it("needs update on an owner's finalizers to set blockOwnerDeletion: without it a Job owned by a BackupRun is refused", async () => {
    // A ServiceAccount of this test with only what creating a Job takes, then the operator's rule added.
    const kubectl = makeKubectl();
    const account = 'owner-references';
    const namespace = scene.namespace;
    const role = (rules: object[]) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: account, namespace }, rules });
    const jobRule = { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'delete'] };
    await ok(kubectl, ['apply', '--server-side', '--field-manager=lifeboat-tests', '-f', '-'], toYaml(
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: account, namespace } },
      role([jobRule]),
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: account, namespace },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: account },
        subjects: [{ kind: 'ServiceAccount', name: account, namespace }],
      },
    ));
    const kubeconfig = await writeServiceAccountKubeconfig(namespace, account);
    const job = toYaml({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: 'owned',
        namespace,
        ownerReferences: [{ apiVersion: 'lifeboat.dev/v1alpha1', kind: 'BackupRun', name: 'any', uid: '00000000-0000-0000-0000-000000000001', controller: true, blockOwnerDeletion: true }],
      },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox:1.36' }] } } },
    });
    // The later --kubeconfig wins over makeKubectl's admin one; a server-side dry run goes through admission.
    const createAs = () => kubectl([`--kubeconfig=${kubeconfig}`, 'create', '--dry-run=server', '-f', '-'], job);
    const refused = await waitFor(async () => {
      const result = await createAs();
      return result.code !== 0 && /blockOwnerDeletion/.test(result.stderr) ? result : undefined;
    }, { what: 'the Job to be refused for blockOwnerDeletion', timeoutMs: 15_000, intervalMs: 500 });
    expect(refused.stderr).toMatch(/cannot set blockOwnerDeletion/);

    await ok(kubectl, ['apply', '--server-side', '--field-manager=lifeboat-tests', '-f', '-'], toYaml(role([jobRule, { apiGroups: ['lifeboat.dev'], resources: ['backupruns/finalizers'], verbs: ['update'] }])));
    const created = await waitFor(async () => {
      const result = await createAs();
      return result.code === 0 ? result : undefined;
    }, { what: 'the Job to be admitted with update on backupruns/finalizers', timeoutMs: 15_000, intervalMs: 500 });
    expect(created.stdout).toContain('job.batch/owned created (server dry run)');
  });

  it('backs up end to end as the ServiceAccount with only granted requests, none refused', async () => {
    await scene.applySchedule({ name: 'app', schedule: '0 0 1 1 *', sources: ['app-db', 'diagrams'] });
    await scene.startOperator({ leaseName: 'rbac' });
    await scene.createManualRun('now', 'app');
    const run = await scene.finalRun('now');
    expect(run.status?.phase).toBe('Succeeded');
    await scene.stopOperators();

    // The audit log holds every operator test's requests: only this namespace's, and this test's lease.
    const lease = testLease(scene.namespace, 'rbac');
    const mine = await waitFor(
      () => {
        const uses = usesIn(readFileSync(auditLogPath(testEnv().workDir), 'utf8')).filter(
          (use) => use.namespace === scene.namespace || (use.namespace === lease.namespace && use.name === lease.name),
        );
        // The lease's release on stop is the last request.
        return uses.some((use) => use.resource === 'leases' && use.verb === 'update') ? uses : undefined;
      },
      { what: "the operator's requests in the audit log", timeoutMs: 10_000, intervalMs: 250 },
    );
    const report = compare(mine, grants);
    expect(report.refused).toEqual([]);
    expect(report.missing).toEqual([]);
    // Each kind of request it made is one the flows are known to need, and the owner references
    // of the Jobs it created needed update on BackupRun finalizers.
    const needed = new Set(NEEDED.map(describeAccess));
    expect(report.rows.map(describeAccess).filter((access) => !needed.has(access))).toEqual([]);
    expect(report.rows.map(describeAccess)).toEqual(expect.arrayContaining(['batch jobs create', 'lifeboat.dev backupruns/finalizers update', 'core secrets get']));
  });
});
