// The Markdown rendering of a drill report (report.ts), for an on-call engineer who has neither
// Lifeboat nor the cluster at hand: the result and figures first, then steps, checks, scratch
// resources, tool versions and what to do. Text from users or servers (check names, messages,
// keys) is escaped, so a pipe or a newline never breaks a table and nothing renders as markup.
import { formatBytes } from '../../api/index.ts';
import { RESTORE_BY_HAND, type DrillAdvice } from './report-advice.ts';
import type { DrillReportJson, ReportDuration } from './report.ts';

export function renderDrillMarkdown(report: DrillReportJson): string {
  const lines = [
    ...header(report),
    ...summary(report),
    ...steps(report),
    ...checks(report),
    ...restores(report),
    ...scratch(report),
    ...tools(report),
    ...whatToDo(report),
    ...byHand(report),
  ];
  return `${lines.join('\n').trimEnd()}\n`;
}

function header(r: DrillReportJson): string[] {
  const outcome = r.result === null ? 'no result' : r.reason && r.result === 'Failed' ? `${r.result} (${r.reason})` : r.result;
  return [
    `# DR drill ${inline(r.drill)}, run ${inline(r.run)}: ${inline(outcome)}`,
    '',
    `DRDrillRun ${code(r.run)} of DRDrill ${code(r.drill)} in namespace ${code(r.namespace)}, recovering from the backups of BackupSchedule ${code(r.schedule)}. ` +
      `Written ${r.generatedAt} by Lifeboat ${inline(r.operatorVersion)}; the JSON report (formatVersion ${r.formatVersion}) holds the same facts.`,
    '',
    ...(r.message ? [`**${inline(outcome)}:** ${inline(r.message)}`, ''] : []),
  ];
}

const SCENARIOS: Record<DrillReportJson['scenario'], string> = {
  DatabaseLoss: 'DatabaseLoss: the PostgreSQL sources are lost',
  StorageLoss: 'StorageLoss: the bucket sources are lost',
  CompleteFailure: 'CompleteFailure: every source and the cluster are lost; the backup was found from object storage alone',
};

function summary(r: DrillReportJson): string[] {
  const rows: [string, string][] = [
    ['Result', inline(r.result === 'Failed' && r.reason ? `Failed (${r.reason})` : (r.result ?? 'unknown'))],
    ['Scenario', inline(SCENARIOS[r.scenario] ?? r.scenario)],
    ['Incident (drill start)', r.incidentTime ?? 'unknown'],
    ['Finished', r.completionTime ? `${r.completionTime}${r.wallTime ? ` (${r.wallTime.text} after the incident, cleanup included)` : ''}` : 'not finished'],
    ['RTO', figure(r.rto.measured, r.rto.objective, r.rto.met)],
    ['RPO', `${figure(r.rpo.measured, r.rpo.objective, r.rpo.met)}${rpoBasis(r)}`],
    ['Delivered RPO (worst case)', deliveredRpo(r)],
    ['Backup used', backup(r)],
    ...(r.backup.skipped.length > 0 ? [['Backups passed over', skippedBackups(r)] as [string, string]] : []),
    ['Restore', restoreFigure(r)],
    ['Checks', r.checks.total === 0 ? 'none run' : `${r.checks.passed} passed, ${r.checks.failed} failed${notListedCount(r) > 0 ? `; ${notListedCount(r)} of them not listed here (see Checks)` : ''}`],
    ['Objectives', r.objectives ?? 'unknown'],
  ];
  return ['## Summary', '', '| | |', '| --- | --- |', ...rows.map(([what, value]) => `| ${what} | ${value} |`), ''];
}

function figure(measured: ReportDuration | null, objective: ReportDuration | null, met: boolean | null): string {
  const verdict = met === null ? '' : met ? ': met' : ': **missed**';
  if (!measured) return `not measured (objective ${objective?.text ?? 'unknown'})`;
  return `${measured.text} measured vs ${objective?.text ?? 'unknown'} objective${verdict}`;
}

function rpoBasis(r: DrillReportJson): string {
  if (r.rpo.basis === null) return '';
  const from = r.rpo.basis === 'Freshness' ? 'freshness query' : 'backup snapshot time';
  return `; basis: ${from}${r.rpo.newestDataTime ? `, newest data ${r.rpo.newestDataTime}` : ''}`;
}

function deliveredRpo(r: DrillReportJson): string {
  const d = r.deliveredRpo;
  if (!d.worstGap) return 'not computed';
  const verdict = d.met === null ? '' : d.met ? ': met' : ': **missed**';
  const from =
    d.backupsConsidered === null ? '' : `; worst gap over ${d.backupsConsidered} backups${d.oldestConsidered ? ` since ${d.oldestConsidered}` : ''}, up to the incident`;
  const newest = d.gapToIncident ? `; newest backup ${d.gapToIncident.text} before the incident` : '';
  return `${d.worstGap.text} vs ${d.objective?.text ?? 'unknown'} objective${verdict}${from}${newest}`;
}

function backup(r: DrillReportJson): string {
  const b = r.backup;
  if (!b.run && !b.manifestKey) return 'none selected';
  const parts = [
    b.run ? `run ${code(b.run)}` : '',
    b.snapshotTime ? `snapshot ${b.snapshotTime}` : '',
    b.manifestKey ? `manifest ${code(b.manifestKey)}` : '',
    b.sizeBytes === null ? '' : `${b.size} (${b.sizeBytes} bytes)`,
  ];
  return parts.filter(Boolean).join(', ');
}

/** Newer backups whose read-back failed: the drill recovered from an older one, as a team would. */
function skippedBackups(r: DrillReportJson): string {
  const listed = r.backup.skipped.map((b) => `${code(b.run)}${b.snapshotTime ? ` (snapshot ${b.snapshotTime})` : ''}: ${inline(b.reason ?? 'failed verification')}`);
  return `${r.backup.skipped.length} newer backup(s) failed verification: ${listed.join('; ')}`;
}

function restoreFigure(r: DrillReportJson): string {
  if (!r.rto.restore) return 'not measured';
  const bytes = r.rto.restoredBytes === null ? '' : ` for ${formatBytes(r.rto.restoredBytes)}`;
  const rate = r.rto.throughputBytesPerSecond === null ? '' : ` at ${formatBytes(r.rto.throughputBytesPerSecond)}/s`;
  return `${r.rto.restore.text}${bytes}${rate}`;
}

function steps(r: DrillReportJson): string[] {
  if (r.steps.length === 0) return ['## Steps', '', 'No step was recorded.', ''];
  return [
    '## Steps',
    '',
    '| Step | Phase | Started | Duration | Message |',
    '| --- | --- | --- | --- | --- |',
    ...r.steps.map((s) => row([s.name, s.phase ?? '-', s.startTime ?? '-', s.duration?.text ?? '-', s.message === null ? '-' : inline(s.message)])),
    '',
  ];
}

function checks(r: DrillReportJson): string[] {
  if (r.checks.total === 0) return ['## Checks', '', 'No check was run.', ''];
  const lines = ['## Checks', '', `${r.checks.passed} passed, ${r.checks.failed} failed, failed first.`, ''];
  const unlisted = notListedCount(r);
  if (unlisted > 0) {
    lines.push(
      `${unlisted} of these checks are not listed below: they are counted above, but did not fit the result a verify Job hands back (4096 bytes). The Job's log lists every check, with what was expected and found, for as long as the DRDrillRun and its Jobs exist:`,
      '',
      ...r.checks.notListed.map((entry) =>
        entry.jobName === null
          ? `- ${entry.passed} passed, ${entry.failed} failed: left out of the run's status (it keeps 64); the Jobs that ran them were gone when this report was written`
          : `- ${entry.passed} passed, ${entry.failed} failed${entry.source === null ? '' : ` for source ${code(entry.source)}`}: ${command(`kubectl -n ${r.namespace} logs job/${entry.jobName}`)}`,
      ),
      '',
    );
  }
  if (r.checks.items.length === 0) return lines;
  return [
    ...lines,
    '| Result | Check | Type | Source | Expected | Actual | Details |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...r.checks.items.map((c) =>
      row([c.result === 'Failed' ? '**Failed**' : 'Passed', code(c.name), c.type, c.source === null ? '-' : code(c.source), text(c.expected), text(c.actual), text(c.message)]),
    ),
    '',
  ];
}

function notListedCount(r: DrillReportJson): number {
  return r.checks.notListed.reduce((sum, entry) => sum + entry.passed + entry.failed, 0);
}

function restores(r: DrillReportJson): string[] {
  if (r.restores.length === 0) return [];
  return [
    '## Restores',
    '',
    '| Source | Kind | Restored into | Job | Size | Duration |',
    '| --- | --- | --- | --- | --- | --- |',
    ...r.restores.map((x) => row([code(x.source), x.kind, x.scratchTarget ? code(x.scratchTarget) : '-', code(x.jobName), x.size ?? '-', x.duration?.text ?? '-'])),
    '',
  ];
}

function scratch(r: DrillReportJson): string[] {
  const s = r.scratch;
  const names = (list: string[]) => (list.length === 0 ? 'none' : list.map(code).join(', '));
  return [
    '## Scratch resources',
    '',
    `- Cleanup policy: ${s.cleanup}`,
    ...(s.postgres ? [`- PostgreSQL scratch server: ${code(`${s.postgres.host}:${s.postgres.port}`)} (user and password in Secret ${code(s.postgres.connectionSecret)})`] : []),
    ...(s.s3
      ? [`- S3 scratch endpoint: ${s.s3.endpoint ? code(s.s3.endpoint) : 'AWS S3'}, region ${code(s.s3.region)}${s.s3.credentialsSecret ? ` (credentials in Secret ${code(s.s3.credentialsSecret)})` : ''}`]
      : []),
    `- Databases: ${names(s.databases)}`,
    `- Buckets: ${names(s.buckets)}`,
    s.leftBehind.length === 0 ? '- Left behind: none' : `- Left behind, **remove by hand** (see What to do): ${names(s.leftBehind)}`,
    '',
  ];
}

function tools(r: DrillReportJson): string[] {
  const rows = [
    row(['operator', 'lifeboat-operator', inline(r.operatorVersion)]),
    ...r.restores.flatMap((x) => Object.entries(x.tools).map(([tool, version]) => row([`restore of ${code(x.source)}`, code(tool), inline(version)]))),
  ];
  return ['## Tool versions', '', '| Used by | Tool | Version |', '| --- | --- | --- |', ...rows, ''];
}

function whatToDo(r: DrillReportJson): string[] {
  const lines = ['## What to do', ''];
  if (r.advice.length === 0) {
    lines.push(
      r.result === 'Passed'
        ? 'Nothing: the drill passed and every objective was met. Keep drilling, and alert when the DRDrill\'s status.lastPassedTime gets older than the drill interval.'
        : 'The drill had not finished when this report was written.',
      '',
    );
  }
  for (const advice of r.advice) lines.push(...adviceLines(advice));
  return lines;
}

function adviceLines(advice: DrillAdvice): string[] {
  const lines = [`### ${inline(advice.reason)}: ${inline(advice.title)}`, '', inline(advice.text), ''];
  if (advice.commands.length > 0) {
    const body = advice.commands.map((command) => command.replace(/[\r\n]+/g, ' '));
    const fence = '`'.repeat(Math.max(3, ...body.map((command) => longestRun(command, '`') + 1)));
    lines.push(`${fence}sh`, ...body, fence, '');
  }
  return lines;
}

function byHand(r: DrillReportJson): string[] {
  return [
    '## Recovering by hand',
    '',
    `To restore this backup without Lifeboat or the cluster, with an S3 client, sha256sum, age, zstd, pg_restore and tar, follow ${RESTORE_BY_HAND} in the Lifeboat repository.` +
      (r.backup.manifestKey ? ` The run manifest of the backup used is ${code(r.backup.manifestKey)} in the schedule's storage bucket; each source's manifest and artifact are in the same run folder.` : ''),
    '',
  ];
}

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function text(value: string | null): string {
  return value === null || value === '' ? '-' : inline(value);
}

function longestRun(text: string, char: string): number {
  let longest = 0;
  let current = 0;
  for (const c of text) {
    current = c === char ? current + 1 : 0;
    longest = Math.max(longest, current);
  }
  return longest;
}

/**
 * Text that is safe inside a line, table cells included: every character Markdown gives a
 * meaning to there is backslash-escaped (a pipe becomes \|, so it never ends a cell; < never opens
 * HTML; & never starts an entity), and line breaks become <br>, so a message never ends a table
 * row. User text never starts a line in the report, so #, > and - need nothing.
 */
export function inline(value: string): string {
  return value
    .replace(/[\\`*_[\]<|~]|&(?=#?[A-Za-z0-9]+;)/g, (c) => `\\${c}`)
    .replace(/\r\n|\r|\n/g, '<br>');
}

/** A shell line as a code span when it holds only plain characters and spaces, else escaped text. */
function command(value: string): string {
  return /^[A-Za-z0-9._:/@+=, -]+$/.test(value) ? codeSpan(value) : inline(value);
}

/** A code span for names and keys made of plain characters; anything else is escaped text. */
export function code(value: string): string {
  return /^[A-Za-z0-9._:/@+=,-]+$/.test(value) ? codeSpan(value) : inline(value);
}

/** Only for text the callers checked holds no backtick, pipe or line break. */
function codeSpan(value: string): string {
  return `\`${value}\``;
}
