/**
 * What the rest of the node (signing, aggregation) reads from registration: the closed signer
 * set of each recording epoch and the node's own BLS keys. Epoch convention (spec §2.4):
 * registrations made during epoch e are recorded at e+1; the set recorded at E-1 signs during E
 * (its AVK is in certificates of epoch E), and the set recorded at E is the "next" AVK signed by
 * certificates of epoch E.
 */
import type { ClosedKeyRegistration } from '../../protocol/stm/index.ts';

export interface SignerSet {
  /** Recording epoch. */
  epoch: number;
  registration: ClosedKeyRegistration;
  /** Pool id of each signer index. */
  partyIds: readonly string[];
}

export interface RegistrationView {
  /** The closed set recorded at `epoch`, once it is closed (undefined before). */
  signerSet(epoch: number): SignerSet | undefined;
  /** True while registrations recorded at `epoch` may still be accepted. */
  isOpen(epoch: number): boolean;
  /** This node's BLS secret key registered for `partyId` at `epoch`, if it registered. */
  ownSecretKey(epoch: number, partyId: string): bigint | undefined;
}
