// Lifeboat's alerts (charts/lifeboat/files/prometheus-rules.yaml) through promtool, built from the
// Prometheus Go module (hack/testbin/tools/promtool.sh): the file is valid, every alert carries
// what the runbook convention asks, the unit tests in rules.test.yaml pass and include a case
// where each alert must stay silent, the same tests fail when a rule is broken on purpose, and
// the kustomize copy (deploy/monitoring/prometheusrule.yaml) is the generated one.
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { generatedPrometheusRule, PROMETHEUS_RULE_FILE } from '../../../hack/gen-prometheusrule.ts';
import { locateTool } from '../../env/binaries.ts';
import { repoRoot } from '../../env/paths.ts';
import { alertRules, RULE_TESTS_PATH, RULES_PATH, RUNBOOK_BASE } from './rules.ts';

const ALERTS = [
  'LifeboatBackupFailed',
  'LifeboatBackupRPOMissed',
  'LifeboatArtifactDeletionStuck',
  'LifeboatDrillFailed',
  'LifeboatDrillObjectivesMissed',
  'LifeboatDrillNotPassedRecently',
];

function promtool(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync(locateTool('promtool'), args, { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

interface RuleTests {
  tests: { name: string; alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
}

describe('the alert rules', () => {
  it('are the six alerts, each with a severity, a summary, a description and its runbook', () => {
    const rules = alertRules();
    expect(rules.map((rule) => rule.alert).sort()).toEqual([...ALERTS].sort());
    for (const rule of rules) {
      expect(['warning', 'critical']).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary).toBeTruthy();
      expect(rule.annotations?.description).toBeTruthy();
      expect(rule.annotations?.runbook_url).toBe(`${RUNBOOK_BASE}${rule.alert}.md`);
      expect(existsSync(join(repoRoot, 'docs/runbooks', `${rule.alert}.md`))).toBe(true);
    }
  });

  it('pass promtool check rules', () => {
    const result = promtool('check', 'rules', RULES_PATH);
    expect(result.output).toContain('SUCCESS: 6 rules found');
    expect(result.status).toBe(0);
  });

  it('pass promtool test rules, with a case for each alert where it fires and one where it must not', () => {
    const tests = parse(readFileSync(RULE_TESTS_PATH, 'utf8')) as RuleTests;
    const cases = tests.tests.flatMap((test) => test.alert_rule_test ?? []);
    for (const alert of ALERTS) {
      expect(cases.some((c) => c.alertname === alert && c.exp_alerts.length > 0)).toBe(true);
      expect(cases.some((c) => c.alertname === alert && c.exp_alerts.length === 0)).toBe(true);
    }
    const result = promtool('test', 'rules', RULE_TESTS_PATH);
    expect(result.output).toContain('SUCCESS');
    expect(result.status).toBe(0);
  });

  // Each change breaks one alert; the unit tests must notice every one.
  it.each([
    ['LifeboatBackupFailed alerting on success', '(lifeboat_backup_last_result) == 0', '(lifeboat_backup_last_result) == 1'],
    ['LifeboatBackupRPOMissed against ten times the objective', '> on (namespace, schedule) max by', '> on (namespace, schedule) 10 * max by'],
    ['LifeboatBackupRPOMissed ignoring schedules without a backup', 'unless on (namespace, schedule) lifeboat_backup_last_snapshot_timestamp_seconds', 'and on (namespace, schedule) lifeboat_backup_last_snapshot_timestamp_seconds'],
    ['LifeboatArtifactDeletionStuck after a day', '(lifeboat_backup_artifact_deletion_oldest_timestamp_seconds) > 3600', '(lifeboat_backup_artifact_deletion_oldest_timestamp_seconds) > 86400'],
    ['LifeboatDrillFailed also for missed objectives', 'unless on (namespace, drill)\n          (max by', 'or on (namespace, drill)\n          (max by'],
    ['LifeboatDrillObjectivesMissed on met objectives', 'expr: max by (namespace, drill, objective) (lifeboat_drill_objective_met) == 0', 'expr: max by (namespace, drill, objective) (lifeboat_drill_objective_met) == 1'],
    ['LifeboatDrillNotPassedRecently after 10 days', '> 8 * 86400', '> 10 * 86400'],
    ['LifeboatDrillNotPassedRecently for one-off drills', '(lifeboat_drill_recurring) == 1', '(lifeboat_drill_recurring) >= 0'],
  ])('fail promtool test rules when broken: %s', (_what, from, to) => {
    const rules = readFileSync(RULES_PATH, 'utf8');
    expect(rules.split(from)).toHaveLength(2);
    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-rules-'));
    try {
      writeFileSync(join(dir, 'rules.yaml'), rules.replace(from, to));
      const tests = parse(readFileSync(RULE_TESTS_PATH, 'utf8')) as Record<string, unknown>;
      writeFileSync(join(dir, 'rules.test.yaml'), JSON.stringify({ ...tests, rule_files: ['rules.yaml'] }));
      expect(promtool('check', 'rules', join(dir, 'rules.yaml')).status).toBe(0);
      const result = promtool('test', 'rules', join(dir, 'rules.test.yaml'));
      expect(result.output).toContain('FAILED');
      expect(result.status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it(`are what ${PROMETHEUS_RULE_FILE} holds (run npx node hack/gen-prometheusrule.ts to update)`, () => {
    const committed = readFileSync(join(repoRoot, PROMETHEUS_RULE_FILE), 'utf8');
    expect(committed).toBe(generatedPrometheusRule());
    const manifest = parse(committed) as { kind: string; spec: unknown };
    expect(manifest.kind).toBe('PrometheusRule');
    expect(manifest.spec).toEqual(parse(readFileSync(RULES_PATH, 'utf8')));
  });
});
