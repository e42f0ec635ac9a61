// What a drill run needs before its first Job: a valid plan that fits the backup's sources,
// and the Secrets of the storage, the scratch servers and (for an encrypted backup) the age
// identity. Only names and keys are looked at, never values.
import { errorsOf, validateDrillPlan, type BackupStorage, type DRDrillRunStatus, type DrillPlan } from '../../api/index.ts';
import { decryptionIdentity } from '../jobs/restore-job.ts';
import { postgresCredentialNeeds, s3CredentialNeeds, secretKeyNeed, secretNames, type SecretKeyNeed } from '../job-set/index.ts';

type Backup = NonNullable<DRDrillRunStatus['backup']>;

/** The age identity that decrypts: the plan's own wins over the schedule's storage. */
export function drillIdentity(plan: DrillPlan, storage: BackupStorage | undefined) {
  return decryptionIdentity(plan.decryption?.identitySecret, 'plan.decryption.identitySecret', storage);
}

export function drillSecretNeeds(plan: DrillPlan, storage: BackupStorage | undefined, backup: Backup | undefined): SecretKeyNeed[] {
  const needs = [...s3CredentialNeeds(storage?.credentialsSecret, 'storage.credentialsSecret (of the backup schedule)')];
  if (plan.scratch.postgres) needs.push(...postgresCredentialNeeds(plan.scratch.postgres.connectionSecret, 'plan.scratch.postgres.connectionSecret'));
  if (plan.scratch.s3) needs.push(...s3CredentialNeeds(plan.scratch.s3.credentialsSecret, 'plan.scratch.s3.credentialsSecret'));
  const identity = backup?.encrypted ? drillIdentity(plan, storage) : undefined;
  if (identity) needs.push(...secretKeyNeed(identity, identity.field));
  return needs;
}

export function drillSecretNamesFor(plan: DrillPlan, storage: BackupStorage | undefined, backup: Backup | undefined): string[] {
  return secretNames(drillSecretNeeds(plan, storage, backup));
}

/** Problems with the plan on its own (durations). */
export function planProblems(plan: DrillPlan): string[] {
  return errorsOf(validateDrillPlan(plan, 'plan')).map((problem) => `${problem.field}: ${problem.message}`);
}

/** Problems of the plan with the chosen backup: checks naming sources it does not have, an identity it lacks. */
export function fitProblems(plan: DrillPlan, backup: Backup, storage: BackupStorage | undefined): string[] {
  const problems: string[] = [];
  const postgres = (backup.sources ?? []).filter((source) => source.kind === 'Postgres').map((source) => source.name);
  const named = [
    ...(plan.verify.sql ?? []).map((check, index) => ({ source: check.source, field: `plan.verify.sql[${index}].source` })),
    ...(plan.verify.freshness ? [{ source: plan.verify.freshness.source, field: 'plan.verify.freshness.source' }] : []),
  ];
  for (const { source, field } of named) {
    if (source === undefined && postgres.length > 1) problems.push(`${field}: the backup has ${postgres.length} PostgreSQL sources (${postgres.join(', ')}); name the one to query`);
    if (source !== undefined && !postgres.includes(source)) problems.push(`${field}: "${source}" is not a PostgreSQL source this drill restores (${postgres.join(', ') || 'none'})`);
    if (source === undefined && postgres.length === 0) problems.push(`${field}: this drill restores no PostgreSQL source to query; remove the check or change the scenario`);
  }
  if (backup.encrypted && !drillIdentity(plan, storage)) {
    problems.push(`plan.decryption: the backup ${backup.run} is encrypted; set decryption.identitySecret on the drill (or identitySecret in the schedule's storage.encryption)`);
  }
  return problems;
}
