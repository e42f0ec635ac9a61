// What a validator tells the operator about a spec the API server accepted but that cannot work.
// Errors become `Ready=False, Stalled=True, reason=InvalidSpec`; warnings become events.
import type { z } from 'zod';

export interface Problem {
  /** Field path as kubectl prints it, e.g. `spec.sources[1].postgres.port`. */
  field: string;
  /** What is wrong and what to write instead. */
  message: string;
  severity: 'Error' | 'Warning';
}

export function error(field: string, message: string): Problem {
  return { field, message, severity: 'Error' };
}

export function warning(field: string, message: string): Problem {
  return { field, message, severity: 'Warning' };
}

export function errorsOf(problems: Problem[]): Problem[] {
  return problems.filter((p) => p.severity === 'Error');
}

/** `spec.sources[1].name` from zod's path segments. */
export function fieldPath(root: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, segment) => (typeof segment === 'number' ? `${acc}[${segment}]` : `${acc}.${String(segment)}`),
    root,
  );
}

/** Problems from a failed zod parse, so a malformed object reads like any other invalid spec. */
export function problemsFromZod(zodError: z.ZodError, root = 'spec'): Problem[] {
  return zodError.issues.map((issue) => error(fieldPath(root, issue.path), issue.message));
}

/** Every value that occurs more than once, with the index of each repeat. */
export function duplicates<T>(values: readonly T[]): { value: T; index: number }[] {
  const seen = new Set<T>();
  const repeats: { value: T; index: number }[] = [];
  values.forEach((value, index) => {
    if (seen.has(value)) repeats.push({ value, index });
    seen.add(value);
  });
  return repeats;
}
