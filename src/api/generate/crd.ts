// A CustomResourceDefinition object from a kind's descriptor and zod schemas.
import { z } from 'zod';
import type { CrdDescriptor, PrinterColumn } from '../crd-descriptor.ts';
import { CATEGORY, GROUP, VERSION } from '../group.ts';
import { toStructural, type JsonSchema } from './structural.ts';

/** The JSON Schema a schema describes as input: fields with defaults are optional. */
export function jsonSchemaOf(schema: z.ZodType, path: string): JsonSchema {
  const json = z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'throw', reused: 'inline' });
  return toStructural(json as JsonSchema, path);
}

/** The schema node a printer column's JSONPath points at, so that a renamed field cannot leave a blank column. */
function resolveColumn(root: JsonSchema, column: PrinterColumn): JsonSchema {
  const steps = column.jsonPath
    .replace(/\[\?\(@\.[^)]*\)\]/g, '[]')
    .split('.')
    .filter(Boolean);
  let node: JsonSchema | undefined = root;
  for (const step of steps) {
    const name = step.replace(/\[\]$/, '');
    node = (node?.properties as Record<string, JsonSchema> | undefined)?.[name];
    if (node && step.endsWith('[]')) node = node.items as JsonSchema;
    if (!node) throw new Error(`printer column ${column.name}: ${column.jsonPath} is not in the schema`);
  }
  return node;
}

export function crdObject(descriptor: CrdDescriptor): JsonSchema {
  const { kind, plural, maxNameLength, nameLengthReason } = descriptor;
  const openAPIV3Schema: JsonSchema = {
    description: descriptor.description,
    type: 'object',
    properties: {
      apiVersion: {
        type: 'string',
        description: `APIVersion defines the versioned schema of this representation of an object: ${GROUP}/${VERSION}.`,
      },
      kind: { type: 'string', description: `Kind is the REST resource this object represents: ${kind}.` },
      metadata: { type: 'object' },
      spec: jsonSchemaOf(descriptor.spec, 'spec'),
      status: jsonSchemaOf(descriptor.status, 'status'),
    },
    required: ['spec'],
    'x-kubernetes-validations': [
      {
        rule: `self.metadata.name.size() <= ${maxNameLength}`,
        message: `metadata.name must be at most ${maxNameLength} characters: ${nameLengthReason}`,
      },
    ],
  };
  for (const column of descriptor.printerColumns) {
    if (!column.jsonPath.startsWith('.metadata.')) resolveColumn(openAPIV3Schema, column);
  }

  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${GROUP}` },
    spec: {
      group: GROUP,
      names: {
        kind,
        listKind: `${kind}List`,
        plural,
        singular: kind.toLowerCase(),
        shortNames: descriptor.shortNames,
        categories: [CATEGORY],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: descriptor.printerColumns.map(({ priority, ...column }) => ({
            ...column,
            ...(priority ? { priority } : {}),
          })),
          schema: { openAPIV3Schema },
        },
      ],
    },
  };
}
