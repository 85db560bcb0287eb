/**
 * A running mithril-mesh node: the composition of the store, the chain observer, the libp2p host
 * (Kademlia, gossipsub, streams), the gossip validation adapter, the peer manager, and the
 * registration and signing services. Every dependency with time or randomness is injectable so
 * that tests and simulations can run many nodes in one process deterministically.
 */
import type { ComponentLogger } from '@libp2p/interface';
import { defaultLogger } from '@libp2p/logger';
import type { BlsBackend } from '../protocol/crypto/bls/index.ts';
import { loadBlsBackend } from '../protocol/crypto/bls/index.ts';
import type { RandomSource } from '../protocol/crypto/random.ts';
import { systemRandom } from '../protocol/crypto/random.ts';
import { readFileSync } from 'node:fs';
import {
  genesisVerificationKeyFromBytesHex,
  genesisVerificationKeyFromHex,
} from '../protocol/cardano/genesis-key.ts';
import {
  AggregatorService,
  CertificateAntiEntropy,
  CertificateChain,
  CertificateSync,
  CertificateValidator,
  DevnetGenesis,
  RegistrationAgreement,
  createCertificateHandlers,
  readGenesisSecretKey,
} from './aggregation/index.ts';
import { DevnetChain } from './chain/devnet-chain.ts';
import type { ChainObserver } from './chain/observer.ts';
import { readStakeDistributionFile } from './chain/stake-distribution-file.ts';
import type { NodeConfig } from './config/index.ts';
import { BanList, PeerManager } from './discovery/index.ts';
import { MeshEvents } from './events.ts';
import { GossipValidation, PeerPenalties } from './gossip/index.ts';
import type { SignerIdentity } from './identity/index.ts';
import { loadIdentity } from './identity/index.ts';
import type { MeshHost } from './p2p/index.ts';
import { createHost, createRequestResponse, loadOrCreatePeerKey } from './p2p/index.ts';
import type { HostOptions } from './p2p/index.ts';
import { GossipWireMetrics } from './gossip/wire-metrics.ts';
import { RegistrationService } from './registration/service.ts';
import type { Clock } from './runtime/clock.ts';
import { StatusFile } from './status.ts';
import { systemClock } from './runtime/clock.ts';
import { SigningService } from './signing/service.ts';
import type { LevelMeshStore } from './store/index.ts';
import { openMeshStore } from './store/index.ts';

export interface MeshNodeInit {
  config: NodeConfig;
  clock?: Clock;
  random?: RandomSource;
  /** Defaults to the mcl backend. */
  backend?: BlsBackend;
  /** Defaults to the key directories of `config.identities`. */
  identities?: SignerIdentity[];
  /** Defaults to a `DevnetChain` built from `config.chain`. */
  chain?: ChainObserver;
  /** Per-node log names when several nodes share a process. */
  logger?: ComponentLogger;
  /** The TCP transport (simulations condition and count links: `scripts/simnet/link.ts`). */
  transport?: HostOptions['transport'];
  /** Storm-control window of the aggregator (default: a twentieth of the epoch); 0 makes every aggregator publish at once. */
  aggregatorWindowMs?: number;
}

/** Certificate anti-entropy pulls ten times an epoch, and at least once a minute. */
const ANTI_ENTROPY_ROUNDS_PER_EPOCH = 10;
const MAX_ANTI_ENTROPY_INTERVAL_MS = 60_000;
/** An adoption that found no peer with the certified set is retried every twentieth of an epoch. */
const AGREEMENT_RETRIES_PER_EPOCH = 20;
/** Two minutes: far beyond gossip propagation (seconds) and gossipsub's own minimum. */
const GOSSIP_SEEN_TTL_MS = 120_000;
/** Pulls are worth a try a few times per epoch, but not more often than every 2 minutes. */
const MAX_PULL_INTERVAL_MS = 120_000;
const PULLS_PER_EPOCH = 6;
/** A pull waits at most a tenth of an epoch (and 10 s) for its answer. */
const MAX_REQUEST_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_EPOCH_FRACTION = 10;

/** Certificates: the chain kept, its gossip and sync, and (aggregator role) the assembling. */
export interface CertificateLayer {
  chain: CertificateChain;
  sync: CertificateSync;
  validator: CertificateValidator;
  aggregator: AggregatorService | undefined;
  genesis: DevnetGenesis | undefined;
  agreement: RegistrationAgreement;
  antiEntropy: CertificateAntiEntropy;
}

function genesisVerificationKey(config: NodeConfig): Uint8Array | undefined {
  const { verificationKey, verificationKeyFile } = config.genesis;
  if (verificationKey !== undefined) return genesisVerificationKeyFromBytesHex(verificationKey);
  if (verificationKeyFile !== undefined) {
    return genesisVerificationKeyFromHex(readFileSync(verificationKeyFile, 'utf8').trim());
  }
  return undefined;
}

export class MeshNode {
  readonly config: NodeConfig;
  readonly events: MeshEvents;
  readonly store: LevelMeshStore;
  readonly chain: ChainObserver;
  readonly host: MeshHost;
  readonly gossip: GossipValidation;
  readonly peerManager: PeerManager;
  readonly registration: RegistrationService;
  readonly signing: SigningService;
  readonly identities: readonly SignerIdentity[];
  /** The certificate layer, when a genesis verification key is configured. */
  readonly certificates: CertificateLayer | undefined;
  /** Gossipsub's counts of message copies received and duplicates, by topic. */
  readonly wireMetrics: GossipWireMetrics;
  private readonly ownedChain: DevnetChain | undefined;
  private readonly statusFile: StatusFile;
  private running = false;

  private constructor(parts: {
    config: NodeConfig;
    events: MeshEvents;
    store: LevelMeshStore;
    chain: ChainObserver;
    ownedChain: DevnetChain | undefined;
    host: MeshHost;
    gossip: GossipValidation;
    peerManager: PeerManager;
    registration: RegistrationService;
    signing: SigningService;
    identities: SignerIdentity[];
    certificates: CertificateLayer | undefined;
    clock: Clock;
    wireMetrics: GossipWireMetrics;
  }) {
    this.wireMetrics = parts.wireMetrics;
    this.config = parts.config;
    this.events = parts.events;
    this.store = parts.store;
    this.chain = parts.chain;
    this.ownedChain = parts.ownedChain;
    this.host = parts.host;
    this.gossip = parts.gossip;
    this.peerManager = parts.peerManager;
    this.registration = parts.registration;
    this.signing = parts.signing;
    this.identities = parts.identities;
    this.certificates = parts.certificates;
    this.statusFile = new StatusFile({
      dataDir: parts.config.dataDir,
      network: parts.config.network,
      peerId: parts.host.peerId.toString(),
      events: parts.events,
      clock: parts.clock,
      currentEpoch: () => parts.chain.currentEpoch(),
      connectedPeers: () => parts.host.getPeers().length,
    });
  }

  /** Builds every component; nothing listens or runs until `start`. The store is closed on failure. */
  static async create(init: MeshNodeInit): Promise<MeshNode> {
    const { config } = init;
    const clock = init.clock ?? systemClock;
    const random = init.random ?? systemRandom;
    const backend = init.backend ?? (await loadBlsBackend('mcl'));
    const identities =
      init.identities ?? (await Promise.all(config.identities.map((dir) => loadIdentity(dir))));
    const epochLengthMs = config.chain.epochLengthSeconds * 1000;
    const ownedChain =
      init.chain === undefined
        ? new DevnetChain(
            {
              genesisTimeMs: config.chain.genesisTimeMs,
              epochLengthMs,
              slotLengthMs: config.chain.slotLengthMs,
              slotsPerKesPeriod: config.chain.slotsPerKesPeriod,
              stakeDistribution: await readStakeDistributionFile(config.chain.stakeDistributionFile),
            },
            clock,
          )
        : undefined;
    const chain = init.chain ?? ownedChain!;
    const store = await openMeshStore({ dataDir: config.dataDir, network: config.network, clock });
    try {
      const events = new MeshEvents();
      const logger = init.logger ?? defaultLogger();
      const penalties = new PeerPenalties(clock);
      const banList = new BanList(clock);
      // The handlers deduplicate by content for a whole epoch; gossipsub's seen cache only has to
      // outlive propagation, and must be shorter than the re-announce interval for re-announced
      // registrations to go out again (content-addressed ids).
      const seenTtlMs = GOSSIP_SEEN_TTL_MS;
      const wireMetrics = new GossipWireMetrics();
      const host = await createHost({
        network: config.network,
        privateKey: await loadOrCreatePeerKey(config.dataDir),
        listen: [...config.listen],
        ...(config.p2p.announce ? { announce: [...config.p2p.announce] } : {}),
        bootstrap: [...config.bootstrap],
        loopback: config.p2p.loopback,
        maxConnections: config.p2p.maxPeers,
        seenTtlMs,
        rejectCount: (peerId) => penalties.rejects(peerId),
        isBanned: (peerId) => banList.isBanned(peerId),
        logger,
        wireMetrics,
        ...(init.transport === undefined ? {} : { transport: init.transport }),
      });
      const gossip = new GossipValidation({
        network: config.network,
        router: host.services.pubsub,
        selfPeerId: host.peerId.toString(),
        events,
        penalties,
        clock,
        seenTtlMs,
        logger,
      });
      const requestResponse = createRequestResponse(host);
      const registration = new RegistrationService({
        network: config.network,
        identities,
        chain,
        clock,
        random,
        bls: backend,
        store,
        publisher: gossip,
        requestResponse,
        events,
        closeFraction: config.registration.closeFraction,
        reannounceMs: config.registration.reannounceSeconds * 1000,
        pullIntervalMs: Math.min(MAX_PULL_INTERVAL_MS, epochLengthMs / PULLS_PER_EPOCH),
        requestTimeoutMs: Math.min(MAX_REQUEST_TIMEOUT_MS, epochLengthMs / REQUEST_TIMEOUT_EPOCH_FRACTION),
      });
      const genesisKey = genesisVerificationKey(config);
      const certificateChain =
        genesisKey === undefined
          ? undefined
          : new CertificateChain({
              store: store.certificates,
              verifier: { backend, genesisVerificationKey: genesisKey },
            });
      await certificateChain?.load();
      const signing = new SigningService({
        entityTypes: config.signedEntityTypes,
        identities: identities.map((i) => i.partyId),
        protocolParameters: config.protocol,
        chain,
        registrations: registration,
        store: store.signatures,
        publisher: gossip,
        clock,
        events,
        backend,
        random,
        ...(certificateChain ? { isCertified: (entity) => certificateChain.isCertified(entity) } : {}),
      });
      let certificates: CertificateLayer | undefined;
      if (certificateChain !== undefined) {
        const validator = new CertificateValidator({
          network: config.network,
          protocolParameters: config.protocol,
          chain,
          registrations: registration,
          certificates: certificateChain,
        });
        const sync = new CertificateSync({
          network: config.network,
          requests: requestResponse,
          certificates: certificateChain,
          validator,
        });
        certificates = {
          chain: certificateChain,
          validator,
          sync,
          antiEntropy: new CertificateAntiEntropy({
            sync,
            connectedPeers: () => host.getPeers().map((p) => p.toString()),
            clock,
            random,
            intervalMs: Math.min(MAX_ANTI_ENTROPY_INTERVAL_MS, epochLengthMs / ANTI_ENTROPY_ROUNDS_PER_EPOCH),
          }),
          aggregator: config.aggregator
            ? new AggregatorService({
                nodeId: host.peerId.toString(),
                network: config.network,
                entityTypes: config.signedEntityTypes,
                chain,
                signing,
                certificates: certificateChain,
                publisher: gossip,
                events,
                clock,
                ...(init.aggregatorWindowMs === undefined ? {} : { windowMs: init.aggregatorWindowMs }),
              })
            : undefined,
          agreement: new RegistrationAgreement({
            certificates: certificateChain,
            registration,
            events,
            clock,
            retryMs: epochLengthMs / AGREEMENT_RETRIES_PER_EPOCH,
          }),
          genesis:
            config.genesis.signingKeyFile === undefined
              ? undefined
              : new DevnetGenesis({
                  genesisEpoch: config.genesis.epoch,
                  genesisSecretKey: readGenesisSecretKey(
                    readFileSync(config.genesis.signingKeyFile, 'utf8').trim(),
                  ),
                  network: config.network,
                  protocolParameters: config.protocol,
                  chain,
                  registrations: store.registrations,
                  certificates: certificateChain,
                  publisher: gossip,
                  events,
                }),
        };
        certificateChain.subscribe((event) => events.emit('certificate:stored', event));
        certificates.aggregator?.subscribe((event) => events.emit('certificate:published', event));
      }
      const peerManager = new PeerManager(host, {
        targetPeers: config.p2p.targetPeers,
        clock,
        events,
        store: store.peers,
        banList,
        random,
      });
      return new MeshNode({
        config,
        events,
        store,
        chain,
        ownedChain,
        host,
        gossip,
        peerManager,
        registration,
        signing,
        identities,
        certificates,
        clock,
        wireMetrics,
      });
    } catch (e) {
      ownedChain?.stop();
      await store.close();
      throw e;
    }
  }

  get peerId(): string {
    return this.host.peerId.toString();
  }

  multiaddrs(): string[] {
    return this.host.getMultiaddrs().map((m) => m.toString());
  }

  /** Starts listening, then the services; registration before the adapter subscribes (it must be ready for gossip). */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.host.start();
    await this.registration.start();
    this.gossip.register(this.registration.topicHandler);
    // A leaf (relaySignatures off) keeps the handlers, to publish its own, without subscribing.
    for (const handler of this.signing.handlers) {
      this.gossip.register(handler, { subscribe: this.config.p2p.relaySignatures });
    }
    const certificates = this.certificates;
    if (certificates !== undefined) {
      certificates.agreement.start();
      await certificates.sync.start();
      for (const handler of createCertificateHandlers({
        entityTypes: this.config.signedEntityTypes,
        validator: certificates.validator,
        certificates: certificates.chain,
        sync: certificates.sync,
      })) {
        this.gossip.register(handler);
      }
      // Pull-on-connect: a (re)connected peer may hold certificates we missed (docs/convergence.md).
      this.host.addEventListener('peer:connect', this.onPeerConnect);
    }
    this.gossip.start();
    await this.peerManager.start();
    await this.signing.start();
    await certificates?.aggregator?.start();
    await certificates?.genesis?.start();
    certificates?.antiEntropy.start();
    this.statusFile.start();
  }

  private readonly onPeerConnect = (event: CustomEvent<{ toString(): string }>): void => {
    const peerId = event.detail.toString();
    this.certificates?.sync.pull(peerId).catch(() => {
      // A failed pull is retried at the next connection; the sync logs the cause.
    });
  };

  /** Stops everything in reverse order and closes the store; safe to call more than once. */
  async stop(): Promise<void> {
    if (!this.running) {
      this.ownedChain?.stop();
      await this.store.close();
      return;
    }
    this.running = false;
    this.statusFile.stop();
    this.host.removeEventListener('peer:connect', this.onPeerConnect);
    await this.certificates?.antiEntropy.stop();
    this.certificates?.agreement.stop();
    await this.certificates?.genesis?.stop();
    await this.certificates?.aggregator?.stop();
    await this.signing.stop();
    await this.peerManager.stop();
    this.gossip.stop();
    await this.certificates?.sync.stop();
    await this.registration.stop();
    await this.host.stop();
    this.ownedChain?.stop();
    await this.store.close();
  }
}
