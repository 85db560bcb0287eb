/**
 * A stake pool operator's key set, drawn from a random source: an Ed25519 cold key, a Sum6 KES
 * key, and the operational certificate binding them. One place for the drawing order (cold seed,
 * then KES seed) so that `keygen` and simulated identities made from the same stream agree.
 */
import type { RandomSource } from '../crypto/random.ts';
import type { Ed25519KeyPair } from './ed25519.ts';
import { ED25519_SECRET_KEY_BYTES, ed25519KeyPairFromSeed } from './ed25519.ts';
import type { KesKeyPair } from './kes.ts';
import { KES_SEED_BYTES, kesKeyGen } from './kes.ts';
import type { OpCert } from './opcert.ts';
import { createOpCert } from './opcert.ts';

export interface OperatorKeys {
  cold: Ed25519KeyPair;
  kes: KesKeyPair;
  opCert: OpCert;
}

/** The seeds are wiped once used; the caller wipes `cold.secretKey` and `kes.secretKey` when done. */
export function generateOperatorKeys(
  random: RandomSource,
  options: { issueNumber?: bigint; startKesPeriod?: bigint } = {},
): OperatorKeys {
  const coldSeed = random(ED25519_SECRET_KEY_BYTES);
  const kesSeed = random(KES_SEED_BYTES);
  const cold = ed25519KeyPairFromSeed(coldSeed);
  const kes = kesKeyGen(kesSeed);
  coldSeed.fill(0);
  kesSeed.fill(0);
  const opCert = createOpCert({
    kesVk: kes.publicKey,
    issueNumber: options.issueNumber ?? 0n,
    startKesPeriod: options.startKesPeriod ?? 0n,
    coldSecretKey: cold.secretKey,
  });
  return { cold, kes, opCert };
}
