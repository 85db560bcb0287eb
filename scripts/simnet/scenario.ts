/**
 * Simulation scenarios for `mithril-mesh simulate --scenario FILE`: a JSON or YAML file naming the
 * network to simulate (nodes, hosted signers and their stakes, STM parameters, topology, latency
 * and loss, churn, adversaries), validated like a node config (node/config): every problem is
 * listed at once with its path (`stakes.alpha`, `churn[1].leave[0]`), and unknown keys are
 * rejected with a "did you mean" suggestion. The result is resolved (defaults applied, node counts
 * and index lists computed) and deeply frozen, so a runner reads it without re-deriving anything.
 *
 * Nodes and signers are numbered from 0. Every random choice of a run (heavy-tailed stakes,
 * random topology, random adversaries, jitter, loss) derives from `seed`.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parseDocument } from 'yaml';
import type { FieldParser, Parsed, Report } from '../../node/config/fields.ts';
import {
  INVALID,
  listField,
  numberInRange,
  oneOf,
  positiveInteger,
  positiveNumber,
  stringField,
} from '../../node/config/fields.ts';
import { isPlainObject } from '../../node/config/schema.ts';
import { unknownName } from '../../node/config/suggest.ts';
import { parseJson } from '../../protocol/codec/json.ts';
import { ProtocolError } from '../../protocol/errors.ts';
import type { ProtocolParameters } from '../../protocol/message/protocol-parameters.ts';
import type { SignedEntityTypeName } from '../../protocol/message/signed-entity-type.ts';
import { ACTIVE_SIGNED_ENTITY_TYPES } from '../../protocol/message/signed-entity-type.ts';

export type StakeDistribution =
  /** Every signer holds `stake`. */
  | { readonly distribution: 'uniform'; readonly stake: bigint }
  /** Pareto with shape `alpha`, scale `min`, cut at `max`, drawn from the seed. */
  | {
      readonly distribution: 'heavy-tailed';
      readonly alpha: number;
      readonly min: bigint;
      readonly max: bigint;
    }
  /** `values[j]` is the stake of signer j. */
  | { readonly distribution: 'explicit'; readonly values: readonly bigint[] };

export type Topology =
  /** Every node dials the bootstrap node only and discovers the others (DHT). */
  | { readonly kind: 'bootstrap-only' }
  /** Every node dials `degree` others drawn from the seed. */
  | { readonly kind: 'random'; readonly degree: number }
  /** Node i dials node i + 1 (mod N). */
  | { readonly kind: 'ring' };

export interface NetworkConditions {
  /** One-way delay of each message: `median` ± up to `jitter`, in ms. */
  readonly latencyMs: { readonly median: number; readonly jitter: number };
  /** Probability that a message is dropped, in [0, 1). */
  readonly loss: number;
}

export interface ChurnEvent {
  /** Epochs since the start of the run; fractions fall within an epoch (1.5: half-way into epoch 1). */
  readonly atEpoch: number;
  /** Nodes stopped at `atEpoch`. */
  readonly leave: readonly number[];
  /** Nodes started at `atEpoch`: from their data dir if they left before, else fresh (late joiners). */
  readonly join: readonly number[];
}

export const ADVERSARY_KINDS = ['invalidSignatures', 'equivocation', 'garbage', 'silent'] as const;
export type AdversaryKind = (typeof ADVERSARY_KINDS)[number];
/** Number of adversarial nodes of each kind (the scenario's fraction of `nodes`, rounded). */
export type AdversaryCounts = Readonly<Record<AdversaryKind, number>>;

export const ADVERSARY_SELECTIONS = ['lowest-stake', 'highest-stake', 'random'] as const;
export type AdversarySelection = (typeof ADVERSARY_SELECTIONS)[number];
export const PROCESS_MODES = ['single', 'separate'] as const;
export type ProcessMode = (typeof PROCESS_MODES)[number];
/**
 * `gossip`: signers register during the run, as a network does (every node checks every
 * registration). `preloaded`: the signer sets of the genesis and first certified epochs are made
 * before the run and written into every node's store (scripts/simnet/preload.ts), so that a run
 * measures certification alone; later epochs register by gossip.
 */
export const REGISTRATION_MODES = ['gossip', 'preloaded'] as const;
export type RegistrationMode = (typeof REGISTRATION_MODES)[number];
/** `star`: also run the same scenario through one central aggregator, as the reference Mithril does. */
export const BASELINES = ['none', 'star'] as const;
export type Baseline = (typeof BASELINES)[number];

export interface Scenario {
  readonly name: string;
  readonly seed: number;
  readonly nodes: number;
  readonly signers: number;
  /** `nodeSigners[i]`: the signers hosted by node i (every signer exactly once). */
  readonly nodeSigners: readonly (readonly number[])[];
  /** Aggregating nodes, ascending. */
  readonly aggregators: readonly number[];
  readonly stakes: StakeDistribution;
  readonly protocol: Readonly<ProtocolParameters>;
  /** Certified epochs to run. */
  readonly epochs: number;
  readonly epochSeconds: number;
  readonly entityTypes: readonly SignedEntityTypeName[];
  readonly topology: Topology;
  readonly network: NetworkConditions;
  /** In time order. */
  readonly churn: readonly ChurnEvent[];
  /** Nodes whose first churn event is a join: they are not running when the run starts. */
  readonly lateJoiners: readonly number[];
  readonly adversaries: AdversaryCounts;
  readonly adversarySelection: AdversarySelection;
  readonly processes: ProcessMode;
  readonly registration: RegistrationMode;
  readonly baseline: Baseline;
}

export interface ScenarioProblem {
  /** Dotted path of the value, with `[i]` for list items (`stakes.alpha`, `churn[1].leave[0]`). */
  path: string;
  message: string;
}

/**
 * Codes: INVALID_SCENARIO (values fail validation), SCENARIO_SYNTAX (not valid JSON / YAML),
 * SCENARIO_UNREADABLE (the file cannot be read).
 */
export class ScenarioError extends ProtocolError {
  readonly problems: readonly ScenarioProblem[];

  constructor(
    code: string,
    source: string,
    problems: readonly ScenarioProblem[],
    options?: { cause?: unknown },
  ) {
    const noun = problems.length === 1 ? 'problem' : 'problems';
    const lines = problems.map((p) => `  ${p.path}: ${p.message}`);
    super(code, [`scenario ${source}: ${problems.length} ${noun}:`, ...lines].join('\n'), options);
    this.problems = problems;
  }
}

/** The default seed; any other fixed value serves as well. */
const DEFAULT_SEED = 1;
/** Certified epochs when not given: enough to see the chain extend past its first certificate. */
const DEFAULT_EPOCHS = 3;
/** Seconds per epoch when not given: the devnet's epoch length (`mithril-mesh devnet`). */
const DEFAULT_EPOCH_SECONDS = 20;
/** The signed entity types whose payloads need no Cardano node (spec §3), as the node config's default. */
const DEFAULT_ENTITY_TYPES: readonly SignedEntityTypeName[] = [
  'MithrilStakeDistribution',
  'CardanoStakeDistribution',
];
/**
 * Heavy-tailed stakes when not given: a Pareto shape of 1.1, close to the measured concentration of
 * Cardano pool stake, between 1,000 ADA (1e9 lovelace, the devnet's stake unit) and 80 M ADA
 * (8e13 lovelace, above the largest mainnet pools).
 */
const DEFAULT_ALPHA = 1.1;
const DEFAULT_MIN_STAKE = 1_000_000_000n;
const DEFAULT_MAX_STAKE = 80_000_000_000_000n;
/** Uniform stake when not given: the same 1,000 ADA unit. */
const DEFAULT_UNIFORM_STAKE = DEFAULT_MIN_STAKE;
/**
 * Adversary fractions are decimal and their float sum can exceed 1 by a few ulps
 * (0.1 + 0.2 + 0.7 = 1.0000000000000002): sums within this of 1 count as 1.
 */
const FRACTION_SUM_TOLERANCE = 1e-9;

const TOP_LEVEL_KEYS = [
  'name',
  'seed',
  'nodes',
  'signers',
  'signersPerNode',
  'aggregators',
  'stakes',
  'protocol',
  'epochs',
  'epochSeconds',
  'entityTypes',
  'topology',
  'network',
  'churn',
  'adversaries',
  'adversarySelection',
  'processes',
  'registration',
  'baseline',
] as const;

type Input = Record<string, unknown>;
interface ResolvedChurn {
  churn: ChurnEvent[];
  lateJoiners: number[];
}

const NO_LATENCY: NetworkConditions['latencyMs'] = { median: 0, jitter: 0 };

const nonNegativeInteger = numberInRange('an integer ≥ 0', (n) => Number.isSafeInteger(n) && n >= 0);
const nonNegativeNumber = numberInRange('a number ≥ 0', (n) => Number.isFinite(n) && n >= 0);
const fraction = numberInRange('a fraction in [0, 1]', (n) => n >= 0 && n <= 1);
/** Same bounds as the node config: φ_f = 0 never wins the lottery and φ_f > 1 is meaningless. */
const phiF = numberInRange('a number in (0, 1]', (n) => n > 0 && n <= 1);
const lossProbability = numberInRange('a probability in [0, 1)', (n) => n >= 0 && n < 1);
const lovelaceNumber = numberInRange(
  'a positive whole number of lovelace',
  (n) => Number.isSafeInteger(n) && n > 0,
);

/** Lovelace as a bigint; integers beyond 2^53 arrive as bigint and are kept exact. */
const lovelace: FieldParser<bigint> = (raw, path, report) => {
  if (typeof raw === 'bigint' && raw > 0n) return raw;
  const n = lovelaceNumber(raw, path, report);
  return n === INVALID ? INVALID : BigInt(n);
};

/** A node index, below `nodes` when that is known. */
function nodeIndex(nodes: Parsed<number>): FieldParser<number> {
  if (nodes === INVALID) return nonNegativeInteger;
  return numberInRange(
    `a node index from 0 to ${nodes - 1} (nodes: ${nodes})`,
    (n) => Number.isSafeInteger(n) && n >= 0 && n < nodes,
  );
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** The mapping at `path` with its unknown keys reported, or undefined (reported) when it is not one. */
function mapping(raw: unknown, path: string, keys: readonly string[], report: Report): Input | undefined {
  if (!isPlainObject(raw)) {
    report(path || '(top level)', 'must be a mapping of keys to values');
    return undefined;
  }
  for (const key of Object.keys(raw)) {
    if (!keys.includes(key)) report(path ? `${path}.${key}` : key, unknownName('key', key, keys));
  }
  return raw;
}

/** `input[key]` parsed, `fallback()` when absent, or reported as required when there is no fallback. */
function field<T>(
  input: Input,
  key: string,
  path: string,
  parse: FieldParser<T>,
  report: Report,
  fallback?: () => Parsed<T>,
): Parsed<T> {
  const raw = Object.prototype.hasOwnProperty.call(input, key) ? input[key] : undefined;
  if (raw !== undefined && raw !== null) return parse(raw, path, report);
  if (fallback !== undefined) return fallback();
  report(path, 'is required');
  return INVALID;
}

/**
 * A mapping whose `tag` key picks the variant and with it the other allowed keys. A key of another
 * variant is reported as such; the variant's own fields are left to the caller.
 */
function tagged<T extends string>(
  raw: unknown,
  path: string,
  tag: string,
  variants: Readonly<Record<T, readonly string[]>>,
  report: Report,
): { kind: Parsed<T>; input: Input } | undefined {
  if (!isPlainObject(raw)) {
    report(path, 'must be a mapping of keys to values');
    return undefined;
  }
  const names = Object.keys(variants) as T[];
  const kind = field(raw, tag, `${path}.${tag}`, oneOf(names), report);
  const allKeys = [tag, ...new Set(names.flatMap((name) => variants[name]))];
  for (const key of Object.keys(raw)) {
    if (kind !== INVALID && key !== tag && !variants[kind].includes(key)) {
      const owners = names.filter((name) => variants[name].includes(key));
      report(
        `${path}.${key}`,
        owners.length > 0
          ? `applies only to ${tag} ${owners.join(' or ')}, not ${kind}`
          : unknownName('key', key, [tag, ...variants[kind]]),
      );
    } else if (kind === INVALID && !allKeys.includes(key)) {
      report(`${path}.${key}`, unknownName('key', key, allKeys));
    }
  }
  return { kind, input: raw };
}

function parseStakes(raw: unknown, signers: Parsed<number>, report: Report): Parsed<StakeDistribution> {
  const path = 'stakes';
  const variants = {
    uniform: ['stake'],
    'heavy-tailed': ['alpha', 'min', 'max'],
    explicit: ['values'],
  } as const;
  const parsed = tagged(raw, path, 'distribution', variants, report);
  if (parsed === undefined || parsed.kind === INVALID) return INVALID;
  const { input } = parsed;
  switch (parsed.kind) {
    case 'uniform': {
      const stake = field(input, 'stake', `${path}.stake`, lovelace, report, () => DEFAULT_UNIFORM_STAKE);
      return stake === INVALID ? INVALID : { distribution: 'uniform', stake };
    }
    case 'heavy-tailed': {
      const alpha = field(input, 'alpha', `${path}.alpha`, positiveNumber, report, () => DEFAULT_ALPHA);
      const min = field(input, 'min', `${path}.min`, lovelace, report, () => DEFAULT_MIN_STAKE);
      const max = field(input, 'max', `${path}.max`, lovelace, report, () => DEFAULT_MAX_STAKE);
      if (alpha === INVALID || min === INVALID || max === INVALID) return INVALID;
      if (min > max) {
        report(`${path}.min`, `must not exceed ${path}.max (${max})`);
        return INVALID;
      }
      return { distribution: 'heavy-tailed', alpha, min, max };
    }
    case 'explicit': {
      const values = field(input, 'values', `${path}.values`, listField(lovelace, { unique: false }), report);
      if (values === INVALID) return INVALID;
      if (signers !== INVALID && values.length !== signers) {
        report(`${path}.values`, `must hold one stake per signer: ${signers} values, got ${values.length}`);
        return INVALID;
      }
      return { distribution: 'explicit', values };
    }
  }
}

/** `signersPerNode` (counts per node, signers in blocks) or round-robin: signer j on node j mod N. */
function parseHosting(
  input: Input,
  nodes: Parsed<number>,
  signers: Parsed<number>,
  report: Report,
): Parsed<number[][]> {
  const path = 'signersPerNode';
  const counts = field(
    input,
    path,
    path,
    listField(nonNegativeInteger, { unique: false }),
    report,
    () => undefined,
  );
  if (counts === INVALID || nodes === INVALID || signers === INVALID) return INVALID;
  if (counts === undefined) {
    return range(nodes).map((i) => range(signers).filter((j) => j % nodes === i));
  }
  let valid = true;
  if (counts.length !== nodes) {
    report(path, `must give a count for each of the ${nodes} nodes, got ${counts.length}`);
    valid = false;
  }
  const total = counts.reduce((sum, c) => sum + c, 0);
  if (total !== signers) {
    report(path, `must add up to signers (${signers}), got ${total}`);
    valid = false;
  }
  if (!valid) return INVALID;
  let next = 0;
  return counts.map((count) => {
    const hosted = range(count).map((j) => next + j);
    next += count;
    return hosted;
  });
}

/** 'all', a count (the first nodes) or a list of node indexes; resolved to ascending indexes. */
function parseAggregators(raw: unknown, nodes: Parsed<number>, report: Report): Parsed<number[]> {
  const path = 'aggregators';
  if (raw === 'all') return nodes === INVALID ? INVALID : range(nodes);
  if (typeof raw === 'number') {
    const count =
      nodes === INVALID
        ? positiveInteger(raw, path, report)
        : numberInRange(
            `'all', a list of node indexes or a count from 1 to nodes (${nodes})`,
            (n) => Number.isSafeInteger(n) && n >= 1 && n <= nodes,
          )(raw, path, report);
    return count === INVALID || nodes === INVALID ? INVALID : range(count);
  }
  if (Array.isArray(raw)) {
    const indexes = listField(nodeIndex(nodes), { unique: true })(raw, path, report);
    if (indexes === INVALID) return INVALID;
    if (indexes.length === 0) {
      report(path, 'must name at least one node: without an aggregator no certificate is made');
      return INVALID;
    }
    return [...indexes].sort((a, b) => a - b);
  }
  report(path, `must be 'all', a number of nodes or a list of node indexes`);
  return INVALID;
}

function parseProtocol(raw: unknown, report: Report): Parsed<ProtocolParameters> {
  const path = 'protocol';
  const input = mapping(raw, path, ['k', 'm', 'phiF'], report);
  if (input === undefined) return INVALID;
  const k = field(input, 'k', `${path}.k`, positiveInteger, report);
  const m = field(input, 'm', `${path}.m`, positiveInteger, report);
  const phi = field(input, 'phiF', `${path}.phiF`, phiF, report);
  if (k !== INVALID && m !== INVALID && k > m) {
    report(
      `${path}.k`,
      `must not exceed protocol.m (${m}): a certificate needs k distinct lottery indexes out of m`,
    );
    return INVALID;
  }
  return k === INVALID || m === INVALID || phi === INVALID ? INVALID : { k, m, phiF: phi };
}

const entityTypeList = listField(oneOf(ACTIVE_SIGNED_ENTITY_TYPES), { unique: true });
/** As the node config: the reference always signs MithrilStakeDistribution (spec §3). */
const entityTypes: FieldParser<SignedEntityTypeName[]> = (raw, path, report) => {
  const types = entityTypeList(raw, path, report);
  if (types === INVALID || types.includes('MithrilStakeDistribution')) return types;
  report(path, 'must include MithrilStakeDistribution (always signed, as in the reference)');
  return INVALID;
};

function parseTopology(raw: unknown, nodes: Parsed<number>, report: Report): Parsed<Topology> {
  const path = 'topology';
  const variants = { 'bootstrap-only': [], random: ['degree'], ring: [] } as const;
  const parsed = tagged(raw, path, 'kind', variants, report);
  if (parsed === undefined || parsed.kind === INVALID) return INVALID;
  if (parsed.kind !== 'random') return { kind: parsed.kind };
  const degreeOf =
    nodes === INVALID
      ? positiveInteger
      : numberInRange(
          `an integer from 1 to nodes - 1 (${nodes - 1})`,
          (n) => Number.isSafeInteger(n) && n >= 1 && n < nodes,
        );
  const degree = field(parsed.input, 'degree', `${path}.degree`, degreeOf, report);
  return degree === INVALID ? INVALID : { kind: 'random', degree };
}

/** `latencyMs` is a mapping `{ median, jitter? }` or a number, the median with no jitter. */
function parseNetwork(raw: unknown, report: Report): Parsed<NetworkConditions> {
  const path = 'network';
  const input = mapping(raw, path, ['latencyMs', 'loss'], report);
  if (input === undefined) return INVALID;
  const loss = field(input, 'loss', `${path}.loss`, lossProbability, report, () => 0);
  const latencyPath = `${path}.latencyMs`;
  const rawLatency = input['latencyMs'];
  let latencyMs: Parsed<NetworkConditions['latencyMs']> = NO_LATENCY;
  if (typeof rawLatency === 'number') {
    const median = nonNegativeNumber(rawLatency, latencyPath, report);
    latencyMs = median === INVALID ? INVALID : { median, jitter: 0 };
  } else if (rawLatency !== undefined) {
    const latency = mapping(rawLatency, latencyPath, ['median', 'jitter'], report);
    if (latency === undefined) {
      latencyMs = INVALID;
    } else {
      const median = field(latency, 'median', `${latencyPath}.median`, nonNegativeNumber, report);
      const jitter = field(latency, 'jitter', `${latencyPath}.jitter`, nonNegativeNumber, report, () => 0);
      latencyMs = median === INVALID || jitter === INVALID ? INVALID : { median, jitter };
    }
  }
  return loss === INVALID || latencyMs === INVALID ? INVALID : { latencyMs, loss };
}

/**
 * Events one by one, then their order and each node's state through them: a node runs from the
 * start unless its first event is a join; it may only leave while running and join while stopped.
 */
function parseChurn(
  raw: unknown,
  nodes: Parsed<number>,
  epochs: Parsed<number>,
  report: Report,
): Parsed<ResolvedChurn> {
  const path = 'churn';
  if (!Array.isArray(raw)) {
    report(path, 'must be a list of events { atEpoch, leave?, join? }');
    return INVALID;
  }
  const atEpochOf =
    epochs === INVALID
      ? nonNegativeNumber
      : numberInRange(
          `a number from 0 to below epochs (${epochs}): later events never happen`,
          (n) => Number.isFinite(n) && n >= 0 && n < epochs,
        );
  const indexes = listField(nodeIndex(nodes), { unique: true });
  const events: Parsed<ChurnEvent>[] = raw.map((item: unknown, i) => {
    const at = `${path}[${i}]`;
    const input = mapping(item, at, ['atEpoch', 'leave', 'join'], report);
    if (input === undefined) return INVALID;
    const atEpoch = field(input, 'atEpoch', `${at}.atEpoch`, atEpochOf, report);
    const leave = field(input, 'leave', `${at}.leave`, indexes, report, () => []);
    const join = field(input, 'join', `${at}.join`, indexes, report, () => []);
    if (atEpoch === INVALID || leave === INVALID || join === INVALID) return INVALID;
    if (leave.length === 0 && join.length === 0) {
      report(at, 'must leave or join at least one node');
      return INVALID;
    }
    const both = join.findIndex((node) => leave.includes(node));
    if (both >= 0) {
      report(`${at}.join[${both}]`, `node ${join[both]} also leaves in this event: split it into two events`);
      return INVALID;
    }
    return { atEpoch, leave, join };
  });
  const valid = events.filter((e): e is ChurnEvent => e !== INVALID);
  if (valid.length !== events.length || nodes === INVALID) return INVALID;

  let consistent = true;
  const problem = (at: string, message: string): void => {
    report(at, message);
    consistent = false;
  };
  /** Per node: running or not, and the event that last changed it. */
  const state = new Map<number, { running: boolean; at: number }>();
  const lateJoiners: number[] = [];
  valid.forEach((event, i) => {
    const previous = valid[i - 1];
    if (previous !== undefined && event.atEpoch < previous.atEpoch) {
      problem(
        `${path}[${i}].atEpoch`,
        `must not be before ${path}[${i - 1}].atEpoch (${previous.atEpoch}): list events in time order`,
      );
    }
    event.leave.forEach((node, j) => {
      const s = state.get(node);
      if (s !== undefined && !s.running) {
        problem(
          `${path}[${i}].leave[${j}]`,
          `node ${node} already left at ${path}[${s.at}] and has not joined since`,
        );
      }
      state.set(node, { running: false, at: i });
    });
    event.join.forEach((node, j) => {
      const s = state.get(node);
      if (s === undefined) lateJoiners.push(node);
      else if (s.running) {
        problem(
          `${path}[${i}].join[${j}]`,
          `node ${node} already joined at ${path}[${s.at}] and has not left since`,
        );
      }
      state.set(node, { running: true, at: i });
    });
  });
  if (lateJoiners.length === nodes) {
    problem(path, 'every node joins late: at least one must run from the start');
  }
  return consistent ? { churn: valid, lateJoiners: lateJoiners.sort((a, b) => a - b) } : INVALID;
}

/** Fractions of the nodes, rounded to whole nodes; each given fraction must amount to one node at least. */
function parseAdversaries(raw: unknown, nodes: Parsed<number>, report: Report): Parsed<AdversaryCounts> {
  const path = 'adversaries';
  const input = mapping(raw, path, ADVERSARY_KINDS, report);
  if (input === undefined) return INVALID;
  const fractions = ADVERSARY_KINDS.map((kind) =>
    field(input, kind, `${path}.${kind}`, fraction, report, () => 0),
  );
  if (fractions.some((f) => f === INVALID)) return INVALID;
  const given = fractions as number[];
  const sum = given.reduce((a, b) => a + b, 0);
  if (sum > 1 + FRACTION_SUM_TOLERANCE) {
    report(path, `fractions must add up to at most 1, got ${sum}`);
    return INVALID;
  }
  if (nodes === INVALID) return INVALID;
  let valid = true;
  const counts = ADVERSARY_KINDS.map((kind, i) => {
    const count = Math.round(given[i]! * nodes);
    if (given[i]! > 0 && count === 0) {
      report(
        `${path}.${kind}`,
        `is ${given[i]} of ${nodes} nodes, less than half a node: no node would be adversarial`,
      );
      valid = false;
    }
    return [kind, count] as const;
  });
  const total = counts.reduce((a, [, count]) => a + count, 0);
  if (total > nodes) {
    report(path, `fractions round to ${total} adversarial nodes, more than nodes (${nodes})`);
    valid = false;
  }
  return valid ? (Object.fromEntries(counts) as Record<AdversaryKind, number>) : INVALID;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** Validates parsed input; throws `ScenarioError` INVALID_SCENARIO listing every problem. */
function validateScenario(raw: unknown, source: string): Scenario {
  const problems: ScenarioProblem[] = [];
  const report: Report = (path, message) => problems.push({ path, message });
  const input = mapping(raw ?? {}, '', TOP_LEVEL_KEYS, report);
  if (input === undefined) throw new ScenarioError('INVALID_SCENARIO', source, problems);

  const name = field(input, 'name', 'name', stringField(), report);
  const seed = field(input, 'seed', 'seed', nonNegativeInteger, report, () => DEFAULT_SEED);
  const nodes = field(input, 'nodes', 'nodes', positiveInteger, report);
  const signers = field(input, 'signers', 'signers', positiveInteger, report);
  const nodeSigners = parseHosting(input, nodes, signers, report);
  const aggregators = field(
    input,
    'aggregators',
    'aggregators',
    (r, _p, rep) => parseAggregators(r, nodes, rep),
    report,
    () => parseAggregators('all', nodes, report),
  );
  const stakes = field(input, 'stakes', 'stakes', (r, _p, rep) => parseStakes(r, signers, rep), report);
  const protocol = field(input, 'protocol', 'protocol', (r, _p, rep) => parseProtocol(r, rep), report);
  const epochs = field(input, 'epochs', 'epochs', positiveInteger, report, () => DEFAULT_EPOCHS);
  const epochSeconds = field(
    input,
    'epochSeconds',
    'epochSeconds',
    positiveNumber,
    report,
    () => DEFAULT_EPOCH_SECONDS,
  );
  const types = field(input, 'entityTypes', 'entityTypes', entityTypes, report, () => [
    ...DEFAULT_ENTITY_TYPES,
  ]);
  const topology = field(
    input,
    'topology',
    'topology',
    (r, _p, rep) => parseTopology(r, nodes, rep),
    report,
    () => ({
      kind: 'bootstrap-only' as const,
    }),
  );
  const network = field(
    input,
    'network',
    'network',
    (r, _p, rep) => parseNetwork(r, rep),
    report,
    () => ({
      latencyMs: NO_LATENCY,
      loss: 0,
    }),
  );
  const churn = field(
    input,
    'churn',
    'churn',
    (r, _p, rep) => parseChurn(r, nodes, epochs, rep),
    report,
    () => ({
      churn: [],
      lateJoiners: [],
    }),
  );
  const adversaries = field(
    input,
    'adversaries',
    'adversaries',
    (r, _p, rep) => parseAdversaries(r, nodes, rep),
    report,
    () => parseAdversaries({}, nodes, report),
  );
  const adversarySelection = field(
    input,
    'adversarySelection',
    'adversarySelection',
    oneOf(ADVERSARY_SELECTIONS),
    report,
    () => 'random' as const,
  );
  const processes = field(
    input,
    'processes',
    'processes',
    oneOf(PROCESS_MODES),
    report,
    () => 'single' as const,
  );
  const registration = field(
    input,
    'registration',
    'registration',
    oneOf(REGISTRATION_MODES),
    report,
    () => 'gossip' as const,
  );
  const baseline = field(input, 'baseline', 'baseline', oneOf(BASELINES), report, () => 'none' as const);
  if (registration === 'preloaded' && churn !== INVALID && churn.lateJoiners.length > 0) {
    report(
      'registration',
      `preloaded signer sets are made before the run: late joiners (${churn.lateJoiners.join(', ')}) would miss them`,
    );
  }

  if (problems.length > 0) throw new ScenarioError('INVALID_SCENARIO', source, problems);
  // No problem was reported, so no value is INVALID (each parser reports before returning it).
  const { churn: events, lateJoiners } = churn as ResolvedChurn;
  const resolved = {
    name,
    seed,
    nodes,
    signers,
    nodeSigners,
    aggregators,
    stakes,
    protocol,
    epochs,
    epochSeconds,
    entityTypes: types,
    topology,
    network,
    churn: events,
    lateJoiners,
    adversaries,
    adversarySelection,
    processes,
    registration,
    baseline,
  };
  return deepFreeze(resolved as Scenario);
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Integers arrive as bigint (JSON always, YAML by option); safe ones become numbers. */
function toPlainNumbers(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value;
  if (Array.isArray(value)) return value.map(toPlainNumbers);
  if (isPlainObject(value)) {
    const out: Input = {};
    for (const [key, child] of Object.entries(value)) {
      // An own property, so a `__proto__` key stays a (rejected) key instead of a prototype.
      Object.defineProperty(out, key, {
        value: toPlainNumbers(child),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
}

function parseText(text: string, source: string): unknown {
  const ext = extname(source).toLowerCase();
  const json = ext === '.json' || (ext !== '.yaml' && ext !== '.yml' && text.trimStart().startsWith('{'));
  if (json) {
    try {
      return toPlainNumbers(parseJson(text));
    } catch (e) {
      throw new ScenarioError(
        'SCENARIO_SYNTAX',
        source,
        [{ path: source, message: `invalid JSON: ${errorMessage(e)}` }],
        {
          cause: e,
        },
      );
    }
  }
  // YAML 1.2 core schema; integers as bigint so that large lovelace amounts stay exact, as in JSON.
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true, intAsBigInt: true });
  if (doc.errors.length > 0) {
    throw new ScenarioError(
      'SCENARIO_SYNTAX',
      source,
      doc.errors.map((e) => ({ path: source, message: `invalid YAML: ${e.message}` })),
    );
  }
  return toPlainNumbers(doc.toJS());
}

/**
 * A scenario from the text of `source`: JSON (`.json`) or YAML (`.yaml`, `.yml`); other names are
 * sniffed (`{` starts JSON). Throws `ScenarioError` SCENARIO_SYNTAX or INVALID_SCENARIO.
 */
export function parseScenario(text: string, source: string): Scenario {
  return validateScenario(parseText(text, source), source);
}

/** Throws `ScenarioError` SCENARIO_UNREADABLE, SCENARIO_SYNTAX or INVALID_SCENARIO. */
export async function loadScenario(path: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ScenarioError(
      'SCENARIO_UNREADABLE',
      path,
      [{ path, message: `cannot read: ${errorMessage(e)}` }],
      {
        cause: e,
      },
    );
  }
  return parseScenario(text, path);
}

export { describeScenario } from './scenario-describe.ts';
