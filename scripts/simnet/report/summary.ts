/**
 * Summary statistics of a run: per round, per node and in total.
 *
 * Percentiles use the nearest-rank method: the p-th percentile of n values sorted ascending is the
 * value of rank ⌈p·n/100⌉ (1-based), always one of the measured values, never an interpolation.
 *
 * A node that never got a certificate is not left out: it ranks after every node that did (as if
 * its time were infinite). A percentile whose rank falls on such a node is null, meaning "not
 * reached": with 90 % of the nodes certified, p50 is a time but p95 and max are null. Read the
 * percentiles together with `fractionCertified`; `lastCertifiedMs` gives the latest time among the
 * nodes that did certify.
 */
import type { RunMeasurements, RoundMeasurement } from './model.ts';
import { NOT_HELD, validateMeasurements } from './model.ts';

/** The percentiles reported for time to certificate: median and tail. */
const P50 = 50;
const P95 = 95;
/** The 100th percentile, the maximum; also the scale of p. */
const P100 = 100;

/**
 * Nearest-rank percentile of `values` (sorted or not) for p in (0, 100]; nulls rank last and a
 * rank that falls on one gives null. Undefined (null) for an empty list.
 */
export function percentile(values: readonly (number | null)[], p: number): number | null {
  if (!(p > 0 && p <= P100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  if (values.length === 0) return null;
  const known = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  const rank = Math.ceil((p * values.length) / P100);
  return rank <= known.length ? known[rank - 1]! : null;
}

export interface Distribution {
  p50Ms: number | null;
  p95Ms: number | null;
  /** Null when some node never certified. */
  maxMs: number | null;
}

function distribution(values: readonly (number | null)[]): Distribution {
  return { p50Ms: percentile(values, P50), p95Ms: percentile(values, P95), maxMs: percentile(values, P100) };
}

export interface RoundSummary {
  epoch: number;
  entityType: string;
  openedAtMs: number;
  signatures: number;
  /** Time to certificate across the nodes, ms after the round opened. */
  timeToCertificate: Distribution;
  /** The latest time among nodes that certified; null when none did. */
  lastCertifiedMs: number | null;
  quorumAtFirstNodeMs: number | null;
  certifiedNodes: number;
  fractionCertified: number;
}

export interface NodeSummary {
  index: number;
  /** Signature copies received divided by the signatures gossiped in the run; null for a run without signatures. */
  deliveriesPerSignature: number | null;
  /** Duplicates divided by deliveries; null for a node that was delivered nothing. */
  duplicatesPerDelivery: number | null;
  /** Rounds in which the node got the certificate. */
  certifiedRounds: number;
}

export interface Totals {
  rounds: number;
  nodes: number;
  signatures: number;
  deliveries: number;
  duplicates: number;
  bytesReceived: number;
  bytesSent: number;
  cpuSeconds: number;
  /** The largest peak RSS of any node. */
  maxRssBytes: number;
  /** Over every (round, node) pair. */
  timeToCertificate: Distribution;
  /** Over rounds, of the time at which the last node held the certificate; a round some node never certified ranks last. */
  timeToCertificateAtAllNodes: Distribution;
  /** Over rounds, of the time to quorum at the first node; null rounds (no quorum) rank last. */
  quorumAtFirstNodeP50Ms: number | null;
  /** Certified (round, node) pairs over all pairs; 0 for a run without rounds or nodes. */
  fractionCertified: number;
  /** Duplicates over deliveries, all nodes together; null when nothing was delivered. */
  duplicatesPerDelivery: number | null;
  /** Signature copies received per signature gossiped, averaged over nodes; null for a run without signatures. */
  deliveriesPerSignature: number | null;
  /** Sum of validation counts by action. */
  validation: { accept: number; ignore: number; reject: number };
}

export interface RunSummary {
  rounds: RoundSummary[];
  nodes: NodeSummary[];
  totals: Totals;
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);
const ratio = (a: number, b: number): number | null => (b === 0 ? null : a / b);

function summarizeRound(round: RoundMeasurement): RoundSummary {
  const times = round.certificateAtNodeMs;
  const certified = times.filter((t): t is number => t !== null);
  return {
    epoch: round.epoch,
    entityType: round.entityType,
    openedAtMs: round.openedAtMs,
    signatures: round.signatureHeldAtNodeMs.length,
    timeToCertificate: distribution(times),
    lastCertifiedMs: certified.length === 0 ? null : Math.max(...certified),
    quorumAtFirstNodeMs: round.quorumAtFirstNodeMs,
    certifiedNodes: certified.length,
    fractionCertified: times.length === 0 ? 0 : certified.length / times.length,
  };
}

/** Validates `m` (throws `ReportError` INVALID_MEASUREMENTS) and summarizes it. */
export function summarize(m: RunMeasurements): RunSummary {
  validateMeasurements(m);
  const rounds = m.rounds.map(summarizeRound);
  const signatures = sum(rounds.map((r) => r.signatures));
  const nodes = m.nodes.map((node): NodeSummary => ({
    index: node.index,
    deliveriesPerSignature: ratio(node.signatureDeliveries, m.signaturesGossiped),
    duplicatesPerDelivery: ratio(node.duplicates, node.deliveries),
    certifiedRounds: m.rounds.filter((r) => r.certificateAtNodeMs[node.index] !== null).length,
  }));
  const allTimes = m.rounds.flatMap((r) => r.certificateAtNodeMs);
  const deliveries = sum(m.nodes.map((n) => n.deliveries));
  const duplicates = sum(m.nodes.map((n) => n.duplicates));
  const byAction = (action: string): number =>
    sum(m.validation.filter((v) => v.action === action).map((v) => v.count));
  const perSignature = nodes.map((n) => n.deliveriesPerSignature).filter((v): v is number => v !== null);
  return {
    rounds,
    nodes,
    totals: {
      rounds: m.rounds.length,
      nodes: m.nodes.length,
      signatures,
      deliveries,
      duplicates,
      bytesReceived: sum(m.nodes.map((n) => n.bytesReceived)),
      bytesSent: sum(m.nodes.map((n) => n.bytesSent)),
      cpuSeconds: sum(m.nodes.map((n) => n.cpuSeconds)),
      maxRssBytes: m.nodes.length === 0 ? 0 : Math.max(...m.nodes.map((n) => n.rssBytes)),
      timeToCertificate: distribution(allTimes),
      timeToCertificateAtAllNodes: distribution(
        m.rounds.map((r) => {
          const awaited = r.certificateAtNodeMs.filter((_, i) => m.nodes[i]?.awaited !== false);
          return awaited.some((t) => t === null) ? null : Math.max(0, ...(awaited as number[]));
        }),
      ),
      quorumAtFirstNodeP50Ms: percentile(
        m.rounds.map((r) => r.quorumAtFirstNodeMs),
        P50,
      ),
      fractionCertified:
        allTimes.length === 0 ? 0 : allTimes.filter((t) => t !== null).length / allTimes.length,
      duplicatesPerDelivery: ratio(duplicates, deliveries),
      deliveriesPerSignature: perSignature.length === 0 ? null : sum(perSignature) / perSignature.length,
      validation: { accept: byAction('accept'), ignore: byAction('ignore'), reject: byAction('reject') },
    },
  };
}

/**
 * Per node of `round`: when it held the round's signature set, ms after open; null when never.
 * The set is the signatures some node held by the time the first certificate of the round was
 * stored anywhere (every signature when none was): those that could count towards it. A node
 * holds the set once it holds each of them, or once it holds the certificate, whichever is
 * first: a certificate stands for the signatures it aggregates, and a node that has it ignores
 * signatures arriving later. A round without signatures is held from the start.
 */
export function fullSetHeldAtNodeMs(round: RoundMeasurement, nodes: number): (number | null)[] {
  const certified = round.certificateAtNodeMs.filter((t): t is number => t !== null);
  const firstCertificate = certified.length === 0 ? Infinity : Math.min(...certified);
  const set = round.signatureHeldAtNodeMs.filter((held) =>
    held.some((t) => t !== NOT_HELD && t <= firstCertificate),
  );
  return Array.from({ length: nodes }, (_, i) => {
    let latest: number | null = 0;
    for (const held of set) {
      const t = held[i] ?? NOT_HELD;
      if (t === NOT_HELD) {
        latest = null;
        break;
      }
      latest = Math.max(latest, t);
    }
    const certificate = round.certificateAtNodeMs[i] ?? null;
    if (latest === null) return certificate;
    return certificate === null ? latest : Math.min(latest, certificate);
  });
}
