// Carries out decideSchedule's actions (run creates and deletes side by side, then their events:
// action-batches.ts), stopping at the first batch that fails (the error goes up and its kind
// decides the retry), then writes the status once, only if it changed.
import type { BackupScheduleStatus } from '../../api/index.ts';
import type { ScheduleDecision } from '../../core/index.ts';
import type { KubeApi } from '../../kube/kube-api.ts';
import type { EventRecorder } from '../../kube/events.ts';
import type { StoredRun, StoredSchedule } from '../informers.ts';
import { carryOutInBatches } from '../action-batches.ts';
import { recordEvent } from '../record-event.ts';
import { BACKUP_RUNS, BACKUP_SCHEDULES } from '../resource-types.ts';
import { mergePatchFor } from '../status-patch.ts';

export interface ScheduleActInput {
  client: KubeApi;
  events: EventRecorder;
  object: StoredSchedule;
  decision: ScheduleDecision;
  signal: AbortSignal;
}

/** The schedule's versions this pass went through: the one it decided from, and the one its status write made. */
export async function actOnSchedule({ client, events, object, decision, signal }: ScheduleActInput): Promise<(string | undefined)[]> {
  const namespace = object.metadata.namespace ?? '';
  await carryOutInBatches(
    decision.actions,
    (action) => (action.type === 'RecordEvent' ? 'event' : 'write'),
    async (action) => {
      switch (action.type) {
        case 'CreateBackupRun':
          // Deterministic name: a second create (a restart, a stale cache) is a harmless 409.
          await client.createIfAbsent(BACKUP_RUNS, action.run as StoredRun, { signal });
          return;
        case 'DeleteBackupRun':
          // The run's finalizer deletes its artifacts before it goes away.
          await client.delete(BACKUP_RUNS, namespace, action.name, { signal });
          return;
        case 'RecordEvent':
          await recordEvent(events, object, action.event);
          return;
      }
    },
  );
  const versions = [object.metadata.resourceVersion];
  if (decision.statusChanged) versions.push((await writeStatus(client, object, decision.status, signal))?.metadata?.resourceVersion);
  return versions;
}

/** Conditional on the version decided from: a stale cache becomes a conflict and a fresh pass. */
async function writeStatus(client: KubeApi, object: StoredSchedule, status: BackupScheduleStatus, signal: AbortSignal): Promise<StoredSchedule | undefined> {
  return client.patchStatus<StoredSchedule>(BACKUP_SCHEDULES, object.metadata.namespace, object.metadata.name ?? '', mergePatchFor(object.status, status), {
    resourceVersion: object.metadata.resourceVersion,
    signal,
  });
}
