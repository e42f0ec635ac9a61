// Writes the runner's result (shape and size limit: src/contract/result.ts) where the kubelet
// picks it up as the termination message.
import { writeFile } from 'node:fs/promises';
import { serializeResult, type RunnerResult } from '../contract/result.ts';

export async function writeResult(path: string, result: RunnerResult): Promise<void> {
  await writeFile(path, serializeResult(result));
}
