// "What to do" in a drill report: concrete advice for each failure reason, with the run's own
// figures and names, and shell commands where a command helps. Advice is plain text (the
// Markdown renderer escapes it), so the JSON report carries it unchanged.
import { formatBytes, formatDuration, type DrillPlan } from '../../api/index.ts';
import { SCRATCH_BUCKET_PREFIX, SCRATCH_DATABASE_PREFIX } from '../../contract/tasks.ts';
import { Labels } from '../metadata.ts';
import type { DrillReportJson, ReportDuration } from './report.ts';
import { noBackupPassedVerification } from './select-backup.ts';

/** The reasons a DRDrillRun fails with, each with its own advice. */
export const DRILL_FAILURE_REASONS = [
  'InvalidPlan',
  'ReferenceNotFound',
  'NoBackup',
  'ScratchExists',
  'ProvisionFailed',
  'RestoreFailed',
  'ChecksumMismatch',
  'DecryptionFailed',
  'CheckFailed',
  'RTOMissed',
  'RPOMissed',
  'ObjectivesMissed',
  'Timeout',
  'CleanupFailed',
] as const;
export type DrillFailureReason = (typeof DRILL_FAILURE_REASONS)[number];

/** Advice that is not a failure reason of its own. */
export const AdviceTopics = {
  /** The schedule's backups are further apart than the RPO objective. */
  DeliveredRPOMissed: 'DeliveredRPOMissed',
  /** Scratch resources kept by the cleanup policy. */
  ScratchLeftBehind: 'ScratchLeftBehind',
  /** Newer backups were passed over: their stored read-back verdict says they failed. */
  BackupsFailedVerification: 'BackupsFailedVerification',
} as const;

export interface DrillAdvice {
  /** A failure reason, an AdviceTopics value, or an unknown reason as the status wrote it. */
  reason: string;
  title: string;
  /** Plain text, no Markdown. */
  text: string;
  /** Shell commands, one a line, to run as they are (credentials come from the environment). */
  commands: string[];
}

type ReportFacts = Omit<DrillReportJson, 'advice' | 'plan'>;

export const RESTORE_BY_HAND = 'docs/restore-by-hand.md';

/**
 * Advice for the run's reason first, then for everything else the figures show (objectives
 * missed, failed checks, delivered RPO, leftovers), each once. Empty for a clean pass.
 */
export function drillAdvice(report: ReportFacts, plan: DrillPlan): DrillAdvice[] {
  const topics: string[] = [];
  const add = (topic: string | null | undefined) => {
    if (topic && !topics.includes(topic)) topics.push(topic);
  };
  if (report.result === 'Failed') add(report.reason ?? 'Unknown');
  if (report.objectives === 'RTOMissed' || report.objectives === 'BothMissed' || report.rto.met === false) add('RTOMissed');
  if (report.objectives === 'RPOMissed' || report.objectives === 'BothMissed' || report.rpo.met === false) add('RPOMissed');
  if (report.checks.failed > 0) add('CheckFailed');
  if (report.backup.skipped.length > 0) add(AdviceTopics.BackupsFailedVerification);
  if (report.deliveredRpo.met === false) add(AdviceTopics.DeliveredRPOMissed);
  if (report.scratch.leftBehind.length > 0 && !topics.includes('CleanupFailed')) add(AdviceTopics.ScratchLeftBehind);
  return topics.map((topic) => adviceFor(topic, report, plan));
}

function adviceFor(reason: string, report: ReportFacts, plan: DrillPlan): DrillAdvice {
  const write = WRITERS[reason as keyof typeof WRITERS] ?? unknownReason;
  const { title, text, commands = [] } = write(report, plan, reason);
  return { reason, title, text, commands };
}

type Writer = (report: ReportFacts, plan: DrillPlan, reason: string) => { title: string; text: string; commands?: string[] };

const WRITERS: Record<DrillFailureReason | keyof typeof AdviceTopics, Writer> = {
  InvalidPlan: (r, plan) => {
    const message = r.message ?? '';
    const ns = sh(r.namespace);
    return {
      title: 'the drill plan is invalid or does not fit the backup',
      text: sentences(
        `The plan was refused before anything was restored, so this run measured nothing${message ? `: ${message}` : ''}.`,
        'Each problem starts with the field to change.',
        /plan\.verify\.(sql|freshness)/.test(message)
          ? `An SQL check or the freshness query must name, in its source field, a PostgreSQL source the ${plan.scenario} scenario restores, and may leave it out only when the backup has exactly one; StorageLoss restores no database, so it takes neither.`
          : '',
        /plan\.decryption/.test(message)
          ? `The backup is encrypted: set spec.decryption.identitySecret on DRDrill ${r.drill} to the Secret holding the age identity, or spec.storage.encryption.identitySecret on BackupSchedule ${r.schedule}.`
          : '',
        /\b(objectives|timeout|olderThan)\b/.test(message) ? 'Durations are written like 30m, 2h or 1h30m, and must be longer than zero.' : '',
        `Fix DRDrill ${r.drill} (or the plan of a DRDrillRun made by hand), then start a new DRDrillRun: a run keeps the copy of the plan it started with, so this one cannot be retried.`,
      ),
      commands: [`kubectl -n ${ns} get drdrill ${sh(r.drill)} -o yaml`, `kubectl -n ${ns} get backupschedule ${sh(r.schedule)} -o jsonpath='{.spec.sources}'`],
    };
  },
  ReferenceNotFound: (r, plan) => {
    const ns = sh(r.namespace);
    // A report is written only while the schedule exists: what was missing is a Secret (of the
    // schedule's storage, the scratch servers or the age identity), named in the message.
    const secrets = [...new Set([plan.scratch.postgres?.connectionSecret.name, plan.scratch.s3?.credentialsSecret?.name, identitySecret(plan)].filter((name): name is string => name !== undefined))];
    return {
      title: 'something the drill needs does not exist',
      text: sentences(
        `The drill stopped before restoring anything because an object it needs in namespace ${r.namespace} did not exist in time${r.message ? `: ${r.message}` : ''}.`,
        `Create what the message names with the keys it lists (the Secret of BackupSchedule ${r.schedule}'s storage credentials${secrets.length > 0 ? `, or one the plan names: ${secrets.join(', ')}` : ''}), or correct the name that points to it.`,
        'Then start a new DRDrillRun; a recurring drill starts one at its next scheduled time.',
      ),
      commands: [
        `kubectl -n ${ns} get backupschedule ${sh(r.schedule)} -o jsonpath='{.spec.storage.credentialsSecret}'`,
        ...(secrets.length > 0 ? [`kubectl -n ${ns} get secret ${secrets.map(sh).join(' ')}`] : []),
      ],
    };
  },
  NoBackup: (r, plan) => {
    const olderThan = plan.backup?.olderThan;
    // The one NoBackup that found backups: every candidate's stored read-back verdict says it failed.
    const allCorrupt = noBackupPassedVerification(r.message);
    return {
      title: allCorrupt ? 'every backup to recover from failed verification' : 'no complete backup to recover from',
      text: sentences(
        allCorrupt
          ? `Every complete backup of schedule ${r.schedule} the drill could use${olderThan ? ` (a snapshot at least ${olderThan} before the incident)` : ''} failed the read-back after it was taken: its stored bytes differ from its manifest (the verdict is verification.json next to each run manifest). ${r.message ?? ''}`
          : `No complete backup of schedule ${r.schedule} was found in its storage${olderThan ? ` with a snapshot at least ${olderThan} before the incident (plan.backup.olderThan)` : ''}; a run counts only once its run-level manifest.json exists.`,
        allCorrupt ? 'In a real incident there would be no good backup to restore: find out what changes or damages objects in the backup bucket before anything else.' : 'In a real incident there would be nothing to restore.',
        `Check that the BackupSchedule has recent Succeeded runs, that its storage bucket and prefix are where the backups are written, and that its credentials can list them${olderThan ? `, and that retention keeps backups older than ${olderThan}` : ''}.`,
        'Take a backup now and run the drill again.',
      ),
      commands: [`kubectl -n ${sh(r.namespace)} get backupschedule ${sh(r.schedule)}`, `kubectl -n ${sh(r.namespace)} get backupruns -l ${Labels.schedule}=${sh(r.schedule)}`],
    };
  },
  ScratchExists: (r) => ({
    title: 'a scratch target already existed',
    text: sentences(
      'A scratch database or bucket with one of this run\'s names already existed, and a drill never restores into an existing target.',
      stepMessage(r, 'Provision'),
      'It is most likely left from an earlier attempt of this run: make sure it holds nothing you need, remove it (commands below), and drill again with a new DRDrillRun.',
    ),
    commands: removalCommands(r, [...r.scratch.databases, ...r.scratch.buckets]),
  }),
  ProvisionFailed: (r) => ({
    title: 'the scratch targets could not be created',
    text: sentences(
      'Creating the empty scratch targets failed, so nothing was restored and this run measured nothing.',
      stepMessage(r, 'Provision'),
      r.scratch.postgres
        ? `Check that the scratch PostgreSQL server ${r.scratch.postgres.host}:${r.scratch.postgres.port} is reachable from the cluster and that the user in Secret ${r.scratch.postgres.connectionSecret} has CREATEDB.`
        : '',
      r.scratch.s3 ? `Check that the scratch S3 endpoint ${r.scratch.s3.endpoint ?? '(AWS S3)'} is reachable and that its credentials${r.scratch.s3.credentialsSecret ? ` (Secret ${r.scratch.s3.credentialsSecret})` : ''} may create and delete buckets.` : '',
    ),
  }),
  RestoreFailed: (r) => ({
    title: 'the restore failed',
    text: sentences(
      'A restore Job failed: in a real incident the recovery would stop at the same point, so fix it before you need it.',
      stepMessage(r, 'RestoreDatabase'),
      stepMessage(r, 'RestoreBuckets'),
      'Read the Job\'s log (commands below).',
      'Common causes: roles or extensions that exist in production but not on the scratch server, a pg_restore older than the pg_dump that wrote the backup (see Tool versions), a scratch server or bucket without room for the data' +
        (r.backup.size ? ` (the backup is ${r.backup.size})` : '') +
        '.',
    ),
    commands: r.restores.map((restore) => `kubectl -n ${sh(r.namespace)} logs job/${sh(restore.jobName)}`),
  }),
  ChecksumMismatch: (r) => ({
    title: 'a backup artifact is corrupt',
    text: sentences(
      `An artifact of backup ${r.backup.run ?? '(unknown run)'} does not match the SHA-256 in its manifest: the stored object is damaged or was changed after the backup. Do not restore it.`,
      `Confirm it by hand with sha256sum (${RESTORE_BY_HAND}, step 2), then look for the cause in the storage: bit rot, a lifecycle rule, or tampering (object versioning and object lock protect against the last).`,
      'Take a fresh backup now, and drill an older backup (plan.backup.olderThan) to learn which is the newest good one.',
    ),
  }),
  DecryptionFailed: (r, plan) => ({
    title: 'the backup could not be decrypted',
    text: sentences(
      `Backup ${r.backup.run ?? '(unknown run)'} is encrypted with age and could not be decrypted: the identity in ${identitySecret(plan) ? `Secret ${identitySecret(plan)} (plan.decryption)` : "the Secret named by the schedule's spec.storage.encryption.identitySecret"} is missing, wrong, or not one of the recipients the backup was encrypted to.`,
      'Without the right identity nobody can restore this backup.',
      `Find the identity that matches the recipients in the source manifest (artifact.encryption.recipients), check it with age --decrypt (${RESTORE_BY_HAND}, step 3), put it in that Secret, and keep a copy outside the cluster.`,
    ),
  }),
  CheckFailed: (r) => {
    const failed = r.checks.items.filter((check) => check.result === 'Failed');
    const names = failed.slice(0, 5).map((check) => `"${check.name}"`);
    const types = new Set(failed.map((check) => check.type));
    const unlisted = r.checks.notListed.filter((entry) => entry.failed > 0);
    const unlistedFailed = unlisted.reduce((sum, entry) => sum + entry.failed, 0);
    return {
      title: 'the restored data failed its checks',
      text: sentences(
        `The data was restored, but ${r.checks.failed} of ${r.checks.total} checks failed${names.length > 0 ? `: ${names.join(', ')}${r.checks.failed > names.length ? ` and ${r.checks.failed - names.length} more` : ''}` : ''}. The Checks section shows what was expected and what was found.`,
        unlistedFailed > 0
          ? `${unlistedFailed} of the failed checks are not listed in this report (they did not fit the verify Job's result): ${unlisted.some((entry) => entry.jobName !== null) ? "the verify Job's log lists each one (commands below)" : 'the Jobs that ran them were gone when this report was written'}.`
          : '',
        types.has('RowCount') ? 'A row count that differs from the one taken in the backup\'s own snapshot means the restore lost or duplicated rows: look for errors in the restore Job\'s log.' : '',
        types.has('ObjectCount') || types.has('Checksum') ? 'An object count or checksum that differs from the manifest means the restored bucket is not what was backed up: do not trust this backup for those objects.' : '',
        types.has('SchemaObjects') ? 'A schema object missing after the restore means pg_restore skipped it, usually for a missing role or extension on the target: see the restore Job\'s log.' : '',
        types.has('Sql') ? 'An SQL expectation that fails means the data the application needs is not in the backup, or the expectation is out of date: fix whichever is wrong.' : '',
        types.has('Freshness') ? 'The freshness query failed or returned no timestamp: fix plan.verify.freshness so that the RPO can be measured from the data.' : '',
      ),
      commands: unlisted.flatMap((entry) => (entry.jobName === null ? [] : [`kubectl -n ${sh(r.namespace)} logs job/${sh(entry.jobName)} | grep '"check failed"'`])),
    };
  },
  RTOMissed: (r) => {
    const slowest = [...r.steps].filter((step) => step.duration).sort((a, b) => b.duration!.seconds - a.duration!.seconds)[0];
    const throughput = r.rto.throughputBytesPerSecond === null ? '' : ` at ${formatBytes(r.rto.throughputBytesPerSecond)}/s`;
    return {
      title: 'recovery took longer than the RTO objective',
      text: sentences(
        `Recovery took ${text(r.rto.measured)} against an RTO objective of ${text(r.rto.objective)}${over(r.rto.measured, r.rto.objective)}.`,
        r.rto.restore ? `The restore itself took ${r.rto.restore.text}${throughput}.` : '',
        slowest?.duration ? `The slowest step was ${slowest.name} (${slowest.duration.text}).` : '',
        'Make that step faster (more CPU and memory for the drill\'s Jobs through plan.jobTemplate, storage and scratch servers closer to each other, smaller databases per schedule), or agree on an objective of at least the measured time with the service\'s owners.',
      ),
    };
  },
  RPOMissed: (r, plan) => {
    const olderThan = plan.backup?.olderThan;
    const basis = r.rpo.basis === 'Freshness' ? 'the freshness query' : r.rpo.basis === 'SnapshotTime' ? 'the backup\'s snapshot time' : 'an unknown basis';
    return {
      title: 'more data lost than the RPO objective allows',
      text: sentences(
        `The restored data was ${text(r.rpo.measured)} older than the incident (measured from ${basis}) against an RPO objective of ${text(r.rpo.objective)}: an incident now would lose that much data.`,
        olderThan
          ? `This drill restored a backup at least ${olderThan} old on purpose (plan.backup.olderThan), so it cannot meet a shorter objective: the figure shows what going back that far costs.`
          : `Back up at least every ${text(r.rpo.objective)}${cronHint(r.rpo.objective)}, or use WAL archiving (continuous archiving with point-in-time recovery) when a dump cannot run that often.`,
        r.rpo.basis === 'SnapshotTime' ? 'Add a freshness query (plan.verify.freshness) to measure from the newest row instead of the snapshot time.' : '',
      ),
    };
  },
  ObjectivesMissed: (r) => {
    const rtoOver = over(r.rto.measured, r.rto.objective);
    const rpoOver = over(r.rpo.measured, r.rpo.objective);
    return {
      title: 'both the RTO and the RPO objectives were missed',
      text: sentences(
        `Recovery took ${text(r.rto.measured)} against an RTO objective of ${text(r.rto.objective)}${rtoOver}, and ${text(r.rpo.measured)} of data would be lost against an RPO objective of ${text(r.rpo.objective)}${rpoOver}.`,
        'An incident now would keep the service down longer and lose more data than agreed.',
        'The two have different causes and fixes: restore speed for the RTO, backup frequency for the RPO; the RTOMissed and RPOMissed advice below says what to change for each.',
        `If the objectives themselves are out of date, agree on new ones with the service's owners and change spec.objectives of DRDrill ${r.drill}.`,
      ),
      commands: [`kubectl -n ${sh(r.namespace)} get drdrill ${sh(r.drill)} -o jsonpath='{.spec.objectives}'`],
    };
  },
  Timeout: (r, plan) => {
    const stuck = r.steps.find((step) => step.phase === 'Running') ?? r.steps.filter((step) => step.startTime && !step.completionTime).at(-1);
    return {
      title: 'the drill ran out of time',
      text: sentences(
        `The drill did not finish within its timeout of ${plan.timeout} (plan.timeout)${stuck ? ` and was stopped during ${stuck.name}${stuck.message ? `: ${stuck.message}` : ''}` : ''}.`,
        'If the recovery is only slow, raise the timeout and see the RTO advice; if a step was stuck, look at its Job and pods (Pending pods, image pulls, locks, an unreachable server).',
      ),
      commands: [`kubectl -n ${sh(r.namespace)} get events --sort-by=.lastTimestamp`, ...r.restores.map((restore) => `kubectl -n ${sh(r.namespace)} describe job/${sh(restore.jobName)}`)],
    };
  },
  CleanupFailed: (r) => ({
    title: 'scratch resources were left behind',
    text: sentences(
      `Cleanup could not remove ${listOr(r.scratch.leftBehind, 'some scratch resources')}.`,
      'They hold a copy of production data and cost money: remove them by hand (commands below).',
      stepMessage(r, 'Cleanup'),
      'Then find out why cleanup failed: usually the scratch credentials may create databases or buckets but not drop them.',
    ),
    commands: removalCommands(r, r.scratch.leftBehind),
  }),
  DeliveredRPOMissed: (r) => {
    const d = r.deliveredRpo;
    const stale = d.gapToIncident && d.objective && d.gapToIncident.seconds > d.objective.seconds;
    return {
      title: 'backups are too far apart for the RPO objective',
      text: sentences(
        `Backups were up to ${text(d.worstGap)} apart against an RPO objective of ${text(d.objective)} (the worst gap${d.backupsConsidered === null ? '' : ` over the ${d.backupsConsidered} retained backups`}${d.oldestConsidered ? ` since ${d.oldestConsidered}` : ''}, the gap to the incident included): an incident at the worst moment would lose ${text(d.worstGap)} of data.`,
        stale ? `The newest backup was already ${d.gapToIncident!.text} old at the incident: check that the schedule is not suspended and that its runs succeed.` : '',
        `Schedule backups at least every ${text(d.objective)}${cronHint(d.objective)}, or use WAL archiving (continuous archiving with point-in-time recovery) when a dump cannot run that often.`,
      ),
      commands: [`kubectl -n ${sh(r.namespace)} get backupschedule ${sh(r.schedule)}`],
    };
  },
  BackupsFailedVerification: (r) => {
    const runs = r.backup.skipped.map((b) => b.run);
    const newest = r.backup.skipped[0];
    return {
      title: 'newer backups failed verification',
      text: sentences(
        `The drill passed over ${runs.length} newer backup(s), ${runs.join(', ')}: the verdict stored next to their run manifests says their read-back failed${newest?.reason ? ` (${newest.run}: ${newest.reason})` : ''}.`,
        `It recovered from ${r.backup.run ?? 'an older backup'} instead, as a team would in an incident, so the RPO measured here includes the data those backups held.`,
        'Find out what changed or damaged their stored objects (a lifecycle rule, another writer to the bucket, the storage itself), take a new backup, and see that it is verified.',
      ),
      commands: runs.slice(0, 3).map((run) => `kubectl -n ${sh(r.namespace)} get backuprun ${sh(run)} -o jsonpath='{.status.conditions[?(@.type=="Verified")].message}'`),
    };
  },
  ScratchLeftBehind: (r) => ({
    title: 'scratch resources kept',
    text: sentences(
      `The cleanup policy ${r.scratch.cleanup} kept ${listOr(r.scratch.leftBehind, 'scratch resources')}.`,
      'They hold a copy of production data: investigate, then remove them by hand (commands below).',
    ),
    commands: removalCommands(r, r.scratch.leftBehind),
  }),
};

function unknownReason(r: ReportFacts, _plan: DrillPlan, reason: string) {
  const failed = r.steps.find((step) => step.phase === 'Failed');
  return {
    title: reason === 'Unknown' ? 'the drill failed without a reason' : 'the drill failed',
    text: sentences(
      r.message ? `The drill failed: ${r.message}` : 'The drill failed.',
      failed ? `The step that failed was ${failed.name}${failed.message ? `: ${failed.message}` : ''}.` : '',
      'See the Steps section and the DRDrillRun\'s events.',
    ),
    commands: [`kubectl -n ${sh(r.namespace)} describe drdrillrun ${sh(r.run)}`],
  };
}

/** The Secret a drill plan names for decryption, if any (read loosely: the field is optional). */
function identitySecret(plan: DrillPlan): string | undefined {
  return (plan as { decryption?: { identitySecret?: { name?: string } } }).decryption?.identitySecret?.name;
}

/** Commands that remove scratch resources, found by their fixed prefixes in each entry. */
function removalCommands(r: ReportFacts, entries: readonly string[]): string[] {
  const commands: string[] = [];
  for (const entry of entries) {
    const database = new RegExp(`${SCRATCH_DATABASE_PREFIX}[a-z0-9_]+`).exec(entry)?.[0];
    const bucket = new RegExp(`${SCRATCH_BUCKET_PREFIX}[a-z0-9.-]*[a-z0-9]`).exec(entry)?.[0];
    if (database && r.scratch.postgres) {
      commands.push(`PGHOST=${sh(r.scratch.postgres.host)} PGPORT=${r.scratch.postgres.port} dropdb --if-exists ${database}   # user and password: Secret ${sh(r.scratch.postgres.connectionSecret)}`);
    } else if (bucket && r.scratch.s3) {
      const endpoint = r.scratch.s3.endpoint ? ` --endpoint-url ${sh(r.scratch.s3.endpoint)}` : '';
      commands.push(`aws${endpoint} --region ${sh(r.scratch.s3.region)} s3 rb s3://${bucket} --force`);
    }
  }
  return [...new Set(commands)];
}

function stepMessage(r: ReportFacts, name: string): string {
  const step = r.steps.find((candidate) => candidate.name === name);
  return step?.message && step.phase === 'Failed' ? `${step.name}: ${step.message}` : '';
}

/** Non-empty parts joined with spaces, each ending with a full stop. */
function sentences(...parts: string[]): string {
  return parts
    .filter((part) => part.trim() !== '')
    .map((part) => part.trim())
    .map((part) => (/[.!?:]$/.test(part) ? part : `${part}.`))
    .join(' ');
}

function text(value: ReportDuration | null): string {
  return value?.text ?? 'an unknown time';
}

function over(measured: ReportDuration | null, objective: ReportDuration | null): string {
  if (!measured || !objective || measured.seconds <= objective.seconds) return '';
  return `, ${formatDuration((measured.seconds - objective.seconds) * 1000)} over`;
}

/** ` (cron "…")` for an interval cron can express exactly, else nothing. */
function cronHint(objective: ReportDuration | null): string {
  const cron = objective ? everyCron(objective.seconds) : undefined;
  return cron ? ` (cron "${cron}")` : '';
}

export function everyCron(seconds: number): string | undefined {
  if (!Number.isInteger(seconds) || seconds <= 0 || seconds % 60 !== 0) return undefined;
  const minutes = seconds / 60;
  if (minutes === 1) return '* * * * *';
  if (minutes < 60) return 60 % minutes === 0 ? `*/${minutes} * * * *` : undefined;
  if (minutes % 60 !== 0) return undefined;
  const hours = minutes / 60;
  if (hours === 1) return '0 * * * *';
  if (hours < 24) return 24 % hours === 0 ? `0 */${hours} * * *` : undefined;
  return hours === 24 ? '0 0 * * *' : undefined;
}

function listOr(items: readonly string[], none: string): string {
  return items.length > 0 ? items.join(', ') : none;
}

/** A shell word: as is when it holds only safe characters, else single-quoted. */
export function sh(word: string): string {
  return /^[A-Za-z0-9._:/=@%+,-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
