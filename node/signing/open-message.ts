/**
 * The open message of one (entity type, beacon): what is signed (protocol message, its SHA-256
 * and the 64 ASCII bytes of that hash the STM signs), under which signer set, and the single
 * signatures accepted so far, one per pool, with the number of distinct lottery indexes they
 * cover (an aggregate needs k of them).
 */
import type { ChainObserver } from '../chain/observer.ts';
import type { SignerSet } from '../registration/view.ts';
import { stringifyJson } from '../../protocol/codec/json.ts';
import { equalBytes, hexToBytes, utf8 } from '../../protocol/encoding/bytes.ts';
import type { ProtocolMessage } from '../../protocol/message/protocol-message.ts';
import type { ProtocolParameters } from '../../protocol/message/protocol-parameters.ts';
import type { SignedEntityType } from '../../protocol/message/signed-entity-type.ts';
import { signedEntityTypeToJson } from '../../protocol/message/signed-entity-type.ts';
import { computeProtocolMessage } from '../../protocol/message/stake-distribution.ts';
import type { SignatureWithRegisteredParty } from '../../protocol/stm/types.ts';
import { SIGNED_MESSAGE_BYTES } from './message.ts';

/**
 * CardanoStakeDistribution(e) certifies the distribution recorded at e + 2 (the reference's
 * `CARDANO_STAKE_DISTRIBUTION_SNAPSHOT_OFFSET`, protocol/message/stake-distribution.ts); the chain
 * observer indexes distributions by recording epoch as well.
 */
const CARDANO_STAKE_DISTRIBUTION_SNAPSHOT_OFFSET = 2;

/** An accepted single signature joined with the registration entry it was made under. */
export interface AcceptedSignature extends SignatureWithRegisteredParty {
  partyId: string;
  /** The gossip message, byte for byte as stored. */
  bytes: Uint8Array;
  /** Made by one of this node's identities. */
  own: boolean;
}

export type AddOutcome = 'added' | 'duplicate' | 'equivocation';

/** A stable map key for a beacon. */
export function entityKey(entity: SignedEntityType): string {
  return stringifyJson(signedEntityTypeToJson(entity));
}

const partyIndexes = new WeakMap<SignerSet, ReadonlyMap<string, number>>();

/** The signer index of `partyId` in `set`, or undefined when the pool is not registered in it. */
export function signerIndexOf(set: SignerSet, partyId: string): number | undefined {
  let indexes = partyIndexes.get(set);
  if (indexes === undefined) {
    indexes = new Map(set.partyIds.map((id, index) => [id, index]));
    partyIndexes.set(set, indexes);
  }
  return indexes.get(partyId);
}

export class OpenMessage {
  readonly key: string;
  readonly protocolMessage: ProtocolMessage;
  /** Lowercase hex SHA-256 of the protocol message: the certificate's `signed_message`. */
  readonly signedMessage: string;
  /** The raw 32-byte hash, as the gossip message carries it. */
  readonly signedMessageBytes: Uint8Array;
  /** What the STM signs: the ASCII bytes of `signedMessage`. */
  readonly message: Uint8Array;
  private readonly byParty = new Map<string, AcceptedSignature>();
  private readonly indexes = new Set<number>();
  private readonly persisted = new Set<string>();
  private readonly published = new Set<string>();

  constructor(
    readonly entity: SignedEntityType,
    readonly signingEpoch: number,
    /** Signers of the signing epoch: the set recorded at `signingEpoch - 1`. */
    readonly signers: SignerSet,
    /** The set recorded at `signingEpoch`, whose AVK the message carries. */
    readonly nextSigners: SignerSet,
    readonly parameters: ProtocolParameters,
    protocolMessage: ProtocolMessage,
  ) {
    this.key = entityKey(entity);
    this.protocolMessage = protocolMessage;
    this.signedMessage = protocolMessage.computeHash();
    this.signedMessageBytes = hexToBytes(this.signedMessage, SIGNED_MESSAGE_BYTES);
    this.message = utf8(this.signedMessage);
  }

  get(partyId: string): AcceptedSignature | undefined {
    return this.byParty.get(partyId);
  }

  /** Records a verified signature; the first one of a pool is kept. */
  add(signature: AcceptedSignature): AddOutcome {
    const existing = this.byParty.get(signature.partyId);
    if (existing !== undefined) {
      return equalBytes(existing.bytes, signature.bytes) ? 'duplicate' : 'equivocation';
    }
    this.byParty.set(signature.partyId, signature);
    for (const index of signature.sig.indexes) this.indexes.add(index);
    return 'added';
  }

  /** Accepted signatures, in arrival order. */
  get signatures(): readonly AcceptedSignature[] {
    return [...this.byParty.values()];
  }

  /** Distinct lottery indexes over the accepted signatures (the quorum needs k). */
  get distinctIndexes(): number {
    return this.indexes.size;
  }

  /** Marks the signature of `partyId` as stored; false when it already was. */
  markPersisted(partyId: string): boolean {
    return addOnce(this.persisted, partyId);
  }

  /** Marks the own signature of `partyId` as published by this process; false when it already was. */
  markPublished(partyId: string): boolean {
    return addOnce(this.published, partyId);
  }
}

function addOnce(set: Set<string>, value: string): boolean {
  if (set.has(value)) return false;
  set.add(value);
  return true;
}

/** Computes the protocol message of `entity` signed in `signingEpoch` (may read the chain). */
export async function buildOpenMessage(
  entity: SignedEntityType,
  signingEpoch: number,
  signers: SignerSet,
  nextSigners: SignerSet,
  parameters: ProtocolParameters,
  chain: ChainObserver,
): Promise<OpenMessage> {
  const cardanoStakeDistribution =
    entity.type === 'CardanoStakeDistribution'
      ? await chain.stakeDistribution(entity.epoch + CARDANO_STAKE_DISTRIBUTION_SNAPSHOT_OFFSET)
      : undefined;
  const protocolMessage = computeProtocolMessage(entity, {
    nextAggregateVerificationKey: nextSigners.registration.avk,
    // The mesh runs with fixed protocol parameters: the next ones are the current ones.
    nextProtocolParameters: parameters,
    currentEpoch: signingEpoch,
    ...(cardanoStakeDistribution === undefined ? {} : { cardanoStakeDistribution }),
  });
  return new OpenMessage(entity, signingEpoch, signers, nextSigners, parameters, protocolMessage);
}
