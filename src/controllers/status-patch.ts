// A status is decided whole, but written as a JSON merge patch, in which an absent key means
// "leave it": so every key the old status had and the new one lacks is sent as null, at every
// depth of nested objects. Arrays are replaced whole, as merge patch does.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function mergePatchFor(before: unknown, after: unknown): Json {
  if (!isPlainObject(after)) return (after ?? null) as Json;
  const patch: Record<string, Json> = {};
  const old = isPlainObject(before) ? before : {};
  for (const [key, value] of Object.entries(after)) {
    if (value === undefined) continue;
    patch[key] = isPlainObject(value) && isPlainObject(old[key]) ? mergePatchFor(old[key], value) : (value as Json);
  }
  for (const key of Object.keys(old)) {
    if (old[key] !== undefined && (after[key] === undefined)) patch[key] = null;
  }
  return patch;
}
