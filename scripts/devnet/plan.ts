/**
 * A local devnet on disk: one directory per node (keys, config, data) and a manifest. Re-running
 * with the same directory resumes the same network (same keys, genesis time and parameters).
 *
 *   <dir>/devnet.json                 manifest
 *   <dir>/stake-distribution.json     pool id -> stake, shared by every node
 *   <dir>/genesis.vkey                the genesis verification key (legacy JSON-hex form)
 *   <dir>/node-1/genesis.skey         the genesis signing key: node 1 creates the genesis (0600)
 *   <dir>/node-<i>/keys/              cold key, KES key, opcert (keygen layout)
 *   <dir>/node-<i>/config.json        the node's configuration
 *   <dir>/node-<i>/data/              LevelDB and the PeerId key
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ProtocolParameters } from '../../protocol/message/protocol-parameters.ts';
import { genesisSecretKeyToHex } from '../../node/aggregation/genesis.ts';
import { ed25519KeyPairFromSeed } from '../../protocol/cardano/ed25519.ts';
import { genesisVerificationKeyToLegacyHex } from '../../protocol/cardano/genesis-key.ts';
import { systemRandom } from '../../protocol/crypto/random.ts';
import { CliUsageError } from '../commands/command.ts';
import { generateOperatorKeys } from '../commands/keygen.ts';

export const DEVNET_NETWORK = 'devnet';
/** The manifest format; a newer one is refused rather than misread. */
const MANIFEST_VERSION = 1;
/**
 * Small parameters with a quorum that needs several signers: with 5 equal-ish pools each wins
 * about 27 of the 100 indexes (1 - 0.2^0.2), so k = 40 needs 2 to 3 of them and still holds
 * when 2 of 5 nodes are down.
 */
export const DEVNET_PARAMETERS: ProtocolParameters = { k: 40, m: 100, phiF: 0.8 };
/** 100 ms slots: an epoch of 20 s has 200 slots. */
const SLOT_LENGTH_MS = 100;
/** A KES period of 1,000 slots (100 s): 64 periods keep a devnet's keys valid for ~1.8 h. */
const SLOTS_PER_KES_PERIOD = 1000;
/**
 * Time for the node processes to start before epoch 0 begins: a node takes ~4 s to start on a
 * 2-core machine (TypeScript loading, WebAssembly, LevelDB, libp2p), and several start at once.
 */
const GENESIS_DELAY_MS = 15_000;
/** The first registration (made during epoch 0) is recorded at 1: the genesis carries that set. */
export const GENESIS_EPOCH = 1;
/** 1,000 ADA in lovelace: the unit of the devnet's stakes. */
const STAKE_UNIT = 1_000_000_000n;

export interface DevnetManifest {
  version: number;
  network: string;
  nodes: number;
  epochSeconds: number;
  genesisTimeMs: number;
  /** The epoch the devnet was in when it last stopped (absent before its first stop). */
  stoppedInEpoch?: number;
  parameters: ProtocolParameters;
  poolIds: string[];
}

export interface DevnetPlan {
  dir: string;
  manifest: DevnetManifest;
  nodeDir(index: number): string;
  configFile(index: number): string;
  dataDir(index: number): string;
  resumed: boolean;
}

function layout(dir: string, manifest: DevnetManifest, resumed: boolean): DevnetPlan {
  const nodeDir = (i: number): string => join(dir, `node-${i}`);
  return {
    dir,
    manifest,
    nodeDir,
    configFile: (i) => join(nodeDir(i), 'config.json'),
    dataDir: (i) => join(nodeDir(i), 'data'),
    resumed,
  };
}

/** Unequal, deterministic stakes: 10 to 20 units, different for neighbouring pools. */
function stakeOf(index: number): bigint {
  return STAKE_UNIT * BigInt(10 + ((index * 7) % 11));
}

function nodeConfig(plan: DevnetPlan, index: number, bootstrap: string[]): Record<string, unknown> {
  const m = plan.manifest;
  return {
    network: m.network,
    dataDir: './data',
    listen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap,
    identities: ['./keys'],
    aggregator: true,
    chain: {
      genesisTime: m.genesisTimeMs,
      epochLengthSeconds: m.epochSeconds,
      slotLengthMs: SLOT_LENGTH_MS,
      slotsPerKesPeriod: SLOTS_PER_KES_PERIOD,
      stakeDistributionFile: '../stake-distribution.json',
    },
    protocol: m.parameters,
    p2p: { loopback: true },
    genesis: {
      verificationKeyFile: '../genesis.vkey',
      epoch: GENESIS_EPOCH,
      ...(index === 1 ? { signingKeyFile: './genesis.skey' } : {}),
    },
  };
}

/** Creates the devnet in `dir`, or loads it when `dir` already holds one. */
export function createOrLoadDevnet(options: {
  dir: string;
  nodes: number;
  epochSeconds: number;
  now: number;
}): DevnetPlan {
  const dir = resolve(options.dir);
  const manifestFile = join(dir, 'devnet.json');
  if (existsSync(manifestFile)) {
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as DevnetManifest;
    if (manifest.version !== MANIFEST_VERSION) {
      throw new CliUsageError(
        `${manifestFile} has format ${manifest.version}; this version reads ${MANIFEST_VERSION}`,
      );
    }
    if (manifest.nodes !== options.nodes) {
      throw new CliUsageError(
        `${dir} holds a devnet of ${manifest.nodes} nodes; use --nodes ${manifest.nodes} or another --data-dir`,
      );
    }
    if (manifest.stoppedInEpoch !== undefined) {
      // The devnet's clock paused while it was stopped: shift its genesis so that it starts again
      // at the beginning of the epoch it stopped in, before that epoch's registration closes. The
      // chain then goes on without an epoch gap (a gap of more than one epoch ends a certificate chain).
      manifest.genesisTimeMs =
        options.now + GENESIS_DELAY_MS - manifest.stoppedInEpoch * manifest.epochSeconds * 1000;
      writeFileSync(manifestFile, JSON.stringify(manifest, null, 2) + '\n');
    }
    return layout(dir, manifest, true);
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const manifest: DevnetManifest = {
    version: MANIFEST_VERSION,
    network: DEVNET_NETWORK,
    nodes: options.nodes,
    epochSeconds: options.epochSeconds,
    genesisTimeMs: options.now + GENESIS_DELAY_MS,
    parameters: DEVNET_PARAMETERS,
    poolIds: [],
  };
  const plan = layout(dir, manifest, false);
  for (let i = 1; i <= options.nodes; i++) {
    mkdirSync(plan.nodeDir(i), { recursive: true, mode: 0o700 });
    manifest.poolIds.push(generateOperatorKeys(join(plan.nodeDir(i), 'keys')).poolId);
  }
  // The devnet's genesis key: node 1 signs the genesis certificate; a real network keeps this key offline.
  const genesisKeys = ed25519KeyPairFromSeed(systemRandom(32));
  writeFileSync(join(plan.nodeDir(1), 'genesis.skey'), genesisSecretKeyToHex(genesisKeys.secretKey), {
    mode: 0o600,
  });
  writeFileSync(join(dir, 'genesis.vkey'), genesisVerificationKeyToLegacyHex(genesisKeys.publicKey));
  genesisKeys.secretKey.fill(0);
  const stakes = Object.fromEntries(manifest.poolIds.map((id, i) => [id, stakeOf(i).toString()]));
  writeFileSync(join(dir, 'stake-distribution.json'), JSON.stringify(stakes, null, 2) + '\n');
  writeFileSync(manifestFile, JSON.stringify(manifest, null, 2) + '\n');
  return plan;
}

/** Remembers the epoch the devnet stops in, so that a resumed run continues from it. */
export function recordStop(plan: DevnetPlan, epoch: number): void {
  plan.manifest.stoppedInEpoch = epoch;
  writeFileSync(join(plan.dir, 'devnet.json'), JSON.stringify(plan.manifest, null, 2) + '\n');
}

/** Writes node `index`'s configuration with its bootstrap list (node 1's address for the others). */
export function writeNodeConfig(plan: DevnetPlan, index: number, bootstrap: string[]): string {
  const file = plan.configFile(index);
  writeFileSync(file, JSON.stringify(nodeConfig(plan, index, bootstrap), null, 2) + '\n');
  return file;
}
