/**
 * What a simulation run measured, as the runner hands it to the report: one record per certified
 * round (signed entity of an epoch) and per node, plus the validation outcomes of received messages.
 *
 * Nodes are numbered from 0 and every per-node array is indexed by node number: `nodes[i].index`
 * is `i`, and `certificateAtNodeMs[i]` / `signatureHeldAtNodeMs[s][i]` are about node i. Times are
 * milliseconds after the round opened (`openedAtMs`, wall clock of the run).
 */
import { ProtocolError } from '../../../protocol/errors.ts';

export type Variant = 'p2p' | 'star';
export type ValidationAction = 'accept' | 'ignore' | 'reject';

export interface RoundMeasurement {
  epoch: number;
  entityType: string;
  /** When the round opened, in ms since the start of the run. */
  openedAtMs: number;
  /** When the first node had a quorum of signatures, ms after open; null: no node ever had one. */
  quorumAtFirstNodeMs: number | null;
  /** Per node: when it held the round's certificate, ms after open; null: never. */
  certificateAtNodeMs: (number | null)[];
  /** Per signature, per node: when that node held it, ms after open, or -1 (never). */
  signatureHeldAtNodeMs: number[][];
}

export interface NodeMeasurement {
  index: number;
  /** Gossip message copies received from peers, every topic, duplicates included. */
  deliveries: number;
  /** The copies among them of single signatures. */
  signatureDeliveries: number;
  bytesReceived: number;
  bytesSent: number;
  /** Copies received of a message the node already had (dropped by gossipsub unvalidated). */
  duplicates: number;
  cpuSeconds: number;
  /** Peak resident set size. */
  rssBytes: number;
  /**
   * Whether the run waited for this node's certificates; false for an adversary or a node down at
   * the end. Absent: true.
   */
  awaited?: boolean;
}

export interface ValidationCount {
  reason: string;
  action: ValidationAction;
  count: number;
  /** The same count split by the peer that sent the messages. */
  byPeer?: Record<string, number>;
}

export interface RunMeasurements {
  scenario: { name: string; nodes: number; signers: number; [k: string]: unknown };
  variant: Variant;
  rounds: RoundMeasurement[];
  nodes: NodeMeasurement[];
  validation: ValidationCount[];
  /** Distinct single signatures gossiped during the run (every epoch, not only the rounds'). */
  signaturesGossiped: number;
  /** Peer scores at the end of the run (gossipsub), by peer. */
  scores?: Record<string, number>;
}

/** A signature not held by a node, in `signatureHeldAtNodeMs`. */
export const NOT_HELD = -1;

/** Code: INVALID_MEASUREMENTS (the measurements contradict themselves; `problems` lists how). */
export class ReportError extends ProtocolError {
  readonly problems: readonly string[];

  constructor(code: string, problems: readonly string[]) {
    super(code, [`invalid measurements, ${problems.length} problem(s):`, ...problems].join('\n  '));
    this.problems = problems;
  }
}

const isTime = (t: number): boolean => Number.isFinite(t) && t >= 0;
const isCount = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;

/**
 * Checks what the report relies on: per-node arrays as long as `nodes`, node numbers in order,
 * times and counts finite and non-negative. Throws `ReportError` INVALID_MEASUREMENTS listing
 * every problem.
 */
export function validateMeasurements(m: RunMeasurements): void {
  const problems: string[] = [];
  const n = m.nodes.length;
  m.nodes.forEach((node, i) => {
    const at = `nodes[${i}]`;
    if (node.index !== i) problems.push(`${at}.index: must be ${i} (nodes in order), got ${node.index}`);
    for (const key of [
      'deliveries',
      'signatureDeliveries',
      'bytesReceived',
      'bytesSent',
      'duplicates',
      'rssBytes',
    ] as const) {
      if (!isCount(node[key])) problems.push(`${at}.${key}: must be an integer ≥ 0, got ${node[key]}`);
    }
    if (!isTime(node.cpuSeconds)) problems.push(`${at}.cpuSeconds: must be a number ≥ 0`);
  });
  m.rounds.forEach((round, r) => {
    const at = `rounds[${r}]`;
    if (!isTime(round.openedAtMs)) problems.push(`${at}.openedAtMs: must be a number ≥ 0`);
    if (round.quorumAtFirstNodeMs !== null && !isTime(round.quorumAtFirstNodeMs)) {
      problems.push(`${at}.quorumAtFirstNodeMs: must be a number ≥ 0 or null`);
    }
    if (round.certificateAtNodeMs.length !== n) {
      problems.push(
        `${at}.certificateAtNodeMs: must have one entry per node (${n}), got ${round.certificateAtNodeMs.length}`,
      );
    }
    round.certificateAtNodeMs.forEach((t, i) => {
      if (t !== null && !isTime(t))
        problems.push(`${at}.certificateAtNodeMs[${i}]: must be a number ≥ 0 or null`);
    });
    round.signatureHeldAtNodeMs.forEach((held, s) => {
      if (held.length !== n) {
        problems.push(
          `${at}.signatureHeldAtNodeMs[${s}]: must have one entry per node (${n}), got ${held.length}`,
        );
      }
      held.forEach((t, i) => {
        if (t !== NOT_HELD && !isTime(t)) {
          problems.push(`${at}.signatureHeldAtNodeMs[${s}][${i}]: must be a number ≥ 0 or ${NOT_HELD}`);
        }
      });
    });
  });
  if (!isCount(m.signaturesGossiped)) {
    problems.push(`signaturesGossiped: must be an integer ≥ 0, got ${m.signaturesGossiped}`);
  }
  m.validation.forEach((v, i) => {
    if (!isCount(v.count)) problems.push(`validation[${i}].count: must be an integer ≥ 0, got ${v.count}`);
  });
  if (problems.length > 0) throw new ReportError('INVALID_MEASUREMENTS', problems);
}
