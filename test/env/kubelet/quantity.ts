// Kubernetes resource quantities ("500m", "2Gi", "1e3") as plain numbers, enough for the
// downward API's resourceFieldRef. Precision beyond a double does not matter here.

const binarySuffixes: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const decimalSuffixes: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

const quantityPattern = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/;

export function parseQuantity(text: string): number {
  const match = quantityPattern.exec(text.trim());
  if (!match) throw new Error(`invalid quantity ${JSON.stringify(text)}`);
  const [, mantissa, exponent, suffix] = match;
  const base = Number(mantissa);
  if (exponent) return base * 10 ** Number(exponent.slice(1));
  const multiplier = binarySuffixes[suffix ?? ''] ?? decimalSuffixes[suffix ?? ''];
  if (multiplier === undefined) throw new Error(`invalid quantity ${JSON.stringify(text)}`);
  return base * multiplier;
}

/**
 * The value the kubelet exposes for a resource divided by a divisor, rounded up (as
 * pkg/api/v1/resource does: cpu in milli-units, everything else in whole units).
 */
export function divideQuantity(resource: string, value: string | number, divisor: string | number = 1): string {
  const amount = typeof value === 'number' ? value : parseQuantity(value);
  const by = typeof divisor === 'number' ? divisor : parseQuantity(divisor);
  if (by <= 0) throw new Error(`invalid divisor ${divisor} for ${resource}`);
  if (resource === 'cpu') {
    // Compare in milli-cores so 0.1 / 0.001 does not become 100.00000000000001 and round up.
    return String(Math.ceil(Math.round(amount * 1000) / Math.round(by * 1000)));
  }
  return String(Math.ceil(amount / by));
}
