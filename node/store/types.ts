/**
 * The node's persistent state, as the rest of the node sees it (implemented on LevelDB in
 * `node/store/level-store.ts`). Domain modules keep their wire encodings: registrations and
 * signatures are stored as the exact message bytes that were validated, so a restarted node
 * re-announces and serves byte-identical messages.
 */
import type { Certificate } from '../../protocol/certificate/certificate.ts';
import type { SignedEntityType, SignedEntityTypeName } from '../../protocol/message/signed-entity-type.ts';

export interface StoredMessage {
  partyId: string;
  message: Uint8Array;
}

/** A closed registration: the signer set of one recording epoch. */
export interface ClosedRegistrationRecord {
  epoch: number;
  /** In signer-index order. */
  entries: { partyId: string; vk: Uint8Array; stake: bigint }[];
  closedAtMs: number;
}

export interface RegistrationStore {
  put(epoch: number, partyId: string, message: Uint8Array): Promise<void>;
  get(epoch: number, partyId: string): Promise<Uint8Array | undefined>;
  list(epoch: number): Promise<StoredMessage[]>;
  putClosed(record: ClosedRegistrationRecord): Promise<void>;
  getClosed(epoch: number): Promise<ClosedRegistrationRecord | undefined>;
  /** Deletes registrations and closed sets recorded before `epoch`. */
  prune(beforeEpoch: number): Promise<void>;
}

/** The node's own BLS secret keys per (recording epoch, pool). */
export interface OwnKeyStore {
  put(epoch: number, partyId: string, secretKey: bigint): Promise<void>;
  get(epoch: number, partyId: string): Promise<bigint | undefined>;
  prune(beforeEpoch: number): Promise<void>;
}

export interface SignatureStore {
  put(entity: SignedEntityType, partyId: string, message: Uint8Array): Promise<void>;
  get(entity: SignedEntityType, partyId: string): Promise<Uint8Array | undefined>;
  list(entity: SignedEntityType): Promise<StoredMessage[]>;
  /** Deletes the signatures of beacons whose epoch is before `epoch`. */
  prune(beforeEpoch: number): Promise<void>;
}

export interface CertificateStore {
  /** Stores by hash, indexes by (type, beacon) and moves "latest of type" forward, atomically. */
  put(certificate: Certificate): Promise<void>;
  get(hash: string): Promise<Certificate | undefined>;
  /** The certificate kept for this beacon, if any. */
  getByBeacon(entity: SignedEntityType): Promise<Certificate | undefined>;
  /** Replaces the certificate kept for its beacon (convergence may prefer another one). */
  replaceForBeacon(previousHash: string | undefined, certificate: Certificate): Promise<void>;
  latest(type: SignedEntityTypeName): Promise<Certificate | undefined>;
  /** The genesis certificate, if stored. */
  genesis(): Promise<Certificate | undefined>;
  list(): Promise<Certificate[]>;
}

export interface StakeDistributionStore {
  put(epoch: number, distribution: ReadonlyMap<string, bigint>): Promise<void>;
  get(epoch: number): Promise<ReadonlyMap<string, bigint> | undefined>;
}

export interface PeerRecord {
  peerId: string;
  multiaddrs: string[];
  lastSeenMs: number;
}

export interface PeerStore {
  put(record: PeerRecord): Promise<void>;
  list(): Promise<PeerRecord[]>;
  remove(peerId: string): Promise<void>;
}

export interface MeshStore {
  readonly registrations: RegistrationStore;
  readonly ownKeys: OwnKeyStore;
  readonly signatures: SignatureStore;
  readonly certificates: CertificateStore;
  readonly stakeDistributions: StakeDistributionStore;
  readonly peers: PeerStore;
  close(): Promise<void>;
}
