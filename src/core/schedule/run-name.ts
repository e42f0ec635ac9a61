// Scheduled runs are named <schedule>-<scheduled time in Unix seconds>: the name is a function of
// the cron time, so the create after an operator restart is a harmless 409 instead of a second
// run. Ten digits (until the year 2286) keep <52-character schedule>-<time> within 63 characters
// (MAX_PARENT_NAME_LENGTH in src/api/names.ts), and UTC seconds never repeat on DST fall-back.
import { Annotations } from '../metadata.ts';
import { parseTime } from '../time.ts';

export function scheduledRunName(schedule: string, scheduledTime: Date): string {
  return `${schedule}-${Math.floor(scheduledTime.getTime() / 1000)}`;
}

/**
 * The cron time a run was created for: the annotation, else the name's suffix (a run recreated
 * from the catalog, or one whose annotation was removed). Manual runs have none.
 */
export function scheduledTimeOf(
  run: { name: string; annotations?: Record<string, string> | undefined },
  schedule: string,
): Date | undefined {
  const annotated = parseTime(run.annotations?.[Annotations.scheduledTime]);
  if (annotated) return annotated;
  const match = new RegExp(`^${escapeRegExp(schedule)}-([0-9]{10})$`).exec(run.name);
  return match ? new Date(Number(match[1]) * 1000) : undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
