/** The node configuration: what `loadNodeConfig` returns (resolved, validated, frozen) and what it reads. */
import type { ProtocolParameters } from '../../protocol/message/protocol-parameters.ts';
import type { SignedEntityTypeName } from '../../protocol/message/signed-entity-type.ts';

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ChainSettings {
  /** Unix ms of slot 0 (given as RFC 3339 or ms as `genesisTime`). */
  readonly genesisTimeMs: number;
  readonly epochLengthSeconds: number;
  readonly slotLengthMs: number;
  readonly slotsPerKesPeriod: number;
  /** Absolute path of the stake distribution JSON file. */
  readonly stakeDistributionFile: string;
}

export interface P2pSettings {
  /** Connections the peer manager aims for. */
  readonly targetPeers: number;
  /** Hard cap on connections. */
  readonly maxPeers: number;
  /** Relaxed limits for many peers on one address (local devnets and tests). */
  readonly loopback: boolean;
  /** Addresses announced to peers instead of the listen addresses. */
  readonly announce?: readonly string[];
  /**
   * Receive and forward other signers' single signatures (default). A non-aggregating node may
   * turn it off: it then only publishes its own, to the peers subscribed to the topic (a leaf, as
   * the signers of the star baseline).
   */
  readonly relaySignatures: boolean;
}

export interface RegistrationSettings {
  /** Registrations for the next epoch close at start + closeFraction · epoch length. */
  readonly closeFraction: number;
  readonly reannounceSeconds: number;
}

/**
 * The network's genesis. Without a verification key the node registers and signs but keeps no
 * certificates (it cannot tell a valid chain from another).
 */
export interface GenesisSettings {
  /** 64 hex digits. */
  readonly verificationKey?: string;
  /** Absolute path of a genesis.vkey file. */
  readonly verificationKeyFile?: string;
  readonly epoch: number;
  /** Devnet only: absolute path of the genesis secret key file. */
  readonly signingKeyFile?: string;
}

export interface NodeConfig {
  readonly network: string;
  /** Absolute path. */
  readonly dataDir: string;
  readonly listen: readonly string[];
  /** Multiaddrs ending in /p2p/<peer id>. */
  readonly bootstrap: readonly string[];
  /** Absolute paths of key directories as `mithril-mesh keygen` writes them. */
  readonly identities: readonly string[];
  /** Whether this node aggregates certificates. */
  readonly aggregator: boolean;
  readonly chain: ChainSettings;
  readonly protocol: Readonly<ProtocolParameters>;
  readonly signedEntityTypes: readonly SignedEntityTypeName[];
  readonly p2p: P2pSettings;
  readonly registration: RegistrationSettings;
  readonly log: { readonly level: LogLevel };
  readonly genesis: GenesisSettings;
}

/**
 * The shape of a config file, of the environment once mapped, and of overrides (CLI flags):
 * every field optional, values as written (genesis time as RFC 3339 text or Unix ms).
 */
export interface NodeConfigInput {
  network?: string;
  dataDir?: string;
  listen?: string[];
  bootstrap?: string[];
  identities?: string[];
  aggregator?: boolean;
  chain?: {
    genesisTime?: string | number;
    epochLengthSeconds?: number;
    slotLengthMs?: number;
    slotsPerKesPeriod?: number;
    stakeDistributionFile?: string;
  };
  protocol?: Partial<ProtocolParameters>;
  signedEntityTypes?: string[];
  p2p?: {
    targetPeers?: number;
    maxPeers?: number;
    loopback?: boolean;
    announce?: string[];
    relaySignatures?: boolean;
  };
  registration?: { closeFraction?: number; reannounceSeconds?: number };
  log?: { level?: string };
  genesis?: {
    verificationKey?: string;
    verificationKeyFile?: string;
    epoch?: number;
    signingKeyFile?: string;
  };
}
