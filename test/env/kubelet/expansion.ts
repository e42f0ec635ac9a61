// Kubernetes' `$(VAR)` expansion, as the kubelet applies it to env values, command and args
// (a port of k8s.io/kubernetes/third_party/forked/golang/expansion): `$(NAME)` becomes the
// value of NAME when it is defined and stays as written when not, `$$` escapes a dollar, and
// anything else (`$X`, an unclosed `$(`) is kept literally.

export type VariableLookup = (name: string) => string | undefined;

export function expandVariables(input: string, lookup: VariableLookup): string {
  let output = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    output += input.slice(checkpoint, cursor);
    const { text, consumed } = readReference(input.slice(cursor + 1), lookup);
    output += text;
    cursor += consumed;
    checkpoint = cursor + 1;
  }
  return output + input.slice(checkpoint);
}

function readReference(rest: string, lookup: VariableLookup): { text: string; consumed: number } {
  const first = rest[0];
  if (first === '$') return { text: '$', consumed: 1 };
  if (first === '(') {
    const close = rest.indexOf(')');
    if (close === -1) return { text: '$(', consumed: 1 };
    const name = rest.slice(1, close);
    return { text: lookup(name) ?? `$(${name})`, consumed: close + 1 };
  }
  return { text: `$${first}`, consumed: 1 };
}

/** A lookup over a map of already-resolved variables. */
export function lookupIn(variables: ReadonlyMap<string, string>): VariableLookup {
  return (name) => variables.get(name);
}
