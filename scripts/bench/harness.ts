/**
 * Shared benchmark plumbing: timing by repetition, a results table with ratios against a
 * baseline measured in the same run, and a JSON file under bench/results/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname } from 'node:path';

export interface Timing {
  /** Median wall time of one operation, in milliseconds. */
  medianMs: number;
  minMs: number;
  samples: number;
}

/** Runs `fn` `warmup` times unmeasured, then `samples` times; each sample may cover `opsPerSample` operations. */
export async function measure(
  fn: () => unknown,
  { samples, warmup = 1, opsPerSample = 1 }: { samples: number; warmup?: number; opsPerSample?: number },
): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const start = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6 / opsPerSample);
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(times.length / 2)]!, minMs: times[0]!, samples };
}

export interface BenchRow {
  operation: string;
  /** Milliseconds per operation, by variant (e.g. backend name). */
  results: Record<string, Timing>;
  /** An upper bound from the issue, in ms per operation, when there is one. */
  targetMs?: number;
}

export function machineInfo(): Record<string, unknown> {
  return {
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
  };
}

function fmt(ms: number): string {
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 1) return ms.toFixed(2);
  return ms.toFixed(3);
}

/** Prints one row per operation: each variant's median, its speed-up over `baseline`, the target. */
export function printTable(rows: BenchRow[], variants: string[], baseline: string): void {
  const header = [
    'operation',
    ...variants.map((v) => `${v} ms`),
    ...variants.filter((v) => v !== baseline).map((v) => `${baseline}/${v}`),
    'target ms',
    'met',
  ];
  const lines = rows.map((row) => {
    const best = Math.min(...variants.map((v) => row.results[v]?.medianMs ?? Infinity));
    return [
      row.operation,
      ...variants.map((v) => (row.results[v] ? fmt(row.results[v].medianMs) : '-')),
      ...variants
        .filter((v) => v !== baseline)
        .map((v) => {
          const b = row.results[baseline];
          const x = row.results[v];
          return b && x ? `${(b.medianMs / x.medianMs).toFixed(2)}x` : '-';
        }),
      row.targetMs === undefined ? '' : fmt(row.targetMs),
      row.targetMs === undefined ? '' : best <= row.targetMs ? 'yes' : 'NO',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const render = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(render(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const l of lines) console.log(render(l));
}

export function writeResults(path: string, data: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(data, null, 2) + '\n');
}
