// What an informer keeps of an object: everything but metadata.managedFields. The operator never
// reads them, and they are often the largest part of what it caches (a runner pod's fields as
// the Job controller, the scheduler and the kubelet each set them, with a time per manager), so
// at hundreds of schedules, with thousands of Jobs and pods in the cache, they would cost more
// memory than the objects themselves. client-go informers drop them the same way.
import type { KubeObject } from './types.ts';

export function forCache<T extends KubeObject>(object: T): T {
  const metadata = object.metadata as T['metadata'] & { managedFields?: unknown };
  if (metadata?.managedFields === undefined) return object;
  const { managedFields: _dropped, ...rest } = metadata;
  return { ...object, metadata: rest };
}
