import { describe, expect, it } from '@jest/globals';
import { mergePatchFor } from './status-patch.ts';

describe('mergePatchFor', () => {
  it('sends what the new status has, and null for what it dropped, at every depth', () => {
    const before = { phase: 'Running', progress: { sourcesDone: 1, sourcesTotal: 4 }, lastSuccessfulRun: { name: 'a', snapshotTime: 't1' } };
    const after = { phase: 'Succeeded', lastSuccessfulRun: { name: 'b' } };
    expect(mergePatchFor(before, after)).toEqual({ phase: 'Succeeded', progress: null, lastSuccessfulRun: { name: 'b', snapshotTime: null } });
  });

  it('replaces arrays whole, as merge patch does', () => {
    expect(mergePatchFor({ artifacts: [{ source: 'a' }, { source: 'b' }] }, { artifacts: [{ source: 'a' }] })).toEqual({ artifacts: [{ source: 'a' }] });
  });

  it('writes a first status as it is', () => {
    expect(mergePatchFor(undefined, { phase: 'Pending' })).toEqual({ phase: 'Pending' });
  });
});
