// How a pass carries out its decision's actions: in order, but the ones that do not depend on
// each other go out together. A pass used to await each request in turn (a BackupRun's first
// pass: three Job creates and four events, one after another), and with the API server at tens
// of milliseconds per request that chain, not CPU, bounded how many objects a worker could
// reconcile per second.
//
// A batch is a run of consecutive independent actions. Its writes are sent at once; its events
// only after every write succeeded, so an event never reports a write that failed (the next
// pass decides again and records it then). An ordered action (a finalizer patch, whose new
// version the next write needs, or a kind's own action) first waits for the batch before it.
// The first failure is thrown after the whole batch has settled, so no request is left running
// behind a pass that has ended.

/** `ordered`: waits for everything before it; `write`/`event`: may go out with its neighbours. */
export type ActionOrder = 'ordered' | 'write' | 'event';

export async function carryOutInBatches<Action>(
  actions: readonly Action[],
  orderOf: (action: Action) => ActionOrder,
  carryOut: (action: Action) => Promise<void>,
): Promise<void> {
  let writes: Action[] = [];
  let events: Action[] = [];
  const flush = async (): Promise<void> => {
    const [batchWrites, batchEvents] = [writes, events];
    writes = [];
    events = [];
    await allOrFirstError(batchWrites.map(carryOut));
    await allOrFirstError(batchEvents.map(carryOut));
  };
  for (const action of actions) {
    const order = orderOf(action);
    if (order === 'ordered') {
      await flush();
      await carryOut(action);
    } else {
      (order === 'write' ? writes : events).push(action);
    }
  }
  await flush();
}

async function allOrFirstError(pending: Promise<void>[]): Promise<void> {
  const failed = (await Promise.allSettled(pending)).find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
}
