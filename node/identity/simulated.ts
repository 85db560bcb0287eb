/**
 * In-memory identities for simulations and tests, deterministic from a 32-byte seed. Keys are
 * drawn exactly as `mithril-mesh keygen` draws them (cold seed, then KES seed, from a ChaCha20
 * stream), so `generateOperatorKeys(dir, { random: chaCha20Random(seed) })` writes the keys of
 * `createSimulatedIdentity(seed)`.
 */
import { ed25519PublicKey, ED25519_SECRET_KEY_BYTES } from '../../protocol/cardano/ed25519.ts';
import { generateOperatorKeys } from '../../protocol/cardano/operator-keys.ts';
import { poolIdFromColdVerificationKey } from '../../protocol/cardano/pool-id.ts';
import { chaCha20Random } from '../../protocol/crypto/random.ts';
import { IdentityError } from './errors.ts';
import { SignerIdentity } from './signer-identity.ts';

/** ChaCha20 keys are 32 bytes (RFC 8439). */
const SEED_BYTES = 32;

function checkSeed(seed: Uint8Array): void {
  if (!(seed instanceof Uint8Array) || seed.length !== SEED_BYTES) {
    throw new IdentityError('INVALID_SEED', `a simulated identity needs a ${SEED_BYTES}-byte seed`);
  }
}

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
  checkSeed(seed);
  const { cold, kes, opCert } = generateOperatorKeys(chaCha20Random(seed), options);
  cold.secretKey.fill(0);
  return SignerIdentity.fromKeys({ coldVerificationKey: cold.publicKey, opCert, kesKey: kes.secretKey });
}

/**
 * The party id (pool id) of `createSimulatedIdentity(seed)` without making its keys: the pool id
 * is the hash of the cold key, whose seed is the first draw of the stream. A KES key takes tens of
 * ms to generate, too slow for a simulation's thousands of signers when only their ids are needed.
 */
export function simulatedPartyId(seed: Uint8Array): string {
  checkSeed(seed);
  const coldSeed = chaCha20Random(seed)(ED25519_SECRET_KEY_BYTES);
  const partyId = poolIdFromColdVerificationKey(ed25519PublicKey(coldSeed));
  coldSeed.fill(0);
  return partyId;
}
