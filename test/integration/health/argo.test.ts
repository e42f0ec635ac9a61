// The Argo CD health checks in deploy/argocd, as Argo CD runs them: every kind's health_test.yaml
// passes in lifeboat-health's gopher-lua VM (the libraries argocd-cm scripts get, no string or
// math), each kind is tested Healthy, Progressing, Degraded and while being deleted, and the
// argocd-cm snippet says what the scripts say.
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ARGOCD_CM_FILE, CUSTOMIZATIONS_DIR, generatedArgocdCm, generatedScripts } from '../../../hack/gen-argocd-cm.ts';
import { locateTool } from '../../env/binaries.ts';
import { repoRoot } from '../../env/paths.ts';

const KINDS = ['BackupSchedule', 'BackupRun', 'RestoreRequest', 'DRDrill', 'DRDrillRun'];
const kindDir = (kind: string) => join(repoRoot, CUSTOMIZATIONS_DIR, 'lifeboat.dev', kind);

interface HealthTest {
  healthStatus: { status: string; message: string };
  inputPath: string;
}

describe('Argo CD health checks', () => {
  it('pass every health_test.yaml in Argo CD’s VM', () => {
    const output = execFileSync(locateTool('lifeboat-health'), ['argo-test', join(repoRoot, 'deploy/argocd')], { encoding: 'utf8' });
    // One line per test, none failed (a failure exits non-zero and throws above).
    expect(output).not.toContain('FAIL');
    expect(output.split('\n').filter((line) => line.startsWith('ok ')).length).toBeGreaterThanOrEqual(KINDS.length * 4);
  });

  it('cover exactly the five kinds', () => {
    expect(readdirSync(join(repoRoot, CUSTOMIZATIONS_DIR, 'lifeboat.dev')).sort()).toEqual([...KINDS].sort());
  });

  it.each(KINDS)('test %s Healthy, Progressing, Degraded and while being deleted', (kind) => {
    const tests = (parse(readFileSync(join(kindDir(kind), 'health_test.yaml'), 'utf8')) as { tests: HealthTest[] }).tests;
    const inputs = tests.map((test) => ({
      status: test.healthStatus.status,
      object: parse(readFileSync(join(kindDir(kind), test.inputPath), 'utf8')) as { kind: string; metadata: { deletionTimestamp?: string } },
    }));
    expect(new Set(inputs.map((input) => input.status))).toEqual(new Set(['Healthy', 'Progressing', 'Degraded']));
    expect(inputs.every((input) => input.object.kind === kind)).toBe(true);
    expect(inputs.filter((input) => input.object.metadata.deletionTimestamp).map((input) => input.status)).toContain('Progressing');
  });

  it('keeps every kind’s health.lua equal to deploy/argocd/health.lua (run npx node hack/gen-argocd-cm.ts)', () => {
    const scripts = generatedScripts();
    expect(scripts.size).toBe(KINDS.length);
    for (const [path, script] of scripts) expect(readFileSync(join(repoRoot, path), 'utf8')).toBe(script);
  });

  it(`keeps ${ARGOCD_CM_FILE} up to date (run npx node hack/gen-argocd-cm.ts)`, () => {
    expect(readFileSync(join(repoRoot, ARGOCD_CM_FILE), 'utf8')).toBe(generatedArgocdCm());
  });

  it('gives argocd-cm one health key per kind, holding that kind’s script', () => {
    const data = (parse(generatedArgocdCm()) as { data: Record<string, string> }).data;
    expect(Object.keys(data).sort()).toEqual(KINDS.map((kind) => `resource.customizations.health.lifeboat.dev_${kind}`).sort());
    for (const kind of KINDS) expect(data[`resource.customizations.health.lifeboat.dev_${kind}`]).toBe(readFileSync(join(kindDir(kind), 'health.lua'), 'utf8'));
  });
});
