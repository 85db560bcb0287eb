/**
 * Preloaded signer sets (`registration: preloaded`): the signer sets the first certified epochs
 * need are registered before the run instead of during it, and written into every node's store
 * before the node starts, as a node restarting after those epochs closed would hold them.
 *
 * Every signer makes a real registration for each preloaded epoch (a fresh BLS key, its proof of
 * possession, KES-signed at the KES period of the start of the epoch it is made in, as the node
 * would make it); the closed record of each epoch orders them as the STM does. Each node's store
 * then holds every registration's exact bytes, the closed records, and its own signers' BLS keys.
 * Nodes trust their own store, so nothing here is validated again when they start.
 *
 * Why: at mainnet scale (3,000 signers on 30 nodes sharing 2 cores) every node checks every
 * registration, 90,000 checks per epoch, and the nodes closed different sets: the machine, not
 * the protocol, is the limit of that phase (BENCHMARKS.md). Preloading measures the certification
 * round alone.
 */
import { chaCha20Random } from '../../protocol/crypto/random.ts';
import { generateSecretKey } from '../../protocol/crypto/bls/index.ts';
import type { BlsBackend } from '../../protocol/crypto/bls/index.ts';
import { decodeRegistration, encodeRegistration } from '../../node/registration/message.ts';
import { buildSignerSet, closedRecord } from '../../node/registration/signer-set.ts';
import type { SignerIdentity } from '../../node/identity/index.ts';
import { openMeshStore } from '../../node/store/index.ts';
import type { ClosedRegistrationRecord } from '../../node/store/types.ts';
import { derivedSeed } from './random.ts';

/** A preloaded epoch: registrations recorded at `epoch`, signed at `kesPeriod` (a number: it crosses JSON). */
export interface PreloadEpoch {
  epoch: number;
  kesPeriod: number;
}

/** One registration message, as gossip would carry it. */
export interface PreloadedRegistration {
  epoch: number;
  partyId: string;
  bytes: Uint8Array;
}

/** A signer's BLS secret key of one recording epoch: stays with the node hosting the signer. */
export interface OwnRegistrationKey {
  epoch: number;
  partyId: string;
  secretKey: bigint;
}

/** What every node's store receives: all registrations and the closed records. */
export interface SignerSetsPreload {
  registrations: PreloadedRegistration[];
  closed: ClosedRegistrationRecord[];
}

/**
 * The registrations of `identities` (the scenario's signers `signers`, same order) for `epochs`.
 * The BLS keys derive from the scenario seed: a run is reproducible.
 */
export async function makeRegistrations(
  seed: number,
  signers: readonly number[],
  identities: readonly SignerIdentity[],
  bls: BlsBackend,
  epochs: readonly PreloadEpoch[],
): Promise<{ registrations: PreloadedRegistration[]; keys: OwnRegistrationKey[] }> {
  const registrations: PreloadedRegistration[] = [];
  const keys: OwnRegistrationKey[] = [];
  // Epochs in order: a KES key only evolves forward.
  for (const { epoch, kesPeriod } of [...epochs].sort((a, b) => a.epoch - b.epoch)) {
    for (const [n, identity] of identities.entries()) {
      const secretKey = generateSecretKey(
        chaCha20Random(derivedSeed(seed, `registration key ${signers[n]} ${epoch}`)),
      );
      const vkPop = { vk: bls.verificationKey(secretKey), pop: bls.proofOfPossession(secretKey) };
      const signed = await identity.signRegistration(vkPop, BigInt(kesPeriod));
      const bytes = encodeRegistration({
        epoch,
        vkPop,
        opCert: identity.opCert,
        kesEvolutions: signed.kesEvolutions,
        kesSignature: signed.kesSignature,
      });
      registrations.push({ epoch, partyId: identity.partyId, bytes });
      keys.push({ epoch, partyId: identity.partyId, secretKey });
    }
  }
  return { registrations, keys };
}

/**
 * The closed record of each of `epochs` over `registrations`, weighted by `stakes` (pools without
 * stake are left out, as the close does).
 */
export function closedRecords(
  registrations: readonly PreloadedRegistration[],
  stakes: ReadonlyMap<string, bigint>,
  epochs: readonly number[],
  closedAtMs: number,
): ClosedRegistrationRecord[] {
  return epochs.map((epoch) => {
    const entries = registrations
      .filter((r) => r.epoch === epoch)
      .flatMap((r) => {
        const stake = stakes.get(r.partyId);
        return stake === undefined
          ? []
          : [{ partyId: r.partyId, vk: decodeRegistration(r.bytes).vkPop.vk, stake }];
      });
    return closedRecord(epoch, buildSignerSet(epoch, entries), closedAtMs);
  });
}

/** Writes `preload` and the node's own `keys` into the store of `dataDir` (created if need be). */
export async function writePreload(
  dataDir: string,
  network: string,
  preload: SignerSetsPreload,
  keys: readonly OwnRegistrationKey[],
): Promise<void> {
  const store = await openMeshStore({ dataDir, network });
  try {
    for (const r of preload.registrations) await store.registrations.put(r.epoch, r.partyId, r.bytes);
    for (const record of preload.closed) await store.registrations.putClosed(record);
    for (const k of keys) await store.ownKeys.put(k.epoch, k.partyId, k.secretKey);
  } finally {
    await store.close();
  }
}
