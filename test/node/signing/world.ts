/**
 * A signing test world: a manual clock in epoch 5, a chain, a view with real closed sets, a
 * store, a publisher and a `SigningService`, plus helpers to craft signatures of any pool.
 */
import { expect } from 'chai';
import { MeshEvents } from '../../../node/events.ts';
import { GossipValidationError } from '../../../node/gossip/errors.ts';
import type { TopicHandler } from '../../../node/gossip/handler.ts';
import { ManualClock } from '../../../node/runtime/clock.ts';
import type { SignatureMessage } from '../../../node/signing/message.ts';
import { encodeSignatureMessage } from '../../../node/signing/message.ts';
import type { OpenMessage } from '../../../node/signing/open-message.ts';
import type { SigningServiceOptions } from '../../../node/signing/service.ts';
import { SigningService } from '../../../node/signing/service.ts';
import type { BlsBackend } from '../../../protocol/crypto/bls/backend.ts';
import { chaCha20Random } from '../../../protocol/crypto/random.ts';
import type { ProtocolParameters } from '../../../protocol/message/protocol-parameters.ts';
import { toStmParameters } from '../../../protocol/message/protocol-parameters.ts';
import type { SignedEntityType, SignedEntityTypeName } from '../../../protocol/message/signed-entity-type.ts';
import { StmSigner } from '../../../protocol/stm/signer.ts';
import type { SingleSignature } from '../../../protocol/stm/types.ts';
import { EPOCH_MS, FakeChain, FakePublisher, FakeView, MemorySignatureStore, spyBackend } from './fakes.ts';

/** Small STM parameters: a handful of signers win several of the 21 indexes. */
export const PARAMS: ProtocolParameters = { k: 3, m: 20, phiF: 0.8 };
export const EPOCH = 5;
export const MSD: SignedEntityType = { type: 'MithrilStakeDistribution', epoch: EPOCH };
export const CSD: SignedEntityType = { type: 'CardanoStakeDistribution', epoch: EPOCH - 1 };
export const BATCH_DELAY_MS = 50;

export interface WorldOptions {
  /** Pool → stake of the sets closed at `closed` epochs. */
  stakes: ReadonlyMap<string, bigint>;
  /** Recording epochs whose set is closed at the start (default: 4 and 5). */
  closed?: number[];
  params?: ProtocolParameters;
  backend: BlsBackend;
  service?: Partial<SigningServiceOptions>;
  seed?: number;
}

export class World {
  readonly clock = new ManualClock(EPOCH * EPOCH_MS + 1);
  readonly chain: FakeChain;
  readonly view: FakeView;
  readonly store: MemorySignatureStore;
  readonly publisher = new FakePublisher();
  readonly events = new MeshEvents();
  readonly spy: ReturnType<typeof spyBackend>;
  readonly params: ProtocolParameters;
  service!: SigningService;

  constructor(private readonly options: WorldOptions) {
    this.params = options.params ?? PARAMS;
    this.spy = spyBackend(options.backend);
    this.chain = new FakeChain(this.clock, options.stakes);
    this.view = new FakeView(options.backend, chaCha20Random(new Uint8Array(32).fill(options.seed ?? 1)));
    for (const epoch of options.closed ?? [EPOCH - 1, EPOCH]) this.view.close(epoch, options.stakes);
    this.store = new MemorySignatureStore();
    this.restart();
  }

  /** A new service on the same view, chain and store (as after a process restart). */
  restart(): SigningService {
    this.service = new SigningService({
      entityTypes: ['MithrilStakeDistribution', 'CardanoStakeDistribution'],
      identities: [],
      protocolParameters: this.params,
      chain: this.chain,
      registrations: this.view,
      store: this.store,
      publisher: this.publisher,
      clock: this.clock,
      events: this.events,
      backend: this.spy.backend,
      random: chaCha20Random(new Uint8Array(32).fill(9)),
      batchDelayMs: BATCH_DELAY_MS,
      ...this.options.service,
    });
    this.publisher.handlers = this.service.handlers as TopicHandler<unknown>[];
    return this.service;
  }

  handler(type: SignedEntityTypeName): TopicHandler<SignatureMessage> {
    const handler = this.service.handlers.find(
      (h) => h.topic.kind === 'signature' && h.topic.entityType === type,
    );
    if (handler === undefined) throw new Error(`no handler for ${type}`);
    return handler;
  }

  async open(entity: SignedEntityType): Promise<OpenMessage> {
    const result = await this.service.openMessage(entity);
    if (result.status !== 'open') throw new Error(`no open message: ${result.reason}`);
    return result.openMessage;
  }

  /** The STM signature of `partyId` for `open`, or null when it wins no index. */
  stmSign(open: OpenMessage, partyId: string): SingleSignature | null {
    const sk = this.view.ownSecretKey(open.signingEpoch - 1, partyId);
    if (sk === undefined) throw new Error(`no key for ${partyId}`);
    return new StmSigner(
      this.options.backend,
      sk,
      open.signers.registration,
      toStmParameters(this.params),
    ).sign(open.message);
  }

  /** Pools of `open`'s signer set that win at least one index. */
  winners(open: OpenMessage): string[] {
    return open.signers.partyIds.filter((p) => this.stmSign(open, p) !== null);
  }

  /** A gossip message as the handler decodes it; fields can be overridden to craft bad ones. */
  message(
    open: OpenMessage,
    partyId: string,
    override: Partial<{
      entity: SignedEntityType;
      signedMessage: Uint8Array;
      partyId: string;
      signature: SingleSignature;
    }> = {},
  ): SignatureMessage {
    const signature = override.signature ?? this.stmSign(open, partyId);
    if (signature === null) throw new Error(`${partyId} wins no index`);
    const bytes = encodeSignatureMessage({
      entity: open.entity,
      signedMessage: open.signedMessageBytes,
      partyId,
      signature,
      ...override,
    });
    return this.handler(open.entity.type).decode(bytes);
  }

  /** Validates on the handler of `type` (default: the message's own), letting batches flush. */
  async validate(message: SignatureMessage, type = message.entity.type): Promise<string> {
    const verdict = outcome(this.handler(type).validate(message, 'peer'));
    await settle();
    this.clock.advance(BATCH_DELAY_MS);
    return verdict;
  }
}

/** Lets pending promise chains (fakes resolve immediately) run to their next real wait. */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** 'accept', or 'ignore:REASON' / 'reject:REASON'. */
export async function outcome(verdict: Promise<unknown>): Promise<string> {
  try {
    await verdict;
    return 'accept';
  } catch (e) {
    expect(e).to.be.instanceOf(GossipValidationError);
    const error = e as GossipValidationError;
    return `${error.action}:${error.reason}`;
  }
}
