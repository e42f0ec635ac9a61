import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { withRules } from '../cel.ts';
import { crdDescriptors } from '../index.ts';
import { crdObject, jsonSchemaOf } from './crd.ts';
import { StructuralSchemaError, toStructural } from './structural.ts';

describe('toStructural', () => {
  it('spells an int | string union the Kubernetes way, keeping the string pattern', () => {
    const schema = jsonSchemaOf(
      z.object({ cpu: z.union([z.int(), z.string().regex(/^[0-9]+m$/)]).describe('CPU') }),
      'spec',
    );
    expect((schema.properties as Record<string, unknown>).cpu).toEqual({
      description: 'CPU',
      'x-kubernetes-int-or-string': true,
      anyOf: [{ type: 'integer' }, { type: 'string' }],
      pattern: '^[0-9]+m$',
    });
  });

  it('drops zod\'s safe-integer bounds and its date-time regex, keeps real bounds and the format', () => {
    const schema = jsonSchemaOf(
      z.object({
        count: z.int().min(0).describe('count'),
        at: z.iso.datetime({ offset: true }).describe('time'),
      }),
      'spec',
    );
    const properties = schema.properties as Record<string, Record<string, unknown>>;
    expect(properties.count).toEqual({ description: 'count', type: 'integer', minimum: 0 });
    expect(properties.at).toEqual({ description: 'time', type: 'string', format: 'date-time' });
  });

  it('keeps OpenAPI\'s nullable for a nullable field', () => {
    const schema = jsonSchemaOf(z.object({ note: z.string().nullable().describe('note') }), 'spec');
    expect((schema.properties as Record<string, unknown>).note).toEqual({ description: 'note', type: 'string', nullable: true });
  });

  it('turns const into enum and drops additionalProperties: false', () => {
    expect(toStructural({ type: 'string', const: 'X', additionalProperties: false })).toEqual({ type: 'string', enum: ['X'] });
  });

  it('names the field that lacks a description', () => {
    expect(() => jsonSchemaOf(z.object({ bare: z.string() }), 'spec')).toThrow(
      new StructuralSchemaError('spec.bare: every field needs a description (kubectl explain shows it): add .describe()'),
    );
  });

  it.each([
    ['a union of other types', { type: 'object', properties: { x: { description: 'x', anyOf: [{ type: 'string' }, { type: 'boolean' }] } } }, 'spec.x: anyOf is only supported'],
    ['a $ref', { type: 'object', properties: { x: { description: 'x', $ref: '#/$defs/x' } } }, 'spec.x: $ref is not allowed'],
    ['a node without type', { type: 'object', properties: { x: { description: 'x' } } }, 'spec.x: every node needs a type'],
    ['an unknown keyword', { type: 'object', properties: { x: { description: 'x', type: 'string', contentEncoding: 'base64' } } }, 'spec.x: unexpected keyword contentEncoding'],
    ['uniqueItems', { type: 'array', uniqueItems: true, items: { type: 'string' } }, 'spec: uniqueItems is not allowed'],
    [
      'a list map key that is neither required nor defaulted',
      { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], items: { type: 'object', properties: { name: { type: 'string', description: 'n' } } } },
      'spec: list map key name must be required or defaulted',
    ],
  ])('rejects %s', (_, schema, message) => {
    expect(() => toStructural(schema, 'spec')).toThrow(message);
  });

  it('does not modify the schema it is given (zod shares nodes between uses)', () => {
    const input = { type: 'object', properties: { n: { description: 'n', type: 'integer', minimum: Number.MIN_SAFE_INTEGER } } };
    const copy = structuredClone(input);
    toStructural(input);
    expect(input).toEqual(copy);
  });
});

describe('CRD rules come from the schemas', () => {
  it('carries a withRules rule as x-kubernetes-validations and enforces it in zod too', () => {
    const Pair = withRules(z.object({ a: z.string().optional().describe('a'), b: z.string().optional().describe('b') }), [
      { rule: 'has(self.a) != has(self.b)', message: 'set exactly one of a or b', check: (p) => (p.a === undefined) !== (p.b === undefined) },
    ]).describe('pair');
    expect(jsonSchemaOf(Pair, 'spec')['x-kubernetes-validations']).toEqual([{ rule: 'has(self.a) != has(self.b)', message: 'set exactly one of a or b' }]);
    expect(Pair.safeParse({ a: 'x', b: 'y' }).error?.issues[0]?.message).toBe('set exactly one of a or b');
    expect(Pair.safeParse({ a: 'x' }).success).toBe(true);
  });

  it.each(crdDescriptors.map((d) => [d.kind, d] as const))('%s has the lifeboat category, a status subresource and a name-length rule', (_, descriptor) => {
    const crd = crdObject(descriptor) as { spec: { names: { categories: string[] }; versions: { subresources: unknown; schema: { openAPIV3Schema: Record<string, unknown> } }[] } };
    const version = crd.spec.versions[0]!;
    expect(crd.spec.names.categories).toEqual(['lifeboat']);
    expect(version.subresources).toEqual({ status: {} });
    expect(version.schema.openAPIV3Schema['x-kubernetes-validations']).toEqual([
      expect.objectContaining({ rule: `self.metadata.name.size() <= ${descriptor.maxNameLength}` }),
    ]);
  });

  it('rejects a printer column whose path is not in the schema', () => {
    const [descriptor] = crdDescriptors;
    const broken = { ...descriptor!, printerColumns: [{ name: 'X', type: 'string' as const, jsonPath: '.status.nope', description: 'x' }] };
    expect(() => crdObject(broken)).toThrow('printer column X: .status.nope is not in the schema');
  });
});
