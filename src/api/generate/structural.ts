// zod's JSON Schema (OpenAPI 3.0 flavour) turned into a *structural* schema the API server
// accepts: every node typed, no references or type unions, Kubernetes extensions where they
// express what zod cannot. Anything unexpected throws, so a new zod construct cannot slip a
// schema past the generator that the API server would reject or silently prune.
export type JsonSchema = { [key: string]: unknown };

/** JSONSchemaProps fields apiextensions.k8s.io/v1 knows; anything else would be dropped or rejected. */
const ALLOWED_KEYS = new Set([
  'description', 'type', 'format', 'title', 'default', 'maximum', 'exclusiveMaximum', 'minimum',
  'exclusiveMinimum', 'maxLength', 'minLength', 'pattern', 'maxItems', 'minItems', 'multipleOf',
  'enum', 'maxProperties', 'minProperties', 'required', 'items', 'anyOf', 'properties',
  'additionalProperties', 'nullable', 'example',
]);
const DROPPED_KEYS = ['$schema', '$id', 'id', 'examples', 'propertyNames'];
const FORBIDDEN_KEYS = ['$ref', '$defs', 'definitions', 'allOf', 'oneOf', 'not', 'uniqueItems'];

export class StructuralSchemaError extends Error {}

function fail(path: string, message: string): never {
  throw new StructuralSchemaError(`${path || '<root>'}: ${message}`);
}

function isObject(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** zod emits int | string unions (resource quantities) as anyOf; Kubernetes spells them its own way. */
function foldIntOrString(node: JsonSchema, path: string): void {
  const options = node.anyOf;
  if (options === undefined) return;
  const types = Array.isArray(options) ? options.map((o) => (isObject(o) ? o.type : undefined)) : [];
  if (types.length !== 2 || !types.includes('integer') || !types.includes('string')) {
    fail(path, 'anyOf is only supported for int-or-string unions; use an object with optional fields instead');
  }
  const stringBranch = (options as JsonSchema[]).find((o) => o.type === 'string')!;
  delete node.anyOf;
  node['x-kubernetes-int-or-string'] = true;
  node.anyOf = [{ type: 'integer' }, { type: 'string' }];
  if (stringBranch.pattern !== undefined) node.pattern = stringBranch.pattern;
}

function cleanNode(node: JsonSchema, path: string): void {
  for (const key of DROPPED_KEYS) delete node[key];
  for (const key of FORBIDDEN_KEYS) if (key in node) fail(path, `${key} is not allowed in a structural schema`);
  if (node.additionalProperties === false || node.additionalProperties === true) delete node.additionalProperties;
  if ('const' in node) {
    node.enum = [node.const];
    delete node.const;
  }
  // zod bounds z.int() to the safe integer range; the API server stores int64 anyway.
  if (node.minimum === Number.MIN_SAFE_INTEGER) delete node.minimum;
  if (node.maximum === Number.MAX_SAFE_INTEGER) delete node.maximum;
  // format: date-time is checked by the API server; zod's equivalent regex only adds noise.
  if (node.format === 'date-time') delete node.pattern;
  foldIntOrString(node, path);
  for (const key of Object.keys(node)) {
    if (!ALLOWED_KEYS.has(key) && !key.startsWith('x-kubernetes-')) fail(path, `unexpected keyword ${key}`);
  }
  const untyped = node['x-kubernetes-int-or-string'] === true || node['x-kubernetes-preserve-unknown-fields'] === true;
  if (node.type === undefined && !untyped) fail(path, 'every node needs a type');
  if (Array.isArray(node.type)) fail(path, 'type unions are not structural');
}

function checkListMapKeys(node: JsonSchema, path: string): void {
  if (node['x-kubernetes-list-type'] !== 'map') return;
  const items = node.items as JsonSchema;
  const keys = (node['x-kubernetes-list-map-keys'] as string[] | undefined) ?? [];
  const required = new Set((items.required as string[] | undefined) ?? []);
  const properties = (items.properties ?? {}) as Record<string, JsonSchema>;
  for (const key of keys) {
    if (!required.has(key) && properties[key]?.default === undefined) {
      fail(path, `list map key ${key} must be required or defaulted`);
    }
  }
}

function walk(node: JsonSchema, path: string): void {
  cleanNode(node, path);
  if (node.type === 'object') {
    const properties = node.properties as Record<string, JsonSchema> | undefined;
    if (properties && isObject(node.additionalProperties)) fail(path, 'properties and additionalProperties exclude each other');
    for (const [name, child] of Object.entries(properties ?? {})) {
      const childPath = path ? `${path}.${name}` : name;
      if (typeof child.description !== 'string' || child.description.trim() === '') {
        fail(childPath, 'every field needs a description (kubectl explain shows it): add .describe()');
      }
      walk(child, childPath);
    }
    if (isObject(node.additionalProperties)) walk(node.additionalProperties, `${path}[*]`);
  }
  if (node.type === 'array') {
    if (!isObject(node.items)) fail(path, 'arrays need items');
    walk(node.items, `${path}[]`);
    checkListMapKeys(node, path);
  }
}

/** The order keys are written in, so that a field's description comes first in the YAML. */
const KEY_ORDER = [
  'description', 'type', 'format', 'enum', 'default', 'nullable', 'minimum', 'exclusiveMinimum',
  'maximum', 'exclusiveMaximum', 'multipleOf', 'minLength', 'maxLength', 'pattern', 'minItems',
  'maxItems', 'minProperties', 'maxProperties', 'x-kubernetes-int-or-string', 'anyOf', 'properties',
  'required', 'additionalProperties', 'items',
];

function ordered(node: JsonSchema): JsonSchema {
  const rank = (key: string) => (KEY_ORDER.includes(key) ? KEY_ORDER.indexOf(key) : KEY_ORDER.length);
  const result: JsonSchema = {};
  for (const key of Object.keys(node).sort((a, b) => rank(a) - rank(b))) {
    const value = node[key];
    if (key === 'properties' && isObject(value)) {
      result[key] = Object.fromEntries(Object.entries(value).map(([name, child]) => [name, ordered(child as JsonSchema)]));
    } else if ((key === 'items' || key === 'additionalProperties') && isObject(value)) {
      result[key] = ordered(value);
    } else {
      result[key] = value;
    }
  }
  return result;
}

/** A deep copy of `schema` made structural; throws StructuralSchemaError naming the field. */
export function toStructural(schema: JsonSchema, path = ''): JsonSchema {
  // zod shares one JSON object between every use of a reused schema: never edit in place.
  const copy = structuredClone(schema);
  walk(copy, path);
  return ordered(copy);
}
