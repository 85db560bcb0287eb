/**
 * Certificates by hash, with two indexes: the certificate kept per beacon (signed entity key →
 * hash) and the genesis certificates (epoch → hash). A certificate and its index entries are
 * written in one LevelDB batch, so a crash never leaves a half-indexed certificate.
 *
 * "Latest of a type" is not a separate pointer: beacon keys sort by type then beacon, so it is
 * the last beacon key of the type. It thus only ever moves forward as later beacons are stored,
 * and a replaced certificate can never be left behind as "latest".
 */
import type { Certificate } from '../../protocol/certificate/certificate.ts';
import {
  certificateSignedEntityType,
  isGenesisCertificate,
  stringifyCertificate,
} from '../../protocol/certificate/certificate.ts';
import { SIGNED_ENTITY_TYPE_IDS } from '../../protocol/message/signed-entity-type.ts';
import type { RootDb, Sublevels } from './db.ts';
import { StoreError } from './errors.ts';
import { entityKey, epochKey, hexKey } from './keys.ts';
import { decodeCertificate, decodeRecord } from './records.ts';
import type { CertificateStore } from './types.ts';

type CertificateSublevels = Pick<Sublevels, 'certificates' | 'certificateBeacons' | 'certificateGenesis'>;

export function createCertificateStore(db: RootDb, sublevels: CertificateSublevels): CertificateStore {
  const { certificates, certificateBeacons: beacons, certificateGenesis: genesisIndex } = sublevels;

  // Writes read the beacon index before they batch: one at a time, so none acts on a stale read.
  let tail: Promise<unknown> = Promise.resolve();
  const exclusive = (write: () => Promise<void>): Promise<void> => {
    const run = tail.then(write);
    tail = run.catch(() => undefined);
    return run;
  };

  const decode = (hash: string, text: string): Certificate =>
    decodeRecord('certificates', hash, () => decodeCertificate(hash, text));

  async function load(hash: string): Promise<Certificate | undefined> {
    const text = await certificates.get(hash);
    return text === undefined ? undefined : decode(hash, text);
  }

  /** Decodes what an index entry names; an entry naming nothing is a corrupt record. */
  function indexed(index: string, key: Uint8Array, hash: string, text: string | undefined): Certificate {
    if (text === undefined) {
      throw new StoreError(
        'CORRUPT_RECORD',
        `index entry ${index}/${hexKey(key)} names certificate ${hash}, which is not stored`,
      );
    }
    return decode(hash, text);
  }

  const follow = async (index: string, key: Uint8Array, hash: string): Promise<Certificate> =>
    indexed(index, key, hash, await certificates.get(hash));

  /**
   * Keeps `certificate` for its beacon if the beacon currently keeps `expected` (or already
   * keeps this certificate); the certificate it displaces is deleted with its genesis entry.
   */
  async function keep(expected: string | undefined, certificate: Certificate): Promise<void> {
    const beacon = certificateSignedEntityType(certificate);
    const beaconKey = entityKey(beacon);
    const kept = await beacons.get(beaconKey);
    if (kept !== expected && kept !== certificate.hash) {
      throw new StoreError(
        'BEACON_CONFLICT',
        `beacon ${hexKey(beaconKey)} keeps certificate ${kept ?? '(none)'}, not ${expected ?? '(none)'}`,
      );
    }
    // A genesis certificate stands for MithrilStakeDistribution(its epoch): same epoch key.
    const genesisKey = epochKey(beacon.epoch);
    const operations = [];
    if (kept !== undefined && kept !== certificate.hash) {
      operations.push({ type: 'del' as const, sublevel: certificates, key: kept });
      if ((await genesisIndex.get(genesisKey)) === kept) {
        operations.push({ type: 'del' as const, sublevel: genesisIndex, key: genesisKey });
      }
    }
    operations.push(
      {
        type: 'put' as const,
        sublevel: certificates,
        key: certificate.hash,
        value: stringifyCertificate(certificate),
      },
      { type: 'put' as const, sublevel: beacons, key: beaconKey, value: certificate.hash },
    );
    if (isGenesisCertificate(certificate)) {
      operations.push({
        type: 'put' as const,
        sublevel: genesisIndex,
        key: genesisKey,
        value: certificate.hash,
      });
    }
    await db.batch<string | Uint8Array, string>(operations, {});
  }

  /** The certificate of the last key of `index` within `range`. */
  async function last(
    name: string,
    index: CertificateSublevels['certificateBeacons'],
    range: { gte?: Uint8Array; lt?: Uint8Array },
  ): Promise<Certificate | undefined> {
    const [entry] = await index.iterator({ ...range, reverse: true, limit: 1 }).all();
    return entry === undefined ? undefined : follow(name, entry[0], entry[1]);
  }

  return {
    put: async (certificate) => exclusive(() => keep(undefined, certificate)),
    get: load,
    async getByBeacon(entity) {
      const key = entityKey(entity);
      const hash = await beacons.get(key);
      return hash === undefined ? undefined : follow('certificate-beacons', key, hash);
    },
    replaceForBeacon: async (previousHash, certificate) => exclusive(() => keep(previousHash, certificate)),
    async latest(type) {
      const typeId = SIGNED_ENTITY_TYPE_IDS[type];
      return last('certificate-beacons', beacons, {
        gte: Uint8Array.of(typeId),
        lt: Uint8Array.of(typeId + 1),
      });
    },
    genesis: async () => last('certificate-genesis', genesisIndex, {}),
    /** In beacon key order: by type id, then beacon. */
    async list() {
      const entries = await beacons.iterator().all();
      const texts = await certificates.getMany(entries.map(([, hash]) => hash));
      return entries.map(([key, hash], i) => indexed('certificate-beacons', key, hash, texts[i]));
    },
  };
}
