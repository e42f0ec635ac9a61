// What the operator really asked of the API server, next to what the install grants it: reads the
// test API server's audit log (test/env/control-plane.ts records the operator ServiceAccount's
// requests) and the RBAC of the install (kubectl kustomize), and prints one table row per
// (apiGroup, resource, subresource, verb).
//   node hack/rbac-usage.ts AUDIT_LOG [--install DIR]
// AUDIT_LOG: e.g. the file LIFEBOAT_AUDIT_LOG named while the operator tests ran (docs/testing.md).
// DIR: a kustomize directory; the install the tests use (OPERATOR_INSTALL) when left out.
// Exit 1 when a request was refused (403) or a used access is not granted; a grant no request
// used is listed, but only a run of every end-to-end flow can tell that it is unneeded.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { crdDescriptors, GROUP } from '../src/api/index.ts';
import { testbinDir } from '../test/env/binaries.ts';
import { repoRoot } from '../test/env/paths.ts';
import { OPERATOR_IDENTITY, OPERATOR_INSTALL } from '../test/support/operator-identity.ts';

/** One kind of request: the unit RBAC rules grant. */
export interface Access {
  group: string;
  resource: string;
  /** '' for the object itself. */
  subresource: string;
  verb: string;
}

/** An access in a namespace ('' for cluster-scoped), as a request makes it or an owner reference implies it. */
export interface Use extends Access {
  namespace: string;
  name: string;
  /** HTTP status of the response; 0 for what admission checks without a request of its own. */
  code: number;
  /** Why the access counts when no request made it. */
  impliedBy?: string;
}

interface AuditEvent {
  auditID: string;
  stage: string;
  verb: string;
  user?: { username?: string };
  requestURI?: string;
  objectRef?: { apiGroup?: string; resource?: string; subresource?: string; namespace?: string; name?: string };
  responseStatus?: { code?: number };
  requestObject?: { metadata?: { ownerReferences?: { apiVersion: string; kind: string; name: string; blockOwnerDeletion?: boolean }[] } };
}

/** The plural a kind's owner references resolve to (the API server's RESTMapper does the same). */
function pluralOf(group: string, kind: string): string {
  if (group === GROUP) {
    const descriptor = crdDescriptors.find((candidate) => candidate.kind === kind);
    if (descriptor) return descriptor.plural;
  }
  return `${kind.toLowerCase()}s`;
}

/**
 * The accesses `username` made, one per completed request, plus those admission checked on its
 * behalf: OwnerReferencesPermissionEnforcement lets a request set blockOwnerDeletion only with
 * update on the owner's finalizers, and that check is no request of its own.
 */
export function usesIn(auditLog: string, username: string = OPERATOR_IDENTITY.username): Use[] {
  const uses: Use[] = [];
  const seen = new Set<string>();
  for (const line of auditLog.split('\n')) {
    if (!line.trim()) continue;
    const event = JSON.parse(line) as AuditEvent;
    // A watch logs ResponseStarted, and ResponseComplete only when it ends (never, if the API
    // server stops first): a request counts once, at its first stage in the log.
    if (event.user?.username !== username || seen.has(event.auditID)) continue;
    seen.add(event.auditID);
    const ref = event.objectRef;
    if (!ref?.resource) {
      uses.push({ group: '', resource: `nonResourceURL ${event.requestURI ?? ''}`, subresource: '', verb: event.verb, namespace: '', name: '', code: event.responseStatus?.code ?? 0 });
      continue;
    }
    const namespace = ref.namespace ?? '';
    uses.push({
      group: ref.apiGroup ?? '',
      resource: ref.resource,
      subresource: ref.subresource ?? '',
      verb: event.verb,
      namespace,
      name: ref.name ?? '',
      code: event.responseStatus?.code ?? 0,
    });
    if (event.verb !== 'create') continue;
    for (const owner of event.requestObject?.metadata?.ownerReferences ?? []) {
      if (!owner.blockOwnerDeletion) continue;
      const group = owner.apiVersion.includes('/') ? owner.apiVersion.split('/')[0]! : '';
      uses.push({
        group,
        resource: pluralOf(group, owner.kind),
        subresource: 'finalizers',
        verb: 'update',
        namespace,
        name: owner.name,
        code: 0,
        impliedBy: `blockOwnerDeletion on a created ${ref.resource}`,
      });
    }
  }
  return uses;
}

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
}

interface RbacObject {
  kind?: string;
  metadata: { name?: string; namespace?: string };
  rules?: PolicyRule[];
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}

/** A rule as it is bound to the ServiceAccount: everywhere, or in one namespace. */
export interface Grant {
  rule: PolicyRule;
  /** undefined: every namespace and cluster-scoped objects. */
  namespace?: string;
  /** "ClusterRole lifeboat-operator", "Role lifeboat-system/lifeboat-operator-leader-election". */
  source: string;
}

/** The rules the install binds to the ServiceAccount, where they apply. */
export function grantsIn(objects: RbacObject[], serviceAccount: { namespace: string; name: string } = { namespace: OPERATOR_IDENTITY.namespace, name: OPERATOR_IDENTITY.serviceAccount }): Grant[] {
  const grants: Grant[] = [];
  const bindsAccount = (binding: RbacObject) =>
    (binding.subjects ?? []).some((subject) => subject.kind === 'ServiceAccount' && subject.name === serviceAccount.name && subject.namespace === serviceAccount.namespace);
  for (const binding of objects.filter((object) => (object.kind === 'ClusterRoleBinding' || object.kind === 'RoleBinding') && bindsAccount(object))) {
    const { roleRef } = binding;
    const namespace = binding.kind === 'RoleBinding' ? binding.metadata.namespace : undefined;
    const role = objects.find(
      (object) =>
        object.kind === roleRef?.kind &&
        object.metadata.name === roleRef?.name &&
        (object.kind === 'ClusterRole' || object.metadata.namespace === binding.metadata.namespace),
    );
    if (!role) continue;
    const source = role.kind === 'Role' ? `Role ${role.metadata.namespace}/${role.metadata.name}` : `ClusterRole ${role.metadata.name}`;
    for (const rule of role.rules ?? []) grants.push({ rule, namespace, source });
  }
  return grants;
}

function splitResource(resource: string): { resource: string; subresource: string } {
  const [name = '', subresource = ''] = resource.split('/');
  return { resource: name, subresource };
}

function allows(grant: Grant, use: Use): boolean {
  const { rule } = grant;
  if (grant.namespace !== undefined && grant.namespace !== use.namespace) return false;
  if (!(rule.apiGroups ?? []).some((group) => group === '*' || group === use.group)) return false;
  if (!rule.verbs.some((verb) => verb === '*' || verb === use.verb)) return false;
  if (rule.resourceNames?.length && !rule.resourceNames.includes(use.name)) return false;
  return (rule.resources ?? []).some((resource) => {
    if (resource === '*') return true;
    const granted = splitResource(resource);
    return granted.resource === use.resource && (granted.subresource === use.subresource || granted.subresource === '*');
  });
}

/** Every access a grant spells out (wildcards stay as they are). */
export function grantedAccesses(grants: Grant[]): (Access & { source: string })[] {
  return grants.flatMap(({ rule, source }) =>
    (rule.apiGroups ?? []).flatMap((group) =>
      (rule.resources ?? []).flatMap((resource) => rule.verbs.map((verb) => ({ group, ...splitResource(resource), verb, source }))),
    ),
  );
}

export interface Row extends Access {
  requests: number;
  refused: number;
  /** The grants that allow it; empty when none does. */
  grantedBy: string[];
  impliedBy?: string;
}

export interface Report {
  rows: Row[];
  /** Used, with at least one use no grant allows. */
  missing: Row[];
  /** Uses the API server answered 403. */
  refused: Row[];
  /** Granted accesses no use matched. */
  unused: (Access & { source: string })[];
}

const keyOf = (access: Access) => `${access.group}|${access.resource}|${access.subresource}|${access.verb}`;

export function compare(uses: Use[], grants: Grant[]): Report {
  const rows = new Map<string, Row & { ungranted: number }>();
  for (const use of uses) {
    const key = keyOf(use);
    const row = rows.get(key) ?? { group: use.group, resource: use.resource, subresource: use.subresource, verb: use.verb, requests: 0, refused: 0, grantedBy: [], ungranted: 0, impliedBy: use.impliedBy };
    row.requests += 1;
    if (use.code === 403) row.refused += 1;
    const by = grants.filter((grant) => allows(grant, use)).map((grant) => grant.source);
    if (by.length === 0 && !use.resource.startsWith('nonResourceURL')) row.ungranted += 1;
    for (const source of by) if (!row.grantedBy.includes(source)) row.grantedBy.push(source);
    rows.set(key, row);
  }
  const all = [...rows.values()].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
  const used = new Set(all.map(keyOf));
  return {
    rows: all.map(({ ungranted: _ungranted, ...row }) => row),
    missing: all.filter((row) => row.ungranted > 0),
    refused: all.filter((row) => row.refused > 0),
    unused: grantedAccesses(grants).filter((access) => !used.has(keyOf(access))),
  };
}

export function formatReport(report: Report): string {
  const lines = [
    '| apiGroup | resource | subresource | verb | requests | refused (403) | granted by |',
    '|---|---|---|---|---|---|---|',
    ...report.rows.map(
      (row) =>
        `| ${row.group || '""'} | ${row.resource} | ${row.subresource} | ${row.verb} | ${row.impliedBy ? `(${row.impliedBy})` : row.requests} | ${row.refused} | ${row.grantedBy.join(', ') || 'NOT GRANTED'} |`,
    ),
    '',
    `Granted, never used (${report.unused.length}):`,
    ...report.unused.map((access) => `  ${access.group || '""'} ${access.resource}${access.subresource ? `/${access.subresource}` : ''} ${access.verb}  (${access.source})`),
    `Used, not granted: ${report.missing.length}; refused: ${report.refused.length}`,
  ];
  return lines.join('\n');
}

function main(argv: string[]): number {
  const [auditLog] = argv.filter((arg, index) => !arg.startsWith('--') && argv[index - 1] !== '--install');
  const installIndex = argv.indexOf('--install');
  const install = installIndex >= 0 ? argv[installIndex + 1]! : join(repoRoot, OPERATOR_INSTALL);
  if (!auditLog) {
    process.stderr.write('usage: node hack/rbac-usage.ts AUDIT_LOG [--install DIR]\n');
    return 2;
  }
  const rendered = execFileSync(join(testbinDir(), 'kubectl'), ['kustomize', install], { encoding: 'utf8', maxBuffer: 16 * 2 ** 20 });
  const objects = parseAllDocuments(rendered).map((document) => document.toJS() as RbacObject);
  const report = compare(usesIn(readFileSync(auditLog, 'utf8')), grantsIn(objects));
  process.stdout.write(`${formatReport(report)}\n`);
  return report.missing.length > 0 || report.refused.length > 0 ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main(process.argv.slice(2));
