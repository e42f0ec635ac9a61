// finalize-run: once every source's Job has succeeded, writes the run manifest, whose
// presence marks the run complete. It refuses while any source manifest is missing.
import type { ArtifactManifest } from '../contract/manifests.ts';
import type { FinalizeRunTask } from '../contract/tasks.ts';
import { RunnerError } from '../failures/runner-error.ts';
import { storageFailure } from '../s3/errors.ts';
import type { RunnerContext, TaskSummary } from './context.ts';
import { ManifestNotFoundError, readArtifactManifest, summarizeRun, writeRunManifest } from './manifest.ts';

export async function runFinalizeRun(task: FinalizeRunTask, ctx: RunnerContext): Promise<TaskSummary> {
  const s3 = ctx.s3(task.storage);
  const where = { bucket: task.storage.bucket, ...(task.storage.endpoint ? { endpoint: task.storage.endpoint } : {}) };
  const manifests: ArtifactManifest[] = [];
  for (const source of task.sources) {
    try {
      manifests.push(await readArtifactManifest(s3, task.storage, { ...task.location, source }, ctx.signal));
    } catch (error) {
      if (error instanceof ManifestNotFoundError) {
        throw new RunnerError('ManifestMissing', `source ${source} has no manifest: the run is incomplete`);
      }
      throw storageFailure(error, where, 'reading the manifest from');
    }
  }
  const runManifest = summarizeRun(task.storage, task.location, manifests, ctx.now());
  const key = await writeRunManifest(s3, task.storage, runManifest, ctx.signal).catch((error: unknown) => {
    throw storageFailure(error, where, 'writing the run manifest to');
  });
  return { manifestKey: key, snapshotTime: runManifest.snapshotTime, totalSizeBytes: runManifest.totalSizeBytes, sources: task.sources.length };
}
