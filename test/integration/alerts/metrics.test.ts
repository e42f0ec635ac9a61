// The alerts read what a real operator serves: a scene with a schedule that has successful backups
// and an RPO objective, one whose backup failed, a drill that ran, and a backup whose deletion is
// held because its storage is unreachable; then every metric the rules read is on /metrics, with
// series carrying every label the rules group or match it by, and the values say what happened.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { RunningOperator } from '../../../src/operator/operator.ts';
import { SECRETS } from '../../../src/kube/resource-type.ts';
import type { KubeObject } from '../../../src/kube/types.ts';
import { scheduleManifest } from '../../support/backup-fixture.ts';
import { testEnv } from '../../support/env.ts';
import { createDrill, createDrillRun, drillPlan, finalDrillRun } from '../operator/drill-support.ts';
import { BACKUP_RUNS, BACKUP_SCHEDULES, Scene, waitFor } from '../operator/support.ts';
import { locateTool } from '../../env/binaries.ts';
import { BreakableProxy } from '../runtime/support.ts';
import { alertRules, metricUses, RULES_PATH } from './rules.ts';

jest.setTimeout(480_000);

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Scrape {
  types: Map<string, string>;
  samples: Sample[];
}

/** The Prometheus text format, as far as the operator writes it. */
function parseMetrics(text: string): Scrape {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1]!, type[2]!);
    if (line === '' || line.startsWith('#')) continue;
    const sample = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!sample) throw new Error(`cannot read the metrics line ${line}`);
    const labels = Object.fromEntries([...(sample[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((label) => [label[1]!, label[2]!]));
    samples.push({ name: sample[1]!, labels, value: Number(sample[3]) });
  }
  return { types, samples };
}

async function scrape(operator: RunningOperator): Promise<Scrape> {
  const response = await fetch(`${operator.httpUrl}/metrics`);
  expect(response.status).toBe(200);
  return parseMetrics(await response.text());
}

function value(scraped: Scrape, name: string, labels: Record<string, string>): number | undefined {
  return scraped.samples.find((sample) => sample.name === name && Object.entries(labels).every(([key, label]) => sample.labels[key] === label))?.value;
}

describe('the metrics the alerts read, on a real operator', () => {
  let scene: Scene;
  let proxy: BreakableProxy;
  let operator: RunningOperator;
  let scraped: Scrape;
  let scrapedAt: number;

  beforeAll(async () => {
    scene = await Scene.create('alerts');
    const env = testEnv();
    // The backup storage of "app" is reached through a proxy the test can cut.
    proxy = await BreakableProxy.start(new URL(env.s3.endpoint));
    const app = scheduleManifest(env, scene.fixture, { name: 'app', schedule: '0 0 1 1 *', sources: ['app-db'], storageEndpoint: `http://127.0.0.1:${proxy.port}` });
    await scene.client.apply(BACKUP_SCHEDULES, { ...app, spec: { ...app.spec, objectives: { rpo: '24h' } } } as unknown as KubeObject, { force: true });
    // "broken" backs up as a role that does not exist: its run fails.
    await scene.client.apply(SECRETS, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'no-such-role', namespace: scene.namespace },
      stringData: { username: 'lifeboat_no_such_role', password: 'unused' },
    } as KubeObject, { force: true });
    await scene.applySchedule({ name: 'broken', schedule: '0 0 1 1 *', sources: ['app-db'], databaseSecret: 'no-such-role' });
    operator = await scene.startOperator();

    await scene.createManualRun('good', 'app');
    await scene.createManualRun('bad', 'broken');
    expect((await scene.finalRun('good')).status?.phase).toBe('Succeeded');
    expect((await scene.finalRun('bad')).status?.phase).toBe('Failed');

    // A recurring drill (suspended: it runs only when the test says), run once by hand.
    await createDrill(scene.client, scene.namespace, 'weekly', { ...drillPlan('app'), schedule: '0 4 * * 0', suspend: true });
    await createDrillRun(scene.client, scene.namespace, 'weekly-now', 'weekly');
    const drillRun = await finalDrillRun(scene.client, scene.namespace, 'weekly-now');
    expect(drillRun.status?.rto?.met).toBeDefined();

    // A second backup, deleted while its storage refuses connections: its finalizer holds it.
    await scene.createManualRun('doomed', 'app');
    expect((await scene.finalRun('doomed')).status?.phase).toBe('Succeeded');
    await waitFor(async () => (await scene.run('doomed'))?.status?.conditions?.some((condition) => condition.type === 'Verified' && condition.status === 'True'), {
      what: 'the run to be verified',
      timeoutMs: 60_000,
    });
    proxy.refuse(true);
    await scene.client.delete(BACKUP_RUNS, scene.namespace, 'doomed');

    // Scrape once the operator's caches show all of it.
    scraped = await waitFor(
      async () => {
        const current = await scrape(operator);
        const ready =
          value(current, 'lifeboat_backup_artifact_deletions_pending', { schedule: 'app' }) === 1 &&
          value(current, 'lifeboat_drill_last_result', { drill: 'weekly' }) !== undefined &&
          value(current, 'lifeboat_backup_last_snapshot_timestamp_seconds', { schedule: 'app' }) !== undefined;
        return ready ? current : undefined;
      },
      { what: 'the metrics to show the scene', timeoutMs: 60_000, intervalMs: 1_000 },
    );
    scrapedAt = Math.round(Date.now() / 1000);
  });

  afterAll(async () => {
    // Storage back: the held deletion completes, and the namespace can go.
    proxy?.refuse(false);
    if (scene) {
      await waitFor(async () => ((await scene.run('doomed')) === undefined ? true : undefined), { what: 'the held deletion to finish', timeoutMs: 60_000 }).catch(() => undefined);
    }
    await scene?.tearDown();
    await proxy?.close();
  });

  it('has every metric the rules read, with series carrying every label the rules use', () => {
    const uses = alertRules().flatMap((rule) => metricUses(rule.expr).map((use) => ({ ...use, alert: rule.alert })));
    expect(uses.length).toBeGreaterThan(10);
    for (const { metric, labels, alert } of uses) {
      expect({ alert, metric, type: scraped.types.get(metric) }).toEqual({ alert, metric, type: 'gauge' });
      const series = scraped.samples.filter((sample) => sample.name === metric && sample.labels.namespace === scene.namespace);
      expect({ alert, metric, series: series.length > 0 }).toEqual({ alert, metric, series: true });
      for (const sample of series) {
        for (const label of labels) expect({ metric, label, present: (sample.labels[label] ?? '') !== '' }).toEqual({ metric, label, present: true });
      }
    }
  });

  it('says what happened: a failed and a successful schedule, the RPO inputs, the held deletion, the drill', () => {
    const ns = { namespace: scene.namespace };
    expect(value(scraped, 'lifeboat_backup_last_result', { ...ns, schedule: 'app' })).toBe(1);
    expect(value(scraped, 'lifeboat_backup_last_result', { ...ns, schedule: 'broken' })).toBe(0);
    expect(value(scraped, 'lifeboat_backup_rpo_objective_seconds', { ...ns, schedule: 'app' })).toBe(86_400);
    // The fixture's own objective (1h).
    expect(value(scraped, 'lifeboat_backup_rpo_objective_seconds', { ...ns, schedule: 'broken' })).toBe(3_600);
    const now = Date.now() / 1000;
    const snapshot = value(scraped, 'lifeboat_backup_last_snapshot_timestamp_seconds', { ...ns, schedule: 'app' }) ?? 0;
    const created = value(scraped, 'lifeboat_backup_schedule_created_timestamp_seconds', { ...ns, schedule: 'app' }) ?? 0;
    expect(snapshot).toBeGreaterThanOrEqual(Math.floor(created));
    expect(snapshot).toBeLessThanOrEqual(now);
    const deletion = value(scraped, 'lifeboat_backup_artifact_deletion_oldest_timestamp_seconds', { ...ns, schedule: 'app' }) ?? 0;
    expect(now - deletion).toBeGreaterThanOrEqual(0);
    expect(now - deletion).toBeLessThan(300);
    expect(value(scraped, 'lifeboat_drill_recurring', { ...ns, drill: 'weekly' })).toBe(1);
    const passed = value(scraped, 'lifeboat_drill_last_result', { ...ns, drill: 'weekly' }) === 1;
    expect(value(scraped, 'lifeboat_drill_last_passed_timestamp_seconds', { ...ns, drill: 'weekly' }) !== undefined).toBe(passed);
    expect(value(scraped, 'lifeboat_drill_objective_met', { ...ns, drill: 'weekly', objective: 'rto' })).toBeDefined();
  });

  it('fire exactly the alerts the scene deserves when promtool evaluates the rules on the scraped series', () => {
    // The scraped series as promtool input, held for 20 minutes, with promtool's clock (which
    // starts at 0) at the scrape: timestamps become seconds relative to it.
    const rules = alertRules();
    const used = new Set(rules.flatMap((rule) => metricUses(rule.expr).map((use) => use.metric)));
    const series = scraped.samples
      .filter((sample) => used.has(sample.name) && sample.labels.namespace === scene.namespace)
      .map((sample) => {
        const labels = { job: 'lifeboat-operator-metrics', pod: 'lifeboat-operator-a', ...sample.labels };
        const value = sample.name.endsWith('_timestamp_seconds') ? Math.round(sample.value) - scrapedAt : sample.value;
        return { series: `${sample.name}{${Object.entries(labels).map(([key, label]) => `${key}="${label}"`).join(',')}}`, values: `${value}x20` };
      });
    // Only the failed backup of "broken" deserves an alert: the rest is fresh, recent or passed.
    const failed = rules.find((rule) => rule.alert === 'LifeboatBackupFailed')!;
    const render = (text: string) => text.replaceAll('{{ $labels.namespace }}', scene.namespace).replaceAll('{{ $labels.schedule }}', 'broken');
    const expected = rules.map((rule) => ({
      eval_time: '10m',
      alertname: rule.alert,
      exp_alerts:
        rule === failed
          ? [
              {
                exp_labels: { severity: 'warning', namespace: scene.namespace, schedule: 'broken' },
                exp_annotations: Object.fromEntries(Object.entries(failed.annotations ?? {}).map(([key, text]) => [key, render(text)])),
              },
            ]
          : [],
    }));
    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-alerts-'));
    try {
      const file = join(dir, 'scraped.test.yaml');
      writeFileSync(file, stringify({ rule_files: [RULES_PATH], evaluation_interval: '1m', tests: [{ interval: '1m', input_series: series, alert_rule_test: expected }] }));
      const result = spawnSync(locateTool('promtool'), ['test', 'rules', file], { encoding: 'utf8', timeout: 60_000 });
      expect(`${result.stdout}${result.stderr}`).toContain('SUCCESS');
      expect(result.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
