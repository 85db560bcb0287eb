/**
 * Test pools built from the protocol layer (cold key, Sum6 KES key, opcert) and registrations
 * crafted field by field, so every validation failure can be produced on purpose.
 */
import { expect } from 'chai';
import {
  createOpCert,
  ed25519KeyPairFromSeed,
  kesKeyGen,
  poolIdFromColdVerificationKey,
  signRegistration,
} from '../../../protocol/cardano/index.ts';
import type { KesSecretKey, OpCert, SignedRegistration } from '../../../protocol/cardano/index.ts';
import type { BlsBackend } from '../../../protocol/crypto/bls/index.ts';
import type { VerificationKeyPoP } from '../../../protocol/stm/index.ts';
import { GossipValidationError } from '../../../node/gossip/errors.ts';
import type { GossipAction } from '../../../node/gossip/errors.ts';
import type { RegistrantIdentity } from '../../../node/registration/identity.ts';
import type { RegistrationContent, RegistrationMessage } from '../../../node/registration/message.ts';
import { decodeRegistration, encodeRegistration } from '../../../node/registration/message.ts';

/** Opcerts of the test pools start at this absolute KES period. */
export const START_KES_PERIOD = 100n;

export interface TestPool extends RegistrantIdentity {
  kesSecretKey: KesSecretKey;
}

/** A pool whose keys derive from `seed` (1..255). */
export function testPool(seed: number): TestPool {
  const cold = ed25519KeyPairFromSeed(new Uint8Array(32).fill(seed));
  const kes = kesKeyGen(new Uint8Array(32).fill(seed ^ 0xff));
  const opCert = createOpCert({
    kesVk: kes.publicKey,
    issueNumber: 1n,
    startKesPeriod: START_KES_PERIOD,
    coldSecretKey: cold.secretKey,
  });
  return {
    partyId: poolIdFromColdVerificationKey(cold.publicKey),
    opCert,
    kesSecretKey: kes.secretKey,
    signRegistration: (vkPop: VerificationKeyPoP, currentKesPeriod: bigint): SignedRegistration =>
      signRegistration({ vkPop, kesSecretKey: kes.secretKey, opCert, currentKesPeriod }),
  };
}

export function vkPopOf(bls: BlsBackend, secretKey: bigint): VerificationKeyPoP {
  return { vk: bls.verificationKey(secretKey), pop: bls.proofOfPossession(secretKey) };
}

/** The registration of `pool` at `epoch` for `vkPop`, KES-signed at `kesPeriod`; `over` replaces fields after signing. */
export function craft(
  pool: TestPool,
  epoch: number,
  vkPop: VerificationKeyPoP,
  kesPeriod: bigint,
  over: Partial<RegistrationContent> & { opCert?: OpCert } = {},
): RegistrationMessage {
  const signed = pool.signRegistration(vkPop, kesPeriod) as SignedRegistration;
  return decodeRegistration(
    encodeRegistration({
      epoch,
      vkPop,
      opCert: pool.opCert,
      kesEvolutions: signed.kesEvolutions,
      kesSignature: signed.kesSignature,
      ...over,
    }),
  );
}

/** Re-encodes `message` with some fields replaced (no re-signing). */
export function alter(message: RegistrationMessage, over: Partial<RegistrationContent>): RegistrationMessage {
  return decodeRegistration(encodeRegistration({ ...message, ...over }));
}

/** Awaits `run` and asserts it fails with a gossip verdict. */
export async function expectVerdict(
  run: () => Promise<unknown> | unknown,
  action: GossipAction,
  reason: string,
): Promise<void> {
  let caught: unknown;
  try {
    await run();
  } catch (error) {
    caught = error;
  }
  if (!(caught instanceof GossipValidationError)) {
    throw new Error(
      `expected ${action} ${reason}, got ${caught instanceof Error ? caught.stack : String(caught)}`,
    );
  }
  expect(`${caught.action} ${caught.reason}`).to.equal(`${action} ${reason}`, caught.message);
}
