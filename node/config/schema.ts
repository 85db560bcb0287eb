/**
 * The node configuration schema: one tree of fields with their parsers and defaults, from which
 * validation, the environment variable names and path resolution are all derived. Validation
 * walks the tree once and collects every problem.
 */
import { isValidNetworkName } from '../gossip/topics.ts';
import type { SignedEntityTypeName } from '../../protocol/message/signed-entity-type.ts';
import { ACTIVE_SIGNED_ENTITY_TYPES } from '../../protocol/message/signed-entity-type.ts';
import type { ConfigProblem } from './errors.ts';
import { ConfigError } from './errors.ts';
import type { FieldParser, Report } from './fields.ts';
import {
  INVALID,
  booleanField,
  genesisTimeField,
  listField,
  multiaddrField,
  numberInRange,
  oneOf,
  openFraction,
  positiveInteger,
  positiveNumber,
  stringField,
} from './fields.ts';
import { unknownName } from './suggest.ts';
import type { NodeConfig } from './types.ts';
import { LOG_LEVELS } from './types.ts';

/** How an environment variable's text becomes a raw value. */
export type EnvKind = 'string' | 'number' | 'boolean' | 'list' | 'time';

export class Field {
  constructor(
    readonly parse: FieldParser<unknown>,
    readonly env: EnvKind,
    readonly options: {
      /** Absent and not optional: the field is required. */
      default?: () => unknown;
      optional?: boolean;
      /** Relative paths are resolved against the config file's directory (or the cwd). */
      isPath?: boolean;
      /** Name in `NodeConfig` when it differs from the input name. */
      output?: string;
    } = {},
  ) {}
}

export interface Section {
  readonly [key: string]: Field | Section;
}

/** The listen address when none is given: loopback, any free port. */
const DEFAULT_LISTEN = ['/ip4/127.0.0.1/tcp/0'];
/** The signed entity types whose payloads need no Cardano node (spec §3). */
const DEFAULT_SIGNED_ENTITY_TYPES: SignedEntityTypeName[] = [
  'MithrilStakeDistribution',
  'CardanoStakeDistribution',
];
/** Shelley mainnet genesis: 1 s slots, 129,600 slots per KES period (36 h). */
const DEFAULT_SLOT_LENGTH_MS = 1000;
const DEFAULT_SLOTS_PER_KES_PERIOD = 129_600;
/** At least gossipsub's mesh degree (D = 6) plus spares; the cap leaves room for inbound peers. */
const DEFAULT_TARGET_PEERS = 8;
const DEFAULT_MAX_PEERS = 32;
/**
 * The first registration (made during epoch 0) is recorded at epoch 1: the earliest set a
 * genesis certificate can carry.
 */
const DEFAULT_GENESIS_EPOCH = 1;
/** Registrations close 60 % into the epoch, leaving the rest for late ones to spread (design §Epochs). */
const DEFAULT_CLOSE_FRACTION = 0.6;
/**
 * Gossip ids are content hashes and gossipsub remembers them for 2 minutes (node/mesh-node.ts):
 * a re-announcement only goes out once that has passed. Within shorter spans (devnet epochs),
 * the registrations pull is what catches a node up.
 */
const DEFAULT_REANNOUNCE_SECONDS = 180;
const MS_PER_SECOND = 1000;

const pathField = stringField();
const constant = (value: unknown) => () => structuredClone(value);

/**
 * Stricter than the STM's own check (`checkParameters`: non-negative m, k and a numeric φ_f): a
 * running network needs m, k ≥ 1, k ≤ m (checked across fields) and φ_f in (0, 1] (φ_f = 0 never
 * wins the lottery; φ_f > 1 is meaningless).
 */
const phiF = numberInRange('a number in (0, 1]', (n) => n > 0 && n <= 1);

const entityTypeList = listField(oneOf(ACTIVE_SIGNED_ENTITY_TYPES), { unique: true });
/** The reference always signs MithrilStakeDistribution (`DEFAULT_ALLOWED_DISCRIMINANTS`, spec §3). */
const signedEntityTypes: FieldParser<SignedEntityTypeName[]> = (raw, path, report) => {
  const types = entityTypeList(raw, path, report);
  if (types === INVALID || types.includes('MithrilStakeDistribution')) return types;
  report(path, 'must include MithrilStakeDistribution (always signed, as in the reference)');
  return INVALID;
};

export const SCHEMA: Section = {
  network: new Field(
    stringField((name) =>
      isValidNetworkName(name)
        ? undefined
        : `must be 1 to 32 lowercase letters, digits or '-', starting with a letter or digit, got ${JSON.stringify(name)}`,
    ),
    'string',
  ),
  dataDir: new Field(pathField, 'string', { isPath: true }),
  listen: new Field(listField(multiaddrField({ peerId: false }), { unique: true }), 'list', {
    default: constant(DEFAULT_LISTEN),
  }),
  bootstrap: new Field(listField(multiaddrField({ peerId: true }), { unique: true }), 'list', {
    default: constant([]),
  }),
  identities: new Field(listField(pathField, { unique: true }), 'list', {
    isPath: true,
    default: constant([]),
  }),
  aggregator: new Field(booleanField, 'boolean', { default: constant(true) }),
  chain: {
    genesisTime: new Field(genesisTimeField, 'time', { output: 'genesisTimeMs' }),
    epochLengthSeconds: new Field(positiveNumber, 'number'),
    slotLengthMs: new Field(positiveInteger, 'number', { default: constant(DEFAULT_SLOT_LENGTH_MS) }),
    slotsPerKesPeriod: new Field(positiveInteger, 'number', {
      default: constant(DEFAULT_SLOTS_PER_KES_PERIOD),
    }),
    stakeDistributionFile: new Field(pathField, 'string', { isPath: true }),
  },
  protocol: {
    k: new Field(positiveInteger, 'number'),
    m: new Field(positiveInteger, 'number'),
    phiF: new Field(phiF, 'number'),
  },
  signedEntityTypes: new Field(signedEntityTypes, 'list', { default: constant(DEFAULT_SIGNED_ENTITY_TYPES) }),
  p2p: {
    targetPeers: new Field(positiveInteger, 'number', { default: constant(DEFAULT_TARGET_PEERS) }),
    maxPeers: new Field(positiveInteger, 'number', { default: constant(DEFAULT_MAX_PEERS) }),
    loopback: new Field(booleanField, 'boolean', { default: constant(false) }),
    announce: new Field(listField(multiaddrField({ peerId: false }), { unique: true }), 'list', {
      optional: true,
    }),
    relaySignatures: new Field(booleanField, 'boolean', { default: constant(true) }),
  },
  registration: {
    closeFraction: new Field(openFraction, 'number', { default: constant(DEFAULT_CLOSE_FRACTION) }),
    reannounceSeconds: new Field(positiveNumber, 'number', { default: constant(DEFAULT_REANNOUNCE_SECONDS) }),
  },
  log: {
    level: new Field(oneOf(LOG_LEVELS), 'string', { default: constant('info') }),
  },
  genesis: {
    /** The network's Ed25519 genesis verification key as 64 hex digits, or … */
    verificationKey: new Field(
      stringField((text) =>
        /^[0-9a-fA-F]{64}$/.test(text) ? undefined : 'must be 64 hex digits (32 bytes)',
      ),
      'string',
      { optional: true },
    ),
    /** … a genesis.vkey file (legacy JSON-hex or bundle form). */
    verificationKeyFile: new Field(pathField, 'string', { isPath: true, optional: true }),
    /** Epoch G of the genesis certificate: its AVK is the set recorded at G; certificates start in G+1. */
    epoch: new Field(positiveInteger, 'number', { default: constant(DEFAULT_GENESIS_EPOCH) }),
    /** Devnet only: the genesis secret key, held by the node that creates the genesis certificate. */
    signingKeyFile: new Field(pathField, 'string', { isPath: true, optional: true }),
  },
};

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Every field with its input path, depth first in schema order. */
export function schemaFields(section: Section = SCHEMA, prefix: string[] = []): [string[], Field][] {
  return Object.entries(section).flatMap(([key, node]) =>
    node instanceof Field
      ? [[[...prefix, key], node] as [string[], Field]]
      : schemaFields(node, [...prefix, key]),
  );
}

function walk(section: Section, raw: unknown, at: string, report: Report): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const input = raw ?? {};
  if (!isPlainObject(input)) {
    report(at || '(top level)', 'must be a mapping of keys to values');
    return out;
  }
  for (const key of Object.keys(input)) {
    if (!Object.prototype.hasOwnProperty.call(section, key)) {
      report(at ? `${at}.${key}` : key, unknownName('key', key, Object.keys(section)));
    }
  }
  for (const [key, node] of Object.entries(section)) {
    const path = at ? `${at}.${key}` : key;
    const value = input[key];
    if (node instanceof Field) {
      const name = node.options.output ?? key;
      if (value !== undefined) {
        out[name] = node.parse(value, path, report);
      } else if (node.options.default !== undefined) {
        out[name] = node.options.default();
      } else if (!node.options.optional) {
        report(path, 'is required');
        out[name] = INVALID;
      }
    } else {
      out[key] = walk(node, value, path, report);
    }
  }
  return out;
}

/** Checks between fields, run only on fields that are valid on their own. */
function crossCheck(config: Record<string, Record<string, unknown>>, report: Report): void {
  const { chain, protocol, p2p, genesis } = config;
  if ((config['aggregator'] as unknown) === true && p2p!['relaySignatures'] === false) {
    report('p2p.relaySignatures', 'an aggregator needs the signatures: it must relay them (true)');
  }
  if (genesis!['verificationKey'] !== undefined && genesis!['verificationKeyFile'] !== undefined) {
    report(
      'genesis.verificationKey',
      'give either genesis.verificationKey or genesis.verificationKeyFile, not both',
    );
  }
  if (
    genesis!['signingKeyFile'] !== undefined &&
    genesis!['verificationKey'] === undefined &&
    genesis!['verificationKeyFile'] === undefined
  ) {
    report('genesis.signingKeyFile', 'needs the genesis verification key too');
  }
  const valid = (...values: unknown[]): boolean => values.every((v) => v !== INVALID && v !== undefined);
  if (
    valid(p2p!['targetPeers'], p2p!['maxPeers']) &&
    (p2p!['maxPeers'] as number) < (p2p!['targetPeers'] as number)
  ) {
    report('p2p.maxPeers', `must be at least p2p.targetPeers (${p2p!['targetPeers'] as number})`);
  }
  const { k, m } = protocol as { k: unknown; m: unknown };
  if (valid(k, m) && (k as number) > (m as number)) {
    report(
      'protocol.k',
      `must not exceed protocol.m (${m as number}): a certificate needs k distinct lottery indexes out of m`,
    );
  }
  const { epochLengthSeconds, slotLengthMs } = chain as {
    epochLengthSeconds: unknown;
    slotLengthMs: unknown;
  };
  if (valid(epochLengthSeconds, slotLengthMs)) {
    const epochLengthMs = (epochLengthSeconds as number) * MS_PER_SECOND;
    if (!Number.isSafeInteger(epochLengthMs) || epochLengthMs % (slotLengthMs as number) !== 0) {
      report(
        'chain.epochLengthSeconds',
        `must be a whole number of slots of chain.slotLengthMs (${slotLengthMs as number} ms)`,
      );
    }
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * Validates merged input (see `NodeConfigInput`) into a frozen `NodeConfig`. Paths are kept as
 * given (`loadNodeConfig` resolves them first). `sourceOf` names where the value at a path came
 * from, for the messages. Throws `ConfigError` INVALID_CONFIG
 * listing every problem.
 */
export function validateNodeConfig(
  input: unknown,
  sourceOf: (path: string) => string | undefined = () => undefined,
): NodeConfig {
  const problems: ConfigProblem[] = [];
  const report: Report = (path, message) => {
    const source = sourceOf(path);
    problems.push(source === undefined ? { path, message } : { path, message, source });
  };
  const config = walk(SCHEMA, input, '', report);
  // `walk` builds every section of a mapping, which is all the cross-checks read.
  if (isPlainObject(input)) crossCheck(config as Record<string, Record<string, unknown>>, report);
  if (problems.length > 0) throw new ConfigError('INVALID_CONFIG', problems);
  return deepFreeze(config as unknown as NodeConfig);
}
