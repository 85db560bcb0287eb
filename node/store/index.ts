/** Public API of the persistent store. */
export type {
  CertificateStore,
  ClosedRegistrationRecord,
  MeshStore,
  OwnKeyStore,
  PeerRecord,
  PeerStore,
  RegistrationStore,
  SignatureStore,
  StakeDistributionStore,
  StoredMessage,
} from './types.ts';
export type { LevelMeshStore, OpenMeshStoreOptions } from './level-store.ts';
export { openMeshStore } from './level-store.ts';
export { StoreError } from './errors.ts';
export type { StoreMeta } from './meta.ts';
export { SCHEMA_VERSION } from './meta.ts';
