// How an artifact is compressed, as tasks ask for it and manifests record it. The streams that
// do it are the runner's (src/runner/compression.ts).
import { z } from 'zod';

export const Compression = z.enum(['zstd', 'gzip', 'none']);
export type Compression = z.infer<typeof Compression>;

export const CompressionLevel = z.number().int().min(1).max(19);
