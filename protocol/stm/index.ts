/** Public API of the STM concatenation proof system. */
export type {
  AggregateVerificationKey,
  ConcatenationProof,
  MerkleBatchPath,
  MerkleCommitment,
  RegistrationEntry,
  SignatureWithRegisteredParty,
  SingleSignature,
  StmParameters,
  VerificationKeyPoP,
} from './types.ts';
export {
  NotEnoughSignaturesError,
  RegistrationError,
  StmParameterError,
  StmVerificationError,
} from './errors.ts';
export {
  MERKLE_PADDING_NODE,
  MerkleTree,
  merkleLeafBytes,
  merkleLeafHash,
  messageWithCommitment,
  verifyBatchPath,
} from './merkle.ts';
export {
  DenseMapping,
  LOTTERY_EV_BYTES,
  LotteryTarget,
  PINNED_LN_ONE_MINUS_PHI_F,
  checkParameters,
  float64Bits,
  isLotteryWon,
  lnOneMinusPhiF,
  lotteryEv,
  winningIndexes,
} from './lottery.ts';
export { ClosedKeyRegistration, KeyRegistration, compareRegistrationEntries } from './registration.ts';
export { checkIndices, verifySingleSignature, verifySingleSignatures } from './single-signature.ts';
export { StmSigner } from './signer.ts';
export { aggregateSignatures, aggregateVerifiedSignatures, selectSignaturesForKIndices } from './clerk.ts';
export { referenceAggregationScalars, verifyConcatenationProof } from './aggregate-verify.ts';
