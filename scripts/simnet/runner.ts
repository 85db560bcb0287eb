/**
 * The simulation runner: a scenario (scripts/simnet/scenario.ts) run with real mesh nodes on TCP
 * loopback, in this process or one process per node (`processes: separate`), measured from their
 * events (measure.ts) and counters (sim-node.ts) into `RunMeasurements`.
 *
 * Every signer gets a simulated SPO identity derived from the scenario seed and its index; the
 * stake distribution file holds the scenario's stakes; node 0 holds the genesis signing key and
 * every node the verification key. Nodes start in index order and bootstrap by the topology:
 * bootstrap-only (node 0), random (`degree` earlier nodes drawn from the seed), ring (node i - 1).
 *
 * Links: what each node sends goes through the link model of link.ts (the scenario's latency and
 * loss), which also counts every byte on its connections. With separate processes each node
 * process applies the same model: `tc netem` in network namespaces would need a kernel with netem,
 * which the run probes (netem.ts) and reports in `scenario.notes`.
 *
 * Churn: at `atEpoch` epochs after the first certified epoch opens, leaving nodes stop (their
 * counters are kept) and joining nodes start, from their data dir and port if they ran before.
 * The run waits for certificates on the honest nodes that run at the end.
 *
 * Adversarial nodes (adversary.ts) are picked by `adversarySelection` from the seed; the run
 * measures the REJECTs per sending peer (`validation[].byPeer`) and, in `scores`, each adversary's
 * mean gossipsub score over the honest nodes at the end of the run (a node that never exchanged
 * messages with it scores it 0).
 *
 * The star baseline (`variant: 'star'`) runs the same scenario the way Mithril works today: node 0
 * is the only aggregator (and assembles at once, without the mesh's storm-control delay); every
 * other node dials it and publishes its signatures to it alone: it does not subscribe to the
 * signature topics (`p2p.relaySignatures: false`), so it neither receives nor relays them. The
 * certificate goes from node 0 to its peers; registrations and certificates gossip as in the mesh.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { genesisSecretKeyToHex } from '../../node/aggregation/genesis.ts';
import { writeStakeDistributionFile } from '../../node/chain/stake-distribution-file.ts';
import type { NodeConfigInput } from '../../node/config/index.ts';
import { simulatedPartyId } from '../../node/identity/index.ts';
import type { SignerIdentity } from '../../node/identity/index.ts';
import { ed25519KeyPairFromSeed } from '../../protocol/cardano/ed25519.ts';
import { loadBlsBackend } from '../../protocol/crypto/bls/index.ts';
import type { BlsBackend } from '../../protocol/crypto/bls/index.ts';
import { bytesToHex } from '../../protocol/encoding/bytes.ts';
import { ProtocolError } from '../../protocol/errors.ts';
import { selectAdversaries, unplacedAdversaries } from './adversary.ts';
import { forkNodeProcess } from './child-node.ts';
import type { ChildPreparation } from './child-node.ts';
import type { NodeProcess } from './child-node.ts';
import { isConditioned } from './link.ts';
import { Recorder, validationCounts } from './measure.ts';
import { netemUnavailableReason } from './netem.ts';
import { closedRecords, makeRegistrations, writePreload } from './preload.ts';
import type {
  OwnRegistrationKey,
  PreloadEpoch,
  PreloadedRegistration,
  SignerSetsPreload,
} from './preload.ts';
import { derivedSeed, seededRandom } from './random.ts';
import type { RunMeasurements, Variant } from './report/index.ts';
import type { AdversaryKind, Scenario } from './scenario.ts';
import { simulatedIdentities, startInProcess } from './sim-node.ts';
import type { SimEventListener, SimNode, SimNodeSpec, SimNodeStats } from './sim-node.ts';

export { seededRandom } from './random.ts';

/**
 * Codes: NO_ADDRESS (a started node listens on no loopback address), ADVERSARY (an adversarial
 * node failed to misbehave, or more adversaries than nodes other than node 0), NODE (a node
 * process failed).
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
/** With a process each, a start also crosses IPC while the running nodes check its registrations (20 nodes: about 2.5 s each). */
const STARTUP_PER_PROCESS_MS = 2500;
/**
 * Preloaded, a start also reloads the sets and derives each hosted signer's verification keys of
 * two epochs (a G2 multiplication each, ~2 ms on a loaded core). At mainnet scale (100 signers per
 * node) the 30 starts took 82 s in all, within the 168 s this gives with the per-process time.
 */
const STARTUP_PER_PRELOADED_SIGNER_MS = 30;
/** 100 ms slots, as the node integration tests. */
const SLOT_LENGTH_MS = 100;
/**
 * KES periods as long as an epoch: the close point (0.6 of the epoch) then falls within one KES
 * period of the registrations (docs/node-design.md's timing constraint), a registration checked
 * late by a loaded node is at most one period old (the tolerance), and the 64 periods of a Sum6
 * key outlast any run. Shorter periods made loaded nodes REJECT genuine registrations.
 */
const kesPeriodSlots = (epochMs: number): number => Math.max(1, Math.round(epochMs / SLOT_LENGTH_MS));
/** The KES period at the start of `epoch` (slots count from genesis). */
const kesPeriodAtEpoch = (epoch: number, epochMs: number): number =>
  Math.floor((epoch * Math.round(epochMs / SLOT_LENGTH_MS)) / kesPeriodSlots(epochMs));
/** Epochs after genesis before giving up: the certified epochs, the registration and genesis epochs, one spare. */
const TIMEOUT_SPARE_EPOCHS = 3;
/** Agreement must hold for a fifth of an epoch (two certificate anti-entropy rounds) before stopping, as the devnet. */
const SETTLE_EPOCH_FRACTION = 5;
/** Process memory is sampled once a second for its peak. */
const RSS_SAMPLE_MS = 1000;
const MS_PER_SECOND = 1000;
const US_PER_SECOND = 1_000_000;
/** The star baseline's aggregator, and the node holding the genesis key. */
const HUB = 0;
/** The hub takes a connection from every node, and the DHT's own on top: the node default (32) or twice the nodes. */
const DEFAULT_MAX_PEERS = 32;
const HUB_PEERS_PER_NODE = 2;

export const PROCESS_SHARE_NOTE =
  'cpuSeconds and rssBytes are process-wide (process.cpuUsage, peak process.memoryUsage().rss) divided by the number of nodes';
export const CHILD_PROCESS_NOTE =
  "cpuSeconds and rssBytes are each node process's own (CPU from its start, RSS peak sampled every second)";
export const BYTES_NOTE =
  "bytesSent and bytesReceived are counted on each node's TCP connections: Noise and Yamux framing included";
export const LINK_NOTE =
  'latency and loss are applied by the transport wrapper to what each node sends (scripts/simnet/link.ts): ' +
  'one-way delay median ± jitter per chunk, a lost chunk arrives one retransmission timeout later, in order';
export const PRELOAD_NOTE =
  'registration preloaded: the signer sets of the genesis and first certified epochs were made before the run ' +
  "and written into every node's store (scripts/simnet/preload.ts); the run starts at the end of the genesis " +
  'epoch, so the first certified epoch opens once every node has started';
export const STAR_NOTE =
  'star baseline: node 0 is the only aggregator (no storm-control delay); the other nodes publish their ' +
  'signatures to it only (p2p.relaySignatures false); registrations and certificates gossip as in the mesh';

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

export interface SimulationOptions {
  /** One line per beacon once every node holds the same certificate for it, and other milestones. */
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
  /** Every awaited node held the same certificates for the last epoch's beacons before the timeout. */
  complete: boolean;
  /** Why the run stopped. */
  reason: string;
  /** The adversarial nodes, by index. */
  adversaries: AdversaryOutcome[];
}

/** The mesh run of a scenario and, when it asks for `baseline: star`, the star run of the same scenario. */
export interface ScenarioResult {
  p2p: SimulationResult;
  star?: SimulationResult;
}

/** Runs `scenario` as the mesh, then as the star baseline if the scenario asks for it. */
export async function runScenario(
  scenario: Scenario,
  options: SimulationOptions = {},
): Promise<ScenarioResult> {
  const say = options.progress ?? (() => undefined);
  const p2p = await runSimulation(scenario, 'p2p', options);
  if (scenario.baseline !== 'star') return { p2p };
  say(`baseline: the same scenario through one aggregator (star)`);
  return { p2p, star: await runSimulation(scenario, 'star', options) };
}

/** Nodes running after the last churn event. */
export function runningAtEnd(s: Scenario): Set<number> {
  const running = new Set(
    Array.from({ length: s.nodes }, (_, i) => i).filter((i) => !s.lateJoiners.includes(i)),
  );
  for (const event of s.churn) {
    for (const i of event.leave) running.delete(i);
    for (const i of event.join) running.add(i);
  }
  return running;
}

/** Counters of one node summed over its incarnations (churn restarts it). */
class NodeTotals {
  copies = 0;
  signatureCopies = 0;
  duplicates = 0;
  bytesSent = 0;
  bytesReceived = 0;
  cpuSeconds = 0;
  peakRssBytes = 0;
  readonly verdicts = new Map<string, number>();

  add(stats: SimNodeStats): void {
    this.copies += stats.copiesReceived;
    this.signatureCopies += stats.signatureCopiesReceived;
    this.duplicates += stats.duplicates;
    this.bytesSent += stats.bytesSent;
    this.bytesReceived += stats.bytesReceived;
    this.cpuSeconds += stats.cpuSeconds ?? 0;
    this.peakRssBytes = Math.max(this.peakRssBytes, stats.peakRssBytes ?? 0);
    for (const [key, n] of stats.verdicts) this.verdicts.set(key, (this.verdicts.get(key) ?? 0) + n);
  }
}

/** The TCP port of a `/ip4/…/tcp/PORT/…` address. */
function portOf(address: string): string {
  return address.split('/')[4]!;
}

/** Runs one variant of `scenario` and measures it. */
export async function runSimulation(
  scenario: Scenario,
  variant: Variant = 'p2p',
  options: SimulationOptions = {},
): Promise<SimulationResult> {
  const say = options.progress ?? (() => undefined);
  const separate = scenario.processes === 'separate';
  const star = variant === 'star';
  const preloaded = scenario.registration === 'preloaded';
  const runStartMs = Date.now();
  const cpuStart = process.cpuUsage();
  const random = seededRandom(scenario.seed);
  const epochMs = scenario.epochSeconds * MS_PER_SECOND;
  const firstEpoch = GENESIS_EPOCH + 1;
  const lastEpoch = GENESIS_EPOCH + scenario.epochs;
  const stamp = (): string =>
    `[${((Date.now() - runStartMs) / MS_PER_SECOND).toFixed(1).padStart(6)}s] ${variant}`;
  const notes = [separate ? CHILD_PROCESS_NOTE : PROCESS_SHARE_NOTE, BYTES_NOTE];
  if (isConditioned(scenario.network)) notes.push(LINK_NOTE);
  if (preloaded) notes.push(PRELOAD_NOTE);
  if (star) notes.push(STAR_NOTE);
  if (separate) {
    const why = netemUnavailableReason();
    const netem =
      why === undefined
        ? 'tc netem works on this machine, but the runner shapes links with the transport wrapper in every mode, so that both modes share one link model'
        : `tc netem is not available on this machine (${why}): each node process shapes its links with the transport wrapper`;
    notes.push(netem);
    say(`${stamp()} ${netem}`);
  }

  const root = mkdtempSync(join(tmpdir(), 'simnet-'));
  const running = new Map<number, SimNode>();
  /** Node processes forked but not started yet. */
  const forked = new Map<number, NodeProcess>();
  const stopAll = async (): Promise<void> => {
    const nodes = [...running.values()];
    running.clear();
    await Promise.allSettled(nodes.map((n) => n.stop()));
    for (const p of forked.values()) p.kill();
    forked.clear();
  };
  let peakRss = process.memoryUsage().rss;
  const rssTimer = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, RSS_SAMPLE_MS);
  const timers: NodeJS.Timeout[] = [];
  try {
    const partyIds = Array.from({ length: scenario.signers }, (_, j) =>
      simulatedPartyId(derivedSeed(scenario.seed, `signer ${j}`)),
    );
    const stakes = signerStakes(scenario, random);
    const stakeFile = join(root, 'stake-distribution.json');
    await writeStakeDistributionFile(stakeFile, new Map(partyIds.map((id, j) => [id, stakes[j]!])));
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
    const atEnd = runningAtEnd(scenario);
    const awaited = Array.from({ length: scenario.nodes }, (_, i) => i).filter(
      (i) => !adversaries.has(i) && atEnd.has(i),
    );
    const awaitedSet = new Set(awaited);
    const bls: BlsBackend | undefined = separate ? undefined : await loadBlsBackend('mcl');
    const initial = Array.from({ length: scenario.nodes }, (_, i) => i).filter(
      (i) => !scenario.lateJoiners.includes(i),
    );
    // Preloaded: the set recorded at the genesis epoch and the next one, each made at the start of
    // the epoch before it, as nodes would make them.
    const preloadEpochs: PreloadEpoch[] = preloaded
      ? [GENESIS_EPOCH, firstEpoch].map((epoch) => ({
          epoch,
          kesPeriod: kesPeriodAtEpoch(epoch - 1, epochMs),
        }))
      : [];
    const dataDirOf = (i: number): string => join(root, `node-${i}`);
    /** `first`: the node's first start (a restarted node's store holds its preloaded sets). */
    const preparation = (i: number, first: boolean): ChildPreparation => ({
      seed: scenario.seed,
      signers: scenario.nodeSigners[i]!,
      preload: first ? preloadEpochs : [],
    });
    const identitiesOf = (i: number): SignerIdentity[] =>
      simulatedIdentities(scenario.seed, scenario.nodeSigners[i]!);
    // Signer keys (~0.1 s of CPU each) are made before the clock starts: made while the first
    // nodes already run, they delayed the last starts past the registration close. Node processes
    // make theirs in parallel while loading their modules.
    const prepared = new Map<number, SignerIdentity[]>();
    /** Preloaded: each node's own BLS keys (in this process only; a node process keeps its own). */
    const ownKeys = new Map<number, OwnRegistrationKey[]>();
    const registrations: PreloadedRegistration[] = [];
    if (separate) {
      for (const i of initial) forked.set(i, forkNodeProcess(i, preparation(i, true)));
      for (const made of await Promise.all([...forked.values()].map((p) => p.ready))) {
        registrations.push(...made);
      }
      say(`${stamp()} ${initial.length} node processes loaded`);
    } else {
      for (const i of initial) {
        const identities = identitiesOf(i);
        prepared.set(i, identities);
        const made = await makeRegistrations(
          scenario.seed,
          scenario.nodeSigners[i]!,
          identities,
          bls!,
          preloadEpochs,
        );
        registrations.push(...made.registrations);
        ownKeys.set(i, made.keys);
      }
    }
    const preload: SignerSetsPreload | undefined = preloaded
      ? {
          registrations,
          closed: closedRecords(
            registrations,
            new Map(partyIds.map((id, j) => [id, stakes[j]!])),
            preloadEpochs.map((e) => e.epoch),
            Date.now(),
          ),
        }
      : undefined;
    if (preload !== undefined) {
      // Written before the clock starts: setting up stores is the harness's time, not the nodes'.
      await Promise.all(
        initial.map((i) =>
          separate
            ? forked.get(i)!.preload(dataDirOf(i), SIMNET_NETWORK, preload)
            : writePreload(dataDirOf(i), SIMNET_NETWORK, preload, ownKeys.get(i)!),
        ),
      );
      say(
        `${stamp()} signer sets preloaded: ` +
          preload.closed.map((r) => `epoch ${r.epoch} ${r.entries.length} signers`).join(', '),
      );
    }
    // Preloaded, the run starts at the end of the genesis epoch: the first certified one opens
    // once every node has started.
    const genesisTimeMs =
      Date.now() +
      STARTUP_BASE_MS +
      (separate ? STARTUP_PER_PROCESS_MS : STARTUP_PER_NODE_MS) * initial.length +
      (preloaded ? STARTUP_PER_PRELOADED_SIGNER_MS * scenario.signers : 0) -
      (preloaded ? firstEpoch * epochMs : 0);
    const epochStartMs = (epoch: number): number => genesisTimeMs + epoch * epochMs;

    const recorder = new Recorder({
      nodes: scenario.nodes,
      firstEpoch,
      lastEpoch,
      k: scenario.protocol.k,
      signerIndex: new Map(partyIds.map((id, j) => [id, j])),
      epochStartMs,
      network: SIMNET_NETWORK,
      unawaited: new Set(
        Array.from({ length: scenario.nodes }, (_, i) => i).filter((i) => !awaitedSet.has(i)),
      ),
    });

    let finish: (outcome: { complete: boolean; reason: string }) => void = () => undefined;
    const finished = new Promise<{ complete: boolean; reason: string }>((resolve) => (finish = resolve));
    let failure: unknown;
    const fail = (error: unknown, reason: string): void => {
      failure ??= error;
      finish({ complete: false, reason });
    };
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
    const awaitedWord = awaited.length === scenario.nodes ? 'nodes' : 'awaited nodes';
    const onStored = (): void => {
      for (let epoch = firstEpoch; epoch <= lastEpoch; epoch++) {
        for (const label of recorder.labelsOf(epoch)) {
          if (announced.has(label) || recorder.heldEverywhere(label) === undefined) continue;
          announced.add(label);
          const times = recorder
            .certificateTimes(label)
            .filter((t, i): t is number => t !== null && awaitedSet.has(i));
          say(
            `${stamp()} ${label} certified on all ${awaited.length} ${awaitedWord} ` +
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
              reason: `every ${awaitedWord.replace('nodes', 'node')} holds the same certificates of epoch ${lastEpoch}`,
            });
          }
        }, epochMs / SETTLE_EPOCH_FRACTION);
      }
    };

    const addresses: (string | undefined)[] = new Array<string | undefined>(scenario.nodes).fill(undefined);
    const incarnations = new Array<number>(scenario.nodes).fill(0);
    /** When each initial node's first start completed. */
    const startedAtMs = new Map<number, number>();
    const totals = Array.from({ length: scenario.nodes }, () => new NodeTotals());
    const spec = (i: number): SimNodeSpec => {
      const known = (star && i !== HUB ? [HUB] : plan[i]!)
        .map((j) => addresses[j])
        .filter((a): a is string => a !== undefined);
      const fallback = [...running.values()].map((n) => n.address).find((a) => a !== undefined);
      const bootstrap = i === HUB || known.length > 0 || fallback === undefined ? known : [fallback];
      const previous = addresses[i];
      const config: NodeConfigInput = {
        network: SIMNET_NETWORK,
        dataDir: dataDirOf(i),
        listen: [`/ip4/127.0.0.1/tcp/${previous === undefined ? 0 : portOf(previous)}`],
        bootstrap,
        aggregator: star ? i === HUB : scenario.aggregators.includes(i),
        signedEntityTypes: [...scenario.entityTypes],
        chain: {
          genesisTime: genesisTimeMs,
          epochLengthSeconds: scenario.epochSeconds,
          slotLengthMs: SLOT_LENGTH_MS,
          slotsPerKesPeriod: kesPeriodSlots(epochMs),
          stakeDistributionFile: stakeFile,
        },
        protocol: { ...scenario.protocol },
        p2p: {
          loopback: true,
          relaySignatures: !star || i === HUB,
          ...(star && i === HUB
            ? { maxPeers: Math.max(DEFAULT_MAX_PEERS, HUB_PEERS_PER_NODE * scenario.nodes) }
            : {}),
        },
        genesis: {
          verificationKey: bytesToHex(genesisKeys.publicKey),
          epoch: GENESIS_EPOCH,
          ...(i === HUB ? { signingKeyFile: genesisSigningKeyFile } : {}),
        },
      };
      const kind = adversaries.get(i);
      return {
        index: i,
        config,
        seed: scenario.seed,
        incarnation: incarnations[i]!,
        signers: [...scenario.nodeSigners[i]!],
        link: scenario.network,
        ...(kind === undefined ? {} : { adversary: kind }),
        ...(star && i === HUB ? { aggregatorWindowMs: 0 } : {}),
      };
    };
    const start = async (i: number): Promise<void> => {
      const listener: SimEventListener = (name, payload, atMs) => {
        recorder.record(i, name, payload, atMs);
        if (name === 'certificate:stored') onStored();
      };
      const onError = (error: unknown): void =>
        fail(
          error,
          `node ${i}${adversaries.has(i) ? ` (${adversaries.get(i)})` : ''} failed: ${String(error)}`,
        );
      const s = spec(i);
      let node: SimNode;
      if (separate) {
        const child = forked.get(i) ?? forkNodeProcess(i, preparation(i, incarnations[i] === 0));
        forked.delete(i);
        try {
          node = await child.start(s, listener, onError);
        } catch (error) {
          child.kill();
          throw error;
        }
      } else {
        // A node that joins later, or again, makes its keys when it starts.
        const identities = prepared.get(i) ?? identitiesOf(i);
        prepared.delete(i);
        node = await startInProcess(s, identities, bls!, listener, onError);
      }
      running.set(i, node);
      if (incarnations[i] === 0) startedAtMs.set(i, Date.now());
      incarnations[i]!++;
      if (node.address === undefined)
        throw new SimulationError('NO_ADDRESS', `node ${i} listens on no loopback address`);
      addresses[i] = node.address;
      const kind = adversaries.get(i);
      if (kind !== undefined) say(`${stamp()} node ${i} (${node.peerId}) is adversarial: ${kind}`);
    };
    const leave = async (i: number): Promise<void> => {
      const node = running.get(i);
      if (node === undefined) return;
      running.delete(i);
      totals[i]!.add(await node.stats([]));
      await node.stop();
    };

    // A node starts once the nodes it bootstraps from listen: independent starts overlap.
    const started = new Map<number, Promise<void>>();
    for (const i of initial) {
      const after = (star && i !== HUB ? [HUB] : plan[i]!).map((j) => started.get(j) ?? Promise.resolve());
      started.set(
        i,
        Promise.all(after).then(() => start(i)),
      );
    }
    // Every start settles before a failure ends the run, so that no node is left running.
    const starts = await Promise.allSettled(started.values());
    const failedStart = starts.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failedStart !== undefined) throw failedStart.reason;
    const late = initial.filter((i) => startedAtMs.get(i)! > epochStartMs(firstEpoch));
    if (late.length > 0) {
      const lastMs = Math.max(...late.map((i) => startedAtMs.get(i)!)) - epochStartMs(firstEpoch);
      const note =
        `${late.length} of ${initial.length} nodes finished starting after epoch ${firstEpoch} opened ` +
        `(the last ${(lastMs / MS_PER_SECOND).toFixed(1)} s after): their times include their start`;
      notes.push(note);
      say(`${stamp()} ${note}`);
    }
    say(
      `${stamp()} ${initial.length} nodes started${separate ? ' (one process each)' : ''}; ` +
        (preloaded
          ? `epoch ${firstEpoch} opens in ${Math.max(0, epochStartMs(firstEpoch) - Date.now())} ms`
          : `genesis in ${Math.max(0, genesisTimeMs - Date.now())} ms`) +
        `, certifying epochs ${firstEpoch}–${lastEpoch} ` +
        `(epochs of ${scenario.epochSeconds} s)`,
    );
    for (const event of scenario.churn) {
      const atMs = epochStartMs(firstEpoch) + event.atEpoch * epochMs;
      timers.push(
        setTimeout(
          () => {
            void (async () => {
              for (const i of event.leave) await leave(i);
              for (const i of event.join) await start(i);
              say(
                `${stamp()} churn at epoch ${firstEpoch + event.atEpoch}: ` +
                  [
                    event.leave.length > 0 ? `left ${event.leave.join(', ')}` : '',
                    event.join.length > 0 ? `joined ${event.join.join(', ')}` : '',
                  ]
                    .filter((part) => part !== '')
                    .join('; '),
              );
            })().catch((error: unknown) => fail(error, `churn at ${event.atEpoch} failed: ${String(error)}`));
          },
          Math.max(0, atMs - Date.now()),
        ),
      );
    }

    const deadlineMs = genesisTimeMs + (scenario.epochs + TIMEOUT_SPARE_EPOCHS) * epochMs;
    timers.push(
      setTimeout(
        () =>
          finish({
            complete: false,
            reason: `timed out at ${new Date(deadlineMs).toISOString()} before every awaited node held the certificates of epoch ${lastEpoch}`,
          }),
        Math.max(0, deadlineMs - Date.now()),
      ),
    );
    const outcome = await finished;
    for (const t of timers) clearTimeout(t);
    clearTimeout(settleTimer);
    if (failure !== undefined) {
      throw new SimulationError(adversaries.size > 0 ? 'ADVERSARY' : 'NODE', outcome.reason, {
        cause: failure,
      });
    }
    // Scores and rejects are read while the nodes still run (stopping forgets the peers).
    const adversaryPeers = new Map<number, string>();
    for (const [i] of adversaries) {
      const node = running.get(i);
      if (node !== undefined) adversaryPeers.set(i, node.peerId);
    }
    const finalStats = new Map<number, SimNodeStats>();
    for (const [i, node] of running) finalStats.set(i, await node.stats([...adversaryPeers.values()]));
    const honestStats = awaited.map((i) => finalStats.get(i)!);
    const outcomes: AdversaryOutcome[] = [...adversaryPeers]
      .sort(([a], [b]) => a - b)
      .map(([index, peerId]) => ({
        index,
        kind: adversaries.get(index)!,
        peerId,
        rejectedByHonest: honestStats.reduce(
          (sum, s) => sum + (new Map(s.rejectedByPeer).get(peerId) ?? 0),
          0,
        ),
        meanScore:
          honestStats.reduce((sum, s) => sum + (new Map(s.scores).get(peerId) ?? 0), 0) /
          Math.max(1, honestStats.length),
      }));
    say(`${stamp()} ${outcome.reason}: stopping ${running.size} nodes`);
    for (const o of outcomes) {
      say(
        `offender node ${o.index} (${o.kind}) ${o.peerId}: ${o.rejectedByHonest} REJECTs at honest nodes, ` +
          `mean score ${o.meanScore.toFixed(1)}`,
      );
    }
    for (const [i, stats] of finalStats) totals[i]!.add(stats);
    await stopAll();

    const cpu = process.cpuUsage(cpuStart);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    const cpuShare = (cpu.user + cpu.system) / US_PER_SECOND / scenario.nodes;
    const rssShare = Math.round(peakRss / scenario.nodes);
    const measurements: RunMeasurements = {
      scenario: { ...scenario, notes, complete: outcome.complete, stopReason: outcome.reason },
      variant,
      rounds: recorder.roundMeasurements(runStartMs),
      nodes: totals.map((t, index) => ({
        index,
        deliveries: t.copies,
        signatureDeliveries: t.signatureCopies,
        duplicates: t.duplicates,
        bytesReceived: t.bytesReceived,
        bytesSent: t.bytesSent,
        cpuSeconds: separate ? t.cpuSeconds : cpuShare,
        rssBytes: separate ? t.peakRssBytes : rssShare,
        awaited: awaitedSet.has(index),
      })),
      validation: validationCounts(
        totals.map((t) => t.verdicts),
        recorder.rejectsByPeer(),
      ),
      signaturesGossiped: recorder.signaturesSeen(),
      ...(outcomes.length === 0
        ? {}
        : { scores: Object.fromEntries(outcomes.map((o) => [o.peerId, o.meanScore])) }),
    };
    return { measurements, complete: outcome.complete, reason: outcome.reason, adversaries: outcomes };
  } finally {
    for (const t of timers) clearTimeout(t);
    clearInterval(rssTimer);
    await stopAll();
    rmSync(root, { recursive: true, force: true });
  }
}
