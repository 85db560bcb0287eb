/**
 * The canonical certificate of docs/convergence.md: every field is a function of the beacon, its
 * protocol message, the multi-signature and the parent, so two nodes holding the same
 * multi-signature and the same parent build byte-identical certificates.
 *
 * - multi-signature: the reference clerk (`aggregateVerifiedSignatures`) over the accepted single
 *   signatures; it selects by index and σ, so the same signatures give the same proof whatever
 *   their arrival order;
 * - metadata: the network, `PROTOCOL_VERSION`, the parameters, `initiated_at` = `sealed_at` = the
 *   start of the signing epoch, and the signers of the proof (party id and stake) in signer-index
 *   order;
 * - AVK: the signer set of the signing epoch (recorded one epoch before);
 * - previous hash: the parent's hash (chain.ts decides the parent).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { ChainObserver } from '../chain/observer.ts';
import type { OpenMessage } from '../signing/open-message.ts';
import type {
  Certificate,
  CertificateMetadata,
  StakeDistributionParty,
} from '../../protocol/certificate/certificate.ts';
import { PROTOCOL_VERSION, buildCertificate } from '../../protocol/certificate/certificate.ts';
import { multiSignatureToJsonHex } from '../../protocol/codec/json-hex.ts';
import { bytesToHex, utf8 } from '../../protocol/encoding/bytes.ts';
import type { ProtocolMessage } from '../../protocol/message/protocol-message.ts';
import type { ProtocolParameters } from '../../protocol/message/protocol-parameters.ts';
import { toStmParameters } from '../../protocol/message/protocol-parameters.ts';
import type { SignedEntityType } from '../../protocol/message/signed-entity-type.ts';
import { epochWhenSigned } from '../../protocol/message/signed-entity-type.ts';
import { computeProtocolMessage } from '../../protocol/message/stake-distribution.ts';
import { aggregateVerifiedSignatures } from '../../protocol/stm/clerk.ts';
import type { AggregateVerificationKey, ConcatenationProof } from '../../protocol/stm/types.ts';
import { AggregationError } from './errors.ts';

/** What the builder reads of an open message. */
export type AggregatableMessage = Pick<
  OpenMessage,
  'entity' | 'signingEpoch' | 'protocolMessage' | 'signers' | 'parameters' | 'signatures'
>;

export interface CertificateContext {
  network: string;
  /** First millisecond of the signing epoch (the chain observer's `epochWindow(S).startMs`). */
  epochStartMs: number;
}

const NS_PER_MS = 1_000_000n;

/**
 * CardanoStakeDistribution(e) certifies the distribution recorded at e + 2 (spec §2.4,
 * `CARDANO_STAKE_DISTRIBUTION_SNAPSHOT_OFFSET`), as the signing layer computes it.
 */
const CARDANO_STAKE_DISTRIBUTION_SNAPSHOT_OFFSET = 2;

/** Certificate timestamps in nanoseconds for an epoch start in milliseconds. */
export function epochStartNanos(epochStartMs: number): bigint {
  return BigInt(epochStartMs) * NS_PER_MS;
}

/** Rule 1: hex SHA-256 of the multi-signature's JSON-hex; the smallest is preferred. */
export function preferenceKey(proof: ConcatenationProof): string {
  return bytesToHex(sha256(utf8(multiSignatureToJsonHex(proof))));
}

/**
 * The signers of `proof` (party id of each signer index in `partyIds`, stake of its entry), in
 * signer-index order. Throws `AggregationError` UNKNOWN_SIGNER for an index without a party.
 */
export function metadataSigners(
  proof: ConcatenationProof,
  partyIds: readonly string[],
): StakeDistributionParty[] {
  return [...proof.signatures]
    .sort((a, b) => a.sig.signerIndex - b.sig.signerIndex)
    .map(({ sig, entry }) => {
      const partyId = partyIds[sig.signerIndex];
      if (partyId === undefined) {
        throw new AggregationError('UNKNOWN_SIGNER', `no party with signer index ${sig.signerIndex}`);
      }
      return { partyId, stake: entry.stake };
    });
}

export function canonicalMetadata(
  context: CertificateContext,
  parameters: ProtocolParameters,
  signers: StakeDistributionParty[],
): CertificateMetadata {
  const at = epochStartNanos(context.epochStartMs);
  return {
    network: context.network,
    protocolVersion: PROTOCOL_VERSION,
    protocolParameters: parameters,
    initiatedAt: at,
    sealedAt: at,
    signers,
  };
}

/**
 * The certificate of `open` linked to `parent`, from the signatures accepted so far. Throws
 * `NotEnoughSignaturesError` below the quorum. Not verified here: the caller verifies it against
 * `parent` before storing or publishing it.
 */
export function buildCandidateCertificate(
  open: AggregatableMessage,
  parent: Certificate,
  context: CertificateContext,
): Certificate {
  const proof = aggregateVerifiedSignatures(
    open.signers.registration,
    toStmParameters(open.parameters),
    open.signatures.map((s) => s.sig),
  );
  return buildCertificate({
    previousHash: parent.hash,
    epoch: open.signingEpoch,
    metadata: canonicalMetadata(context, open.parameters, metadataSigners(proof, open.signers.partyIds)),
    protocolMessage: open.protocolMessage,
    aggregateVerificationKey: open.signers.registration.avk,
    signature: { type: 'multi', signedEntityType: open.entity, multiSignature: proof },
  });
}

/** The same certificate linked to `parent`: only the previous hash and the hash change. */
export function relinkCertificate(certificate: Certificate, parent: Certificate): Certificate {
  if (certificate.previousHash === parent.hash) return certificate;
  const { hash: _hash, signedMessage: _signedMessage, ...fields } = certificate;
  return buildCertificate({ ...fields, previousHash: parent.hash });
}

/**
 * The protocol message of `entity` as this node computes it from the chain and the parameters,
 * with `nextAvk` as its next AVK (the one part that depends on a registration view: the chain
 * certifies it, docs/convergence.md "Registration views"). Rejects with the chain's error when a
 * stake distribution cannot be read.
 */
export async function expectedProtocolMessage(
  entity: SignedEntityType,
  nextAvk: AggregateVerificationKey,
  parameters: ProtocolParameters,
  chain: ChainObserver,
): Promise<ProtocolMessage> {
  const cardanoStakeDistribution =
    entity.type === 'CardanoStakeDistribution'
      ? await chain.stakeDistribution(entity.epoch + CARDANO_STAKE_DISTRIBUTION_SNAPSHOT_OFFSET)
      : undefined;
  return computeProtocolMessage(entity, {
    nextAggregateVerificationKey: nextAvk,
    // The mesh runs with fixed protocol parameters: the next ones are the current ones.
    nextProtocolParameters: parameters,
    currentEpoch: epochWhenSigned(entity),
    ...(cardanoStakeDistribution === undefined ? {} : { cardanoStakeDistribution }),
  });
}
