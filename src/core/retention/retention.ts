// Grandfather-father-son retention over a schedule's runs, with restic's `forget` semantics:
// - Only successful runs count, newest first by data time (snapshot time, else completion).
// - keepLast N keeps the N newest. keepDaily/Weekly/Monthly/Yearly N keep the newest backup in
//   each of the N newest days (ISO weeks, months, years) that have one, in the schedule's time
//   zone; periods without a backup are not counted (so a paused schedule keeps its history).
// - The rules are independent (restic, not borg): a backup kept by keepLast still counts as the
//   day's backup for keepDaily. A backup kept by any rule stays.
// - The newest successful and the newest verified backup are never pruned, whatever the rules.
// - A policy with no rule at all keeps every backup (as restic refuses to forget without one);
//   explicit zeros keep only the protected ones.
// - Failed and PartiallyFailed runs are pruned once a run created after them succeeded; newer
//   failures stay for debugging. Runs in progress and runs already being deleted are left alone.
import type { Retention } from '../../api/index.ts';
import { isActive, newestFirst, type ScheduleRunView } from '../schedule-run.ts';
import { periodKey, type Period } from './calendar.ts';

export interface RetentionDecision {
  /** Runs to delete, newest first, each with why. */
  prune: { name: string; reason: string }[];
  /** Runs that stay, newest first, with every reason that keeps them. */
  kept: { name: string; reasons: string[] }[];
}

const PERIOD_RULES: { period: Period; rule: 'keepDaily' | 'keepWeekly' | 'keepMonthly' | 'keepYearly' }[] = [
  { period: 'daily', rule: 'keepDaily' },
  { period: 'weekly', rule: 'keepWeekly' },
  { period: 'monthly', rule: 'keepMonthly' },
  { period: 'yearly', rule: 'keepYearly' },
];

export function applyRetention(runs: readonly ScheduleRunView[], policy: Retention, timeZone: string): RetentionDecision {
  const considered = runs.filter((run) => !run.deleting).sort(newestFirst);
  const reasons = new Map<string, string[]>(considered.map((run) => [run.name, []]));
  const keep = (run: ScheduleRunView, reason: string) => reasons.get(run.name)!.push(reason);

  const successes = considered.filter((run) => run.phase === 'Succeeded');
  const hasRule = policy.keepLast !== undefined || PERIOD_RULES.some(({ rule }) => policy[rule] !== undefined);

  successes.forEach((run, index) => {
    if (!hasRule) keep(run, 'no retention rule');
    if (policy.keepLast !== undefined && index < policy.keepLast) keep(run, `keepLast #${index + 1}`);
  });
  for (const { period, rule } of PERIOD_RULES) {
    const count = policy[rule];
    if (!count) continue;
    let periods = 0;
    let lastKey: string | undefined;
    for (const run of successes) {
      if (periods >= count) break;
      const key = periodKey(period, run.snapshotTime ?? run.completionTime ?? run.creationTime, timeZone);
      if (key === lastKey) continue;
      lastKey = key;
      periods++;
      keep(run, `${rule} ${key}`);
    }
  }
  const newest = successes[0];
  if (newest) keep(newest, 'newest successful');
  const newestVerified = successes.find((run) => run.verified);
  if (newestVerified) keep(newestVerified, 'newest verified');

  const prune: RetentionDecision['prune'] = [];
  const newestSuccessCreated = Math.max(...successes.map((run) => run.creationTime.getTime()), -Infinity);
  for (const run of considered) {
    if (run.phase === 'Succeeded') {
      if (reasons.get(run.name)!.length === 0) prune.push({ name: run.name, reason: `not kept by ${describePolicy(policy)}` });
    } else if (isActive(run)) {
      keep(run, 'in progress');
    } else if (run.creationTime.getTime() < newestSuccessCreated) {
      prune.push({ name: run.name, reason: `${run.phase}, and a newer run succeeded` });
    } else {
      keep(run, `${run.phase} after the newest success`);
    }
  }
  const kept = considered
    .filter((run) => reasons.get(run.name)!.length > 0)
    .map((run) => ({ name: run.name, reasons: reasons.get(run.name)! }));
  return { prune, kept };
}

export function describePolicy(policy: Retention): string {
  const rules = (['keepLast', 'keepDaily', 'keepWeekly', 'keepMonthly', 'keepYearly'] as const)
    .filter((rule) => policy[rule] !== undefined)
    .map((rule) => `${rule} ${policy[rule]}`);
  return rules.length > 0 ? rules.join(', ') : 'no rule';
}
