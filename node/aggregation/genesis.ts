/**
 * The network's genesis certificate (spec §2.5), built from a closed registration record.
 *
 * Epochs: the genesis of epoch G carries the AVK of the set recorded at G, which signs during
 * G+1. The first MithrilStakeDistribution certificate is that of G+1: its AVK (the set recorded
 * at G) is the genesis' `next_aggregate_verification_key`, as the verifier's AVK chaining across
 * epochs requires (spec §2.6 (8)). Beacons signed during G or earlier cannot be certified.
 *
 * The genesis key signs the protocol message only, so the other fields are made deterministic like
 * every certificate's: `initiated_at` = `sealed_at` = the start of G, no signers. Ed25519 signatures
 * are deterministic too (RFC 8032): the same record, parameters and key give the same certificate.
 *
 * Two ways to make it: `storeGenesis` (the `mithril-mesh genesis` command, on a stopped node's
 * data dir), and `DevnetGenesis`, a service for a devnet node holding the genesis signing key,
 * which creates and publishes it once the registration recorded at G closes.
 */
import { logger } from '@libp2p/logger';
import type { ChainObserver } from '../chain/observer.ts';
import type { MeshEvents } from '../events.ts';
import type { GossipPublisher } from '../gossip/handler.ts';
import type { ClosedRegistrationRecord, MeshStore, RegistrationStore } from '../store/types.ts';
import { ED25519_SECRET_KEY_BYTES } from '../../protocol/cardano/ed25519.ts';
import { decodeProtocolKey } from '../../protocol/codec/json-hex.ts';
import type { Certificate } from '../../protocol/certificate/index.ts';
import { createGenesisCertificate } from '../../protocol/certificate/index.ts';
import { byteArrayJson, expectByteArray } from '../../protocol/codec/json.ts';
import { jsonToHex } from '../../protocol/codec/json-hex.ts';
import { ProtocolError } from '../../protocol/errors.ts';
import type { ProtocolParameters } from '../../protocol/message/protocol-parameters.ts';
import { ClosedKeyRegistration } from '../../protocol/stm/registration.ts';
import { epochStartNanos } from './builder.ts';
import { encodeCertificateGossip } from './certificate-message.ts';
import type { CertificateChain } from './chain.ts';
import { AggregationError } from './errors.ts';

const log = logger('mithril-mesh:aggregation:genesis');

/**
 * A genesis signing key as the reference's `genesis.skey` holds it (JSON-hex of the 32 key bytes),
 * or as 64 hex digits. Throws `AggregationError` INVALID_GENESIS_KEY (the key is never in the message).
 */
export function readGenesisSecretKey(text: string): Uint8Array {
  const checked = (bytes: Uint8Array): Uint8Array => {
    if (bytes.length !== ED25519_SECRET_KEY_BYTES) {
      throw new AggregationError(
        'INVALID_GENESIS_KEY',
        `a genesis signing key has ${ED25519_SECRET_KEY_BYTES} bytes`,
      );
    }
    return bytes;
  };
  try {
    return decodeProtocolKey(
      text.trim(),
      'genesis signing key',
      (json) => expectByteArray(json, 'genesis signing key', ED25519_SECRET_KEY_BYTES),
      checked,
    );
  } catch (error) {
    if (!(error instanceof ProtocolError) || error instanceof AggregationError) throw error;
    throw new AggregationError(
      'INVALID_GENESIS_KEY',
      'not a genesis signing key (JSON-hex or hex of 32 bytes)',
    );
  }
}

/** The `genesis.skey` form of a genesis signing key (JSON-hex of its bytes, like the legacy vkey). */
export function genesisSecretKeyToHex(secretKey: Uint8Array): string {
  return jsonToHex(byteArrayJson(secretKey));
}

export interface NetworkGenesisInput {
  /** The closed registration recorded at the genesis epoch. */
  record: ClosedRegistrationRecord;
  network: string;
  protocolParameters: ProtocolParameters;
  /** First millisecond of the genesis epoch. */
  epochStartMs: number;
  /** 32-byte Ed25519 genesis signing key. */
  genesisSecretKey: Uint8Array;
}

/** The genesis certificate of epoch `record.epoch`. Throws the STM's `RegistrationError` for an empty set. */
export function createNetworkGenesis(input: NetworkGenesisInput): Certificate {
  const registration = ClosedKeyRegistration.fromEntries(
    input.record.entries.map(({ vk, stake }) => ({ vk, stake })),
  );
  const at = epochStartNanos(input.epochStartMs);
  return createGenesisCertificate({
    network: input.network,
    epoch: input.record.epoch,
    protocolParameters: input.protocolParameters,
    aggregateVerificationKey: registration.avk,
    initiatedAt: at,
    sealedAt: at,
    genesisSecretKey: input.genesisSecretKey,
  });
}

/**
 * Builds the genesis of `epoch` from the closed registration stored for it and stores it
 * (`created` false when that very certificate is stored already). Throws `AggregationError`
 * NO_CLOSED_REGISTRATION or GENESIS_CONFLICT.
 */
export async function storeGenesis(
  store: Pick<MeshStore, 'registrations' | 'certificates'>,
  input: Omit<NetworkGenesisInput, 'record'> & { epoch: number },
): Promise<{ certificate: Certificate; created: boolean }> {
  const record = await store.registrations.getClosed(input.epoch);
  if (record === undefined) {
    throw new AggregationError(
      'NO_CLOSED_REGISTRATION',
      `no closed registration is stored for epoch ${input.epoch}`,
    );
  }
  const certificate = createNetworkGenesis({ ...input, record });
  const existing = await store.certificates.genesis();
  if (existing?.hash === certificate.hash) return { certificate, created: false };
  if (existing !== undefined) {
    throw new AggregationError(
      'GENESIS_CONFLICT',
      `genesis certificate ${existing.hash} (epoch ${existing.epoch}) is stored`,
    );
  }
  await store.certificates.put(certificate);
  return { certificate, created: true };
}

export interface DevnetGenesisOptions {
  genesisEpoch: number;
  /** 32-byte Ed25519 genesis signing key (devnet only: a real network keeps it offline). */
  genesisSecretKey: Uint8Array;
  network: string;
  protocolParameters: ProtocolParameters;
  chain: ChainObserver;
  registrations: Pick<RegistrationStore, 'getClosed'>;
  certificates: CertificateChain;
  publisher: GossipPublisher;
  events: MeshEvents;
}

/** Creates, stores and publishes the genesis once the registration recorded at the genesis epoch closes. */
export class DevnetGenesis {
  private unsubscribe: (() => void) | undefined;
  private work: Promise<void> = Promise.resolve();

  constructor(private readonly options: DevnetGenesisOptions) {}

  /** Creates the genesis now if its registration is closed already, else when it closes. */
  async start(): Promise<void> {
    if (this.unsubscribe !== undefined) return;
    this.unsubscribe = this.options.events.on('registration:closed', ({ epoch }) => {
      if (epoch === this.options.genesisEpoch) this.enqueue();
    });
    this.enqueue();
    await this.work;
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await this.work;
  }

  private enqueue(): void {
    this.work = this.work
      .then(() => this.create())
      .catch((error: unknown) => log.error('creating the genesis certificate failed: %s', error));
  }

  private async create(): Promise<void> {
    const { certificates, registrations, genesisEpoch, chain, publisher } = this.options;
    if (certificates.genesis() !== undefined) return;
    const record = await registrations.getClosed(genesisEpoch);
    if (record === undefined) {
      log('waiting for the registration recorded at %d to close', genesisEpoch);
      return;
    }
    const certificate = createNetworkGenesis({
      record,
      network: this.options.network,
      protocolParameters: this.options.protocolParameters,
      epochStartMs: chain.epochWindow(genesisEpoch).startMs,
      genesisSecretKey: this.options.genesisSecretKey,
    });
    // Verified with the configured genesis verification key before it is stored.
    if ((await certificates.offer(certificate, true)) !== 'stored') return;
    const { bytes } = encodeCertificateGossip(certificate);
    const peers = await publisher.publish(
      { kind: 'certificate', entityType: 'MithrilStakeDistribution' },
      bytes,
    );
    log('published genesis certificate %s of epoch %d to %d peers', certificate.hash, genesisEpoch, peers);
  }
}
