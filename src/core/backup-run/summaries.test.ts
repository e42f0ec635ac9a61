import { describe, expect, it } from '@jest/globals';
import { backupSummary } from './summaries.ts';

describe('backupSummary', () => {
  it('reads fields the runner cut for size as absent', () => {
    expect(backupSummary({ ok: true, subcommand: 'postgres-backup', summary: { key: 'k', sizeBytes: '[omitted]', rows: 3 } })).toEqual({ key: 'k', rows: 3 });
  });
});
