// Cross-field rules are written once and enforced twice: as a CEL rule the API server runs
// (x-kubernetes-validations in the generated CRD) and as a zod refinement for code that parses
// objects the API server has not seen (samples, dry runs). The `check` must mean what `rule` means.
import type { z } from 'zod';

export interface CelRule<T> {
  /** CEL expression over `self` (and `oldSelf` for transition rules). */
  rule: string;
  /** What the user reads when the rule fails: name the field and what to write instead. */
  message: string;
  /** CEL expression for the message, to quote the offending value; `message` is the fallback. */
  messageExpression?: string;
  /** Field the failure is reported on, relative to the node the rule is attached to. */
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
  /** The same rule in TypeScript; omit for transition rules (they need the old object). */
  check?: (value: T) => boolean;
}

export const VALIDATIONS_KEY = 'x-kubernetes-validations';

/** Attach rules to a schema; rules already attached (by an earlier call) are kept. */
export function withRules<S extends z.ZodType>(schema: S, rules: CelRule<z.output<S>>[]): S {
  let refined = schema;
  for (const { check, message, fieldPath } of rules) {
    if (check) {
      const path = fieldPath ? fieldPath.replace(/^\./, '').split('.') : [];
      refined = refined.refine(check, { message, path }) as S;
    }
  }
  const existing = (refined.meta()?.[VALIDATIONS_KEY] as unknown[] | undefined) ?? [];
  const celRules = rules.map(({ rule, message, messageExpression, fieldPath, reason }) => ({
    rule,
    message,
    ...(messageExpression ? { messageExpression } : {}),
    ...(fieldPath ? { fieldPath } : {}),
    ...(reason ? { reason } : {}),
  }));
  return refined.meta({ [VALIDATIONS_KEY]: [...existing, ...celRules] }) as S;
}

/** A CEL-checked string format: the API server reports `message` instead of a bare regex. */
export function matchesRule(pattern: string, message: string): CelRule<string> {
  // Both are pasted into single-quoted CEL strings: keep them free of quotes and escapes.
  if (/['\\]/.test(pattern + message)) throw new Error(`${pattern} / ${message} must not contain ' or \\`);
  const regex = new RegExp(pattern);
  return {
    rule: `self.matches('${pattern}')`,
    message,
    // The API server prints the type ("string") as the invalid value; quote the value itself.
    messageExpression: `'"' + self + '" ${message}'`,
    check: (value) => regex.test(value),
  };
}
