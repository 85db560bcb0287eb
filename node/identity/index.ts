/** The SPO identities a node signs for: loaded from keygen's key directories, or simulated. */
export { IdentityError } from './errors.ts';
export type { IdentityKeys, IdentitySummary } from './signer-identity.ts';
export { SignerIdentity } from './signer-identity.ts';
export { loadIdentity } from './load.ts';
export type { SimulatedIdentityOptions } from './simulated.ts';
export { createSimulatedIdentity, simulatedPartyId } from './simulated.ts';
