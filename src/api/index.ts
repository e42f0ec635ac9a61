// The Lifeboat API: schemas (the single source of truth), inferred types, CRD descriptors and
// the validators for what the API server cannot check.
export { API_VERSION, CATEGORY, GROUP, VERSION } from './group.ts';
export * from './backup-schedule.ts';
export * from './backup-run.ts';
export * from './restore-request.ts';
export * from './dr-drill.ts';
export * from './dr-drill-run.ts';
export { BackupSource, BackupSources, BucketSource, PostgresSource } from './sources.ts';
export { BackupStorage, Encryption } from './storage.ts';
export { Retention } from './retention.ts';
export { JobTemplate } from './job-template.ts';
export { PostgresCredentialsRef, S3CredentialsRef } from './secret-refs.ts';
export { Condition, ConditionReasons, ConditionTypes, type ConditionType } from './conditions.ts';
export { ObjectMeta } from './object-meta.ts';
export { formatDuration, parseDuration } from './duration.ts';
export { formatBytes } from './size.ts';
export { errorsOf, problemsFromZod, type Problem } from './problems.ts';
export type { CrdDescriptor, PrinterColumn } from './crd-descriptor.ts';

import { backupRunCrd } from './backup-run.ts';
import { backupScheduleCrd } from './backup-schedule.ts';
import { drDrillCrd } from './dr-drill.ts';
import { drDrillRunCrd } from './dr-drill-run.ts';
import { restoreRequestCrd } from './restore-request.ts';

/** Every kind, in the order docs and generated files list them. */
export const crdDescriptors = [backupScheduleCrd, backupRunCrd, restoreRequestCrd, drDrillCrd, drDrillRunCrd];
