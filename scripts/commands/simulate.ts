/**
 * `mithril-mesh simulate --scenario FILE [--out DIR]`: runs a simulation scenario with real mesh
 * nodes (scripts/simnet/runner.ts), writes its report into DIR (results.json, CSV tables, SVG
 * plots) and prints a summary table. With `baseline: star` the same scenario then runs through
 * one aggregator: its report goes into DIR/star, the comparison into DIR/comparison.json and onto
 * the console. Exit status 1 when a run did not complete (some node lacked a certificate of the
 * last epoch at the timeout); the reports are written either way.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Command, CliIo } from './command.ts';
import { CliUsageError, EXIT_FAILED, EXIT_OK } from './command.ts';
import type { RunSummary } from '../simnet/report/index.ts';
import { comparisonTable, formatComparison, writeRunReport } from '../simnet/report/index.ts';
import { runScenario } from '../simnet/runner.ts';
import type { SimulationResult } from '../simnet/runner.ts';
import { loadScenario } from '../simnet/scenario.ts';

/** Reports go under this directory, one sub-directory per scenario name, unless --out is given. */
const DEFAULT_OUT_ROOT = 'simnet-results';
/** The star baseline's report, under the run's directory. */
export const STAR_DIR = 'star';
/** The p2p/star comparison, in the run's directory. */
export const COMPARISON_FILE = 'comparison.json';
/** Fractions shown as percentages. */
const PERCENT = 100;

const ms = (v: number | null): string => (v === null ? '—' : `${Math.round(v)}`);

/** The summary as an aligned text table, one row per round, then the totals. */
export function formatSummary(summary: RunSummary): string[] {
  const header = [
    'epoch',
    'entity type',
    'signatures',
    'certified',
    'quorum ms',
    'p50 ms',
    'p95 ms',
    'max ms',
  ];
  const rows = summary.rounds.map((r) => [
    String(r.epoch),
    r.entityType,
    String(r.signatures),
    `${r.certifiedNodes}/${summary.totals.nodes}`,
    ms(r.quorumAtFirstNodeMs),
    ms(r.timeToCertificate.p50Ms),
    ms(r.timeToCertificate.p95Ms),
    ms(r.timeToCertificate.maxMs),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
  const line = (cells: string[]): string => cells.map((cell, c) => cell.padEnd(widths[c]!)).join('  ');
  const t = summary.totals;
  return [
    line(header),
    ...rows.map(line),
    `certified: ${(t.fractionCertified * PERCENT).toFixed(1)} % of (round, node) pairs; ` +
      `time to certificate p50 ${ms(t.timeToCertificate.p50Ms)} ms, p95 ${ms(t.timeToCertificate.p95Ms)} ms`,
    `gossip copies received ${t.deliveries} (${t.duplicates} duplicates), ` +
      `signature copies per node per signature ${t.deliveriesPerSignature === null ? '—' : t.deliveriesPerSignature.toFixed(2)}; ` +
      `bytes sent ${t.bytesSent}; ` +
      `validation accept ${t.validation.accept}, ignore ${t.validation.ignore}, reject ${t.validation.reject}`,
  ];
}

/** Runs the scenario at `scenarioPath`, writes the report into `out`; resolves to the exit status. */
export async function simulate(scenarioPath: string, out: string | undefined, io: CliIo): Promise<number> {
  const scenario = await loadScenario(scenarioPath);
  const dir = out ?? join(DEFAULT_OUT_ROOT, scenario.name);
  io.out(
    `simulating ${scenario.name}: ${scenario.nodes} nodes, ${scenario.signers} signers, ${scenario.epochs} epochs`,
  );
  const { p2p, star } = await runScenario(scenario, { progress: (line) => io.out(line) });
  const report = (result: SimulationResult, at: string): void => {
    const written = writeRunReport(at, result.measurements);
    io.out(`${result.measurements.variant}:`);
    for (const line of formatSummary(written.summary)) io.out(line);
    io.out(`report written to ${at} (${written.files.length} files)`);
    if (!result.complete) io.err(`simulation incomplete (${result.measurements.variant}): ${result.reason}`);
  };
  report(p2p, dir);
  if (star !== undefined) {
    report(star, join(dir, STAR_DIR));
    const rows = comparisonTable(p2p.measurements, star.measurements);
    writeFileSync(join(dir, COMPARISON_FILE), JSON.stringify(rows, null, 2) + '\n');
    io.out('mesh (p2p) against one aggregator (star):');
    for (const line of formatComparison(rows).split('\n')) io.out(line);
  }
  return p2p.complete && (star?.complete ?? true) ? EXIT_OK : EXIT_FAILED;
}

export const simulateCommand: Command = {
  name: 'simulate',
  summary: 'run a simulation scenario with mesh nodes (and the star baseline) and write its report',
  usage: [
    'usage: mithril-mesh simulate --scenario FILE [--out DIR]',
    '',
    `Runs the scenario (JSON or YAML, see scripts/scenarios) and writes results.json, CSV tables and SVG`,
    `plots into DIR (default ${DEFAULT_OUT_ROOT}/<scenario name>). With baseline: star the scenario runs`,
    `again through one aggregator: its report goes into DIR/${STAR_DIR}, the comparison into`,
    `DIR/${COMPARISON_FILE} and onto the console.`,
  ].join('\n'),
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: { scenario: { type: 'string' }, out: { type: 'string' } },
      strict: true,
    });
    if (values.scenario === undefined) throw new CliUsageError('--scenario is required');
    return simulate(values.scenario, values.out, io);
  },
};
