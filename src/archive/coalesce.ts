// Joins the many small pieces a tar writer produces (512-byte headers, pax records, padding,
// small bodies) into chunks of a useful size. Every chunk downstream costs a trip through
// the compressor (a thread-pool job each), the hash and the cipher; 20,000 small objects
// would otherwise make over 100,000 such trips. Large chunks pass through uncopied.
export async function* coalesce(source: AsyncIterable<Buffer>, targetBytes: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const chunk of source) {
    if (pendingBytes === 0 && chunk.length >= targetBytes) {
      yield chunk;
      continue;
    }
    pending.push(chunk);
    pendingBytes += chunk.length;
    if (pendingBytes >= targetBytes) {
      yield Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
}
