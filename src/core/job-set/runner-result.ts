// The runner's result as the operator receives it: the termination message of a Job's pod
// (the runner writes it; shape and 4096-byte limit: src/contract/result.ts). With
// FallbackToLogsOnError a runner that died before writing it leaves the tail of its JSON log
// instead, from which the failure's reason is recovered as well as it can be.
import type { z } from 'zod';
import { RunnerResult } from '../../contract/result.ts';

export type { RunnerResult } from '../../contract/result.ts';

const MAX_REASON = 1024;

function clip(text: string): string {
  return text.length > MAX_REASON ? `${text.slice(0, MAX_REASON - 1)}…` : text;
}

function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function parseTerminationMessage(message: string | undefined): RunnerResult | undefined {
  const text = message?.trim();
  if (!text) return undefined;
  const whole = RunnerResult.safeParse(jsonObject(text));
  if (whole.success) return whole.data;
  // A log tail: the last line that says why, preferring the runner's own `reason` field.
  const lines = text.split('\n').map((line) => line.trim()).filter(Boolean).reverse();
  for (const line of lines) {
    const entry = jsonObject(line);
    if (entry && typeof entry.reason === 'string') {
      return { ok: false, subcommand: '', code: typeof entry.code === 'string' ? entry.code : 'Unknown', reason: clip(entry.reason) };
    }
  }
  const last = lines[0]!;
  const entry = jsonObject(last);
  const reason = entry && typeof entry.msg === 'string' ? entry.msg : last;
  return { ok: false, subcommand: '', code: 'Unknown', reason: clip(reason) };
}

/** The parts of a Pod the result is read from. */
export interface PodTermination {
  metadata?: { creationTimestamp?: string | Date | undefined } | undefined;
  status?:
    | {
        phase?: string | undefined;
        containerStatuses?:
          | { name: string; state?: { terminated?: { exitCode?: number; message?: string; finishedAt?: string | Date } | undefined } | undefined }[]
          | undefined;
      }
    | undefined;
}

/**
 * The result of a Job's newest finished runner container. A Job retried after failures has one
 * pod per attempt; the last one says how it ended.
 */
export function runnerResultFromPods(pods: readonly PodTermination[], container = 'runner'): RunnerResult | undefined {
  const finished = pods
    .flatMap((pod) =>
      (pod.status?.containerStatuses ?? [])
        .filter((status) => status.name === container && status.state?.terminated)
        .map((status) => ({ terminated: status.state!.terminated!, created: pod.metadata?.creationTimestamp })),
    )
    .map(({ terminated, created }) => ({ terminated, at: new Date(terminated.finishedAt ?? created ?? 0).getTime() }))
    .sort((a, b) => b.at - a.at);
  for (const { terminated } of finished) {
    const result = parseTerminationMessage(terminated.message);
    if (result) return result;
  }
  return undefined;
}

/**
 * When a pod of the Job succeeded (phase Succeeded: every container exited 0): the runner
 * container's finishedAt, as the kubelet reported it. Undefined while no pod has succeeded.
 */
export function succeededPodFinishedAt(pods: readonly PodTermination[], container = 'runner'): string | undefined {
  const times = pods
    .filter((pod) => pod.status?.phase === 'Succeeded')
    .map((pod) => {
      const finishedAt = pod.status?.containerStatuses?.find((status) => status.name === container)?.state?.terminated?.finishedAt;
      return finishedAt === undefined ? undefined : new Date(finishedAt);
    })
    .filter((time): time is Date => time !== undefined && !Number.isNaN(time.getTime()))
    .sort((a, b) => a.getTime() - b.getTime());
  const first = times[0];
  return first && first.toISOString().replace('.000Z', 'Z');
}

/** Fields a summary may lack (cut for size, or from an older runner) read as absent. */
export const optional = <T extends z.ZodType>(schema: T) => schema.optional().catch(undefined);

/** A successful result's summary through the given schema; {} for a failure or no result. */
export function summaryOf<T extends z.ZodType<object>>(schema: T, result: RunnerResult | undefined): Partial<z.infer<T>> {
  return result?.ok ? (schema.parse(result.summary) as z.infer<T>) : {};
}

/**
 * Whether a pod's update changes what an owner reads of it (its phase and its containers'
 * terminations). A runner pod is updated about four times on its way (bound, its container
 * waiting, running, terminated); only the last two matter, and each used to cost its owner a pass.
 */
export function podTerminationChanged(previous: PodTermination, next: PodTermination): boolean {
  const seen = (pod: PodTermination) =>
    JSON.stringify([pod.status?.phase, (pod.status?.containerStatuses ?? []).map((status) => [status.name, status.state?.terminated ?? null])]);
  return seen(previous) !== seen(next);
}
