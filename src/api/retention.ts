// Grandfather-father-son retention, counted in successful backups.
import { z } from 'zod';

function keep(what: string) {
  return z.int().min(0).max(1000).optional().describe(`Keep the newest successful backup of each of the last N ${what} that have one.`);
}

export const Retention = z
  .object({
    keepLast: z.int().min(0).max(1000).optional().describe('Keep the N newest successful backups.'),
    keepDaily: keep('days'),
    keepWeekly: keep('ISO weeks'),
    keepMonthly: keep('months'),
    keepYearly: keep('years'),
  })
  .describe('Which usable backups to keep (Succeeded, and not failed verification); a backup kept by any rule stays. The newest usable and the newest verified backup are never pruned; failed runs, and runs that failed verification, are removed once a newer backup is usable; a run still being verified is kept but not counted. Days, weeks, months and years are counted in the schedule\'s time zone. Defaults to keepLast: 7.');
export type Retention = z.infer<typeof Retention>;
