/**
 * `npm run bench:network [-- --only NAME]`: the standard network scenarios, each with its full
 * report under bench/results/network/<name>/ (results.json, CSV, SVG plots) and its figures and
 * targets in bench/results/network-<name>.json; a table per scenario on the console.
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
import type { RunSummary } from '../simnet/report/index.ts';
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
  value: number | null;
  limit: number;
  met: boolean;
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

function printTargets(targets: Target[]): void {
  const rows = targets.map((t) => [
    t.target,
    t.value === null ? '-' : t.value.toFixed(2),
    String(t.limit),
    t.met ? 'yes' : 'NO',
  ]);
  const header = ['target', 'value', 'limit', 'met'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const render = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(render(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(render(r));
}

async function runBench(name: string): Promise<boolean> {
  const scenario = await loadScenario(join(SCENARIOS_DIR, `${name}.yaml`));
  const started = new Date();
  console.log(
    `\n== ${name}: ${scenario.nodes} nodes, ${scenario.signers} signers, ${scenario.processes} processes`,
  );
  const { p2p, star } = await runScenario(scenario, { progress: (line) => console.log(line) });
  const dir = join(RESULTS_DIR, 'network', name);
  writeRunReport(dir, p2p.measurements);
  const p2pSummary = summarize(p2p.measurements);
  const targets: Target[] = [];
  const result: Record<string, unknown> = {
    benchmark: 'network',
    scenario: name,
    command: `npm run bench:network -- --only ${name}`,
    startedAt: started.toISOString(),
    wallSeconds: (Date.now() - started.getTime()) / 1000,
    machine: machineInfo(),
    parameters: { nodes: scenario.nodes, signers: scenario.signers, protocol: scenario.protocol },
    report: dir,
    p2p: figures(p2p, p2pSummary),
  };
  if (star !== undefined) {
    writeRunReport(join(dir, 'star'), star.measurements);
    const rows = comparisonTable(p2p.measurements, star.measurements);
    result['star'] = figures(star, summarize(star.measurements));
    result['comparison'] = rows;
    console.log(formatComparison(rows));
    const ratio = rows.find((r) => r.measure.startsWith('time to certificate at every node, median'))?.ratio;
    targets.push(
      target('time to certificate at every node, p2p/star (median round)', ratio ?? null, MAX_P2P_OVER_STAR),
    );
    targets.push(
      target(
        'signature copies received per node per signature (p2p)',
        p2pSummary.totals.deliveriesPerSignature,
        MAX_SIGNATURE_COPIES,
      ),
    );
  } else {
    targets.push(
      target(
        'certificate at every node, worst round (s)',
        secondsOrNull(p2pSummary.totals.timeToCertificateAtAllNodes.maxMs),
        MAX_ALL_NODES_MS / 1000,
      ),
    );
    targets.push(
      target('peak RSS, largest node (MB)', p2pSummary.totals.maxRssBytes / 1e6, MAX_RSS_BYTES / 1e6),
    );
  }
  result['targets'] = targets;
  printTargets(targets);
  const file = join(RESULTS_DIR, `network-${name}.json`);
  writeResults(file, result);
  console.log(`results: ${file}, report: ${dir}`);
  return p2p.complete && (star?.complete ?? true);
}

function secondsOrNull(ms: number | null): number | null {
  return ms === null ? null : ms / 1000;
}

const BENCHES = ['p2p-vs-star', 'mainnet-scale'];

const { values } = parseArgs({ options: { only: { type: 'string' } }, strict: true });
const selected = values.only === undefined ? BENCHES : [values.only];
for (const name of selected) {
  if (!BENCHES.includes(name)) {
    console.error(`unknown benchmark ${name}: one of ${BENCHES.join(', ')}`);
    process.exit(2);
  }
}
let allComplete = true;
for (const name of selected) allComplete = (await runBench(name)) && allComplete;
process.exit(allComplete ? 0 : 1);
