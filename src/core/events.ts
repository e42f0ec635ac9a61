// Events the deciding core asks the I/O layer to record. Reasons are stable CamelCase: users
// alert on them and tests match on them, so a reason is never renamed.

export interface CoreEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** As an action: recorded after the actions before it succeeded. */
export interface RecordEvent {
  type: 'RecordEvent';
  event: CoreEvent;
}

export function normal(reason: string, message: string): RecordEvent {
  return { type: 'RecordEvent', event: { type: 'Normal', reason, message } };
}

export function warning(reason: string, message: string): RecordEvent {
  return { type: 'RecordEvent', event: { type: 'Warning', reason, message } };
}
