// The core's events, recorded on the object they concern. EventRecorder never throws: an event
// that cannot be written is logged and the reconcile goes on.
import type { CoreEvent } from '../core/index.ts';
import type { EventRecorder } from '../kube/events.ts';
import type { KubeObject } from '../kube/types.ts';

export function recordEvent(events: EventRecorder, regarding: KubeObject, event: CoreEvent): Promise<void> {
  return events.record(regarding, { type: event.type, reason: event.reason, note: event.message });
}
