/** metav1.MicroTime (Lease renewTime, Event eventTime) wants exactly six fractional digits. */
export function microTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
