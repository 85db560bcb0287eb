/**
 * `mithril-mesh simulate --scenario FILE [--out DIR]`: runs a simulation scenario with real mesh
 * nodes in this process (scripts/simnet/runner.ts), writes its report into DIR (results.json, CSV
 * tables, SVG plots) and prints a summary table. Exit status 1 when the run did not complete (some
 * node lacked a certificate of the last epoch at the timeout); the report is written either way.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Command, CliIo } from './command.ts';
import { CliUsageError, EXIT_FAILED, EXIT_OK } from './command.ts';
import type { RunSummary } from '../simnet/report/index.ts';
import { writeRunReport } from '../simnet/report/index.ts';
import { runSimulation } from '../simnet/runner.ts';
import { loadScenario } from '../simnet/scenario.ts';

/** Reports go under this directory, one sub-directory per scenario name, unless --out is given. */
const DEFAULT_OUT_ROOT = 'simnet-results';
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
    `deliveries ${t.deliveries}, duplicates ${t.duplicates}; ` +
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
  const result = await runSimulation(scenario, { progress: (line) => io.out(line) });
  const report = writeRunReport(dir, result.measurements);
  for (const line of formatSummary(report.summary)) io.out(line);
  io.out(`report written to ${dir} (${report.files.length} files)`);
  if (!result.complete) io.err(`simulation incomplete: ${result.reason}`);
  return result.complete ? EXIT_OK : EXIT_FAILED;
}

export const simulateCommand: Command = {
  name: 'simulate',
  summary: 'run a simulation scenario with in-process mesh nodes and write its report',
  usage: [
    'usage: mithril-mesh simulate --scenario FILE [--out DIR]',
    '',
    `Runs the scenario (JSON or YAML, see scripts/scenarios) and writes results.json, CSV tables and SVG`,
    `plots into DIR (default ${DEFAULT_OUT_ROOT}/<scenario name>). Not supported yet: network latency or`,
    'loss, churn, processes: separate, baseline: star. Bytes on the wire are not measured.',
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
