/**
 * What registration needs of an SPO identity the node signs for (`node/identity` provides it):
 * its pool id, its operational certificate and KES signing of vk ‖ PoP. The KES secret key stays
 * with the identity.
 */
import type { OpCert, SignedRegistration } from '../../protocol/cardano/index.ts';
import type { VerificationKeyPoP } from '../../protocol/stm/index.ts';

export interface RegistrantIdentity {
  /** bech32 pool id of `opCert.coldVk`. */
  readonly partyId: string;
  readonly opCert: OpCert;
  /** KES-signs vk ‖ PoP at `currentKesPeriod − opCert.startKesPeriod` evolutions. */
  signRegistration(
    vkPop: VerificationKeyPoP,
    currentKesPeriod: bigint,
  ): SignedRegistration | Promise<SignedRegistration>;
}
