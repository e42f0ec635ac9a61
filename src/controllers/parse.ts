// Objects are parsed where they enter the controllers (STYLE #3). The API server has checked
// them against the CRD schema already, so a failure here means the CRD and the operator
// disagree: permanent until the object (or the operator) changes.
import type { z } from 'zod';
import { PermanentError } from '../runtime/errors.ts';

export function parseOrFail<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new PermanentError(`${what} does not match the schema: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`);
}
