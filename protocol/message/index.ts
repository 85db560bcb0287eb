/** Public API of the message layer: parameters, protocol messages, signed entity types. */
export type { ProtocolParameters } from './protocol-parameters.ts';
export {
  ProtocolParametersError,
  computeProtocolParametersHash,
  fromStmParameters,
  phiFToU8F24,
  protocolParametersEqual,
  protocolParametersFromJson,
  protocolParametersToJson,
  toStmParameters,
} from './protocol-parameters.ts';
export type { ProtocolMessagePartKey } from './protocol-message.ts';
export {
  PROTOCOL_MESSAGE_PART_KEYS,
  ProtocolMessage,
  ProtocolMessageError,
  isProtocolMessagePartKey,
} from './protocol-message.ts';
export type {
  BlockSigningConfig,
  SignedEntityConfig,
  SignedEntityType,
  SignedEntityTypeName,
  TimePoint,
} from './signed-entity-type.ts';
export {
  ACTIVE_SIGNED_ENTITY_TYPES,
  SIGNED_ENTITY_TYPE_IDS,
  SignedEntityTypeError,
  epochWhenSigned,
  isDiscontinued,
  openMessageTimeoutSeconds,
  signedEntityEpoch,
  signedEntityTypeEqual,
  signedEntityTypeFeedHash,
  signedEntityTypeFromJson,
  signedEntityTypeId,
  signedEntityTypeToJson,
  timePointToSignedEntityType,
} from './signed-entity-type.ts';
export type { CardanoStakeDistribution, MmrMerge, SignableContext } from './stake-distribution.ts';
export {
  StakeDistributionError,
  blake2sMerge,
  cardanoStakeDistributionLeaves,
  cardanoStakeDistributionMerkleRoot,
  computeProtocolMessage,
  mmrRoot,
} from './stake-distribution.ts';
