// Every benchmark ends by recording its headline figures here, so `make bench` can print one
// table after all of them: build/bench/<benchmark>.json, rewritten by each run. Ratios carry
// their target, so the table says met or missed without knowing the benchmarks.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';

export const RESULTS_DIR = join(import.meta.dirname, '..', 'build', 'bench');

/** A figure compared with a goal: `value` against `target` in the direction `better`. */
export interface Ratio {
  name: string;
  value: number;
  /** The goal, e.g. 1.05 for "within 1.05x" (better: 'lower') or 2 for "at least 2x" (better: 'higher'). */
  target: number;
  better: 'higher' | 'lower';
  /** How the value is printed: a ratio ('x', the default), seconds ('s'), CPU seconds per GiB ('s/GiB'), or a count. */
  unit?: 'x' | 's' | 's/GiB' | 'count' | 'MiB';
  /** One line on why a missed goal is missed, when the benchmark knows. */
  note?: string;
}

/** A figure with no goal (RSS, requests per reconcile, a peer's time), shown for the record. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
}

export interface BenchResult {
  benchmark: string;
  finishedAt: string;
  machine: string;
  loadAverageAtStart: number;
  ratios: Ratio[];
  figures: Figure[];
}

export function machineDescription(): string {
  const cpu = cpus();
  return `${cpu.length} vCPU (${cpu[0]?.model.trim() ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.versions.node}`;
}

export const met = (ratio: Ratio): boolean => (ratio.better === 'higher' ? ratio.value >= ratio.target : ratio.value <= ratio.target);

/** Records one benchmark's results; `loadAverageAtStart` is os.loadavg()[0] taken when it began. */
export function recordResults(benchmark: string, loadAverageAtStart: number, ratios: Ratio[], figures: Figure[] = []): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const result: BenchResult = {
    benchmark,
    finishedAt: new Date().toISOString(),
    machine: machineDescription(),
    loadAverageAtStart,
    ratios,
    figures,
  };
  const path = join(RESULTS_DIR, `${benchmark}.json`);
  writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
  return path;
}

export const loadNow = (): number => loadavg()[0] ?? 0;

export function readResults(): BenchResult[] {
  let files: string[];
  try {
    files = readdirSync(RESULTS_DIR).filter((file) => file.endsWith('.json'));
  } catch {
    return [];
  }
  return files.sort().map((file) => JSON.parse(readFileSync(join(RESULTS_DIR, file), 'utf8')) as BenchResult);
}

export function formatValue(value: number, unit: string = 'x'): string {
  switch (unit) {
    case 'x':
      return `${value.toFixed(2)}x`;
    case 'count':
      return String(Math.round(value));
    default:
      return `${value.toFixed(value >= 100 ? 0 : 2)} ${unit}`;
  }
}

export function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const format = (row: string[]) => `| ${row.map((cell, column) => cell.padEnd(widths[column] as number)).join(' | ')} |`;
  return [format(header), `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`, ...rows.map(format)].join('\n');
}
