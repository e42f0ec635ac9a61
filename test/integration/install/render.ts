// The install manifests as a user renders them: `helm template` of charts/lifeboat and
// `kubectl kustomize` of each deploy/overlays/* folder and of deploy/monitoring, with the helm and
// kubectl the testbin built, parsed into objects.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments, stringify } from 'yaml';
import { locateTool } from '../../env/binaries.ts';
import { repoRoot } from '../../env/paths.ts';
import { testEnv } from '../../support/env.ts';

export const CHART = join(repoRoot, 'charts/lifeboat');
export const OVERLAYS = ['cluster-wide', 'single-namespace'] as const;
export type Overlay = (typeof OVERLAYS)[number];
/** What deploy/ installs into and names; the chart gives the same names to release "lifeboat". */
export const DEPLOY = { namespace: 'lifeboat-system', release: 'lifeboat', operator: 'lifeboat-operator' } as const;
/** The namespace deploy/overlays/single-namespace watches. */
export const SINGLE_NAMESPACE = 'default';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a binary; resolves with its exit code and output, whatever the code. */
export async function run(binary: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<RunResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(binary, args, { maxBuffer: 64 * 2 ** 20, env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

async function mustRun(binary: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  const result = await run(binary, args, env);
  if (result.code !== 0) throw new Error(`${binary} ${args.join(' ')} failed (${result.code}):\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

export function parseManifests(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((document) => document.toJS() as KubeObject | null)
    .filter((object): object is KubeObject => object !== null);
}

/** helm with its config, cache and data in a throwaway folder: no repositories, nothing of the user's. */
export async function helm(args: string[]): Promise<RunResult> {
  const home = mkdtempSync(join(tmpdir(), 'lifeboat-helm-'));
  try {
    const env = { ...process.env, HELM_CONFIG_HOME: join(home, 'config'), HELM_CACHE_HOME: join(home, 'cache'), HELM_DATA_HOME: join(home, 'data') };
    return await run(locateTool('helm'), args, env);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

export interface TemplateOptions {
  release?: string;
  namespace?: string;
}

/** `helm template` of the chart with these values (as a -f file); resolves with helm's result. */
export async function helmTemplateResult(values: object = {}, options: TemplateOptions = {}): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-values-'));
  try {
    const file = join(dir, 'values.yaml');
    writeFileSync(file, stringify(values));
    return await helm(['template', options.release ?? DEPLOY.release, CHART, '--namespace', options.namespace ?? DEPLOY.namespace, '-f', file]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The chart's objects with these values; throws with helm's message when it refuses them. */
export async function helmTemplate(values: object = {}, options: TemplateOptions = {}): Promise<KubeObject[]> {
  const result = await helmTemplateResult(values, options);
  if (result.code !== 0) throw new Error(`helm template failed (${result.code}):\n${result.stderr}`);
  return parseManifests(result.stdout);
}

/** `kubectl kustomize deploy/overlays/<overlay>`. */
export async function kustomize(overlay: Overlay): Promise<KubeObject[]> {
  return kustomizeFolder(join('deploy/overlays', overlay));
}

/** `kubectl kustomize <folder>`, a folder of the repository such as deploy/monitoring. */
export async function kustomizeFolder(folder: string): Promise<KubeObject[]> {
  return parseManifests(await mustRun(join(testEnv().binDir, 'kubectl'), ['kustomize', join(repoRoot, folder)]));
}

/** The one object of this kind (and name); throws when there is none or more than one. */
export function one(objects: KubeObject[], kind: string, name?: string): KubeObject {
  const found = objects.filter((object) => object.kind === kind && (name === undefined || object.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? `/${name}` : ''}, found ${found.length}: ${objects.map(objectId).join(', ')}`);
  return found[0]!;
}

export function objectId(object: KubeObject): string {
  return `${object.kind}/${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}`;
}

/** The operator container's environment as name → value (valueFrom entries as their JSON). */
export function operatorEnv(objects: KubeObject[]): Record<string, string> {
  const deployment = one(objects, 'Deployment') as KubeObject & { spec: { template: { spec: { containers: { name: string; env?: { name: string; value?: string; valueFrom?: object }[] }[] } } } };
  const container = deployment.spec.template.spec.containers.find((c) => c.name === 'operator');
  return Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value ?? JSON.stringify(e.valueFrom)]));
}
