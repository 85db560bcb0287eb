/**
 * A one-screen summary of a scenario, printed before a run: one row per aspect, long lists cut
 * so that the summary stays short whatever the network size.
 */
import type { AdversaryKind, ChurnEvent, Scenario, StakeDistribution, Topology } from './scenario.ts';

/** Items shown per list before "… and N more". */
const LIST_ITEMS_SHOWN = 5;
/** Churn events shown before "… and N more". */
const CHURN_EVENTS_SHOWN = 4;
const LABEL_WIDTH = 20;
const PERCENT = 100;
/** Decimals of the loss percentage, enough for 0.01 % steps. */
const PERCENT_DECIMALS = 2;
/** 1 ADA = 1,000,000 lovelace. */
const LOVELACE_PER_ADA = 1_000_000n;

function list(items: readonly (string | number)[], shown = LIST_ITEMS_SHOWN, separator = ', '): string {
  if (items.length === 0) return '(none)';
  const head = items.slice(0, shown).join(separator);
  const rest = items.length - shown;
  return rest > 0 ? `${head} … and ${rest} more` : head;
}

function ada(lovelace: bigint): string {
  const whole = lovelace / LOVELACE_PER_ADA;
  const part = lovelace % LOVELACE_PER_ADA;
  const fractional = part === 0n ? '' : `.${part.toString().padStart(6, '0').replace(/0+$/, '')}`;
  return `${whole.toLocaleString('en-US')}${fractional} ADA`;
}

function stakes(s: StakeDistribution): string {
  switch (s.distribution) {
    case 'uniform':
      return `uniform, ${ada(s.stake)} each`;
    case 'heavy-tailed':
      return `heavy-tailed (Pareto alpha=${s.alpha}), ${ada(s.min)} to ${ada(s.max)}`;
    case 'explicit': {
      const total = s.values.reduce((a, b) => a + b, 0n);
      return `explicit, ${ada(total)} in all`;
    }
  }
}

function topology(t: Topology): string {
  return t.kind === 'random' ? `random, degree ${t.degree}` : t.kind;
}

function hosting(s: Scenario): string {
  const counts = s.nodeSigners.map((hosted) => hosted.length);
  const min = Math.min(...counts);
  const max = Math.max(...counts);
  return min === max
    ? `${s.signers} (${min} per node)`
    : `${s.signers} (${min} to ${max} per node: ${list(counts)})`;
}

function churnEvent(e: ChurnEvent): string {
  const parts = [
    ...(e.leave.length > 0 ? [`leave ${list(e.leave)}`] : []),
    ...(e.join.length > 0 ? [`join ${list(e.join)}`] : []),
  ];
  return `@${e.atEpoch} ${parts.join(', ')}`;
}

function churn(s: Scenario): string {
  if (s.churn.length === 0) return '(none)';
  const events = list(s.churn.map(churnEvent), CHURN_EVENTS_SHOWN, '; ');
  return s.lateJoiners.length > 0 ? `${events}; late joiners ${list(s.lateJoiners)}` : events;
}

function adversaries(s: Scenario): string {
  const present = (Object.entries(s.adversaries) as [AdversaryKind, number][]).filter(
    ([, count]) => count > 0,
  );
  if (present.length === 0) return '(none)';
  const total = present.reduce((a, [, count]) => a + count, 0);
  const kinds = present.map(([kind, count]) => `${count} ${kind}`).join(', ');
  return `${total} of ${s.nodes} nodes (${kinds}), chosen by ${s.adversarySelection}`;
}

export function describeScenario(s: Scenario): string {
  const { latencyMs, loss } = s.network;
  const aggregators =
    s.aggregators.length === s.nodes ? `all ${s.nodes}` : `${s.aggregators.length}: ${list(s.aggregators)}`;
  const rows: [string, string][] = [
    ['scenario', `${s.name} (seed ${s.seed})`],
    ['nodes', `${s.nodes}, ${s.processes === 'single' ? 'in one process' : 'one process each'}`],
    ['signers', hosting(s)],
    ['aggregators', aggregators],
    ['stakes', stakes(s.stakes)],
    ['protocol', `k=${s.protocol.k} m=${s.protocol.m} phi_f=${s.protocol.phiF}`],
    ['epochs', `${s.epochs} certified, ${s.epochSeconds} s each`],
    [
      'registration',
      s.registration === 'gossip'
        ? 'by gossip during the run'
        : 'sets of the genesis and first certified epoch preloaded, later ones by gossip',
    ],
    ['signed entity types', s.entityTypes.join(', ')],
    ['topology', topology(s.topology)],
    [
      'network',
      `latency ${latencyMs.median} ms ± ${latencyMs.jitter} ms, loss ${Number((loss * PERCENT).toFixed(PERCENT_DECIMALS))} %`,
    ],
    ['churn', churn(s)],
    ['adversaries', adversaries(s)],
    ['baseline', s.baseline === 'star' ? 'star (one central aggregator), run as well' : 'none'],
  ];
  return rows.map(([label, value]) => `${label.padEnd(LABEL_WIDTH)}${value}`).join('\n');
}
