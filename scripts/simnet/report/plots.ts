/**
 * The three plots of a run, as SVG text, and `PLOT_GUIDE`, how to read them (for BENCHMARKS.md).
 */
import type { RunMeasurements } from './model.ts';
import type { RunSummary } from './summary.ts';
import { fullSetHeldAtNodeMs } from './summary.ts';
import { barChartSvg, lineChartSvg } from './svg.ts';

export const PLOT_FILES = {
  timeToCertificateCdf: 'time-to-certificate-cdf.svg',
  dissemination: 'dissemination.svg',
  duplicatesPerNode: 'duplicates-per-node.svg',
} as const;

export const PLOT_GUIDE = `### Reading the plots

Each run directory holds three plots; the subtitle names the scenario, the variant (\`p2p\` for the
mesh, \`star\` for the central-aggregator baseline) and the network size.

- **\`${PLOT_FILES.timeToCertificateCdf}\`: time to certificate (CDF).** One point per (round, node)
  pair: the time from the round's opening until that node held the round's certificate. The x axis
  is that time in milliseconds, the y axis the fraction of all (round, node) pairs certified by then.
  A curve that rises steeply and early means every node gets certificates soon after a round opens;
  the x value where the curve crosses 0.5 is the median, where it crosses 0.95 the 95th percentile.
  Pairs that never certified keep the curve below 1: its final height is the fraction certified
  (also in the subtitle).
- **\`${PLOT_FILES.dissemination}\`: dissemination of the signatures.** One line per round (legend:
  epoch and signed entity type). The x axis is the time since the round opened, in milliseconds; the
  y axis the fraction of nodes that held the round's signature set by then: the signatures that were
  somewhere in the mesh when the first certificate of the round was stored (those that could count
  towards it). A node that stores the certificate first counts from then: the certificate stands for
  the signatures, and a node that has it ignores later ones. A line that reaches 1 means every node
  got the set or its certificate; one that levels off below 1 means some nodes got neither
  (partitioned, churned out or starved by their peers). Lines spread apart along x show rounds of
  uneven speed. In the star baseline the signers do not receive each other's signatures: only the
  aggregator holds the set, the other nodes count from their certificate.
- **\`${PLOT_FILES.duplicatesPerNode}\`: duplicates per node.** One bar per node (x axis: node
  number): of the gossip messages the node received (every topic, every copy), the fraction that were
  copies of a message it already had (gossipsub drops them before validation). 0 means no wasted
  traffic. Gossip costs some by design: in a gossipsub mesh a message can arrive
  once from each mesh peer, so up to about the mesh degree minus one. A node far above the others
  sits where many paths meet; a missing bar is a node that was delivered nothing.
`;

/** Points of a step function: each value holds until the next jump. */
function steps(jumps: readonly (readonly [number, number])[]): [number, number][] {
  return jumps.flatMap(([x, y], i): [number, number][] =>
    i === 0
      ? [[x, y]]
      : [
          [x, jumps[i - 1]![1]],
          [x, y],
        ],
  );
}

/**
 * The empirical CDF of `times` out of `total` (nulls and the missing count as never): it starts
 * at (0, 0) and jumps by 1/total at each time.
 */
function cdf(times: readonly (number | null)[], total: number): [number, number][] {
  const known = times.filter((t): t is number => t !== null).sort((a, b) => a - b);
  const jumps: [number, number][] = [[0, 0]];
  known.forEach((t, i) => {
    const last = jumps[jumps.length - 1]!;
    const level = (i + 1) / total;
    if (last[0] === t) last[1] = level;
    else jumps.push([t, level]);
  });
  return steps(jumps);
}

const subtitleOf = (m: RunMeasurements, extra: string): string =>
  `${m.scenario.name} · ${m.variant} · ${m.nodes.length} nodes, ${m.scenario.signers} signers, ${m.rounds.length} rounds · ${extra}`;

const percent = (fraction: number): string => `${(fraction * 100).toFixed(1)} %`;

export function timeToCertificateCdfSvg(m: RunMeasurements, summary: RunSummary): string {
  const times = m.rounds.flatMap((r) => r.certificateAtNodeMs);
  const ttc = summary.totals.timeToCertificate;
  const ms = (t: number | null): string => (t === null ? 'not reached' : `${t} ms`);
  return lineChartSvg({
    title: 'Time to certificate, all rounds and nodes (CDF)',
    subtitle: subtitleOf(
      m,
      `certified ${percent(summary.totals.fractionCertified)}, p50 ${ms(ttc.p50Ms)}, p95 ${ms(ttc.p95Ms)}`,
    ),
    xLabel: 'time since round opened (ms)',
    yLabel: 'fraction of (round, node) pairs certified',
    series: times.length === 0 ? [] : [{ label: 'time to certificate', points: cdf(times, times.length) }],
    yDomain: [0, 1],
    hold: true,
    emptyMessage: 'no round was measured',
  });
}

export function disseminationSvg(m: RunMeasurements): string {
  const n = m.nodes.length;
  return lineChartSvg({
    title: 'Dissemination: nodes holding the signature set of the round',
    subtitle: subtitleOf(m, 'one line per round'),
    xLabel: 'time since round opened (ms)',
    yLabel: 'fraction of nodes with the signature set (or certificate)',
    series: m.rounds.map((r) => ({
      label: `epoch ${r.epoch} ${r.entityType}`,
      points: n === 0 ? [] : cdf(fullSetHeldAtNodeMs(r, n), n),
    })),
    yDomain: [0, 1],
    hold: true,
    emptyMessage: 'no round was measured',
  });
}

export function duplicatesPerNodeSvg(m: RunMeasurements, summary: RunSummary): string {
  const overall = summary.totals.duplicatesPerDelivery;
  return barChartSvg({
    title: 'Duplicate messages received per node',
    subtitle: subtitleOf(
      m,
      `all nodes: ${overall === null ? 'nothing received' : overall.toFixed(2)} of messages received`,
    ),
    xLabel: 'node number',
    yLabel: 'duplicates per message received (ratio)',
    bars: summary.nodes.map((node) => ({ label: String(node.index), value: node.duplicatesPerDelivery })),
    emptyMessage: 'no node received a message',
  });
}
