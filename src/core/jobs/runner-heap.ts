// V8 sizes its heap from the machine's memory, not the container's limit: on a large node the
// runner's young generation alone grew to 128 MB while archiving (peak RSS 350 MB for a 300 MB
// object plus 20,000 small ones). Sizing the heap from the memory limit keeps the runner inside
// it (205 MB with an 8 MB semi-space and a 128 MB old space, bench/runner-bucket-memory.ts).
// An old space of half the limit was not enough margin: when the runner streams fast, V8 lets
// garbage fill the old space before it collects, and the same backup peaked at 268 MB in one
// run. Three eighths of the limit keeps that worst case inside it; the runner's live data (the
// object records of a bucket's manifest, a few hundred bytes each) is far smaller.

const UNITS: Record<string, number> = {
  '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40,
};

/** Bytes of a Kubernetes memory quantity such as "1Gi", "512Mi", "2G" or "1073741824"; undefined if unreadable. */
export function memoryBytes(quantity: string | number | undefined): number | undefined {
  if (quantity === undefined) return undefined;
  const match = /^(\d+(?:\.\d+)?)(k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(String(quantity).trim());
  if (!match) return undefined;
  return Number(match[1]) * (UNITS[match[2] ?? ''] ?? 1);
}

const SEMI_SPACE_MB = 8;
const MIN_OLD_SPACE_MB = 64;
const MAX_OLD_SPACE_MB = 4096;

/**
 * NODE_OPTIONS for a runner with this memory limit: a small young generation (the runner streams,
 * so short-lived buffers die young anyway) and an old space of three eighths of the limit, leaving
 * the rest for Node itself, buffers outside the heap, pg_dump and the page cache. No limit: V8's
 * defaults.
 */
export function runnerNodeOptions(memoryLimit: string | number | undefined): string | undefined {
  const bytes = memoryBytes(memoryLimit);
  if (bytes === undefined) return undefined;
  const threeEighths = Math.floor((bytes * 3) / 8 / 2 ** 20);
  const oldSpace = Math.min(MAX_OLD_SPACE_MB, Math.max(MIN_OLD_SPACE_MB, threeEighths));
  return `--max-semi-space-size=${SEMI_SPACE_MB} --max-old-space-size=${oldSpace}`;
}

/** The smallest memory limit that gets MALLOC_TUNABLES (the default limit is 1Gi). */
const MALLOC_TUNING_MIN_BYTES = 2 ** 30;
export const MALLOC_TUNABLES = 'glibc.malloc.mmap_threshold=4194304:glibc.malloc.trim_threshold=67108864';

/**
 * GLIBC_TUNABLES for a runner with this memory limit: 1Gi or more, or no limit at all.
 * A bucket backup reads every object and 2 MiB range into a buffer of its own, freed by V8's
 * collector. glibc serves such sizes with a fresh mmap each time (its threshold is 128 KiB until
 * a larger block is freed) and gives freed heap back to the kernel beyond 128 KiB, so the
 * kernel zero-fills the pages of every buffer again: page faults counted as the runner's system
 * CPU. Blocks under 4 MiB from the heap, and up to 64 MiB of free heap kept, took the runner's
 * CPU for 1 GiB of large objects from a median of 5.71 to 4.93 s (bench/runner-bucket.ts, three
 * runs each). The price is memory kept after a burst: under the 256Mi limit the same backup
 * peaked at 229.6 MiB instead of 215.9 (bench/runner-bucket-memory.ts), too close to the limit,
 * so small limits keep glibc's defaults.
 */
export function runnerMallocTunables(memoryLimit: string | number | undefined): string | undefined {
  if (memoryLimit === undefined) return MALLOC_TUNABLES;
  const bytes = memoryBytes(memoryLimit);
  return bytes !== undefined && bytes >= MALLOC_TUNING_MIN_BYTES ? MALLOC_TUNABLES : undefined;
}
