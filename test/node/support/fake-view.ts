/** A registration view with closed sets built from fresh BLS keys: the signing and aggregation tests' fake. */
import type { BlsBackend } from '../../../protocol/crypto/bls/index.ts';
import { generateSecretKey } from '../../../protocol/crypto/bls/index.ts';
import type { RandomSource } from '../../../protocol/crypto/random.ts';
import { bytesToHex } from '../../../protocol/encoding/bytes.ts';
import { KeyRegistration } from '../../../protocol/stm/index.ts';
import type { RegistrationView, SignerSet } from '../../../node/registration/view.ts';

export class FakeView implements RegistrationView {
  readonly sets = new Map<number, SignerSet>();
  private readonly keys = new Map<string, bigint>();

  constructor(
    private readonly backend: BlsBackend,
    private readonly random: RandomSource,
  ) {}

  /** Registers `stakes` (pool → stake) at `epoch` with fresh keys and closes the set. */
  close(epoch: number, stakes: ReadonlyMap<string, bigint>): SignerSet {
    const registration = new KeyRegistration();
    const poolByVk = new Map<string, string>();
    for (const [partyId, stake] of stakes) {
      const sk = generateSecretKey(this.random);
      const vk = this.backend.verificationKey(sk);
      registration.register(stake, { vk, pop: this.backend.proofOfPossession(sk) }, this.backend);
      this.keys.set(`${epoch}:${partyId}`, sk);
      poolByVk.set(bytesToHex(vk), partyId);
    }
    const closed = registration.close();
    const set = {
      epoch,
      registration: closed,
      partyIds: closed.entries.map((e) => poolByVk.get(bytesToHex(e.vk))!),
    };
    this.sets.set(epoch, set);
    return set;
  }

  signerSet(epoch: number): SignerSet | undefined {
    return this.sets.get(epoch);
  }

  isOpen(epoch: number): boolean {
    return !this.sets.has(epoch);
  }

  ownSecretKey(epoch: number, partyId: string): bigint | undefined {
    return this.keys.get(`${epoch}:${partyId}`);
  }
}
