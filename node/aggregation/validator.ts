/**
 * Validation of a received certificate (gossiped, announced and fetched, or pulled), cheapest
 * checks first; nothing invalid is stored or forwarded. For a standard certificate:
 *
 * 1. topic: the signed entity type of the certificate's topic (REJECT WRONG_TOPIC);
 * 2. epoch window: signed more than one epoch ahead (REJECT FUTURE_EPOCH) or one ahead (IGNORE
 *    FUTURE_EPOCH, clock skew); `epoch` not the beacon's signing epoch, or not after the genesis
 *    epoch (REJECT INVALID_CERTIFICATE);
 * 3. known by hash (IGNORE DUPLICATE); on gossip, not preferred over the kept one (IGNORE
 *    NOT_PREFERRED; a pulled one is verified anyway, so its dependents can be);
 * 4. deterministic metadata: network, protocol version, parameters, timestamps = start of the
 *    signing epoch (REJECT INVALID_CERTIFICATE);
 * 5. parent: the certificate named by `previous_hash` must be known (IGNORE PARENT_UNKNOWN: the
 *    caller fetches it) and be one of the parent beacon (REJECT INVALID_CERTIFICATE);
 * 6. signers of the metadata: when this node's signer set of the epoch is the certificate's (same
 *    AVK), the proof's signer indexes mapped to its party ids, with their stakes, in signer-index
 *    order (REJECT INVALID_CERTIFICATE); without that set (pruned, or another view) the stakes
 *    and order are checked after the crypto, and party ids are trusted;
 * 7. protocol message: recomputed locally from the chain and the parameters with the certificate's
 *    next AVK, the one part that depends on a registration view and that the quorum certifies
 *    (REJECT INVALID_CERTIFICATE; IGNORE MESSAGE_UNAVAILABLE when the chain cannot say);
 * 8. `verifyCertificate` against the named parent: hash, message hash, multi-signature, epoch
 *    part, epoch gap, previous hash, AVK and parameters chaining (REJECT INVALID_CERTIFICATE,
 *    the failed check named in the message);
 * 9. the same multi-signature as the kept one, linked elsewhere (IGNORE DUPLICATE).
 *
 * A genesis certificate (on the MithrilStakeDistribution topic): already known (IGNORE
 * DUPLICATE), another genesis kept (IGNORE GENESIS_CONFLICT), deterministic metadata (no signers;
 * the genesis key signs the protocol message only, so anyone could change unsigned fields and
 * recompute the hash), then the Ed25519 signature with the configured genesis key (REJECT
 * INVALID_CERTIFICATE).
 */
import { logger } from '@libp2p/logger';
import type { ChainObserver } from '../chain/observer.ts';
import { ignore, reject } from '../gossip/errors.ts';
import type { RegistrationView } from '../registration/view.ts';
import { entityKey } from '../signing/open-message.ts';
import { parsePoolId } from '../../protocol/cardano/pool-id.ts';
import type { Certificate } from '../../protocol/certificate/index.ts';
import {
  CertificateVerificationError,
  PROTOCOL_VERSION,
  certificateSignedEntityType,
} from '../../protocol/certificate/index.ts';
import { avkFromJsonHex, avkToJsonHex } from '../../protocol/codec/json-hex.ts';
import { ProtocolError } from '../../protocol/errors.ts';
import type { ProtocolMessage } from '../../protocol/message/protocol-message.ts';
import type { ProtocolParameters } from '../../protocol/message/protocol-parameters.ts';
import type { SignedEntityTypeName } from '../../protocol/message/signed-entity-type.ts';
import { epochWhenSigned } from '../../protocol/message/signed-entity-type.ts';
import type { AggregateVerificationKey } from '../../protocol/stm/types.ts';
import { epochStartNanos, expectedProtocolMessage, metadataSigners } from './builder.ts';
import type { CertificateChain } from './chain.ts';
import { parentBeacon } from './chain.ts';

const log = logger('mithril-mesh:aggregation:validator');

/** Gossip stops at a candidate that is not preferred; a pulled one is verified to serve as a parent. */
export type ValidationMode = 'gossip' | 'fetched';

export interface CertificateValidatorOptions {
  network: string;
  /** The network's fixed protocol parameters. */
  protocolParameters: ProtocolParameters;
  chain: ChainObserver;
  registrations: RegistrationView;
  certificates: CertificateChain;
}

const invalid = (check: string, detail: string, cause?: unknown) =>
  reject('INVALID_CERTIFICATE', `${check}: ${detail}`, cause);

export class CertificateValidator {
  constructor(private readonly options: CertificateValidatorOptions) {}

  /**
   * Resolves when `certificate` is valid (then `CertificateChain.offer` decides whether to keep
   * it); throws `GossipValidationError` otherwise. `topicType` is the topic's entity type, or
   * undefined for a certificate fetched by request.
   */
  async validate(
    topicType: SignedEntityTypeName | undefined,
    certificate: Certificate,
    mode: ValidationMode,
  ): Promise<void> {
    const entity = certificateSignedEntityType(certificate);
    if (topicType !== undefined && entity.type !== topicType) {
      throw reject('WRONG_TOPIC', `${entity.type} certificate on the ${topicType} topic`);
    }
    if (certificate.signature.type === 'genesis') return this.validateGenesis(certificate);
    this.checkEpoch(certificate);

    const { certificates } = this.options;
    if (certificates.get(certificate.hash) !== undefined)
      throw ignore('DUPLICATE', `certificate ${certificate.hash} is known`);
    const kept = certificates.getByBeacon(entity);
    if (
      mode === 'gossip' &&
      kept !== undefined &&
      certificates.preferenceKeyOf(kept) < certificates.preferenceKeyOf(certificate)
    ) {
      throw ignore('NOT_PREFERRED', `the multi-signature kept for ${entityKey(entity)} is preferred`);
    }
    this.checkMetadata(certificate);

    const parent = certificates.get(certificate.previousHash);
    if (parent === undefined)
      throw ignore('PARENT_UNKNOWN', `parent ${certificate.previousHash} is not known`);
    const expectedParent = entityKey(parentBeacon(entity));
    const namedParent = entityKey(certificateSignedEntityType(parent));
    if (namedParent !== expectedParent) {
      throw invalid(
        'PREVIOUS_HASH_MISMATCH',
        `links to a certificate of ${namedParent}, not of ${expectedParent}`,
      );
    }

    const signersChecked = this.checkSignersWithLocalSet(certificate);
    await this.checkProtocolMessage(certificate);
    try {
      certificates.verify(certificate, parent);
    } catch (error) {
      if (!(error instanceof CertificateVerificationError)) throw error;
      throw invalid(error.check, error.message, error);
    }
    if (!signersChecked) this.checkSignersStructure(certificate);
    // A pulled one is still offered: the chain remembers it, so that certificates linking to it verify.
    if (
      mode === 'gossip' &&
      kept !== undefined &&
      certificates.preferenceKeyOf(kept) === certificates.preferenceKeyOf(certificate)
    ) {
      throw ignore(
        'DUPLICATE',
        `the multi-signature kept for ${entityKey(entity)}, linked to another parent`,
      );
    }
  }

  private validateGenesis(certificate: Certificate): void {
    const { certificates } = this.options;
    const kept = certificates.genesis();
    if (kept?.hash === certificate.hash)
      throw ignore('DUPLICATE', `genesis certificate ${certificate.hash} is known`);
    if (kept !== undefined)
      throw ignore('GENESIS_CONFLICT', `another genesis certificate (${kept.hash}) is kept`);
    this.checkMetadata(certificate);
    if (certificate.metadata.signers.length > 0)
      throw invalid('METADATA_SIGNERS', 'a genesis certificate has no signers');
    try {
      certificates.verify(certificate, null);
    } catch (error) {
      if (!(error instanceof CertificateVerificationError)) throw error;
      throw invalid(error.check, error.message, error);
    }
  }

  private checkEpoch(certificate: Certificate): void {
    const entity = certificateSignedEntityType(certificate);
    const signingEpoch = epochWhenSigned(entity);
    const current = this.options.chain.currentEpoch();
    if (signingEpoch > current + 1)
      throw reject('FUTURE_EPOCH', `signed in epoch ${signingEpoch}, current is ${current}`);
    if (signingEpoch === current + 1)
      throw ignore('FUTURE_EPOCH', `signed in epoch ${signingEpoch}, current is ${current}`);
    if (certificate.epoch !== signingEpoch) {
      throw invalid(
        'EPOCH_MISMATCH',
        `epoch ${certificate.epoch}, but ${entity.type} is signed in ${signingEpoch}`,
      );
    }
    const genesis = this.options.certificates.genesis();
    if (genesis !== undefined && signingEpoch <= genesis.epoch) {
      throw invalid(
        'EPOCH_BEFORE_GENESIS',
        `signed in epoch ${signingEpoch}, the genesis is of epoch ${genesis.epoch}`,
      );
    }
  }

  private checkMetadata(certificate: Certificate): void {
    const { network, protocolParameters: params, chain } = this.options;
    const { metadata } = certificate;
    const actual = metadata.protocolParameters;
    let problem: string | undefined;
    if (metadata.network !== network) problem = `network ${JSON.stringify(metadata.network)}`;
    else if (metadata.protocolVersion !== PROTOCOL_VERSION)
      problem = `version ${JSON.stringify(metadata.protocolVersion)}`;
    // Exact values: another φ_f with the same U8F24 value would hash alike but encode differently.
    else if (actual.k !== params.k || actual.m !== params.m || !Object.is(actual.phiF, params.phiF))
      problem = `parameters k=${actual.k} m=${actual.m} phi_f=${actual.phiF}`;
    else {
      const start = epochStartNanos(chain.epochWindow(certificate.epoch).startMs);
      if (metadata.initiatedAt !== start || metadata.sealedAt !== start)
        problem = 'timestamps are not the start of the epoch';
    }
    if (problem !== undefined) throw invalid('METADATA', problem);
  }

  /** Checks the signers against this node's set when it is the certificate's; false when it cannot. */
  private checkSignersWithLocalSet(certificate: Certificate): boolean {
    if (certificate.signature.type !== 'multi') return true;
    const set = this.options.registrations.signerSet(certificate.epoch - 1);
    if (set === undefined) return false;
    if (avkToJsonHex(set.registration.avk) !== avkToJsonHex(certificate.aggregateVerificationKey)) {
      log(
        'the signer set recorded at %d here differs from the one of certificate %s',
        set.epoch,
        certificate.hash,
      );
      return false;
    }
    let expected: string;
    try {
      expected = signersText(metadataSigners(certificate.signature.multiSignature, set.partyIds));
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      throw invalid('METADATA_SIGNERS', error.message, error);
    }
    if (signersText(certificate.metadata.signers) !== expected) {
      throw invalid('METADATA_SIGNERS', 'the signers are not those of the multi-signature');
    }
    return true;
  }

  /** Without the signer set: the stakes of the (verified) proof in signer-index order, distinct pool ids. */
  private checkSignersStructure(certificate: Certificate): void {
    if (certificate.signature.type !== 'multi') return;
    const signers = certificate.metadata.signers;
    const stakes = [...certificate.signature.multiSignature.signatures]
      .sort((a, b) => a.sig.signerIndex - b.sig.signerIndex)
      .map((s) => s.entry.stake);
    const wellFormed = signers.every((s) => {
      try {
        parsePoolId(s.partyId);
        return true;
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        return false;
      }
    });
    const valid =
      wellFormed &&
      new Set(signers.map((s) => s.partyId)).size === signers.length &&
      signers.length === stakes.length &&
      signers.every((s, i) => s.stake === stakes[i]);
    if (!valid) throw invalid('METADATA_SIGNERS', 'the signers do not match the multi-signature');
  }

  private async checkProtocolMessage(certificate: Certificate): Promise<void> {
    const entity = certificateSignedEntityType(certificate);
    const encoded = certificate.protocolMessage.get('next_aggregate_verification_key');
    if (encoded === undefined) throw invalid('MESSAGE_MISMATCH', 'no next_aggregate_verification_key part');
    let nextAvk: AggregateVerificationKey;
    try {
      nextAvk = avkFromJsonHex(encoded);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      throw invalid('MESSAGE_MISMATCH', error.message, error);
    }
    let expected: ProtocolMessage;
    try {
      expected = await expectedProtocolMessage(
        entity,
        nextAvk,
        this.options.protocolParameters,
        this.options.chain,
      );
    } catch (error) {
      throw ignore(
        'MESSAGE_UNAVAILABLE',
        `cannot compute the message of ${entityKey(entity)}: ${String(error)}`,
      );
    }
    if (!expected.equals(certificate.protocolMessage)) {
      throw invalid('MESSAGE_MISMATCH', `the protocol message is not the one of ${entityKey(entity)}`);
    }
    const localNext = this.options.registrations.signerSet(certificate.epoch);
    if (localNext !== undefined && avkToJsonHex(localNext.registration.avk) !== encoded) {
      log('certificate %s certifies a next signer set other than the one closed here', certificate.hash);
    }
  }
}

function signersText(signers: readonly { partyId: string; stake: bigint }[]): string {
  return signers.map((s) => `${s.partyId}:${s.stake}`).join(',');
}
