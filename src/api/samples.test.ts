// The samples in deploy/samples are what users copy: they must parse with the schemas and pass
// the validators without errors (the API server side is covered by the integration tests).
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { BackupRun, BackupSchedule, DRDrill, DRDrillRun, RestoreRequest, validateBackupRun, validateBackupSchedule, validateDRDrill, validateDRDrillRun, validateRestoreRequest, type Problem } from './index.ts';

const dir = fileURLToPath(new URL('../../deploy/samples/', import.meta.url));
const documents = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((file) => parseAllDocuments(readFileSync(`${dir}${file}`, 'utf8')).map((doc) => [file, doc.toJS()] as const));

const kinds: Record<string, (object: unknown) => Problem[]> = {
  BackupSchedule: (o) => validateBackupSchedule(BackupSchedule.parse(o).spec),
  BackupRun: (o) => validateBackupRun(BackupRun.parse(o).spec),
  RestoreRequest: (o) => validateRestoreRequest(RestoreRequest.parse(o).spec),
  DRDrill: (o) => validateDRDrill(DRDrill.parse(o).spec),
  DRDrillRun: (o) => validateDRDrillRun(DRDrillRun.parse(o).spec),
};

describe('deploy/samples', () => {
  const lifeboatObjects = documents.filter(([, doc]) => doc.apiVersion === 'lifeboat.dev/v1alpha1');

  it('has one of each kind', () => {
    expect(lifeboatObjects.map(([, doc]) => doc.kind).sort()).toEqual(['BackupRun', 'BackupSchedule', 'DRDrill', 'DRDrillRun', 'RestoreRequest']);
  });

  it.each(lifeboatObjects.map(([file, doc]) => [file, doc] as const))('%s parses and validates without problems', (_, doc) => {
    expect(kinds[doc.kind]!(doc)).toEqual([]);
  });

  it('provides every Secret the samples reference', () => {
    const secrets = new Set(documents.filter(([, d]) => d.kind === 'Secret').map(([, d]) => d.metadata.name));
    const referenced = new Set<string>();
    const collect = (value: unknown, key = ''): void => {
      if (Array.isArray(value)) value.forEach((v) => collect(v));
      else if (value && typeof value === 'object') {
        if (key.endsWith('Secret')) referenced.add((value as { name: string }).name);
        for (const [k, v] of Object.entries(value)) collect(v, k);
      }
    };
    lifeboatObjects.forEach(([, doc]) => collect(doc.spec));
    expect([...referenced].filter((name) => !secrets.has(name))).toEqual([]);
    expect([...secrets].filter((name) => !referenced.has(name))).toEqual([]);
  });

  it('keeps 7 daily, 4 weekly and 12 monthly backups with an RPO of 24h, and drills weekly against RTO 1h', () => {
    const schedule = BackupSchedule.parse(lifeboatObjects.find(([, d]) => d.kind === 'BackupSchedule')![1]);
    const drill = DRDrill.parse(lifeboatObjects.find(([, d]) => d.kind === 'DRDrill')![1]);
    expect(schedule.spec.retention).toEqual({ keepDaily: 7, keepWeekly: 4, keepMonthly: 12 });
    expect(schedule.spec.objectives?.rpo).toBe('24h');
    expect(schedule.spec.sources.map((s) => s.name)).toEqual(['app-db', 'diagrams', 'exports', 'uploads']);
    expect(drill.spec.objectives).toEqual({ rto: '1h', rpo: '24h' });
    expect(drill.spec.schedule).toBe('0 4 * * 0');
  });
});
