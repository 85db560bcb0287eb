/**
 * Certificate chain verification (mithril-common `certificate_chain/certificate_verifier.rs`,
 * spec §2.6), with every check of the reference and in its order:
 *
 * standard certificate: not chaining to itself (CYCLE) → hash (HASH_MISMATCH) → protocol message
 * hash = signed_message (MESSAGE_HASH_MISMATCH) → multi-signature on the ASCII signed_message
 * with the certificate's own AVK and parameters (MULTI_SIGNATURE_INVALID) → `current_epoch` part
 * = epoch (EPOCH_MISMATCH); then against the parent: epochs at most 1 apart (EPOCH_GAP) →
 * parent hash = previous_hash (PREVIOUS_HASH_MISMATCH) → AVK chaining (AVK_CHAIN_BROKEN) →
 * parameters chaining (PARAMETERS_CHAIN_BROKEN).
 *
 * genesis certificate: hash → signed message → Ed25519 signature with the configured genesis
 * key (GENESIS_SIGNATURE_INVALID) → epoch part.
 *
 * A certificate whose hash cannot even be recomputed (e.g. φ_f outside U8F24) fails MALFORMED.
 */
import { ed25519Verify, Ed25519Error } from '../cardano/ed25519.ts';
import { avkFromJsonHex } from '../codec/json-hex.ts';
import type { BlsBackend } from '../crypto/bls/backend.ts';
import { equalBytes, utf8 } from '../encoding/bytes.ts';
import { ProtocolError, VerificationError } from '../errors.ts';
import {
  computeProtocolParametersHash,
  protocolParametersEqual,
  toStmParameters,
} from '../message/protocol-parameters.ts';
import type { SignedEntityType } from '../message/signed-entity-type.ts';
import { isDiscontinued } from '../message/signed-entity-type.ts';
import { verifyConcatenationProof } from '../stm/index.ts';
import type { AggregateVerificationKey } from '../stm/types.ts';
import type { Certificate } from './certificate.ts';
import { certificateSignedEntityType, computeCertificateHash } from './certificate.ts';

/** Stable codes of the checks (spec §2.6), plus the chain walk's own failures. */
export type CertificateCheck =
  | 'CYCLE'
  | 'MALFORMED'
  | 'HASH_MISMATCH'
  | 'MESSAGE_HASH_MISMATCH'
  | 'MULTI_SIGNATURE_INVALID'
  | 'EPOCH_MISMATCH'
  | 'EPOCH_GAP'
  | 'PREVIOUS_HASH_MISMATCH'
  | 'AVK_CHAIN_BROKEN'
  | 'PARAMETERS_CHAIN_BROKEN'
  | 'GENESIS_SIGNATURE_INVALID'
  | 'MISSING_PARENT'
  | 'MISSING_CERTIFICATE';

/** A certificate failed a check; `code` (= `check`) says which, `certificateHash` which one. */
export class CertificateVerificationError extends VerificationError {
  readonly check: CertificateCheck;
  readonly certificateHash: string;

  constructor(
    check: CertificateCheck,
    certificateHash: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(check, `certificate ${certificateHash}: ${message}`, options);
    this.check = check;
    this.certificateHash = certificateHash;
  }
}

export interface VerifierContext {
  /** BLS backend for the multi-signatures. */
  backend: BlsBackend;
  /** The network's Ed25519 genesis verification key (32 bytes). */
  genesisVerificationKey: Uint8Array;
}

function fail(certificate: Certificate, check: CertificateCheck, message: string, cause?: unknown): never {
  throw new CertificateVerificationError(
    check,
    certificate.hash,
    message,
    cause === undefined ? undefined : { cause },
  );
}

function checkHash(certificate: Certificate): void {
  let hash: string;
  try {
    hash = computeCertificateHash(certificate);
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    fail(certificate, 'MALFORMED', `cannot recompute the hash: ${e.message}`, e);
  }
  if (hash !== certificate.hash) fail(certificate, 'HASH_MISMATCH', `recomputed hash is ${hash}`);
}

function checkSignedMessage(certificate: Certificate): void {
  const messageHash = certificate.protocolMessage.computeHash();
  if (messageHash !== certificate.signedMessage) {
    fail(
      certificate,
      'MESSAGE_HASH_MISMATCH',
      `protocol message hashes to ${messageHash}, not signed_message`,
    );
  }
}

function checkEpochPart(certificate: Certificate): void {
  const part = certificate.protocolMessage.get('current_epoch');
  if (part !== String(certificate.epoch)) {
    fail(
      certificate,
      'EPOCH_MISMATCH',
      `current_epoch part ${part === undefined ? 'is missing' : `"${part}"`} for epoch ${certificate.epoch}`,
    );
  }
}

function avkEqual(a: AggregateVerificationKey, b: AggregateVerificationKey): boolean {
  return (
    a.totalStake === b.totalStake &&
    a.mtCommitment.nrLeaves === b.mtCommitment.nrLeaves &&
    equalBytes(a.mtCommitment.root, b.mtCommitment.root)
  );
}

/** `verify_genesis_certificate`. */
export function verifyGenesisCertificate(certificate: Certificate, genesisVerificationKey: Uint8Array): void {
  const { signature } = certificate;
  if (signature.type !== 'genesis') fail(certificate, 'MALFORMED', 'not a genesis certificate');
  checkHash(certificate);
  checkSignedMessage(certificate);
  let valid: boolean;
  try {
    valid = ed25519Verify(genesisVerificationKey, utf8(certificate.signedMessage), signature.signature);
  } catch (e) {
    if (!(e instanceof Ed25519Error)) throw e;
    fail(certificate, 'GENESIS_SIGNATURE_INVALID', e.message, e);
  }
  if (!valid) fail(certificate, 'GENESIS_SIGNATURE_INVALID', 'the Ed25519 genesis signature does not verify');
  checkEpochPart(certificate);
}

/** `verify_standard_certificate_integrity`: the checks that need no parent. */
function verifyStandardIntegrity(certificate: Certificate, backend: BlsBackend): void {
  const { signature } = certificate;
  if (signature.type !== 'multi') fail(certificate, 'MALFORMED', 'not a standard certificate');
  if (certificate.hash === certificate.previousHash)
    fail(certificate, 'CYCLE', 'the certificate chains to itself');
  checkHash(certificate);
  checkSignedMessage(certificate);
  try {
    verifyConcatenationProof(
      backend,
      signature.multiSignature,
      utf8(certificate.signedMessage),
      certificate.aggregateVerificationKey,
      toStmParameters(certificate.metadata.protocolParameters),
    );
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    fail(certificate, 'MULTI_SIGNATURE_INVALID', `${e.code}: ${e.message}`, e);
  }
  checkEpochPart(certificate);
}

/** The checks of a standard certificate against its parent. */
function verifyChaining(certificate: Certificate, parent: Certificate): void {
  if (Math.abs(certificate.epoch - parent.epoch) > 1) {
    fail(
      certificate,
      'EPOCH_GAP',
      `epoch ${certificate.epoch} is more than 1 away from parent epoch ${parent.epoch}`,
    );
  }
  if (parent.hash !== certificate.previousHash) {
    fail(
      certificate,
      'PREVIOUS_HASH_MISMATCH',
      `previous_hash ${certificate.previousHash} is not the parent ${parent.hash}`,
    );
  }
  const sameEpoch = parent.epoch === certificate.epoch;
  let avkChained: boolean;
  if (sameEpoch) {
    avkChained = avkEqual(parent.aggregateVerificationKey, certificate.aggregateVerificationKey);
  } else {
    const encoded = parent.protocolMessage.get('next_aggregate_verification_key');
    let next: AggregateVerificationKey | undefined;
    try {
      next = encoded === undefined ? undefined : avkFromJsonHex(encoded);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
    }
    avkChained = next !== undefined && avkEqual(next, certificate.aggregateVerificationKey);
  }
  if (!avkChained) {
    fail(
      certificate,
      'AVK_CHAIN_BROKEN',
      sameEpoch
        ? 'the AVK differs from the parent AVK of the same epoch'
        : "the AVK is not the parent's next_aggregate_verification_key",
    );
  }
  const params = certificate.metadata.protocolParameters;
  const paramsChained = sameEpoch
    ? protocolParametersEqual(parent.metadata.protocolParameters, params)
    : parent.protocolMessage.get('next_protocol_parameters') === computeProtocolParametersHash(params);
  if (!paramsChained) {
    fail(
      certificate,
      'PARAMETERS_CHAIN_BROKEN',
      sameEpoch
        ? 'the protocol parameters differ from the parent ones of the same epoch'
        : "the protocol parameters do not hash to the parent's next_protocol_parameters",
    );
  }
}

/**
 * Verifies one certificate. A genesis certificate is checked alone (`parent` is ignored); a
 * standard one needs its parent (MISSING_PARENT when null). Throws
 * `CertificateVerificationError` on the first failed check.
 */
export function verifyCertificate(
  certificate: Certificate,
  parent: Certificate | null,
  ctx: VerifierContext,
): void {
  if (certificate.signature.type === 'genesis') {
    verifyGenesisCertificate(certificate, ctx.genesisVerificationKey);
    return;
  }
  verifyStandardIntegrity(certificate, ctx.backend);
  if (parent === null)
    fail(certificate, 'MISSING_PARENT', `parent ${certificate.previousHash} is not available`);
  verifyChaining(certificate, parent);
}

/** One verified certificate of a chain walk. */
export interface VerifiedCertificate {
  hash: string;
  previousHash: string;
  epoch: number;
  signedEntityType: SignedEntityType;
  genesis: boolean;
  /** The signed entity type is one the reference no longer produces (CardanoImmutableFilesFull). */
  discontinued: boolean;
}

export interface ChainVerificationResult {
  /** True when the walk reached a valid genesis certificate. */
  valid: boolean;
  /** Certificates that passed, from the start certificate towards genesis. */
  verified: VerifiedCertificate[];
  /** The first failure; the walk stops there. */
  failure?: CertificateVerificationError;
}

/**
 * Walks from `startHash` back to genesis (`verify_certificate_chain`), verifying each
 * certificate against its parent looked up in `certificates` by `previous_hash`. Stops at the
 * genesis certificate or at the first failure; a hash met twice is a CYCLE, an absent one
 * MISSING_CERTIFICATE (start) or MISSING_PARENT.
 */
export function verifyCertificateChain(
  certificates: ReadonlyMap<string, Certificate>,
  startHash: string,
  ctx: VerifierContext,
): ChainVerificationResult {
  const verified: VerifiedCertificate[] = [];
  const visited = new Set<string>();
  const start = certificates.get(startHash);
  try {
    if (start === undefined) {
      throw new CertificateVerificationError('MISSING_CERTIFICATE', startHash, 'no such certificate');
    }
    if (start.hash !== startHash) fail(start, 'HASH_MISMATCH', `listed under hash ${startHash}`);
    let current: Certificate = start;
    for (;;) {
      visited.add(current.hash);
      const genesis = current.signature.type === 'genesis';
      const parent: Certificate | null = genesis ? null : (certificates.get(current.previousHash) ?? null);
      if (!genesis && visited.has(current.previousHash)) {
        fail(current, 'CYCLE', `previous_hash ${current.previousHash} was already visited`);
      }
      verifyCertificate(current, parent, ctx);
      const signedEntityType = certificateSignedEntityType(current);
      verified.push({
        hash: current.hash,
        previousHash: current.previousHash,
        epoch: current.epoch,
        signedEntityType,
        genesis,
        discontinued: isDiscontinued(signedEntityType),
      });
      if (parent === null) return { valid: true, verified };
      current = parent;
    }
  } catch (e) {
    if (!(e instanceof CertificateVerificationError)) throw e;
    return { valid: false, verified, failure: e };
  }
}
