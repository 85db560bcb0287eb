/**
 * In-memory fakes for the signing tests: a chain whose epochs follow a clock, a registration view
 * holding real closed STM sets with real BLS keys, a signature store and a publisher that runs
 * the local accept path as the real one does.
 */
import type { ChainObserver, EpochWindow } from '../../../node/chain/observer.ts';
import type { GossipPublisher, TopicHandler } from '../../../node/gossip/handler.ts';
import type { MeshTopic } from '../../../node/gossip/topics.ts';
import type { Clock } from '../../../node/runtime/clock.ts';
import type { SignatureStore, StoredMessage } from '../../../node/store/types.ts';
import { poolIdFromHash } from '../../../protocol/cardano/pool-id.ts';
import type { BlsBackend } from '../../../protocol/crypto/bls/backend.ts';
import type { TimePoint } from '../../../protocol/message/signed-entity-type.ts';
import type { SignedEntityType } from '../../../protocol/message/signed-entity-type.ts';
import { entityKey } from '../../../node/signing/open-message.ts';

export const EPOCH_MS = 10_000;

/** A pool id from a one-byte seed. */
export const poolId = (seed: number): string => poolIdFromHash(new Uint8Array(28).fill(seed));

export class FakeChain implements ChainObserver {
  constructor(
    private readonly clock: Clock,
    readonly stakes: ReadonlyMap<string, bigint>,
    private readonly epochMs = EPOCH_MS,
  ) {}

  currentEpoch(): number {
    return Math.floor(this.clock.now() / this.epochMs);
  }

  epochWindow(epoch: number): EpochWindow {
    return { epoch, startMs: epoch * this.epochMs, endMs: (epoch + 1) * this.epochMs };
  }

  currentTimePoint(): TimePoint {
    return { epoch: this.currentEpoch(), immutableFileNumber: 0, blockNumber: 0 };
  }

  stakeDistribution(): Promise<ReadonlyMap<string, bigint>> {
    return Promise.resolve(this.stakes);
  }

  currentKesPeriod(): bigint {
    return 0n;
  }
}

export { FakeView } from '../support/fake-view.ts';

export class MemorySignatureStore implements SignatureStore {
  readonly data = new Map<string, { entity: SignedEntityType; byParty: Map<string, Uint8Array> }>();

  put(entity: SignedEntityType, partyId: string, message: Uint8Array): Promise<void> {
    const key = entityKey(entity);
    let slot = this.data.get(key);
    if (slot === undefined) {
      slot = { entity, byParty: new Map() };
      this.data.set(key, slot);
    }
    slot.byParty.set(partyId, Uint8Array.from(message));
    return Promise.resolve();
  }

  get(entity: SignedEntityType, partyId: string): Promise<Uint8Array | undefined> {
    return Promise.resolve(this.data.get(entityKey(entity))?.byParty.get(partyId));
  }

  list(entity: SignedEntityType): Promise<StoredMessage[]> {
    const slot = this.data.get(entityKey(entity));
    return Promise.resolve([...(slot?.byParty ?? [])].map(([partyId, message]) => ({ partyId, message })));
  }

  prune(beforeEpoch: number): Promise<void> {
    for (const [key, slot] of this.data) if (slot.entity.epoch < beforeEpoch) this.data.delete(key);
    return Promise.resolve();
  }
}

/** Records publications and runs the local accept path, as the real publisher does. */
export class FakePublisher implements GossipPublisher {
  readonly published: { topic: MeshTopic; data: Uint8Array }[] = [];
  handlers: readonly TopicHandler<unknown>[] = [];

  async publish(topic: MeshTopic, data: Uint8Array): Promise<number> {
    this.published.push({ topic, data });
    const handler = this.handlers.find((h) => JSON.stringify(h.topic) === JSON.stringify(topic));
    if (handler !== undefined) await handler.accept(handler.decode(data), 'local');
    return 0;
  }
}

/** A backend that counts signing and key derivations and records the size of each aggregate check. */
export function spyBackend(backend: BlsBackend): {
  backend: BlsBackend;
  signs: number;
  verificationKeys: number;
  aggregates: number[];
} {
  const spy = { backend, signs: 0, verificationKeys: 0, aggregates: [] as number[] };
  spy.backend = {
    name: backend.name,
    verificationKey: (sk) => {
      spy.verificationKeys++;
      return backend.verificationKey(sk);
    },
    sign: (sk, msg) => {
      spy.signs++;
      return backend.sign(sk, msg);
    },
    proofOfPossession: (sk) => backend.proofOfPossession(sk),
    validateVerificationKey: (vk) => backend.validateVerificationKey(vk),
    validateSignature: (sig) => backend.validateSignature(sig),
    verifyProofOfPossession: (vk, pop) => backend.verifyProofOfPossession(vk, pop),
    verifyProofsOfPossession: (items, scalars) => backend.verifyProofsOfPossession(items, scalars),
    verify: (msg, vk, sig) => backend.verify(msg, vk, sig),
    verifyAggregateSameMessage: (msg, vks, sigs, scalars) => {
      spy.aggregates.push(vks.length);
      return backend.verifyAggregateSameMessage(msg, vks, sigs, scalars);
    },
    verifyBatch: (items, scalars) => backend.verifyBatch(items, scalars),
  };
  return spy;
}
