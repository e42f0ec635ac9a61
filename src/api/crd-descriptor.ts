// Everything a CRD needs besides the schemas, declared next to each kind's schemas.
import type { z } from 'zod';

export interface PrinterColumn {
  name: string;
  /** `date` renders as an age ("3h"); future times render as "<invalid>", so use `string` for those. */
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description: string;
  /** 0 shows in `kubectl get`, 1 only in `kubectl get -o wide`. */
  priority?: 0 | 1;
}

export interface CrdDescriptor {
  kind: string;
  plural: string;
  shortNames: string[];
  /** What `kubectl explain <kind>` prints first. */
  description: string;
  spec: z.ZodType;
  status: z.ZodType;
  printerColumns: PrinterColumn[];
  /** Upper bound for metadata.name, when children or labels embed the name. */
  maxNameLength: number;
  nameLengthReason: string;
}

export const ageColumn: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description: 'Time since the object was created.',
};

export function readyColumn(name = 'Ready'): PrinterColumn {
  return {
    name,
    type: 'string',
    jsonPath: '.status.conditions[?(@.type=="Ready")].status',
    description: 'Whether the object is healthy: True when current, False while in progress or failed (see the Ready reason; docs/api.md).',
  };
}
