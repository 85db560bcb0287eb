/** Public API of the aggregation layer: certificates, their exchange and the chain they form. */
export type { AggregatorServiceOptions, CertificatePublishedEvent } from './aggregator.ts';
export { AggregatorService, MAX_STORM_WINDOW_MS, stormDelayMs, stormWindowMs } from './aggregator.ts';
export type { AggregatableMessage, CertificateContext } from './builder.ts';
export {
  buildCandidateCertificate,
  canonicalMetadata,
  epochStartNanos,
  expectedProtocolMessage,
  metadataSigners,
  preferenceKey,
  relinkCertificate,
} from './builder.ts';
export type { CertificateGossip, CertificatesRequest, CertificatesResponse } from './certificate-message.ts';
export {
  CERTIFICATE_MESSAGE_VERSION,
  CertificateEncodeError,
  CertificateMessageError,
  MAX_CERTIFICATE_BYTES,
  MAX_CERTIFICATE_JSON_BYTES,
  MAX_CERTIFICATES_REQUEST_BYTES,
  MAX_CERTIFICATES_RESPONSE_BYTES,
  MAX_GOSSIP_CERTIFICATE_BYTES,
  certificatesProtocol,
  decodeCertificate,
  decodeCertificateGossip,
  decodeCertificatesRequest,
  decodeCertificatesResponse,
  encodeCertificate,
  encodeCertificateGossip,
  encodeCertificatesRequest,
  encodeCertificatesResponse,
} from './certificate-message.ts';
export type { CertificateChainOptions, CertificateStoredEvent, OfferOutcome } from './chain.ts';
export { CertificateChain, RECENT_CAPACITY, parentBeacon } from './chain.ts';
export { AggregationError } from './errors.ts';
export type { DevnetGenesisOptions, NetworkGenesisInput } from './genesis.ts';
export {
  DevnetGenesis,
  createNetworkGenesis,
  genesisSecretKeyToHex,
  readGenesisSecretKey,
  storeGenesis,
} from './genesis.ts';
export type { CertificateHandlersOptions } from './handler.ts';
export { createCertificateHandlers } from './handler.ts';
export type { CertificateSyncOptions } from './sync.ts';
export { CertificateSync, MAX_ANCESTORS, REQUEST_TIMEOUT_MS } from './sync.ts';
export type { CertificateValidatorOptions, ValidationMode } from './validator.ts';
export { CertificateValidator } from './validator.ts';
export type { RegistrationAgreementOptions } from './registration-agreement.ts';
export { RegistrationAgreement } from './registration-agreement.ts';
export type { AntiEntropyOptions } from './anti-entropy.ts';
export { CertificateAntiEntropy } from './anti-entropy.ts';
