import { describe, expect, it } from '@jest/globals';
import { createLogger, reconcileLogger } from './logger.ts';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) };
  return { lines, logger: createLogger({ level: 'info', destination }) };
}

describe('createLogger', () => {
  it('writes JSON lines with a level label and an ISO time', () => {
    const { lines, logger } = capture();
    logger.info({ objects: 3 }, 'synced');
    expect(lines[0]).toMatchObject({ level: 'info', msg: 'synced', objects: 3, name: 'lifeboat-operator' });
    expect(String(lines[0]?.time)).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  it('redacts credentials wherever they sit, up to four levels deep', () => {
    const { lines, logger } = capture();
    logger.info(
      {
        password: 'p1',
        connection: { host: 'db', password: 'p2' },
        task: { storage: { credentials: { secretAccessKey: 's3', accessKeyId: 'AKIA' } } },
        headers: { authorization: 'Bearer t' },
      },
      'configured',
    );
    const text = JSON.stringify(lines[0]);
    for (const secret of ['p1', 'p2', 's3', 'AKIA', 'Bearer t']) expect(text).not.toContain(secret);
    expect(lines[0]).toMatchObject({ connection: { host: 'db', password: '[redacted]' } });
  });
});

describe('reconcileLogger', () => {
  it('puts controller, kind, namespace and name on every line', () => {
    const { lines, logger } = capture();
    reconcileLogger(logger, { controller: 'backup-run', kind: 'BackupRun', namespace: 'team-a', name: 'nightly' }).info('created job');
    expect(lines[0]).toMatchObject({ controller: 'backup-run', kind: 'BackupRun', namespace: 'team-a', name: 'nightly', msg: 'created job' });
  });
});
