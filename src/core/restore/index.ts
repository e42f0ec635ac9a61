// RestoreRequest: restore one backup into databases and buckets, one runner Job per target.
export { decideRestore } from './decide-restore.ts';
export { restoreSecretNames, toCandidate } from './candidates.ts';
export { selectBackup, type Selection } from './select-backup.ts';
export { DEFAULT_RESTORE_CONFIG, type BackupCandidate, type ObservedRestore, type RestoreAction, type RestoreConfig, type RestoreDecision } from './types.ts';
