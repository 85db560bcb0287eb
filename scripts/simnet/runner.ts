/**
 * The simulation runner: a scenario (scripts/simnet/scenario.ts) run with real mesh nodes, all in
 * this process, on TCP loopback, measured from their events (measure.ts) into `RunMeasurements`.
 *
 * Every signer gets a simulated SPO identity derived from the scenario seed and its index; the
 * stake distribution file holds the scenario's stakes; node 0 holds the genesis signing key and
 * every node the verification key. Nodes start in index order and bootstrap by the topology:
 * bootstrap-only (node 0), random (`degree` earlier nodes drawn from the seed), ring (node i - 1).
 *
 * Adversarial nodes (adversary.ts) are picked by `adversarySelection` from the seed; the run waits
 * for certificates on the honest nodes only (an adversary is soon graylisted by its neighbours and
 * may miss certificates), and measures the REJECTs per sending peer
 * (`validation[].byPeer`) and, in `scores`, each adversary's mean gossipsub score over the honest
 * nodes at the end of the run (a node that never exchanged messages with it scores it 0).
 *
 * Not supported yet (a `SimulationError` UNSUPPORTED names the field): latency or loss, churn,
 * `processes: separate`, `baseline: star`. Bytes on the wire are not measured
 * in-process: they are reported as 0, with a note in `scenario.notes`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { genesisSecretKeyToHex } from '../../node/aggregation/genesis.ts';
import { writeStakeDistributionFile } from '../../node/chain/stake-distribution-file.ts';
import { validateNodeConfig } from '../../node/config/index.ts';
import type { NodeConfig } from '../../node/config/index.ts';
import type { SignerIdentity } from '../../node/identity/index.ts';
import { createSimulatedIdentity } from '../../node/identity/index.ts';
import { MeshNode } from '../../node/mesh-node.ts';
import { ed25519KeyPairFromSeed } from '../../protocol/cardano/ed25519.ts';
import { loadBlsBackend } from '../../protocol/crypto/bls/index.ts';
import { chaCha20Random } from '../../protocol/crypto/random.ts';
import { bytesToHex } from '../../protocol/encoding/bytes.ts';
import { ProtocolError } from '../../protocol/errors.ts';
import { selectAdversaries, startAdversary, unplacedAdversaries } from './adversary.ts';
import { Recorder, validationCounts } from './measure.ts';
import type { RunMeasurements } from './report/index.ts';
import type { AdversaryKind, Scenario } from './scenario.ts';

/**
 * Codes: UNSUPPORTED (a scenario field this runner does not simulate yet; the message names it),
 * NO_ADDRESS (a started node listens on no loopback address), ADVERSARY (an adversarial node
 * failed to misbehave, or more adversaries than nodes other than node 0).
 */
export class SimulationError extends ProtocolError {}

/** The devnet's network name for the simulated chain. */
const SIMNET_NETWORK = 'testnet';
/** The genesis certificate carries the set recorded at epoch 1 (registered during epoch 0); certified epochs follow. */
export const GENESIS_EPOCH = 1;
/** Time for the process to set up before node 0 starts (keys, stake file). */
const STARTUP_BASE_MS = 3000;
/** Time for one node to start (store, libp2p, registration service) on a loaded 2-core machine. */
const STARTUP_PER_NODE_MS = 1000;
/** 100 ms slots and 10 s KES periods (100 slots), as the node integration tests: KES evolves during a run. */
const SLOT_LENGTH_MS = 100;
const SLOTS_PER_KES_PERIOD = 100;
/** Epochs after genesis before giving up: the certified epochs, the registration and genesis epochs, one spare. */
const TIMEOUT_SPARE_EPOCHS = 3;
/** Agreement must hold for a fifth of an epoch (two certificate anti-entropy rounds) before stopping, as the devnet. */
const SETTLE_EPOCH_FRACTION = 5;
/** Process memory is sampled once a second for its peak. */
const RSS_SAMPLE_MS = 1000;
const MS_PER_SECOND = 1000;
const US_PER_SECOND = 1_000_000;
/** mulberry32 constants (Tommy Ettinger's 32-bit generator) and 2^32, to scale its output into [0, 1). */
const MULBERRY_INCREMENT = 0x6d2b79f5;
const MULBERRY_SHIFT_A = 15;
const MULBERRY_SHIFT_B = 7;
const MULBERRY_SHIFT_C = 14;
const MULBERRY_MULT_A = 61;
const UINT32_RANGE = 4294967296;

export const BYTES_NOTE =
  'bytesReceived and bytesSent are not measured by the in-process runner and are reported as 0';
export const PROCESS_SHARE_NOTE =
  'cpuSeconds and rssBytes are process-wide (process.cpuUsage, peak process.memoryUsage().rss) divided by the number of nodes';

/** A deterministic generator of numbers in [0, 1) (mulberry32): every random choice of a run comes from the seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + MULBERRY_INCREMENT) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> MULBERRY_SHIFT_A), t | 1);
    t ^= t + Math.imul(t ^ (t >>> MULBERRY_SHIFT_B), t | MULBERRY_MULT_A);
    return ((t ^ (t >>> MULBERRY_SHIFT_C)) >>> 0) / UINT32_RANGE;
  };
}

/** Throws `SimulationError` UNSUPPORTED naming every scenario field this runner cannot simulate yet. */
export function checkSupported(s: Scenario): void {
  const fields: string[] = [];
  if (s.network.latencyMs.median !== 0 || s.network.latencyMs.jitter !== 0) fields.push('network.latencyMs');
  if (s.network.loss !== 0) fields.push('network.loss');
  if (s.churn.length > 0) fields.push('churn');
  if (s.processes !== 'single') fields.push(`processes (${s.processes})`);
  if (s.baseline !== 'none') fields.push(`baseline (${s.baseline})`);
  if (fields.length > 0) {
    throw new SimulationError(
      'UNSUPPORTED',
      `scenario ${s.name}: not supported by the simulator yet: ${fields.join(', ')}`,
    );
  }
}

/**
 * Stake of each signer, lovelace. Heavy-tailed: Pareto by inversion, min · U^(-1/alpha) with U
 * uniform in (0, 1] from the seed, clamped to max.
 */
export function signerStakes(s: Scenario, random: () => number): bigint[] {
  const d = s.stakes;
  switch (d.distribution) {
    case 'uniform':
      return new Array<bigint>(s.signers).fill(d.stake);
    case 'explicit':
      return [...d.values];
    case 'heavy-tailed':
      return Array.from({ length: s.signers }, () => {
        const u = 1 - random();
        const stake = BigInt(Math.round(Number(d.min) * u ** (-1 / d.alpha)));
        return stake > d.max ? d.max : stake;
      });
  }
}

/** Bootstrap nodes of each node (indexes of earlier nodes, which start first). */
export function bootstrapPlan(s: Scenario, random: () => number): number[][] {
  return Array.from({ length: s.nodes }, (_, i) => {
    if (i === 0) return [];
    switch (s.topology.kind) {
      case 'bootstrap-only':
        return [0];
      case 'ring':
        return [i - 1];
      case 'random': {
        // A partial Fisher-Yates shuffle of the earlier nodes: the first `degree` are the peers.
        const earlier = Array.from({ length: i }, (_, j) => j);
        const count = Math.min(s.topology.degree, i);
        for (let j = 0; j < count; j++) {
          const pick = j + Math.floor(random() * (i - j));
          [earlier[j], earlier[pick]] = [earlier[pick]!, earlier[j]!];
        }
        return earlier.slice(0, count).sort((a, b) => a - b);
      }
    }
  });
}

/** 32 bytes derived from the scenario seed and a purpose, for keys. */
function derivedSeed(seed: number, purpose: string): Uint8Array {
  return sha256(new TextEncoder().encode(`mithril-mesh simnet ${seed} ${purpose}`));
}

export interface SimulationOptions {
  /** One line per beacon once every node holds the same certificate for it. */
  progress?: (line: string) => void;
}

/** One adversarial node as the run saw it. */
export interface AdversaryOutcome {
  index: number;
  kind: AdversaryKind;
  peerId: string;
  /** REJECTs the honest nodes attributed to it (their gossip adapters' `rejectedByPeer`), summed. */
  rejectedByHonest: number;
  /** Its gossipsub score seen by the honest nodes at the end of the run, averaged. */
  meanScore: number;
}

export interface SimulationResult {
  measurements: RunMeasurements;
  /** Every node held the same certificates for the last epoch's beacons before the timeout. */
  complete: boolean;
  /** Why the run stopped. */
  reason: string;
  /** The adversarial nodes, by index. */
  adversaries: AdversaryOutcome[];
}

/** Runs `scenario` (throws `SimulationError` UNSUPPORTED first if it cannot) and measures it. */
export async function runSimulation(
  scenario: Scenario,
  options: SimulationOptions = {},
): Promise<SimulationResult> {
  checkSupported(scenario);
  const say = options.progress ?? (() => undefined);
  const runStartMs = Date.now();
  const cpuStart = process.cpuUsage();
  const random = seededRandom(scenario.seed);
  const epochMs = scenario.epochSeconds * MS_PER_SECOND;
  const genesisTimeMs = runStartMs + STARTUP_BASE_MS + STARTUP_PER_NODE_MS * scenario.nodes;
  const firstEpoch = GENESIS_EPOCH + 1;
  const lastEpoch = GENESIS_EPOCH + scenario.epochs;
  const stamp = (): string => `[${((Date.now() - runStartMs) / MS_PER_SECOND).toFixed(1).padStart(6)}s]`;

  const root = mkdtempSync(join(tmpdir(), 'simnet-'));
  const nodes: MeshNode[] = [];
  let nodesStopped = false;
  const stopNodes = async (): Promise<void> => {
    if (nodesStopped) return;
    nodesStopped = true;
    await Promise.allSettled(nodes.map((n) => n.stop()));
  };
  let peakRss = process.memoryUsage().rss;
  const rssTimer = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, RSS_SAMPLE_MS);
  try {
    const identities: SignerIdentity[] = Array.from({ length: scenario.signers }, (_, j) =>
      createSimulatedIdentity(derivedSeed(scenario.seed, `signer ${j}`)),
    );
    const stakes = signerStakes(scenario, random);
    const stakeFile = join(root, 'stake-distribution.json');
    await writeStakeDistributionFile(stakeFile, new Map(identities.map((id, j) => [id.partyId, stakes[j]!])));
    const genesisKeys = ed25519KeyPairFromSeed(derivedSeed(scenario.seed, 'genesis'));
    const genesisSigningKeyFile = join(root, 'genesis.skey');
    writeFileSync(genesisSigningKeyFile, genesisSecretKeyToHex(genesisKeys.secretKey), { mode: 0o600 });
    const plan = bootstrapPlan(scenario, random);
    const adversaries = selectAdversaries(scenario, stakes, random);
    const unplaced = unplacedAdversaries(scenario, adversaries);
    if (unplaced > 0) {
      throw new SimulationError(
        'ADVERSARY',
        `scenario ${scenario.name}: ${unplaced} adversarial node(s) left over: node 0 (genesis) is never adversarial`,
      );
    }
    const honest = Array.from({ length: scenario.nodes }, (_, i) => i).filter((i) => !adversaries.has(i));
    const bls = await loadBlsBackend('mcl');
    const adversaryRandom = chaCha20Random(derivedSeed(scenario.seed, 'adversaries'));
    let adversaryError: unknown;
    const stopAdversaries: (() => void)[] = [];

    const recorder = new Recorder({
      nodes: scenario.nodes,
      firstEpoch,
      lastEpoch,
      k: scenario.protocol.k,
      signerIndex: new Map(identities.map((id, j) => [id.partyId, j])),
      epochStartMs: (epoch) => genesisTimeMs + epoch * epochMs,
      now: () => Date.now(),
      network: SIMNET_NETWORK,
      unawaited: new Set(adversaries.keys()),
    });

    const config = (index: number, bootstrap: string[]): NodeConfig =>
      validateNodeConfig({
        network: SIMNET_NETWORK,
        dataDir: join(root, `node-${index}`),
        listen: ['/ip4/127.0.0.1/tcp/0'],
        bootstrap,
        aggregator: scenario.aggregators.includes(index),
        signedEntityTypes: [...scenario.entityTypes],
        chain: {
          genesisTime: genesisTimeMs,
          epochLengthSeconds: scenario.epochSeconds,
          slotLengthMs: SLOT_LENGTH_MS,
          slotsPerKesPeriod: SLOTS_PER_KES_PERIOD,
          stakeDistributionFile: stakeFile,
        },
        protocol: { ...scenario.protocol },
        p2p: { loopback: true },
        genesis: {
          verificationKey: bytesToHex(genesisKeys.publicKey),
          epoch: GENESIS_EPOCH,
          ...(index === 0 ? { signingKeyFile: genesisSigningKeyFile } : {}),
        },
      });

    let finish: (outcome: { complete: boolean; reason: string }) => void = () => undefined;
    const finished = new Promise<{ complete: boolean; reason: string }>((resolve) => (finish = resolve));
    const announced = new Set<string>();
    let settleTimer: NodeJS.Timeout | undefined;
    const lastEpochHeld = (): boolean => {
      const labels = recorder.labelsOf(lastEpoch);
      const types = recorder.typesOf(lastEpoch);
      return (
        scenario.entityTypes.every((t) => types.has(t)) &&
        labels.every((label) => recorder.heldEverywhere(label) !== undefined)
      );
    };
    const onStored = (): void => {
      for (let epoch = firstEpoch; epoch <= lastEpoch; epoch++) {
        for (const label of recorder.labelsOf(epoch)) {
          if (announced.has(label) || recorder.heldEverywhere(label) === undefined) continue;
          announced.add(label);
          const times = recorder.certificateTimes(label).filter((t): t is number => t !== null);
          say(
            `${stamp()} ${label} certified on all ${honest.length} ` +
              (adversaries.size > 0 ? 'honest nodes ' : 'nodes ') +
              `(${Math.min(...times)}–${Math.max(...times)} ms after the epoch opened)`,
          );
        }
      }
      // A candidate still in flight may displace a certificate: agreement must last a while.
      clearTimeout(settleTimer);
      if (lastEpochHeld()) {
        settleTimer = setTimeout(() => {
          if (lastEpochHeld()) {
            finish({
              complete: true,
              reason: `every ${adversaries.size > 0 ? 'honest ' : ''}node holds the same certificates of epoch ${lastEpoch}`,
            });
          }
        }, epochMs / SETTLE_EPOCH_FRACTION);
      }
    };

    const addresses: string[] = [];
    for (let i = 0; i < scenario.nodes; i++) {
      const node = await MeshNode.create({
        config: config(
          i,
          plan[i]!.map((j) => addresses[j]!),
        ),
        identities: scenario.nodeSigners[i]!.map((j) => identities[j]!),
        backend: bls,
      });
      const record = recorder.listener(i, node);
      node.events.onAny((name, payload) => {
        record(name, payload);
        if (name === 'certificate:stored') onStored();
      });
      nodes.push(node);
      await node.start();
      const address = node.multiaddrs().find((a) => a.includes('/127.0.0.1/'));
      if (address === undefined)
        throw new SimulationError('NO_ADDRESS', `node ${i} listens on no loopback address`);
      addresses.push(address);
      const kind = adversaries.get(i);
      if (kind !== undefined) {
        stopAdversaries.push(
          await startAdversary(node, kind, {
            bls,
            random: adversaryRandom,
            onError: (error) => {
              adversaryError ??= error;
              finish({ complete: false, reason: `adversarial node ${i} (${kind}) failed: ${String(error)}` });
            },
          }),
        );
        say(`${stamp()} node ${i} (${node.peerId}) is adversarial: ${kind}`);
      }
    }
    say(
      `${stamp()} ${scenario.nodes} nodes started; genesis in ${Math.max(0, genesisTimeMs - Date.now())} ms, ` +
        `certifying epochs ${firstEpoch}–${lastEpoch} (epochs of ${scenario.epochSeconds} s)`,
    );

    const deadlineMs = genesisTimeMs + (scenario.epochs + TIMEOUT_SPARE_EPOCHS) * epochMs;
    const timeout = setTimeout(
      () =>
        finish({
          complete: false,
          reason: `timed out at ${new Date(deadlineMs).toISOString()} before every node held the certificates of epoch ${lastEpoch}`,
        }),
      Math.max(0, deadlineMs - Date.now()),
    );
    const outcome = await finished;
    clearTimeout(timeout);
    clearTimeout(settleTimer);
    for (const stop of stopAdversaries) stop();
    if (adversaryError !== undefined) {
      throw new SimulationError('ADVERSARY', outcome.reason, { cause: adversaryError });
    }
    // Scores and rejects are read while the nodes still run (stopping forgets the peers).
    const outcomes: AdversaryOutcome[] = [...adversaries]
      .sort(([a], [b]) => a - b)
      .map(([index, kind]) => {
        const peerId = nodes[index]!.peerId;
        const honestNodes = honest.map((h) => nodes[h]!);
        return {
          index,
          kind,
          peerId,
          rejectedByHonest: honestNodes.reduce(
            (sum, n) => sum + (n.gossip.rejectedByPeer().get(peerId) ?? 0),
            0,
          ),
          meanScore: honestNodes.reduce((sum, n) => sum + n.gossip.getScore(peerId), 0) / honestNodes.length,
        };
      });
    say(`${stamp()} ${outcome.reason}: stopping ${nodes.length} nodes`);
    for (const o of outcomes) {
      say(
        `offender node ${o.index} (${o.kind}) ${o.peerId}: ${o.rejectedByHonest} REJECTs at honest nodes, ` +
          `mean score ${o.meanScore.toFixed(1)}`,
      );
    }

    await stopNodes();
    const counters = nodes.map((n) => n.gossip.counters());
    const cpu = process.cpuUsage(cpuStart);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    const cpuSecondsPerNode = (cpu.user + cpu.system) / US_PER_SECOND / scenario.nodes;
    const rssPerNode = Math.round(peakRss / scenario.nodes);
    const counts = recorder.nodeCounts(counters);
    const measurements: RunMeasurements = {
      scenario: {
        ...scenario,
        notes: [BYTES_NOTE, PROCESS_SHARE_NOTE],
        complete: outcome.complete,
        stopReason: outcome.reason,
      },
      variant: 'p2p',
      rounds: recorder.roundMeasurements(runStartMs),
      nodes: counts.map((c, index) => ({
        index,
        deliveries: c.deliveries,
        duplicates: c.duplicates,
        bytesReceived: 0,
        bytesSent: 0,
        cpuSeconds: cpuSecondsPerNode,
        rssBytes: rssPerNode,
      })),
      validation: validationCounts(counters, recorder.rejectsByPeer()),
      ...(outcomes.length === 0
        ? {}
        : { scores: Object.fromEntries(outcomes.map((o) => [o.peerId, o.meanScore])) }),
    };
    return { measurements, complete: outcome.complete, reason: outcome.reason, adversaries: outcomes };
  } finally {
    clearInterval(rssTimer);
    await stopNodes();
    rmSync(root, { recursive: true, force: true });
  }
}
