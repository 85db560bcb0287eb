/**
 * `npm run bench:network [-- --only NAME] [--repeat N]`: the standard network scenarios, each with
 * its full report under bench/results/network/<name>/ (results.json, CSV, SVG plots; `run-<k>/`
 * per run when repeated) and its figures and targets in bench/results/network-<name>.json; a table
 * per scenario on the console. `--repeat N` runs each scenario N times (same seed) and judges the
 * targets on the median over the runs: on a shared 2-core machine one run of the same code
 * varied 2x from the next (BENCHMARKS.md).
 *
 * (a) p2p-vs-star: N = 20, S = 200, small parameters, the mesh and the star baseline in the same
 *     run. Targets: mesh time to certificate at every node ≤ 1.0× the star's, and ≤ 2 signature
 *     copies received per node per signature.
 * (b) mainnet-scale: S = 3,000 heavy-tailed signers, k = 1944, m = 16948, φ_f = 0.2 on N = 30.
 *     Targets: certificate at all 30 nodes ≤ 60 s after the round opens, ≤ 80 MB RSS per node.
 * Targets are reported, never asserted: the run's exit status only says whether it completed.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ComparisonRow, RunSummary } from '../simnet/report/index.ts';
import { comparisonTable, formatComparison, summarize, writeRunReport } from '../simnet/report/index.ts';
import { runScenario } from '../simnet/runner.ts';
import type { SimulationResult } from '../simnet/runner.ts';
import { loadScenario } from '../simnet/scenario.ts';
import { machineInfo, writeResults } from './harness.ts';

const RESULTS_DIR = 'bench/results';
const SCENARIOS_DIR = 'scripts/scenarios';
/** Issue targets: the mesh at most as slow as the star, at most 2 copies of a signature per node. */
const MAX_P2P_OVER_STAR = 1.0;
const MAX_SIGNATURE_COPIES = 2;
/** Issue targets at mainnet scale: 60 s to a certificate at every node, 80 MB per node. */
const MAX_ALL_NODES_MS = 60_000;
const MAX_RSS_BYTES = 80e6;
const MIB = 2 ** 20;

interface Target {
  target: string;
  /** The median over the runs. */
  value: number | null;
  limit: number;
  met: boolean;
  /** The value of each run. */
  runs?: (number | null)[];
}

const target = (name: string, value: number | null, limit: number): Target => ({
  target: name,
  value,
  limit,
  met: value !== null && value <= limit,
});

/** The figures of one run worth keeping next to the targets. */
function figures(result: SimulationResult, summary: RunSummary): Record<string, unknown> {
  const t = summary.totals;
  const nodes = result.measurements.nodes;
  return {
    complete: result.complete,
    stopReason: result.reason,
    rounds: summary.rounds.map((r) => ({
      epoch: r.epoch,
      entityType: r.entityType,
      signatures: r.signatures,
      quorumAtFirstNodeMs: r.quorumAtFirstNodeMs,
      certifiedNodes: r.certifiedNodes,
      timeToCertificate: r.timeToCertificate,
      lastCertifiedMs: r.lastCertifiedMs,
    })),
    timeToCertificate: t.timeToCertificate,
    timeToCertificateAtAllNodes: t.timeToCertificateAtAllNodes,
    quorumAtFirstNodeP50Ms: t.quorumAtFirstNodeP50Ms,
    signatureCopiesPerNodePerSignature: t.deliveriesPerSignature,
    duplicatesPerMessageReceived: t.duplicatesPerDelivery,
    bytesSentPerNode: t.bytesSent / Math.max(1, t.nodes),
    cpuSecondsPerNode: t.cpuSeconds / Math.max(1, t.nodes),
    maxRssMiB: t.maxRssBytes / MIB,
    meanRssMiB: nodes.reduce((sum, n) => sum + n.rssBytes, 0) / Math.max(1, nodes.length) / MIB,
    validation: t.validation,
  };
}

const formatValue = (v: number | null): string => (v === null ? '-' : v.toFixed(2));

function printTargets(targets: Target[], repeat: number): void {
  const rows = targets.map((t) => [
    t.target,
    formatValue(t.value),
    ...(repeat > 1 ? [(t.runs ?? []).map(formatValue).join(' ')] : []),
    String(t.limit),
    t.met ? 'yes' : 'NO',
  ]);
  const header = ['target', repeat > 1 ? 'median' : 'value', ...(repeat > 1 ? ['runs'] : []), 'limit', 'met'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const render = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(render(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(render(r));
}

/** Everything kept of one run: where its report is, its figures and, with a star baseline, the comparison. */
interface RunRecord {
  report: string;
  complete: boolean;
  p2p: Record<string, unknown>;
  p2pSummary: RunSummary;
  star?: Record<string, unknown>;
  comparison?: ComparisonRow[];
}

/** Median of the non-null values (the mean of the middle two for an even count); null if none. */
function median(values: readonly (number | null)[]): number | null {
  const sorted = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The issue's targets, each measured in every run and judged on the median over the runs. */
function targetsOf(runs: readonly RunRecord[]): Target[] {
  const perRun = (name: string, limit: number, value: (run: RunRecord) => number | null): Target => {
    const values = runs.map(value);
    return { ...target(name, median(values), limit), runs: values };
  };
  if (runs[0]!.comparison !== undefined) {
    return [
      perRun(
        'time to certificate at every node, p2p/star (median round)',
        MAX_P2P_OVER_STAR,
        (run) =>
          run.comparison!.find((r) => r.measure.startsWith('time to certificate at every node, median'))
            ?.ratio ?? null,
      ),
      perRun(
        'signature copies received per node per signature (p2p)',
        MAX_SIGNATURE_COPIES,
        (run) => run.p2pSummary.totals.deliveriesPerSignature,
      ),
    ];
  }
  return [
    perRun('certificate at every node, worst round (s)', MAX_ALL_NODES_MS / 1000, (run) =>
      secondsOrNull(run.p2pSummary.totals.timeToCertificateAtAllNodes.maxMs),
    ),
    perRun(
      'peak RSS, largest node (MB)',
      MAX_RSS_BYTES / 1e6,
      (run) => run.p2pSummary.totals.maxRssBytes / 1e6,
    ),
  ];
}

async function runBench(name: string, repeat: number): Promise<boolean> {
  const scenario = await loadScenario(join(SCENARIOS_DIR, `${name}.yaml`));
  const started = new Date();
  console.log(
    `\n== ${name}: ${scenario.nodes} nodes, ${scenario.signers} signers, ${scenario.processes} processes` +
      (repeat > 1 ? `, ${repeat} runs` : ''),
  );
  const base = join(RESULTS_DIR, 'network', name);
  const runs: RunRecord[] = [];
  for (let k = 1; k <= repeat; k++) {
    if (repeat > 1) console.log(`-- run ${k} of ${repeat}`);
    const { p2p, star } = await runScenario(scenario, { progress: (line) => console.log(line) });
    const dir = repeat === 1 ? base : join(base, `run-${k}`);
    writeRunReport(dir, p2p.measurements);
    const p2pSummary = summarize(p2p.measurements);
    const run: RunRecord = {
      report: dir,
      complete: p2p.complete && (star?.complete ?? true),
      p2p: figures(p2p, p2pSummary),
      p2pSummary,
    };
    if (star !== undefined) {
      writeRunReport(join(dir, 'star'), star.measurements);
      run.star = figures(star, summarize(star.measurements));
      run.comparison = comparisonTable(p2p.measurements, star.measurements);
      console.log(formatComparison(run.comparison));
    }
    runs.push(run);
  }
  const targets = targetsOf(runs);
  printTargets(targets, repeat);
  const file = join(RESULTS_DIR, `network-${name}.json`);
  writeResults(file, {
    benchmark: 'network',
    scenario: name,
    command: `npm run bench:network -- --only ${name}${repeat > 1 ? ` --repeat ${repeat}` : ''}`,
    startedAt: started.toISOString(),
    wallSeconds: (Date.now() - started.getTime()) / 1000,
    machine: machineInfo(),
    parameters: { nodes: scenario.nodes, signers: scenario.signers, protocol: scenario.protocol },
    // Same scenario and seed each run: the spread between runs is the machine's scheduling.
    runs: runs.map(({ p2pSummary: _summary, ...kept }) => kept),
    targets,
  });
  console.log(`results: ${file}, reports: ${base}`);
  return runs.every((r) => r.complete);
}

function secondsOrNull(ms: number | null): number | null {
  return ms === null ? null : ms / 1000;
}

const BENCHES = ['p2p-vs-star', 'mainnet-scale'];

const { values } = parseArgs({
  options: { only: { type: 'string' }, repeat: { type: 'string', default: '1' } },
  strict: true,
});
const selected = values.only === undefined ? BENCHES : [values.only];
const repeat = Number(values.repeat);
if (!Number.isSafeInteger(repeat) || repeat < 1) {
  console.error(`--repeat must be a positive integer, got ${values.repeat}`);
  process.exit(2);
}
for (const name of selected) {
  if (!BENCHES.includes(name)) {
    console.error(`unknown benchmark ${name}: one of ${BENCHES.join(', ')}`);
    process.exit(2);
  }
}
let allComplete = true;
for (const name of selected) allComplete = (await runBench(name, repeat)) && allComplete;
process.exit(allComplete ? 0 : 1);
