// The labels, annotations and finalizer Lifeboat puts on the objects it creates. Stable: users
// select on them and the operator finds its children by them.
import { API_VERSION } from '../api/index.ts';

export const Labels = {
  managedBy: 'app.kubernetes.io/managed-by',
  schedule: 'lifeboat.dev/schedule',
  backupRun: 'lifeboat.dev/backup-run',
  restoreRequest: 'lifeboat.dev/restore-request',
  /** The DRDrill a DRDrillRun executes (set on the runs a drill creates). */
  drill: 'lifeboat.dev/drill',
  drillRun: 'lifeboat.dev/drill-run',
  source: 'lifeboat.dev/source',
  /** What a runner Job does for its owner: backup (one per source), finalize, verify or restore (one per target). */
  step: 'lifeboat.dev/step',
} as const;

export const MANAGED_BY = 'lifeboat';

export const Annotations = {
  /** The cron time a scheduled run was created for, RFC 3339; its name encodes the same instant. */
  scheduledTime: 'lifeboat.dev/scheduled-time',
  /** The run manifest a run was recreated from by catalog sync; such a run never starts Jobs. */
  importedFrom: 'lifeboat.dev/imported-from',
} as const;

/** Held on a BackupRun with deletionPolicy Delete until its artifacts are gone from storage. */
export const ARTIFACTS_FINALIZER = 'lifeboat.dev/artifacts';

/** Held on a DRDrillRun until its scratch targets are cleaned up, also when it is deleted while running. */
export const DRILL_CLEANUP_FINALIZER = 'lifeboat.dev/drill-cleanup';

/** Held on a RestoreRequest until it finished, so that deleting it stops its Jobs first. */
export const RESTORE_FINALIZER = 'lifeboat.dev/restore-jobs';

// A type alias, not an interface, so it fits ObjectMeta's loose (index-signature) owner references.
export type OwnerReference = {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller: boolean;
  blockOwnerDeletion: boolean;
};

export function controllerReference(owner: { kind: string; name: string; uid: string }, apiVersion = API_VERSION): OwnerReference {
  return { apiVersion, kind: owner.kind, name: owner.name, uid: owner.uid, controller: true, blockOwnerDeletion: true };
}
