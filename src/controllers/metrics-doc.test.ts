// docs/metrics.md is the reference users and the alert rules' readers go by: every metric the
// operator serves must be in its tables, and every metric in its tables must exist. The
// registry is built as the operator builds it (runtime metrics with the Node.js process metrics,
// then every controller of every list src/operator/controllers.ts starts), so a metric added
// anywhere without a line in the doc, or a line left for a renamed metric, fails here.
import { afterEach, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { createRuntimeMetrics } from '../runtime/metrics.ts';
import { memoryCluster, type MemoryCluster } from '../runtime/testing/memory-cluster.ts';
import * as controllerLists from './index.ts';

const DOC = new URL('../../docs/metrics.md', import.meta.url);

let cluster: MemoryCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

/** The metric names the operator's /metrics serves (a histogram's base name, as the doc lists it). */
function registeredNames(): string[] {
  cluster = memoryCluster();
  const metrics = createRuntimeMetrics({ processMetrics: true });
  const context = { ...cluster.context, metrics };
  for (const setup of Object.values(controllerLists).flat()) setup(context);
  return metrics.registry.getMetricsAsArray().map((metric) => metric.name);
}

/** The names in the first column of the doc's metric tables; `lifeboat_process_*` stands for a family. */
function documentedNames(): string[] {
  return readFileSync(DOC, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('| `lifeboat_'))
    .flatMap((line) => [...line.split('|')[1]!.matchAll(/`(lifeboat_[a-z0-9_*]+)`/g)].map((match) => match[1]!));
}

const covers = (documented: string, name: string) => (documented.endsWith('*') ? name.startsWith(documented.slice(0, -1)) : name === documented);

describe('docs/metrics.md', () => {
  it('lists every metric the operator registers', () => {
    const registered = registeredNames();
    const documented = documentedNames();
    // The domain metrics of all four controller lists are there, not only the runtime's.
    expect(registered).toEqual(expect.arrayContaining(['lifeboat_backup_last_result', 'lifeboat_restore_requests', 'lifeboat_drill_runs', 'lifeboat_leader']));
    expect(registered.filter((name) => !documented.some((entry) => covers(entry, name)))).toEqual([]);
  });

  it('lists no metric the operator does not register', () => {
    const registered = registeredNames();
    const documented = documentedNames();
    expect(documented.length).toBeGreaterThan(20);
    expect(documented.filter((entry) => !registered.some((name) => covers(entry, name)))).toEqual([]);
  });
});
