/**
 * Batch verification of received single signatures. Pending verifications are queued per open
 * message (one message, one AVK) and checked together with `verifySingleSignatures` (lottery,
 * then one randomized aggregate BLS equation, bisected on failure), when the queue reaches
 * `batchSize` or `batchDelayMs` after its first entry, whichever comes first. Each caller gets
 * its own verdict.
 */
import { logger } from '@libp2p/logger';
import { BatchQueue } from '../runtime/batch-queue.ts';
import type { Clock } from '../runtime/clock.ts';
import type { BlsBackend } from '../../protocol/crypto/bls/backend.ts';
import type { RandomSource } from '../../protocol/crypto/random.ts';
import { toStmParameters } from '../../protocol/message/protocol-parameters.ts';
import type { StmVerificationError } from '../../protocol/stm/errors.ts';
import { verifySingleSignatures } from '../../protocol/stm/single-signature.ts';
import type { SignatureWithRegisteredParty } from '../../protocol/stm/types.ts';
import type { OpenMessage } from './open-message.ts';

const log = logger('mithril-mesh:signing:batch');

/**
 * Signatures per batch. A batch costs about 0.24 ms per signature with mcl (measured in
 * protocol/stm/single-signature.ts), so 64 take ~15 ms: enough to amortise the two pairings of the
 * aggregate check, short enough not to stall the event loop on a small machine.
 */
export const DEFAULT_BATCH_SIZE = 64;
/**
 * Longest wait for a batch to fill. Validation holds back forwarding by at most this much per
 * hop: small next to gossipsub's 1 s heartbeat (its gossip cadence) and to the signing window,
 * and the epoch-start burst of signatures fills batches well before it.
 */
export const DEFAULT_BATCH_DELAY_MS = 50;

/** `null` for a valid signature, else the reason the STM rejects it. */
export type BatchVerdict = StmVerificationError | null;

export interface SignatureBatcherOptions {
  clock: Clock;
  backend: BlsBackend;
  /** Verifier-local randomness for the batch scalars. */
  random: RandomSource;
  batchSize?: number;
  batchDelayMs?: number;
}

export class SignatureBatcher {
  private readonly queues = new Map<OpenMessage, BatchQueue<SignatureWithRegisteredParty, BatchVerdict>>();

  constructor(private readonly options: SignatureBatcherOptions) {}

  /** Queues `item` for `open` and resolves with its verdict once its batch is verified. */
  verify(open: OpenMessage, item: SignatureWithRegisteredParty): Promise<BatchVerdict> {
    let queue = this.queues.get(open);
    if (queue === undefined) {
      queue = new BatchQueue({
        clock: this.options.clock,
        batchSize: this.options.batchSize ?? DEFAULT_BATCH_SIZE,
        batchDelayMs: this.options.batchDelayMs ?? DEFAULT_BATCH_DELAY_MS,
        run: (items) => this.run(open, items),
        onFlush: () => this.queues.delete(open),
      });
      this.queues.set(open, queue);
    }
    return queue.add(item);
  }

  /** Verifies every queued signature now and cancels the timers. */
  flushAll(): void {
    for (const queue of [...this.queues.values()]) queue.flush();
  }

  private run(open: OpenMessage, items: SignatureWithRegisteredParty[]): BatchVerdict[] {
    try {
      const verdicts = verifySingleSignatures(
        this.options.backend,
        items,
        open.signers.registration.avk,
        toStmParameters(open.parameters),
        open.message,
        this.options.random,
      );
      log.trace('verified a batch of %d signatures for %s', items.length, open.key);
      return verdicts;
    } catch (error) {
      log.error('batch of %d signatures for %s failed: %s', items.length, open.key, error);
      throw error;
    }
  }
}
