/**
 * Sub-stores keyed by (epoch or beacon, party): registrations, closed signer sets, own BLS keys
 * and signatures. Messages are kept as the exact bytes that were validated. Every method is
 * async, so that a bad argument (say, a negative epoch) rejects instead of throwing.
 */
import { secretKeyFromBytes, secretKeyToBytes } from '../../protocol/crypto/bls/keys.ts';
import { concatBytes, utf8 } from '../../protocol/encoding/bytes.ts';
import type { SignedEntityType } from '../../protocol/message/signed-entity-type.ts';
import { SIGNED_ENTITY_TYPE_IDS } from '../../protocol/message/signed-entity-type.ts';
import type { Sublevels } from './db.ts';
import { StoreError } from './errors.ts';
import { entityKey, epochKey, epochPartyKey, partyIdAfter, prefixRange, typeEpochRange } from './keys.ts';
import { decodeClosedRegistration, decodeRecord, encodeClosedRegistration } from './records.ts';
import type { OwnKeyStore, RegistrationStore, SignatureStore, StoredMessage } from './types.ts';

type MessageSublevel = Sublevels['registrations'];

/** Every message under `prefix`, in key order (party id bytes). */
async function listMessages(
  sublevel: MessageSublevel,
  name: string,
  prefix: Uint8Array,
): Promise<StoredMessage[]> {
  const entries = await sublevel.iterator(prefixRange(prefix)).all();
  return entries.map(([key, message]) => ({ partyId: partyIdAfter(key, prefix.length, name), message }));
}

export function createRegistrationStore(
  sublevels: Pick<Sublevels, 'registrations' | 'closedRegistrations'>,
): RegistrationStore {
  const { registrations, closedRegistrations } = sublevels;
  return {
    put: async (epoch, partyId, message) => registrations.put(epochPartyKey(epoch, partyId), message),
    get: async (epoch, partyId) => registrations.get(epochPartyKey(epoch, partyId)),
    list: async (epoch) => listMessages(registrations, 'registrations', epochKey(epoch)),
    putClosed: async (record) =>
      closedRegistrations.put(epochKey(record.epoch), encodeClosedRegistration(record)),
    async getClosed(epoch) {
      const key = epochKey(epoch);
      const text = await closedRegistrations.get(key);
      if (text === undefined) return undefined;
      return decodeRecord('closed-registrations', key, () => {
        const record = decodeClosedRegistration(text);
        if (record.epoch !== epoch) {
          throw new StoreError('INVALID_VALUE', `holds the closed registration of epoch ${record.epoch}`);
        }
        return record;
      });
    },
    // Two range deletes, not one batch: a prune cut short is completed by the next one.
    async prune(beforeEpoch) {
      const range = { lt: epochKey(beforeEpoch) };
      await registrations.clear(range);
      await closedRegistrations.clear(range);
    },
  };
}

export function createOwnKeyStore(sublevels: Pick<Sublevels, 'ownKeys'>): OwnKeyStore {
  const { ownKeys } = sublevels;
  return {
    put: async (epoch, partyId, secretKey) =>
      ownKeys.put(epochPartyKey(epoch, partyId), secretKeyToBytes(secretKey)),
    async get(epoch, partyId) {
      const key = epochPartyKey(epoch, partyId);
      const bytes = await ownKeys.get(key);
      return bytes === undefined ? undefined : decodeRecord('own-keys', key, () => secretKeyFromBytes(bytes));
    },
    prune: async (beforeEpoch) => ownKeys.clear({ lt: epochKey(beforeEpoch) }),
  };
}

export function createSignatureStore(sublevels: Pick<Sublevels, 'signatures'>): SignatureStore {
  const { signatures } = sublevels;
  const key = (entity: SignedEntityType, partyId: string): Uint8Array =>
    concatBytes(entityKey(entity), utf8(partyId));
  return {
    put: async (entity, partyId, message) => signatures.put(key(entity, partyId), message),
    get: async (entity, partyId) => signatures.get(key(entity, partyId)),
    list: async (entity) => listMessages(signatures, 'signatures', entityKey(entity)),
    // Keys start with the type id, so each type's old beacons are one range.
    async prune(beforeEpoch) {
      for (const typeId of Object.values(SIGNED_ENTITY_TYPE_IDS)) {
        await signatures.clear(typeEpochRange(typeId, beforeEpoch));
      }
    },
  };
}
