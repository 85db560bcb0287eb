/**
 * The files of a simulation run, and the comparison of the mesh (p2p) with the central-aggregator
 * baseline (star) on the same scenario.
 *
 * `writeRunReport(dir, m)` writes, for one run:
 * - `results.json`: the measurements, their summary and the machine that ran them;
 * - `rounds.csv`, `nodes.csv`, `validation.csv`: the summary as tables (RFC 4180);
 * - the plots of `PLOT_FILES` (see `PLOT_GUIDE`).
 * The same measurements give byte-identical files (nothing depends on the clock).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { machineInfo, writeResults } from '../../bench/harness.ts';
import { csvTable } from './csv.ts';
import type { RunMeasurements, Variant } from './model.ts';
import { ReportError } from './model.ts';
import { disseminationSvg, duplicatesPerNodeSvg, PLOT_FILES, timeToCertificateCdfSvg } from './plots.ts';
import type { RunSummary } from './summary.ts';
import { summarize } from './summary.ts';

export const RESULTS_FILE = 'results.json';
export const CSV_FILES = { rounds: 'rounds.csv', nodes: 'nodes.csv', validation: 'validation.csv' } as const;

export interface RunReportOptions {
  /** Recorded as `machine` in results.json; `machineInfo()` of this process by default. */
  machine?: Record<string, unknown>;
}

export interface RunReport {
  summary: RunSummary;
  /** Paths of the files written, in the order written. */
  files: string[];
}

/** Bigints (lovelace stakes in a scenario) as decimal strings: JSON has no exact form for them. */
function jsonSafe(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
}

function roundsCsv(summary: RunSummary): string {
  return csvTable(
    [
      'epoch',
      'entityType',
      'openedAtMs',
      'signatures',
      'certifiedNodes',
      'fractionCertified',
      'quorumAtFirstNodeMs',
      'timeToCertificateP50Ms',
      'timeToCertificateP95Ms',
      'timeToCertificateMaxMs',
      'lastCertifiedMs',
    ],
    summary.rounds.map((r) => [
      r.epoch,
      r.entityType,
      r.openedAtMs,
      r.signatures,
      r.certifiedNodes,
      r.fractionCertified,
      r.quorumAtFirstNodeMs,
      r.timeToCertificate.p50Ms,
      r.timeToCertificate.p95Ms,
      r.timeToCertificate.maxMs,
      r.lastCertifiedMs,
    ]),
  );
}

function nodesCsv(m: RunMeasurements, summary: RunSummary): string {
  return csvTable(
    [
      'index',
      'awaited',
      'deliveries',
      'signatureDeliveries',
      'duplicates',
      'bytesReceived',
      'bytesSent',
      'cpuSeconds',
      'rssBytes',
      'deliveriesPerSignature',
      'duplicatesPerDelivery',
      'certifiedRounds',
    ],
    m.nodes.map((n, i) => {
      const s = summary.nodes[i]!;
      return [
        n.index,
        n.awaited !== false,
        n.deliveries,
        n.signatureDeliveries,
        n.duplicates,
        n.bytesReceived,
        n.bytesSent,
        n.cpuSeconds,
        n.rssBytes,
        s.deliveriesPerSignature,
        s.duplicatesPerDelivery,
        s.certifiedRounds,
      ];
    }),
  );
}

/** `byPeer` as JSON with its peers in sorted order, so that the cell does not depend on insertion order. */
function validationCsv(m: RunMeasurements): string {
  return csvTable(
    ['reason', 'action', 'count', 'byPeer'],
    m.validation.map((v) => [
      v.reason,
      v.action,
      v.count,
      v.byPeer === undefined
        ? null
        : JSON.stringify(
            Object.fromEntries(Object.entries(v.byPeer).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
          ),
    ]),
  );
}

/**
 * Writes the report of one run into `dir` (created if needed). Throws `ReportError`
 * INVALID_MEASUREMENTS before writing anything when the measurements contradict themselves.
 */
export function writeRunReport(dir: string, m: RunMeasurements, options: RunReportOptions = {}): RunReport {
  const summary = summarize(m);
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  const write = (name: string, content: string): void => {
    const path = join(dir, name);
    writeFileSync(path, content);
    files.push(path);
  };
  const resultsPath = join(dir, RESULTS_FILE);
  writeResults(
    resultsPath,
    jsonSafe({
      percentileMethod:
        'nearest-rank; nodes that never certified rank last, a percentile falling on one is null',
      machine: options.machine ?? machineInfo(),
      summary,
      measurements: m,
    }),
  );
  files.push(resultsPath);
  write(CSV_FILES.rounds, roundsCsv(summary));
  write(CSV_FILES.nodes, nodesCsv(m, summary));
  write(CSV_FILES.validation, validationCsv(m));
  write(PLOT_FILES.timeToCertificateCdf, timeToCertificateCdfSvg(m, summary));
  write(PLOT_FILES.dissemination, disseminationSvg(m));
  write(PLOT_FILES.duplicatesPerNode, duplicatesPerNodeSvg(m, summary));
  return { summary, files };
}

export interface ComparisonRow {
  /** What is measured, with its unit. */
  measure: string;
  p2p: number | null;
  star: number | null;
  /** p2p / star; null when either is null or star is 0. Below 1: the mesh has less of it. */
  ratio: number | null;
}

/** Bytes in a mebibyte, for RSS. */
const MIB = 2 ** 20;

const mean = (total: number, count: number): number | null => (count === 0 ? null : total / count);

/** The measures compared, each read from a run's summary. */
const MEASURES: readonly { measure: string; of: (s: RunSummary) => number | null }[] = [
  {
    measure: 'time to certificate at every node, median over rounds (ms)',
    of: (s) => s.totals.timeToCertificateAtAllNodes.p50Ms,
  },
  {
    measure: 'time to certificate at every node, worst round (ms)',
    of: (s) => s.totals.timeToCertificateAtAllNodes.maxMs,
  },
  { measure: 'time to certificate p50 (ms)', of: (s) => s.totals.timeToCertificate.p50Ms },
  { measure: 'time to certificate p95 (ms)', of: (s) => s.totals.timeToCertificate.p95Ms },
  { measure: 'time to certificate max (ms)', of: (s) => s.totals.timeToCertificate.maxMs },
  {
    measure: 'time to quorum at first node, median over rounds (ms)',
    of: (s) => s.totals.quorumAtFirstNodeP50Ms,
  },
  { measure: 'fraction of (round, node) pairs certified', of: (s) => s.totals.fractionCertified },
  {
    measure: 'signature copies received per node per signature, mean',
    of: (s) => s.totals.deliveriesPerSignature,
  },
  { measure: 'duplicates per gossip message received', of: (s) => s.totals.duplicatesPerDelivery },
  { measure: 'bytes sent per node, mean (B)', of: (s) => mean(s.totals.bytesSent, s.totals.nodes) },
  { measure: 'bytes received per node, mean (B)', of: (s) => mean(s.totals.bytesReceived, s.totals.nodes) },
  { measure: 'CPU per node, mean (s)', of: (s) => mean(s.totals.cpuSeconds, s.totals.nodes) },
  { measure: 'peak RSS, largest node (MiB)', of: (s) => s.totals.maxRssBytes / MIB },
  { measure: 'messages rejected by validation', of: (s) => s.totals.validation.reject },
];

function expectVariant(m: RunMeasurements, variant: Variant, role: string): void {
  if (m.variant !== variant) {
    throw new ReportError('VARIANT_MISMATCH', [`${role}: expected a ${variant} run, got ${m.variant}`]);
  }
}

/**
 * One row per measure of the two runs of the same scenario. Throws `ReportError`
 * VARIANT_MISMATCH (runs passed the wrong way round), SCENARIO_MISMATCH (different scenarios) or
 * INVALID_MEASUREMENTS.
 */
export function comparisonTable(p2p: RunMeasurements, star: RunMeasurements): ComparisonRow[] {
  expectVariant(p2p, 'p2p', 'first argument');
  expectVariant(star, 'star', 'second argument');
  if (p2p.scenario.name !== star.scenario.name) {
    throw new ReportError('SCENARIO_MISMATCH', [
      `the runs are of different scenarios: ${p2p.scenario.name} and ${star.scenario.name}`,
    ]);
  }
  const a = summarize(p2p);
  const b = summarize(star);
  return MEASURES.map(({ measure, of }) => {
    const x = of(a);
    const y = of(b);
    return { measure, p2p: x, star: y, ratio: x === null || y === null || y === 0 ? null : x / y };
  });
}

/** Integers as such, others as scripts/bench/harness.ts: no decimals from 100 up, two from 1, three below; '-' for none. */
function fmt(value: number | null): string {
  if (value === null) return '-';
  if (Number.isInteger(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude >= 100) return value.toFixed(0);
  if (magnitude >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

/** The comparison as a console table, in the layout of scripts/bench/harness.ts `printTable`. */
export function formatComparison(rows: readonly ComparisonRow[]): string {
  const header = ['measure', 'p2p', 'star', 'p2p/star'];
  const lines = rows.map((r) => [
    r.measure,
    fmt(r.p2p),
    fmt(r.star),
    r.ratio === null ? '-' : `${r.ratio.toFixed(2)}x`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const render = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [render(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(render)].join('\n');
}

export function printComparison(rows: readonly ComparisonRow[]): void {
  console.log(formatComparison(rows));
}
