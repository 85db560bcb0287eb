/** Public API of the certificate layer: model, JSON message, hashes, genesis, verification. */
export type {
  Certificate,
  CertificateFields,
  CertificateMessage,
  CertificateMetadata,
  CertificateSignature,
  StakeDistributionParty,
} from './certificate.ts';
export {
  CertificateDecodeError,
  PROTOCOL_VERSION,
  buildCertificate,
  certificateFromJson,
  certificateFromMessage,
  certificateMessageFromJson,
  certificateMessageToJson,
  certificateMetadataFromJson,
  certificateMetadataToJson,
  certificateSignedEntityType,
  certificateToMessage,
  computeCertificateHash,
  computeMetadataHash,
  computeStakeDistributionPartyHash,
  isGenesisCertificate,
  parseCertificate,
  parseCertificateMessage,
  stringifyCertificate,
  stringifyCertificateMessage,
} from './certificate.ts';
export type { GenesisCertificateInput } from './genesis.ts';
export { createGenesisCertificate, createGenesisProtocolMessage } from './genesis.ts';
export { TimestampError, formatRfc3339, parseRfc3339, timestampNanosForHash } from './time.ts';
export type {
  CertificateCheck,
  ChainVerificationResult,
  VerifiedCertificate,
  VerifierContext,
} from './verifier.ts';
export {
  CertificateVerificationError,
  verifyCertificate,
  verifyCertificateChain,
  verifyGenesisCertificate,
} from './verifier.ts';
