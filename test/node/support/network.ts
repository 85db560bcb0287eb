/**
 * An in-process network of real mesh nodes on TCP loopback for integration tests: simulated SPO
 * identities, one shared stake distribution, a devnet chain whose genesis lies a little after
 * start-up, node 0 as every other node's only bootstrap peer. Records every node's events from
 * the start so that tests can wait on facts that may already have happened.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeStakeDistributionFile } from '../../../node/chain/stake-distribution-file.ts';
import { validateNodeConfig } from '../../../node/config/index.ts';
import type { NodeConfig } from '../../../node/config/index.ts';
import type { MeshEventMap, MeshEventName } from '../../../node/events.ts';
import type { SignerIdentity } from '../../../node/identity/index.ts';
import { createSimulatedIdentity } from '../../../node/identity/index.ts';
import { MeshNode } from '../../../node/mesh-node.ts';
import type { ProtocolParameters } from '../../../protocol/message/protocol-parameters.ts';
import { genesisSecretKeyToHex } from '../../../node/aggregation/genesis.ts';
import { ed25519KeyPairFromSeed } from '../../../protocol/cardano/ed25519.ts';
import { bytesToHex } from '../../../protocol/encoding/bytes.ts';

export const TEST_NETWORK = 'testnet';

export interface TestNetworkOptions {
  nodes: number;
  epochLengthMs: number;
  /** From the creation of the network to the start of epoch 0. */
  genesisDelayMs: number;
  parameters: ProtocolParameters;
  closeFraction?: number;
  targetPeers?: number;
  /** Certificates on: a genesis key whose signing half node 0 holds (it creates the genesis). */
  genesis?: boolean;
  /** The aggregators' storm-control window (0: all publish at once). */
  aggregatorWindowMs?: number;
  /** Nodes started at once (default all); the others start later with `startNode`. */
  startNodes?: number;
}

/** The genesis epoch: its AVK is the set recorded at 1 (registered during epoch 0). */
export const TEST_GENESIS_EPOCH = 1;

type Recorded = { [K in MeshEventName]: { name: K; payload: MeshEventMap[K] } }[MeshEventName];

export class TestNetwork {
  readonly nodes: MeshNode[] = [];
  readonly identities: SignerIdentity[];
  readonly genesisTimeMs: number;
  readonly options: TestNetworkOptions;
  private readonly root: string;
  private readonly stakeFile: string;
  private readonly history: Recorded[][] = [];
  private readonly waiters: (() => void)[][] = [];
  private bootstrap: string[] = [];
  /** The genesis verification key (hex), when certificates are on. */
  readonly genesisVerificationKey: string | undefined;
  private readonly genesisSigningKeyFile: string;

  private constructor(options: TestNetworkOptions) {
    this.options = options;
    this.root = mkdtempSync(join(tmpdir(), 'mesh-'));
    this.stakeFile = join(this.root, 'stake-distribution.json');
    this.genesisTimeMs = Date.now() + options.genesisDelayMs;
    this.identities = Array.from({ length: options.nodes }, (_, i) =>
      createSimulatedIdentity(new Uint8Array(32).fill(i + 1)),
    );
    this.genesisSigningKeyFile = join(this.root, 'genesis.skey');
    if (options.genesis) {
      const keys = ed25519KeyPairFromSeed(new Uint8Array(32).fill(77));
      writeFileSync(this.genesisSigningKeyFile, genesisSecretKeyToHex(keys.secretKey), { mode: 0o600 });
      this.genesisVerificationKey = bytesToHex(keys.publicKey);
    }
  }

  static async start(options: TestNetworkOptions): Promise<TestNetwork> {
    const net = new TestNetwork(options);
    // Unequal stakes: 10 to 20 units of 1,000 ADA.
    const stakes = new Map(
      net.identities.map((id, i) => [id.partyId, 1_000_000_000n * BigInt(10 + ((i * 7) % 11))]),
    );
    await writeStakeDistributionFile(net.stakeFile, stakes);
    try {
      for (let i = 0; i < (options.startNodes ?? options.nodes); i++) await net.startNode(i);
    } catch (e) {
      await net.stop();
      throw e;
    }
    return net;
  }

  config(index: number): NodeConfig {
    const o = this.options;
    return validateNodeConfig({
      network: TEST_NETWORK,
      dataDir: join(this.root, `node-${index}`),
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap: index === 0 ? [] : this.bootstrap,
      chain: {
        genesisTime: this.genesisTimeMs,
        epochLengthSeconds: o.epochLengthMs / 1000,
        // 100 ms slots and 10 s KES periods: KES evolves during the test, as on a real chain.
        slotLengthMs: 100,
        slotsPerKesPeriod: 100,
        stakeDistributionFile: this.stakeFile,
      },
      protocol: o.parameters,
      p2p: { loopback: true, targetPeers: o.targetPeers ?? 6 },
      registration: { closeFraction: o.closeFraction ?? 0.6 },
      ...(this.genesisVerificationKey === undefined
        ? {}
        : {
            genesis: {
              verificationKey: this.genesisVerificationKey,
              epoch: TEST_GENESIS_EPOCH,
              ...(index === 0 ? { signingKeyFile: this.genesisSigningKeyFile } : {}),
            },
          }),
    });
  }

  /** Creates and starts node `index` (nodes start in index order). */
  async startNode(index: number): Promise<MeshNode> {
    const node = await this.createNode(index);
    await node.start();
    this.nodes[index] = node;
    if (index === 0) this.bootstrap = [node.multiaddrs().find((a) => a.includes('/127.0.0.1/'))!];
    return node;
  }

  /** A node (not started) for `index`, on its data dir; its events are recorded. */
  async createNode(index: number): Promise<MeshNode> {
    const node = await MeshNode.create({
      config: this.config(index),
      identities: [this.identities[index]!],
      ...(this.options.aggregatorWindowMs === undefined
        ? {}
        : { aggregatorWindowMs: this.options.aggregatorWindowMs }),
    });
    this.history[index] ??= [];
    this.waiters[index] ??= [];
    node.events.onAny((name, payload) => {
      this.history[index]!.push({ name, payload } as Recorded);
      for (const wake of this.waiters[index]!.splice(0)) wake();
    });
    return node;
  }

  /** Stops node `index` and starts a new one on the same data dir and identity. */
  async restart(index: number): Promise<MeshNode> {
    await this.nodes[index]!.stop();
    const node = await this.createNode(index);
    await node.start();
    this.nodes[index] = node;
    return node;
  }

  events<K extends MeshEventName>(index: number, name: K): MeshEventMap[K][] {
    return (this.history[index] ?? [])
      .filter((r) => r.name === name)
      .map((r) => r.payload as MeshEventMap[K]);
  }

  /** Resolves once `condition()` holds, re-checking after every event of node `index`. */
  async until(index: number, condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`node ${index}: timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(remaining, 1000));
        this.waiters[index]!.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async untilAll(condition: (index: number) => boolean, what: string, timeoutMs = 60_000): Promise<void> {
    await Promise.all(this.nodes.map((_, i) => this.until(i, () => condition(i), what, timeoutMs)));
  }

  epochStartMs(epoch: number): number {
    return this.genesisTimeMs + epoch * this.options.epochLengthMs;
  }

  /** Stops every node (data dirs are kept until `remove`). */
  async stop(): Promise<void> {
    await Promise.allSettled(this.nodes.map((n) => n.stop()));
  }

  dataDir(index: number): string {
    return this.config(index).dataDir;
  }

  async remove(): Promise<void> {
    await this.stop();
    rmSync(this.root, { recursive: true, force: true });
  }
}
