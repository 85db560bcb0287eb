/**
 * Genesis certificates (mithril-common `certificate_chain/certificate_genesis.rs`,
 * `crypto_helper/genesis/`): the root of a chain, signed with the network's Ed25519 genesis
 * key instead of a multi-signature.
 *
 * Its protocol message is that of MithrilStakeDistribution(epoch): the genesis AVK as
 * `next_aggregate_verification_key`, the parameters hash, the epoch. `previous_hash` is "",
 * there are no signers, the certificate's own AVK is the genesis AVK, and the signature is
 * Ed25519 over the ASCII hex `signed_message`. Verification lives with the other checks in
 * `verifier.ts` and is re-exported here.
 */
import { ed25519Sign } from '../cardano/ed25519.ts';
import { utf8 } from '../encoding/bytes.ts';
import type { ProtocolMessage } from '../message/protocol-message.ts';
import type { ProtocolParameters } from '../message/protocol-parameters.ts';
import { computeProtocolMessage } from '../message/stake-distribution.ts';
import type { AggregateVerificationKey } from '../stm/types.ts';
import type { Certificate } from './certificate.ts';
import { buildCertificate, PROTOCOL_VERSION } from './certificate.ts';

export interface GenesisCertificateInput {
  network: string;
  epoch: number;
  protocolParameters: ProtocolParameters;
  /** AVK of the signers that will sign the next certificates. */
  aggregateVerificationKey: AggregateVerificationKey;
  /** Nanoseconds since the Unix epoch (the reference takes `Utc::now()` for both). */
  initiatedAt: bigint;
  sealedAt: bigint;
  /** 32-byte Ed25519 genesis secret key (seed). */
  genesisSecretKey: Uint8Array;
  /** Defaults to `PROTOCOL_VERSION`. */
  protocolVersion?: string;
}

/** `create_genesis_protocol_message` (Pythagoras era). */
export function createGenesisProtocolMessage(
  protocolParameters: ProtocolParameters,
  aggregateVerificationKey: AggregateVerificationKey,
  epoch: number,
): ProtocolMessage {
  return computeProtocolMessage(
    { type: 'MithrilStakeDistribution', epoch },
    {
      nextAggregateVerificationKey: aggregateVerificationKey,
      nextProtocolParameters: protocolParameters,
      currentEpoch: epoch,
    },
  );
}

/** Builds and signs a genesis certificate. */
export function createGenesisCertificate(input: GenesisCertificateInput): Certificate {
  const protocolMessage = createGenesisProtocolMessage(
    input.protocolParameters,
    input.aggregateVerificationKey,
    input.epoch,
  );
  const signature = ed25519Sign(input.genesisSecretKey, utf8(protocolMessage.computeHash()));
  return buildCertificate({
    previousHash: '',
    epoch: input.epoch,
    metadata: {
      network: input.network,
      protocolVersion: input.protocolVersion ?? PROTOCOL_VERSION,
      protocolParameters: input.protocolParameters,
      initiatedAt: input.initiatedAt,
      sealedAt: input.sealedAt,
      signers: [],
    },
    protocolMessage,
    aggregateVerificationKey: input.aggregateVerificationKey,
    signature: { type: 'genesis', signature },
  });
}

export { verifyGenesisCertificate } from './verifier.ts';
