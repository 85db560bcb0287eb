/**
 * Validation of a received single signature (docs/node-design.md, "Validation"), cheapest first:
 * topic, beacon window, signer set, pool and signer index, signed message, duplicate or
 * equivocation, already certified; only then the lottery and BLS checks, in batches. A signature
 * that passes is added to its open message before the verdict is returned, so the first valid
 * signature of a pool is the one kept and a later different one is equivocation.
 */
import type { ChainObserver } from '../chain/observer.ts';
import { ignore, reject } from '../gossip/errors.ts';
import type { RegistrationView } from '../registration/view.ts';
import type { Clock } from '../runtime/clock.ts';
import { equalBytes } from '../../protocol/encoding/bytes.ts';
import type { SignedEntityType, SignedEntityTypeName } from '../../protocol/message/signed-entity-type.ts';
import type { SignatureBatcher } from './batch.ts';
import type { SignatureMessage } from './message.ts';
import type { AcceptedSignature, OpenMessage } from './open-message.ts';
import { signerIndexOf } from './open-message.ts';
import type { OpenMessages } from './registry.ts';
import { beaconWindow } from './window.ts';

/** Whether a certificate already exists for the beacon (the aggregator's answer). */
export type CertifiedCheck = (entity: SignedEntityType) => boolean | Promise<boolean>;

export interface SignatureValidatorOptions {
  chain: ChainObserver;
  registrations: RegistrationView;
  clock: Clock;
  openMessages: OpenMessages;
  batcher: SignatureBatcher;
  /** This node's pool ids (their signatures are marked own). */
  identities: ReadonlySet<string>;
  isCertified?: CertifiedCheck;
}

export class SignatureValidator {
  /** Messages waiting for their batch, per open message and pool: identical copies are duplicates. */
  private readonly pending = new WeakMap<OpenMessage, Map<string, Uint8Array[]>>();

  constructor(private readonly options: SignatureValidatorOptions) {}

  /**
   * Validates `message` received on the signature topic of `topicType`. Resolves with the
   * accepted signature (already counted in its open message); throws `GossipValidationError`.
   */
  async validate(topicType: SignedEntityTypeName, message: SignatureMessage): Promise<AcceptedSignature> {
    const { chain, registrations, clock, openMessages, isCertified } = this.options;
    const { entity, partyId, signature } = message;
    if (entity.type !== topicType) {
      throw reject('WRONG_TOPIC', `${entity.type} signature on the ${topicType} topic`);
    }
    const window = beaconWindow(entity, chain, clock.now());
    if (window.status === 'future') {
      throw ignore('FUTURE_EPOCH', `beacon signed in epoch ${window.signingEpoch}, ahead of ours`);
    }
    if (window.status === 'expired') {
      throw ignore('WRONG_EPOCH', `beacon signed in epoch ${window.signingEpoch} is out of the window`);
    }
    const signers = registrations.signerSet(window.signingEpoch - 1);
    if (signers === undefined) {
      throw ignore('SIGNER_SET_UNKNOWN', `signer set recorded at ${window.signingEpoch - 1} is not closed`);
    }
    // Both depend on our closed set, which may differ from the sender's until the certified set
    // is adopted (docs/node-design.md, "When views differ"): not provably the sender's fault.
    if (signerIndexOf(signers, partyId) === undefined) {
      throw ignore('NOT_A_SIGNER', `${partyId} is not registered at ${window.signingEpoch - 1}`);
    }
    if (signers.partyIds[signature.signerIndex] !== partyId) {
      throw ignore('SIGNER_MISMATCH', `signer index ${signature.signerIndex} is not ${partyId}`);
    }

    const result = await openMessages.get(entity);
    if (result.status === 'unavailable') {
      switch (result.reason) {
        case 'FUTURE_EPOCH':
          throw ignore('FUTURE_EPOCH', result.detail);
        case 'EXPIRED':
          throw ignore('WRONG_EPOCH', result.detail);
        case 'SIGNER_SET_UNKNOWN':
        case 'NEXT_SIGNER_SET_UNKNOWN':
          throw ignore('SIGNER_SET_UNKNOWN', result.detail);
        case 'MESSAGE_UNAVAILABLE':
          throw ignore('MESSAGE_UNAVAILABLE', result.detail);
      }
    }
    const open = result.openMessage;
    // Our view (next AVK, stake distribution) may differ from the signer's: not its fault.
    if (!equalBytes(message.signedMessage, open.signedMessageBytes)) {
      throw ignore('MESSAGE_MISMATCH', `signed message differs from ours (${open.signedMessage})`);
    }
    this.checkFirst(open, message);
    const waiting = this.waiting(open, partyId);
    if (waiting.some((bytes) => equalBytes(bytes, message.bytes))) {
      throw ignore('DUPLICATE', `signature of ${partyId} is already being verified`);
    }
    if (isCertified !== undefined && (await isCertified(entity))) {
      throw ignore('CERTIFIED', `${open.key} is already certified`);
    }

    // The open message's own set: the view may have moved on while we waited.
    const item = { sig: signature, entry: open.signers.registration.entryAt(signature.signerIndex) };
    waiting.push(message.bytes);
    let verdict;
    try {
      verdict = await this.options.batcher.verify(open, item);
    } finally {
      waiting.splice(waiting.indexOf(message.bytes), 1);
      if (waiting.length === 0) this.pending.get(open)?.delete(partyId);
    }
    if (verdict !== null) {
      throw reject('INVALID_SIGNATURE', `signature of ${partyId}: ${verdict.message}`, verdict);
    }
    // Another copy or another signature of the pool may have been accepted meanwhile.
    this.checkFirst(open, message);
    const accepted: AcceptedSignature = {
      ...item,
      partyId,
      bytes: message.bytes,
      own: this.options.identities.has(partyId),
    };
    open.add(accepted);
    return accepted;
  }

  /** One signature per (type, beacon, pool): the same again is a duplicate, another is equivocation. */
  private checkFirst(open: OpenMessage, message: SignatureMessage): void {
    const existing = open.get(message.partyId);
    if (existing === undefined) return;
    if (equalBytes(existing.bytes, message.bytes)) {
      throw ignore('DUPLICATE', `signature of ${message.partyId} already accepted`);
    }
    throw reject('EQUIVOCATION', `${message.partyId} already signed ${open.key} differently`);
  }

  private waiting(open: OpenMessage, partyId: string): Uint8Array[] {
    let byParty = this.pending.get(open);
    if (byParty === undefined) {
      byParty = new Map();
      this.pending.set(open, byParty);
    }
    let list = byParty.get(partyId);
    if (list === undefined) {
      list = [];
      byParty.set(partyId, list);
    }
    return list;
  }
}
