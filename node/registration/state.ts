/**
 * What a node holds of each retained recording epoch: the accepted registration of each pool,
 * the pool owning each registered BLS key, and the closed signer set once closed.
 */
import { bytesToHex } from '../../protocol/encoding/bytes.ts';
import type { RegistrationMessage } from './message.ts';
import type { SignerSet } from './view.ts';

export class EpochRegistrations {
  readonly epoch: number;
  /** Set when the close point passed (or a closed record was loaded); nothing is added after. */
  closed = false;
  /** The closed set; stays undefined when closed with no registration (or closing failed). */
  signerSet: SignerSet | undefined;
  private readonly byPool = new Map<string, RegistrationMessage>();
  private readonly poolByKey = new Map<string, string>();

  constructor(epoch: number) {
    this.epoch = epoch;
  }

  accepted(partyId: string): RegistrationMessage | undefined {
    return this.byPool.get(partyId);
  }

  /** The pool whose accepted registration uses `vk`. */
  keyOwner(vk: Uint8Array): string | undefined {
    return this.poolByKey.get(bytesToHex(vk));
  }

  /** True when `message` can be added: its pool and its key are not taken yet. */
  canAdd(message: RegistrationMessage): boolean {
    return !this.byPool.has(message.partyId) && this.keyOwner(message.vkPop.vk) === undefined;
  }

  /** Adds a message for which `canAdd` holds. */
  add(message: RegistrationMessage): void {
    this.byPool.set(message.partyId, message);
    this.poolByKey.set(bytesToHex(message.vkPop.vk), message.partyId);
  }

  remove(message: RegistrationMessage): void {
    if (this.byPool.get(message.partyId) !== message) return;
    this.byPool.delete(message.partyId);
    this.poolByKey.delete(bytesToHex(message.vkPop.vk));
  }

  /** In acceptance order. */
  messages(): RegistrationMessage[] {
    return [...this.byPool.values()];
  }
}

/** The retained epochs, created on first use. */
export class RegistrationBook {
  private readonly epochs = new Map<number, EpochRegistrations>();

  find(epoch: number): EpochRegistrations | undefined {
    return this.epochs.get(epoch);
  }

  at(epoch: number): EpochRegistrations {
    let state = this.epochs.get(epoch);
    if (state === undefined) {
      state = new EpochRegistrations(epoch);
      this.epochs.set(epoch, state);
    }
    return state;
  }

  /** Replaces what the book holds of `state.epoch` (an adopted set). */
  set(state: EpochRegistrations): void {
    this.epochs.set(state.epoch, state);
  }

  accepted(epoch: number, partyId: string): RegistrationMessage | undefined {
    return this.epochs.get(epoch)?.accepted(partyId);
  }

  /** A registration of a retained epoch up to `upToEpoch` that uses `vk`, latest epoch first. */
  keyUse(vk: Uint8Array, upToEpoch: number): { epoch: number; partyId: string } | undefined {
    const epochs = [...this.epochs.keys()].filter((e) => e <= upToEpoch).sort((a, b) => b - a);
    for (const epoch of epochs) {
      const partyId = this.epochs.get(epoch)!.keyOwner(vk);
      if (partyId !== undefined) return { epoch, partyId };
    }
    return undefined;
  }

  /** Forgets the epochs before `beforeEpoch`. */
  prune(beforeEpoch: number): void {
    for (const epoch of this.epochs.keys()) if (epoch < beforeEpoch) this.epochs.delete(epoch);
  }

  clear(): void {
    this.epochs.clear();
  }
}
