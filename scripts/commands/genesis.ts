/**
 * `mithril-mesh genesis`: on a STOPPED node's data dir, builds the network's genesis certificate
 * from the closed registration stored for epoch E (node/aggregation/genesis.ts), stores it, and
 * prints its hash and the genesis verification key every node must be configured with (legacy
 * `genesis.vkey` form). The node config gives the network, the protocol parameters and the epoch
 * boundaries (the certificate's timestamps are the start of E). Running it again is harmless: the
 * same inputs make the same certificate.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DevnetChain } from '../../node/chain/devnet-chain.ts';
import type { NodeConfig } from '../../node/config/index.ts';
import { loadNodeConfig } from '../../node/config/index.ts';
import { AggregationError } from '../../node/aggregation/errors.ts';
import { readGenesisSecretKey, storeGenesis } from '../../node/aggregation/genesis.ts';
import { systemClock } from '../../node/runtime/clock.ts';
import { openMeshStore } from '../../node/store/index.ts';
import { ed25519PublicKey } from '../../protocol/cardano/ed25519.ts';
import { genesisVerificationKeyToLegacyHex } from '../../protocol/cardano/genesis-key.ts';
import type { Command } from './command.ts';
import { CliUsageError, EXIT_FAILED, EXIT_OK } from './command.ts';

const MS_PER_SECOND = 1000;
/** A key file is 32 bytes as JSON-hex (about 200 characters); anything much larger is not one. */
const MAX_KEY_FILE_BYTES = 4096;

function readKeyFile(path: string): Uint8Array {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliUsageError(`cannot read ${path}: ${(e as Error).message}`);
  }
  if (text.length > MAX_KEY_FILE_BYTES) throw new CliUsageError(`${path} is not a genesis signing key file`);
  try {
    return readGenesisSecretKey(text);
  } catch (e) {
    if (!(e instanceof AggregationError)) throw e;
    throw new CliUsageError(`${path}: ${e.message}`);
  }
}

/** The first millisecond of `epoch`, as the node's chain observer computes it. */
function epochStartMs(config: NodeConfig, epoch: number): number {
  const { chain } = config;
  const observer = new DevnetChain(
    {
      genesisTimeMs: chain.genesisTimeMs,
      epochLengthMs: chain.epochLengthSeconds * MS_PER_SECOND,
      slotLengthMs: chain.slotLengthMs,
      slotsPerKesPeriod: chain.slotsPerKesPeriod,
      // Epoch boundaries need no stake.
      stakeDistribution: () => new Map(),
    },
    systemClock,
  );
  return observer.epochWindow(epoch).startMs;
}

export const genesisCommand: Command = {
  name: 'genesis',
  summary: "create the network's genesis certificate on a stopped node's data dir",
  usage: [
    'usage: mithril-mesh genesis --config FILE --genesis-skey FILE --epoch E [--data-dir DIR] [--network NAME]',
    '',
    "Builds the genesis certificate of epoch E from the node's stored closed registration of E (the",
    'signers of epoch E+1), stores it, and prints its hash and the genesis verification key (legacy',
    'genesis.vkey form). The node must be stopped. --data-dir and --network override the config.',
    'The signing key file holds the JSON-hex (or hex) of the 32-byte Ed25519 genesis key.',
    'Exit status: 0 stored (or already stored), 1 no closed registration or another genesis, 2 bad input.',
  ].join('\n'),
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        config: { type: 'string' },
        'genesis-skey': { type: 'string' },
        epoch: { type: 'string' },
        'data-dir': { type: 'string' },
        network: { type: 'string' },
      },
      strict: true,
    });
    if (!values.config) throw new CliUsageError('--config FILE is required');
    if (!values['genesis-skey']) throw new CliUsageError('--genesis-skey FILE is required');
    if (values.epoch === undefined || !/^(0|[1-9]\d{0,15})$/.test(values.epoch)) {
      throw new CliUsageError('--epoch must be a non-negative integer');
    }
    const epoch = Number(values.epoch);
    const config = await loadNodeConfig({
      file: values.config,
      overrides: {
        ...(values['data-dir'] === undefined ? {} : { dataDir: values['data-dir'] }),
        ...(values.network === undefined ? {} : { network: values.network }),
      },
    });
    const genesisSecretKey = readKeyFile(values['genesis-skey']);
    const store = await openMeshStore({ dataDir: config.dataDir, network: config.network });
    try {
      const { certificate, created } = await storeGenesis(store, {
        epoch,
        network: config.network,
        protocolParameters: config.protocol,
        epochStartMs: epochStartMs(config, epoch),
        genesisSecretKey,
      });
      io.out(
        `${created ? 'stored' : 'already stored:'} genesis certificate ${certificate.hash} of epoch ${epoch}`,
      );
      io.out(
        `genesis verification key: ${genesisVerificationKeyToLegacyHex(ed25519PublicKey(genesisSecretKey))}`,
      );
      return EXIT_OK;
    } catch (e) {
      if (!(e instanceof AggregationError) || e.code === 'INVALID_GENESIS_KEY') throw e;
      io.err(`mithril-mesh genesis: ${e.message}`);
      return EXIT_FAILED;
    } finally {
      genesisSecretKey.fill(0);
      await store.close();
    }
  },
};
