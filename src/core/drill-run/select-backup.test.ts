// The delivered worst-case RPO over the run manifests: the largest gap, or the gap to the
// incident; only the history retention keeps in full counts.
import { describe, expect, it } from '@jest/globals';
import { aManifest } from '../testing/drill-run-builders.ts';
import { deliveredRpo } from './select-backup.ts';

const incident = new Date('2025-03-01T12:00:00Z');
const daily = (days: number) => Array.from({ length: days }, (_, n) => aManifest(`d${n}`, new Date(Date.UTC(2025, 2, 1, 2) - n * 86_400_000).toISOString()));

describe('deliveredRpo', () => {
  it('a daily schedule against a 5-minute objective shows about a day, and misses', () => {
    expect(deliveredRpo(daily(5), incident, 5 * 60_000, 7)).toMatchObject({ worstGap: '24h', backupsConsidered: 5, gapToIncident: '10h', met: false });
  });

  it('the gap to the incident counts when it is the largest', () => {
    const stale = [aManifest('a', '2025-02-26T02:00:00Z'), aManifest('b', '2025-02-27T02:00:00Z')];
    expect(deliveredRpo(stale, incident, 86_400_000, 7)).toMatchObject({ worstGap: '58h', met: false });
  });

  it('backups thinned by weekly and monthly rules beyond the recent history do not count', () => {
    const thinned = [aManifest('monthly', '2024-12-01T02:00:00Z'), aManifest('weekly', '2025-02-01T02:00:00Z'), ...daily(7)];
    // No keepLast: the last 7 days. With keepLast 3: the newest 3.
    expect(deliveredRpo(thinned, incident, 86_400_000 + 3_600_000)).toMatchObject({ worstGap: '24h', backupsConsidered: 7, met: true });
    expect(deliveredRpo(thinned, incident, 86_400_000, 3)).toMatchObject({ backupsConsidered: 3, oldestConsidered: '2025-02-27T02:00:00Z' });
  });

  it('backups after the incident are not counted; none at all misses', () => {
    expect(deliveredRpo([aManifest('later', '2025-03-02T00:00:00Z')], incident, 60_000, 7)).toEqual({ backupsConsidered: 0, met: false });
  });
});
