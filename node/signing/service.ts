/**
 * The signing service (docs/node-design.md, "Epochs"): at the start of each epoch E, and at
 * start-up for the current one, every identity of this node registered in the set recorded at
 * E-1 signs each enabled beacon of E and publishes its signature when it wins the lottery. It also
 * validates, counts and stores the signatures of the others (one topic handler per enabled type)
 * and gives the aggregator the open message of a beacon.
 *
 * Signatures are deterministic for a key and a message, and a stored one is never replaced: a
 * restarted node re-publishes the stored bytes instead of signing again. At each epoch start the
 * open messages and stored signatures the beacon window can no longer reach are dropped.
 */
import { logger } from '@libp2p/logger';
import type { ChainObserver } from '../chain/observer.ts';
import { reject } from '../gossip/errors.ts';
import type { GossipPublisher, TopicHandler } from '../gossip/handler.ts';
import type { MeshEvents } from '../events.ts';
import type { RegistrationView, SignerSet } from '../registration/view.ts';
import type { Clock, TimerHandle } from '../runtime/clock.ts';
import type { SignatureStore } from '../store/types.ts';
import type { BlsBackend } from '../../protocol/crypto/bls/backend.ts';
import type { RandomSource } from '../../protocol/crypto/random.ts';
import { systemRandom } from '../../protocol/crypto/random.ts';
import { ProtocolError } from '../../protocol/errors.ts';
import { equalBytes } from '../../protocol/encoding/bytes.ts';
import type { ProtocolParameters } from '../../protocol/message/protocol-parameters.ts';
import { toStmParameters } from '../../protocol/message/protocol-parameters.ts';
import type { SignedEntityType, SignedEntityTypeName } from '../../protocol/message/signed-entity-type.ts';
import {
  SignedEntityTypeError,
  timePointToSignedEntityType,
} from '../../protocol/message/signed-entity-type.ts';
import { RegistrationError } from '../../protocol/stm/errors.ts';
import { StmSigner } from '../../protocol/stm/signer.ts';
import { SignatureBatcher } from './batch.ts';
import type { SignatureMessage } from './message.ts';
import {
  SignatureMessageError,
  decodeSignatureMessage,
  encodeSignatureMessage,
  maxSignatureMessageBytes,
} from './message.ts';
import type { AcceptedSignature, OpenMessage } from './open-message.ts';
import { signerIndexOf } from './open-message.ts';
import type { OpenMessageResult } from './registry.ts';
import { OpenMessages } from './registry.ts';
import type { CertifiedCheck } from './validator.ts';
import { oldestBeaconEpoch } from './window.ts';
import { SignatureValidator } from './validator.ts';

const log = logger('mithril-mesh:signing');

/** Lets pending I/O and timers run (setImmediate: after the poll phase, unlike a microtask). */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Configuration the service cannot run with. Codes: UNSUPPORTED_ENTITY_TYPE. */
export class SigningServiceError extends ProtocolError {}

/** The types whose protocol message this node computes (protocol/message/stake-distribution.ts). */
export const SIGNABLE_ENTITY_TYPES: readonly SignedEntityTypeName[] = [
  'MithrilStakeDistribution',
  'CardanoStakeDistribution',
];

/**
 * Retry delay when the epoch timer fires after the boundary but before the chain observer reports
 * the new epoch (its view of the chain may lag the clock by a moment).
 */
const EPOCH_RETRY_MS = 1000;

export interface SigningServiceOptions {
  /** Types this node signs and relays signatures of: a subset of `SIGNABLE_ENTITY_TYPES`. */
  entityTypes: readonly SignedEntityTypeName[];
  /** Pool ids (bech32) this node signs for; empty for a relay-only node. */
  identities: readonly string[];
  /** STM parameters of the network (the same in every epoch). */
  protocolParameters: ProtocolParameters;
  chain: ChainObserver;
  registrations: RegistrationView;
  store: SignatureStore;
  publisher: GossipPublisher;
  clock: Clock;
  events: MeshEvents;
  backend: BlsBackend;
  /** Randomness of the batch-verification scalars; the OS CSPRNG by default. */
  random?: RandomSource;
  /** Skips beacons already certified (validation IGNOREs CERTIFIED, signing is skipped). */
  isCertified?: CertifiedCheck;
  /** Batch verification size and delay (defaults in batch.ts). */
  batchSize?: number;
  batchDelayMs?: number;
}

export class SigningService {
  /** One gossip handler per enabled entity type. */
  readonly handlers: readonly TopicHandler<SignatureMessage>[];
  private readonly openMessages: OpenMessages;
  private readonly batcher: SignatureBatcher;
  private readonly validator: SignatureValidator;
  private readonly identities: ReadonlySet<string>;
  private rounds: Promise<void> = Promise.resolve();
  /**
   * Own signers by signer set, which every beacon of an epoch shares: making one derives its
   * verification key (a constant-time G2 multiplication), the largest part of a round's signing
   * in a 20-node profile (bench:network p2p-vs-star).
   */
  private readonly signers = new WeakMap<SignerSet, Map<string, { secretKey: bigint; signer: StmSigner }>>();
  private timer: TimerHandle | undefined;
  private unsubscribe: (() => void) | undefined;
  private running = false;

  constructor(private readonly options: SigningServiceOptions) {
    for (const type of options.entityTypes) {
      if (!SIGNABLE_ENTITY_TYPES.includes(type)) {
        throw new SigningServiceError('UNSUPPORTED_ENTITY_TYPE', `cannot compute ${type} messages`);
      }
    }
    const random = options.random ?? systemRandom;
    this.identities = new Set(options.identities);
    this.openMessages = new OpenMessages({
      chain: options.chain,
      registrations: options.registrations,
      store: options.store,
      clock: options.clock,
      parameters: options.protocolParameters,
      backend: options.backend,
      random,
      identities: this.identities,
    });
    this.batcher = new SignatureBatcher({
      clock: options.clock,
      backend: options.backend,
      random,
      ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
      ...(options.batchDelayMs === undefined ? {} : { batchDelayMs: options.batchDelayMs }),
    });
    this.validator = new SignatureValidator({
      chain: options.chain,
      registrations: options.registrations,
      clock: options.clock,
      openMessages: this.openMessages,
      batcher: this.batcher,
      identities: this.identities,
      ...(options.isCertified === undefined ? {} : { isCertified: options.isCertified }),
    });
    this.handlers = [...new Set(options.entityTypes)].map((type) => this.handler(type));
  }

  /** Signs the current epoch's beacons (resolves when done), then each new epoch's at its start. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const { events, chain } = this.options;
    // A set closing late (or loaded late) may be the one this epoch's beacons were waiting for.
    this.unsubscribe = events.on('registration:closed', ({ epoch }) => {
      const current = chain.currentEpoch();
      if (epoch === current - 1 || epoch === current) this.enqueueRound();
    });
    this.scheduleEpochTimer(chain.currentEpoch());
    this.enqueueRound();
    await this.whenIdle();
  }

  /** Cancels the timers, verifies the signatures still queued, waits for a running round. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.timer !== undefined) this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.batcher.flushAll();
    await this.whenIdle();
  }

  /** The open message of `entity`: accepted signatures with their entries, distinct indexes. */
  openMessage(entity: SignedEntityType): Promise<OpenMessageResult> {
    return this.openMessages.get(entity);
  }

  /** Resolves once the signing rounds started so far have run. */
  whenIdle(): Promise<void> {
    return this.rounds;
  }

  private handler(type: SignedEntityTypeName): TopicHandler<SignatureMessage> {
    const { m } = this.options.protocolParameters;
    return {
      topic: { kind: 'signature', entityType: type },
      maxMessageBytes: maxSignatureMessageBytes(m),
      decode: (data) => {
        try {
          return decodeSignatureMessage(data, m);
        } catch (error) {
          if (!(error instanceof SignatureMessageError)) throw error;
          throw reject('MALFORMED', `signature message: ${error.message}`, error);
        }
      },
      validate: async (message) => {
        await this.validator.validate(type, message);
      },
      accept: (message) => this.accept(message),
    };
  }

  /** Stores and announces a validated signature (a no-op for one already stored). */
  private async accept(message: SignatureMessage): Promise<void> {
    const open = this.openMessages.peek(message.entity);
    const accepted = open?.get(message.partyId);
    if (open === undefined || accepted === undefined || !equalBytes(accepted.bytes, message.bytes)) {
      log('signature of %s left its open message before being stored', message.partyId);
      return;
    }
    await this.persist(open, accepted, false);
  }

  private async persist(open: OpenMessage, accepted: AcceptedSignature, own: boolean): Promise<void> {
    if (!open.markPersisted(accepted.partyId)) return;
    await this.options.store.put(open.entity, accepted.partyId, accepted.bytes);
    this.options.events.emit('signature:accepted', {
      entity: open.entity,
      partyId: accepted.partyId,
      signerIndex: accepted.sig.signerIndex,
      indexes: accepted.sig.indexes.length,
      own,
    });
  }

  private scheduleEpochTimer(epoch: number): void {
    const { clock, chain } = this.options;
    const delay = Math.max(chain.epochWindow(epoch).endMs - clock.now(), 0);
    this.timer = clock.setTimeout(() => this.onEpochTimer(epoch), delay);
  }

  private onEpochTimer(previous: number): void {
    this.timer = undefined;
    if (!this.running) return;
    const { chain, clock } = this.options;
    const epoch = chain.currentEpoch();
    if (epoch <= previous) {
      // Timers may fire a millisecond before the boundary on the clock (Node's setTimeout against
      // Date.now): wait out the rest, not a whole retry delay (every node of a 20-node run started
      // its rounds a second late).
      const remainingMs = chain.epochWindow(previous).endMs - clock.now();
      this.timer = clock.setTimeout(
        () => this.onEpochTimer(previous),
        remainingMs > 0 ? remainingMs : EPOCH_RETRY_MS,
      );
      return;
    }
    this.openMessages.prune();
    this.scheduleEpochTimer(epoch);
    // Signing first: dropping old beacons' signatures can wait for the round.
    this.enqueueRound();
    this.rounds = this.rounds
      .then(() => this.options.store.prune(oldestBeaconEpoch(epoch)))
      .catch((error: unknown) => log.error('pruning signatures before epoch %d failed: %s', epoch, error));
  }

  /** Rounds run one after the other: two never sign the same beacon at once. */
  private enqueueRound(): void {
    this.rounds = this.rounds
      .then(() => this.signRound())
      .catch((error: unknown) => log.error('signing round failed: %s', error));
  }

  /**
   * Signs every enabled beacon of the current time point for every own identity, then stores the
   * new signatures, then publishes them. Pool by pool, all beacons of a pool together: signing
   * beacon by beacon made a loaded node publish its CardanoStakeDistribution signatures 27 s after
   * its Mithril ones (bench:network p2p-vs-star, BENCHMARKS.md). Between pools the event loop runs:
   * a pool's lottery is ~16,948 BLAKE2b evaluations at mainnet parameters (~40 ms), and a node
   * hosting 100 pools on a loaded machine blocked it for minutes, until libp2p's TCP sockets timed
   * out (2 min without a read) and gossipsub lost its streams to every peer (bench:network
   * mainnet-scale).
   */
  private async signRound(): Promise<void> {
    if (!this.running) return;
    const beacons = (
      await Promise.all(this.currentBeacons().map((entity) => this.openBeacon(entity)))
    ).filter((beacon) => beacon !== undefined);
    const toPublish: Array<{ open: OpenMessage; signature: AcceptedSignature; fresh: boolean }> = [];
    for (const partyId of this.identities) {
      for (const { open, storedParties } of beacons) {
        if (signerIndexOf(open.signers, partyId) === undefined) {
          log('%s is not a signer of epoch %d', partyId, open.signingEpoch);
          continue;
        }
        const known = open.get(partyId);
        if (known !== undefined) {
          toPublish.push({ open, signature: known, fresh: false });
          continue;
        }
        if (storedParties.has(partyId)) {
          // Stored but not valid for this open message (the signer set changed): a new signature
          // for the same beacon would be equivocation.
          log.error('stored signature of %s for %s does not fit the open message', partyId, open.key);
          continue;
        }
        const signature = this.sign(open, partyId);
        if (signature === undefined) continue;
        // No await since `open.get` above: the pool has no signature in the open message yet.
        open.add(signature);
        toPublish.push({ open, signature, fresh: true });
      }
      await yieldToEventLoop();
      if (!this.running) return;
    }
    // Stored before published: a restarted node re-publishes these bytes instead of signing again.
    await Promise.all(
      toPublish
        .filter(({ fresh }) => fresh)
        .map(({ open, signature }) => this.persist(open, signature, true)),
    );
    await Promise.all(
      toPublish.map(({ open, signature }) => this.publish(open, signature.partyId, signature.bytes)),
    );
  }

  /** The beacons of the current time point, one per enabled type that has one. */
  private currentBeacons(): SignedEntityType[] {
    const timePoint = this.options.chain.currentTimePoint();
    const beacons: SignedEntityType[] = [];
    for (const type of new Set(this.options.entityTypes)) {
      try {
        beacons.push(timePointToSignedEntityType(type, timePoint));
      } catch (error) {
        // CardanoStakeDistribution has no beacon in epoch 0.
        if (!(error instanceof SignedEntityTypeError)) throw error;
        log('no %s beacon at epoch %d: %s', type, timePoint.epoch, error.message);
      }
    }
    return beacons;
  }

  /**
   * The open message of a beacon to sign and which of our pools missing from it have a stored
   * signature (one that no longer fits); undefined when there is nothing to sign.
   */
  private async openBeacon(
    entity: SignedEntityType,
  ): Promise<{ open: OpenMessage; storedParties: ReadonlySet<string> } | undefined> {
    const { isCertified, store } = this.options;
    if (isCertified !== undefined && (await isCertified(entity))) return undefined;
    // Building the open message also reloads the signatures stored for it.
    const result = await this.openMessages.get(entity);
    if (result.status === 'unavailable') {
      log('cannot sign %s yet: %s (%s)', entity.type, result.reason, result.detail);
      return undefined;
    }
    const open = result.openMessage;
    const missing = [...this.identities].filter((partyId) => open.get(partyId) === undefined);
    const stored = await Promise.all(missing.map((partyId) => store.get(entity, partyId)));
    return { open, storedParties: new Set(missing.filter((_, i) => stored[i] !== undefined)) };
  }

  private async publish(open: OpenMessage, partyId: string, bytes: Uint8Array): Promise<void> {
    if (!this.running || !open.markPublished(partyId)) return;
    try {
      const peers = await this.options.publisher.publish(
        { kind: 'signature', entityType: open.entity.type },
        bytes,
      );
      log('published the signature of %s for %s to %d peers', partyId, open.key, peers);
    } catch (error) {
      log.error('publishing the signature of %s for %s failed: %s', partyId, open.key, error);
    }
  }

  /** Plays the lottery for `partyId`; undefined when it has no key in the set or wins no index. */
  private sign(open: OpenMessage, partyId: string): AcceptedSignature | undefined {
    const { registrations, backend, protocolParameters } = this.options;
    const secretKey = registrations.ownSecretKey(open.signingEpoch - 1, partyId);
    if (secretKey === undefined) {
      log('%s has no own key recorded at %d', partyId, open.signingEpoch - 1);
      return undefined;
    }
    let bySet = this.signers.get(open.signers);
    if (bySet === undefined) this.signers.set(open.signers, (bySet = new Map()));
    const cached = bySet.get(partyId);
    let signer = cached?.secretKey === secretKey ? cached.signer : undefined;
    if (signer === undefined) {
      try {
        signer = new StmSigner(
          backend,
          secretKey,
          open.signers.registration,
          toStmParameters(protocolParameters),
        );
      } catch (error) {
        if (!(error instanceof RegistrationError)) throw error;
        log.error('own key of %s is not in the signer set of epoch %d', partyId, open.signingEpoch);
        return undefined;
      }
      bySet.set(partyId, { secretKey, signer });
    }
    if (open.signers.partyIds[signer.signerIndex] !== partyId) {
      log.error('own key of %s is registered under another pool', partyId);
      return undefined;
    }
    const sig = signer.sign(open.message);
    if (sig === null) {
      log('%s won no lottery index for %s', partyId, open.key);
      return undefined;
    }
    const bytes = encodeSignatureMessage({
      entity: open.entity,
      signedMessage: open.signedMessageBytes,
      partyId,
      signature: sig,
    });
    return { sig, entry: signer.entry, partyId, bytes, own: true };
  }
}
