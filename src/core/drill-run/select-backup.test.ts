// Which backup a drill recovers from, passing over those whose stored read-back verdict says they
// failed; and the delivered worst-case RPO over the run manifests: the largest gap, or the gap to
// the incident; only the history retention keeps in full counts, and no backup known corrupt.
import { describe, expect, it } from '@jest/globals';
import { aManifest, aPlan } from '../testing/drill-run-builders.ts';
import { deliveredRpo, selectDrillBackup } from './select-backup.ts';

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

describe('selectDrillBackup and the stored read-back verdicts', () => {
  const plan = aPlan();
  const newest = aManifest('app-3', '2025-03-01T02:00:00Z', { verified: false });
  const middle = aManifest('app-2', '2025-02-28T02:00:00Z', { verified: false });
  const good = aManifest('app-1', '2025-02-27T02:00:00Z', { verified: true });
  const unverified = aManifest('app-0', '2025-02-26T02:00:00Z');

  it('passes over the newer backups whose read-back failed and recovers from the newest good one', () => {
    const selection = selectDrillBackup([unverified, newest, good, middle], plan, incident);
    expect(selection.ok && selection.backup.run).toBe('app-1');
    expect(selection.skipped.map((entry) => entry.run)).toEqual(['app-3', 'app-2']);
    expect(selection.skipped[0]).toEqual({
      key: 'prod/prod/app/app-3/manifest.json',
      run: 'app-3',
      snapshotTime: new Date('2025-03-01T02:00:00Z'),
      reason: 'failed verification (read back 2025-03-01T03:00:00Z): source db: ChecksumMismatch: artifact s3://backups/prod/prod/app/app-3/db/artifact does not match its manifest',
    });
  });

  it('takes a backup that was never read back: not known bad', () => {
    const selection = selectDrillBackup([unverified, newest], plan, incident);
    expect(selection.ok && selection.backup.run).toBe('app-0');
    expect(selection.skipped.map((entry) => entry.run)).toEqual(['app-3']);
  });

  it('skips nothing, and says nothing, when the newest backup is good', () => {
    const selection = selectDrillBackup([good, unverified, aManifest('old-bad', '2025-02-01T02:00:00Z', { verified: false })], plan, incident);
    expect(selection).toMatchObject({ ok: true, backup: { run: 'app-1' }, skipped: [] });
  });

  it('only counts as skipped a backup the drill could otherwise have used', () => {
    const later = aManifest('after', '2025-03-02T02:00:00Z', { verified: false });
    const bucketsOnly = aPlan({ scenario: 'StorageLoss' });
    const dbOnly = aManifest('db-only', '2025-03-01T01:00:00Z', { verified: false, sources: [aManifest('x', '2025-03-01T01:00:00Z').manifest.sources[0]!] });
    const selection = selectDrillBackup([later, dbOnly, newest, good], bucketsOnly, incident);
    expect(selection.ok && selection.backup.run).toBe('app-1');
    expect(selection.skipped.map((entry) => entry.run)).toEqual(['app-3']);
  });

  it('says NoBackup because every candidate failed verification, naming them and the newest reason', () => {
    const selection = selectDrillBackup([newest, middle], plan, incident);
    expect(selection.ok).toBe(false);
    expect(!selection.ok && selection.message).toBe(
      'no backup from before the incident holding a source passed its read-back: all 2 such backup(s) among the 2 run manifest(s) in storage failed verification (app-3, app-2); ' +
        'the newest, app-3: failed verification (read back 2025-03-01T03:00:00Z): source db: ChecksumMismatch: artifact s3://backups/prod/prod/app/app-3/db/artifact does not match its manifest',
    );
  });

  it('keeps the plain NoBackup message when there was nothing to skip', () => {
    const selection = selectDrillBackup([], plan, incident);
    expect(!selection.ok && selection.message).toBe('no complete backup from before the incident holding a source among the 0 run manifest(s) in storage');
  });
});

describe('deliveredRpo and backups known corrupt', () => {
  it('does not count a backup whose read-back failed: it delivered no recovery point', () => {
    const history = [aManifest('d0', '2025-03-01T02:00:00Z', { verified: false }), aManifest('d1', '2025-02-28T02:00:00Z', { verified: true }), aManifest('d2', '2025-02-27T02:00:00Z')];
    expect(deliveredRpo(history, incident, 86_400_000, 7)).toMatchObject({ worstGap: '34h', gapToIncident: '34h', backupsConsidered: 2, met: false });
  });
});
