// Grandfather-father-son retention over a schedule's runs, with restic's `forget` semantics:
// - Only usable backups count (backup-run/usable-backup.ts: Succeeded, and Verified True or
//   absent), newest first by data time (snapshot time, else completion).
// - keepLast N keeps the N newest. keepDaily/Weekly/Monthly/Yearly N keep the newest backup in
//   each of the N newest days (ISO weeks, months, years) that have one, in the schedule's time
//   zone; periods without a backup are not counted (so a paused schedule keeps its history).
// - The rules are independent (restic, not borg): a backup kept by keepLast still counts as the
//   day's backup for keepDaily. A backup kept by any rule stays.
// - The newest successful and the newest verified backup are never pruned, whatever the rules.
// - A policy with no rule at all keeps every backup (as restic refuses to forget without one);
//   explicit zeros keep only the protected ones.
// - Failed and PartiallyFailed runs, and Succeeded runs that failed verification (a failed backup
//   all the same), are pruned once a run created after them is usable; newer failures stay for
//   debugging. Runs in progress, runs still being verified and runs already being deleted are
//   kept and not counted: a run being read back that a rule counted could push out the older
//   good backup (keepLast 1) minutes before it turns out unreadable.
import type { Retention } from '../../api/index.ts';
import { backupUsability, isUsableBackup } from '../backup-run/usable-backup.ts';
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

  const successes = considered.filter(isUsableBackup);
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
  const newestVerified = successes.find((run) => run.verified === 'True');
  if (newestVerified) keep(newestVerified, 'newest verified');

  const prune: RetentionDecision['prune'] = [];
  const newestSuccessCreated = Math.max(...successes.map((run) => run.creationTime.getTime()), -Infinity);
  for (const run of considered) {
    const usability = backupUsability(run);
    const what = usability === 'verificationFailed' ? 'Succeeded but failed verification' : run.phase;
    if (usability === 'usable') {
      if (reasons.get(run.name)!.length === 0) prune.push({ name: run.name, reason: `not kept by ${describePolicy(policy)}` });
    } else if (isActive(run)) {
      keep(run, 'in progress');
    } else if (usability === 'verifying') {
      keep(run, 'being verified');
    } else if (run.creationTime.getTime() < newestSuccessCreated) {
      prune.push({ name: run.name, reason: `${what}, and a newer run succeeded` });
    } else {
      keep(run, `${what} after the newest success`);
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
