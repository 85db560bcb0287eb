/**
 * An SPO identity the node signs for: the pool's cold verification key, its operational
 * certificate and the KES secret key the certificate certifies. The cold signing key is never
 * needed at run time. The KES key lives in a private field and the identity serializes and
 * prints without any key bytes, so logging an identity cannot leak it.
 */
import { inspect } from 'node:util';
import type { KesSecretKey, OpCert, SignedRegistration } from '../../protocol/cardano/index.ts';
import {
  kesEvolutions,
  kesPublicKey,
  poolIdFromHash,
  poolIdHashFromColdVerificationKey,
  signRegistration,
  verifyOpCert,
} from '../../protocol/cardano/index.ts';
import { equalBytes } from '../../protocol/encoding/bytes.ts';
import type { VerificationKeyPoP } from '../../protocol/stm/types.ts';
import { IdentityError } from './errors.ts';

export interface IdentityKeys {
  coldVerificationKey: Uint8Array;
  opCert: OpCert;
  /** Taken over by the identity: the caller must not use or wipe it afterwards. */
  kesKey: KesSecretKey;
}

/** The safe, public part of an identity: what JSON and `util.inspect` show. */
export interface IdentitySummary {
  partyId: string;
  opCertIssueNumber: string;
  opCertStartKesPeriod: string;
}

export class SignerIdentity {
  /** bech32 pool id, the Mithril party id. */
  readonly partyId: string;
  /** BLAKE2b-224 of the cold verification key, 28 bytes. */
  readonly poolIdHash: Uint8Array;
  readonly coldVerificationKey: Uint8Array;
  readonly opCert: OpCert;
  readonly #kesKey: KesSecretKey;
  #wiped = false;

  private constructor(keys: IdentityKeys) {
    this.coldVerificationKey = keys.coldVerificationKey;
    this.opCert = keys.opCert;
    this.#kesKey = keys.kesKey;
    this.poolIdHash = poolIdHashFromColdVerificationKey(keys.coldVerificationKey);
    this.partyId = poolIdFromHash(this.poolIdHash);
  }

  /**
   * Checks that the keys belong together (the opcert names this cold key and this KES key and is
   * signed by the cold key). Throws `IdentityError` OPCERT_COLD_KEY_MISMATCH,
   * OPCERT_KES_KEY_MISMATCH or OPCERT_INVALID; the KES key is wiped on failure.
   */
  static fromKeys(keys: IdentityKeys): SignerIdentity {
    const { coldVerificationKey, opCert, kesKey } = keys;
    let problem: [code: string, message: string] | undefined;
    if (!equalBytes(opCert.coldVk, coldVerificationKey)) {
      problem = ['OPCERT_COLD_KEY_MISMATCH', 'the operational certificate was issued for another cold key'];
    } else if (!equalBytes(opCert.kesVk, kesPublicKey(kesKey))) {
      problem = ['OPCERT_KES_KEY_MISMATCH', 'the operational certificate certifies another KES key'];
    } else if (!verifyOpCert(opCert)) {
      problem = ['OPCERT_INVALID', "the operational certificate's cold-key signature does not verify"];
    }
    if (problem !== undefined) {
      kesKey.wipe();
      throw new IdentityError(problem[0], problem[1]);
    }
    return new SignerIdentity(keys);
  }

  /** KES evolutions at `currentKesPeriod`: current − opcert start, 0 before the start (spec §4). */
  kesEvolutionsAt(currentKesPeriod: bigint): bigint {
    return kesEvolutions(currentKesPeriod, this.opCert.startKesPeriod);
  }

  /**
   * KES-signs vk ‖ PoP with a copy of the key evolved to `kesEvolutionsAt(currentKesPeriod)`.
   * Throws `KesError` when the period is before the opcert start or past the key's 64 periods.
   */
  signRegistration(vkPop: VerificationKeyPoP, currentKesPeriod: bigint): SignedRegistration {
    if (this.#wiped) throw new IdentityError('IDENTITY_WIPED', `the KES key of ${this.partyId} was wiped`);
    return signRegistration({ vkPop, kesSecretKey: this.#kesKey, opCert: this.opCert, currentKesPeriod });
  }

  /** Overwrites the KES key; the identity can no longer sign. */
  wipe(): void {
    this.#kesKey.wipe();
    this.#wiped = true;
  }

  summary(): IdentitySummary {
    return {
      partyId: this.partyId,
      opCertIssueNumber: this.opCert.issueNumber.toString(),
      opCertStartKesPeriod: this.opCert.startKesPeriod.toString(),
    };
  }

  toJSON(): IdentitySummary {
    return this.summary();
  }

  [inspect.custom](): string {
    const { partyId, opCertIssueNumber, opCertStartKesPeriod } = this.summary();
    return `SignerIdentity(${partyId}, opcert #${opCertIssueNumber} from KES period ${opCertStartKesPeriod})`;
  }
}
