// Lifeboat's alert rules as the tests read them: the rule file parsed, and for each expression
// the operator metrics it reads with the labels it groups, matches or selects them by.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { RULES_FILE } from '../../../hack/gen-prometheusrule.ts';
import { repoRoot } from '../../env/paths.ts';

export const RULES_PATH = join(repoRoot, RULES_FILE);
export const RULE_TESTS_PATH = join(repoRoot, 'test/integration/alerts/rules.test.yaml');
export const RUNBOOK_BASE = 'https://github.com/lifeboat-dev/lifeboat/blob/main/docs/runbooks/';

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function alertRules(path = RULES_PATH): AlertRule[] {
  const file = parse(readFileSync(path, 'utf8')) as { groups: { name: string; rules: AlertRule[] }[] };
  return file.groups.flatMap((group) => group.rules);
}

export interface MetricUse {
  metric: string;
  /** Labels the expression needs on the metric: by (...), on (...) and {label="..."} selectors. */
  labels: string[];
}

/**
 * The operator metrics an expression reads. Each must sit right after `by (...)` or `on (...)` (how
 * the rules group them) or carry a selector: one written otherwise fails here, so that the test
 * of the labels cannot pass without having looked.
 */
export function metricUses(expr: string): MetricUse[] {
  const uses: MetricUse[] = [];
  for (const match of expr.matchAll(/lifeboat_\w+(\{[^}]*\})?/g)) {
    const metric = match[0].replace(/\{.*$/, '');
    const selector = [...(match[1] ?? '').matchAll(/(\w+)\s*(?:=|!=|=~|!~)/g)].map((label) => label[1]!);
    const before = expr.slice(0, match.index);
    const grouping = /(?:by|on)\s*\(([^)]*)\)\s*\(?\s*$/.exec(before);
    if (!grouping && selector.length === 0) throw new Error(`cannot tell which labels of ${metric} this expression uses: ${expr}`);
    const grouped = (grouping?.[1] ?? '')
      .split(',')
      .map((label) => label.trim())
      .filter(Boolean);
    uses.push({ metric, labels: [...new Set([...grouped, ...selector])].sort() });
  }
  return uses;
}
