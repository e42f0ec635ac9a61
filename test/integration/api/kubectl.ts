// kubectl against the test API server, as a user would run it: manifests go in on stdin.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { crdDescriptors, GROUP } from '../../../src/api/index.ts';
import { testEnv } from '../../support/env.ts';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export type Kubectl = (args: string[], input?: string) => Promise<KubectlResult>;

/** A kubectl with its own discovery cache, so that CRDs installed by this test are seen. */
export function makeKubectl(): Kubectl {
  const { kubeconfig, binDir, workDir } = testEnv();
  // Inside the environment's work dir, so it goes when the environment does.
  const cacheDir = mkdtempSync(join(workDir, 'kubectl-cache-'));
  return (args, input) =>
    new Promise((resolve, reject) => {
      const child = spawn(join(binDir, 'kubectl'), [`--kubeconfig=${kubeconfig}`, `--cache-dir=${cacheDir}`, ...args], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      child.stdin.end(input ?? '');
    });
}

/** Runs kubectl and fails with its output when it does not exit 0. */
export async function ok(kubectl: Kubectl, args: string[], input?: string): Promise<string> {
  const result = await kubectl(args, input);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${result.code}):\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

export function toYaml(...objects: object[]): string {
  return objects.map((o) => stringify(o)).join('---\n');
}

/** Installs the generated CRDs and waits until the API server serves them. */
export async function installCrds(kubectl: Kubectl): Promise<void> {
  await ok(kubectl, ['apply', '--server-side', '--force-conflicts', '--field-manager=lifeboat-tests', '-f', join(repoRoot, 'crds')]);
  const crds = crdDescriptors.map((d) => `crd/${d.plural}.${GROUP}`);
  await ok(kubectl, ['wait', '--for=condition=Established', '--timeout=60s', ...crds]);
}

export async function createNamespace(kubectl: Kubectl, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await ok(kubectl, ['create', 'namespace', name]);
  return name;
}

/** Retries `attempt` until it stops throwing, for what the API server publishes asynchronously (discovery, OpenAPI). */
export async function eventually<T>(attempt: () => Promise<T>, timeoutMs = 30_000, intervalMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}
