// The failures the memory client answers with, built as the API server words them (its
// metav1.Status reason and message), so callers see the same KubeApiError as from KubeClient.
import { KubeApiError } from '../errors.ts';
import type { ResourceType } from '../resource-type.ts';

/** "backupruns.lifeboat.dev", "pods": how the server names a resource in messages. */
export function resourceName(type: ResourceType): string {
  return type.group === '' ? type.plural : `${type.plural}.${type.group}`;
}

function error(request: string, statusCode: number, reason: string, message: string): KubeApiError {
  return new KubeApiError({ request, statusCode, reason, message });
}

export function notFound(request: string, type: ResourceType, name: string): KubeApiError {
  return error(request, 404, 'NotFound', `${resourceName(type)} "${name}" not found`);
}

export function alreadyExists(request: string, type: ResourceType, name: string): KubeApiError {
  return error(request, 409, 'AlreadyExists', `${resourceName(type)} "${name}" already exists`);
}

/** A stale metadata.resourceVersion (optimistic concurrency) or a uid precondition that no longer holds. */
export function conflict(request: string, type: ResourceType, name: string): KubeApiError {
  return error(
    request,
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${resourceName(type)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
  );
}

export function invalid(request: string, type: ResourceType, name: string, detail: string): KubeApiError {
  return error(request, 422, 'Invalid', `${type.kind} "${name}" is invalid: ${detail}`);
}

export function badRequest(request: string, message: string): KubeApiError {
  return error(request, 400, 'BadRequest', message);
}
