/**
 * In-memory identities for simulations and tests, deterministic from a 32-byte seed. Keys are
 * drawn exactly as `mithril-mesh keygen` draws them (cold seed, then KES seed, from a ChaCha20
 * stream), so `generateOperatorKeys(dir, { random: chaCha20Random(seed) })` writes the keys of
 * `createSimulatedIdentity(seed)`.
 */
import { generateOperatorKeys } from '../../protocol/cardano/operator-keys.ts';
import { chaCha20Random } from '../../protocol/crypto/random.ts';
import { IdentityError } from './errors.ts';
import { SignerIdentity } from './signer-identity.ts';

/** ChaCha20 keys are 32 bytes (RFC 8439). */
const SEED_BYTES = 32;

export interface SimulatedIdentityOptions {
  /** Default 0. */
  issueNumber?: bigint;
  /** Absolute KES period the opcert starts at; default 0. */
  startKesPeriod?: bigint;
}

export function createSimulatedIdentity(
  seed: Uint8Array,
  options: SimulatedIdentityOptions = {},
): SignerIdentity {
  if (!(seed instanceof Uint8Array) || seed.length !== SEED_BYTES) {
    throw new IdentityError('INVALID_SEED', `a simulated identity needs a ${SEED_BYTES}-byte seed`);
  }
  const { cold, kes, opCert } = generateOperatorKeys(chaCha20Random(seed), options);
  cold.secretKey.fill(0);
  return SignerIdentity.fromKeys({ coldVerificationKey: cold.publicKey, opCert, kesKey: kes.secretKey });
}
