/**
 * An aggregation test world: 5 pools with real BLS keys registered at every epoch from the genesis
 * epoch G = 3 to 6, a manual clock in epoch 6, the genesis certificate, open messages with real STM
 * signatures of any subset of the pools (k = 8, m = 40, φ_f = 0.8), and chain managers with their
 * validators ("nodes") on in-memory stores.
 */
import type { ChainObserver } from '../../../node/chain/observer.ts';
import type { RegistrationView } from '../../../node/registration/view.ts';
import type { ClosedRegistrationRecord } from '../../../node/store/types.ts';
import { buildCandidateCertificate, createNetworkGenesis } from '../../../node/aggregation/index.ts';
import type { CertificateContext } from '../../../node/aggregation/index.ts';
import { CertificateChain } from '../../../node/aggregation/chain.ts';
import { CertificateValidator } from '../../../node/aggregation/validator.ts';
import type { CertificateGossip } from '../../../node/aggregation/certificate-message.ts';
import { createCertificateHandlers } from '../../../node/aggregation/handler.ts';
import { CertificateSync } from '../../../node/aggregation/sync.ts';
import type { TopicHandler } from '../../../node/gossip/handler.ts';
import { ManualClock } from '../../../node/runtime/clock.ts';
import type { OpenMessage } from '../../../node/signing/open-message.ts';
import { buildOpenMessage, entityKey } from '../../../node/signing/open-message.ts';
import { encodeSignatureMessage } from '../../../node/signing/message.ts';
import { ed25519PublicKey } from '../../../protocol/cardano/ed25519.ts';
import type { Certificate, VerifierContext } from '../../../protocol/certificate/index.ts';
import type { BlsBackend } from '../../../protocol/crypto/bls/backend.ts';
import { chaCha20Random } from '../../../protocol/crypto/random.ts';
import type { ProtocolParameters } from '../../../protocol/message/protocol-parameters.ts';
import { toStmParameters } from '../../../protocol/message/protocol-parameters.ts';
import type { SignedEntityType } from '../../../protocol/message/signed-entity-type.ts';
import { epochWhenSigned } from '../../../protocol/message/signed-entity-type.ts';
import { StmSigner } from '../../../protocol/stm/signer.ts';
import type { FakeRequestNetwork } from './fakes.ts';
import { EPOCH_MS, FakeChain, FakeView, MemoryCertificateStore, poolId } from './fakes.ts';

export const PARAMS: ProtocolParameters = { k: 8, m: 40, phiF: 0.8 };
export const NETWORK = 'devnet';
export const GENESIS_EPOCH = 3;
export const CURRENT_EPOCH = GENESIS_EPOCH + 3;
export const POOLS = [1, 2, 3, 4, 5].map(poolId);
export const STAKES: ReadonlyMap<string, bigint> = new Map(
  POOLS.map((p, i) => [p, 1_000_000_000n + BigInt(i) * 100_000_000n]),
);

export const msd = (epoch: number): SignedEntityType => ({ type: 'MithrilStakeDistribution', epoch });
export const csd = (epoch: number): SignedEntityType => ({ type: 'CardanoStakeDistribution', epoch });

/** A chain manager, its validator and its store. */
export interface Node {
  store: MemoryCertificateStore;
  certificates: CertificateChain;
  validator: CertificateValidator;
}

export interface NodeOptions {
  /** Store the genesis (default true). */
  genesis?: boolean;
  /** What the validator reads (default the world's). */
  chain?: ChainObserver;
  registrations?: RegistrationView;
}

/** A node on a request network: its exchange with peers and its gossip handlers. */
export interface PeerNode extends Node {
  id: string;
  sync: CertificateSync;
  handlers: TopicHandler<CertificateGossip>[];
}

export class World {
  readonly clock = new ManualClock(CURRENT_EPOCH * EPOCH_MS + 1);
  readonly chain: FakeChain;
  readonly view: FakeView;
  readonly genesisSecretKey = new Uint8Array(32).fill(7);
  readonly verifier: VerifierContext;
  readonly genesis: Certificate;
  private readonly opens = new Map<string, Promise<OpenMessage>>();

  constructor(readonly backend: BlsBackend) {
    this.chain = new FakeChain(this.clock, STAKES);
    this.view = new FakeView(backend, chaCha20Random(new Uint8Array(32).fill(3)));
    for (let epoch = GENESIS_EPOCH; epoch <= CURRENT_EPOCH; epoch++) this.view.close(epoch, STAKES);
    this.verifier = { backend, genesisVerificationKey: ed25519PublicKey(this.genesisSecretKey) };
    this.genesis = createNetworkGenesis({
      record: this.record(GENESIS_EPOCH),
      network: NETWORK,
      protocolParameters: PARAMS,
      epochStartMs: this.chain.epochWindow(GENESIS_EPOCH).startMs,
      genesisSecretKey: this.genesisSecretKey,
    });
  }

  /** The closed registration record of the set recorded at `epoch`, as the store keeps it. */
  record(epoch: number): ClosedRegistrationRecord {
    const set = this.view.signerSet(epoch)!;
    return {
      epoch,
      entries: set.registration.entries.map((e, i) => ({
        partyId: set.partyIds[i]!,
        vk: e.vk,
        stake: e.stake,
      })),
      closedAtMs: epoch * EPOCH_MS,
    };
  }

  context(entity: SignedEntityType): CertificateContext {
    return { network: NETWORK, epochStartMs: this.chain.epochWindow(epochWhenSigned(entity)).startMs };
  }

  /**
   * The open message of `entity` holding the signatures of `pools` that win an index, added in that
   * order, made by the set recorded at `signersEpoch` (by default the right one: the signing epoch - 1).
   */
  open(
    entity: SignedEntityType,
    pools: readonly string[] = POOLS,
    signersEpoch?: number,
  ): Promise<OpenMessage> {
    const key = `${entityKey(entity)}|${pools.join(',')}|${signersEpoch ?? ''}`;
    let open = this.opens.get(key);
    if (open === undefined) {
      open = this.buildOpen(entity, pools, signersEpoch ?? epochWhenSigned(entity) - 1);
      this.opens.set(key, open);
    }
    return open;
  }

  /** Two different subsets of the pools, each reaching the quorum: from the first pool on, and from the last. */
  async quorumSubsets(entity: SignedEntityType): Promise<[string[], string[]]> {
    const all = await this.open(entity);
    const pick = (order: readonly string[]): string[] => {
      const chosen: string[] = [];
      const indexes = new Set<number>();
      for (const pool of order) {
        const signature = all.get(pool);
        if (signature === undefined) continue;
        chosen.push(pool);
        for (const i of signature.sig.indexes) indexes.add(i);
        if (indexes.size >= PARAMS.k) return chosen;
      }
      throw new Error(`no quorum for ${entityKey(entity)}`);
    };
    return [pick(POOLS), pick([...POOLS].reverse())];
  }

  /** The canonical certificate of `entity` from the signatures of `pools`, linked to `parent`. */
  async candidate(
    entity: SignedEntityType,
    parent: Certificate,
    pools: readonly string[] = POOLS,
  ): Promise<Certificate> {
    return buildCandidateCertificate(await this.open(entity, pools), parent, this.context(entity));
  }

  /** A chain manager with the genesis stored (unless told), and its validator reading `chain` (default the world's). */
  async node(options: NodeOptions = {}): Promise<Node> {
    const store = new MemoryCertificateStore();
    const certificates = new CertificateChain({ store, verifier: this.verifier });
    await certificates.load();
    if (options.genesis ?? true) await certificates.offer(this.genesis);
    const validator = new CertificateValidator({
      network: NETWORK,
      protocolParameters: PARAMS,
      chain: options.chain ?? this.chain,
      registrations: options.registrations ?? this.view,
      certificates,
    });
    return { store, certificates, validator };
  }

  /** A node serving and fetching certificates on `network` as `id`, with its gossip handlers. */
  async peer(network: FakeRequestNetwork, id: string, options: NodeOptions = {}): Promise<PeerNode> {
    const node = await this.node(options);
    const sync = new CertificateSync({ network: NETWORK, requests: network.endpoint(id), ...node });
    await sync.start();
    const handlers = createCertificateHandlers({
      entityTypes: ['MithrilStakeDistribution', 'CardanoStakeDistribution'],
      ...node,
      sync,
    });
    return { ...node, id, sync, handlers };
  }

  private async buildOpen(
    entity: SignedEntityType,
    pools: readonly string[],
    signersEpoch: number,
  ): Promise<OpenMessage> {
    const signingEpoch = epochWhenSigned(entity);
    const signers = this.view.signerSet(signersEpoch)!;
    const next = this.view.signerSet(signingEpoch)!;
    const open = await buildOpenMessage(entity, signingEpoch, signers, next, PARAMS, this.chain);
    for (const partyId of pools) {
      const secretKey = this.view.ownSecretKey(signersEpoch, partyId)!;
      const signer = new StmSigner(this.backend, secretKey, signers.registration, toStmParameters(PARAMS));
      const sig = signer.sign(open.message);
      if (sig === null) continue;
      const bytes = encodeSignatureMessage({
        entity,
        signedMessage: open.signedMessageBytes,
        partyId,
        signature: sig,
      });
      open.add({ sig, entry: signer.entry, partyId, bytes, own: false });
    }
    return open;
  }
}
