import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { genesisSecretKeyToHex } from '../../node/aggregation/index.ts';
import { openMeshStore } from '../../node/store/index.ts';
import { genesisVerificationKeyFromHex } from '../../protocol/cardano/genesis-key.ts';
import { stringifyCertificate } from '../../protocol/certificate/index.ts';
import { parseJson } from '../../protocol/codec/json.ts';
import type { BlsBackend } from '../../protocol/crypto/bls/backend.ts';
import { loadBlsBackend } from '../../protocol/crypto/bls/index.ts';
import { CliUsageError } from '../../scripts/commands/command.ts';
import { genesisCommand } from '../../scripts/commands/genesis.ts';
import { loadCertificates, verifyLoadedCertificates } from '../../scripts/commands/verify-chain.ts';
import { EPOCH_MS } from '../node/aggregation/fakes.ts';
import { GENESIS_EPOCH, NETWORK, PARAMS, World, msd } from '../node/aggregation/world.ts';

interface Run {
  status: number;
  out: string[];
  err: string[];
}

async function genesis(args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const status = await genesisCommand.run(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { status, out, err };
}

describe('scripts/genesis', () => {
  let backend: BlsBackend;
  let world: World;
  let root: string;
  let dataDir: string;
  let config: string;
  let skey: string;

  before(async () => {
    backend = await loadBlsBackend('mcl');
    world = new World(backend);
    root = mkdtempSync(join(tmpdir(), 'genesis-cli-'));
    dataDir = join(root, 'node');
    config = join(root, 'node.json');
    // The world's chain: epochs of EPOCH_MS from Unix time 0.
    writeFileSync(
      config,
      JSON.stringify({
        network: NETWORK,
        dataDir,
        chain: { genesisTime: 0, epochLengthSeconds: EPOCH_MS / 1000, stakeDistributionFile: 'stake.json' },
        protocol: PARAMS,
      }),
    );
    skey = join(root, 'genesis.skey');
    writeFileSync(skey, genesisSecretKeyToHex(world.genesisSecretKey), { mode: 0o600 });
    const store = await openMeshStore({ dataDir, network: NETWORK });
    await store.registrations.putClosed(world.record(GENESIS_EPOCH));
    await store.registrations.putClosed(world.record(GENESIS_EPOCH + 1));
    await store.close();
  });

  after(() => rmSync(root, { recursive: true, force: true }));

  it('stores the genesis of a closed registration; verify-chain accepts it with the next certificate', async () => {
    const run = await genesis(['--config', config, '--genesis-skey', skey, '--epoch', String(GENESIS_EPOCH)]);
    expect(run.status, run.err.join('\n')).to.equal(0);
    // The same certificate as the devnet genesis service makes from the same record, key and epoch start.
    expect(run.out[0]).to.equal(`stored genesis certificate ${world.genesis.hash} of epoch ${GENESIS_EPOCH}`);
    const vkey = run.out[1]!.replace('genesis verification key: ', '');
    expect(vkey.startsWith('5b')).to.equal(true);

    const store = await openMeshStore({ dataDir, network: NETWORK });
    const stored = await store.certificates.genesis();
    await store.close();
    expect(stored?.hash).to.equal(world.genesis.hash);

    // The first certificate after it is signed in G + 1 by the set recorded at G.
    const next = await world.candidate(msd(GENESIS_EPOCH + 1), stored!);
    const text = `[${[stored!, next].map(stringifyCertificate).join(',')}]`;
    const report = verifyLoadedCertificates(loadCertificates(parseJson(text)), {
      backend,
      genesisVerificationKey: genesisVerificationKeyFromHex(vkey),
    });
    expect(report.valid, JSON.stringify(report.certificates)).to.equal(true);
    expect(report.certificates.map((c) => c.genesis)).to.deep.equal([false, true]);
  });

  it('is idempotent, and refuses a second genesis or a missing registration', async () => {
    const again = await genesis([
      '--config',
      config,
      '--genesis-skey',
      skey,
      '--epoch',
      String(GENESIS_EPOCH),
    ]);
    expect(again.status).to.equal(0);
    expect(again.out[0]).to.equal(
      `already stored: genesis certificate ${world.genesis.hash} of epoch ${GENESIS_EPOCH}`,
    );
    const conflict = await genesis([
      '--config',
      config,
      '--genesis-skey',
      skey,
      '--epoch',
      String(GENESIS_EPOCH + 1),
    ]);
    expect(conflict.status).to.equal(1);
    expect(conflict.err.join('\n')).to.contain(world.genesis.hash);
    const missing = await genesis(['--config', config, '--genesis-skey', skey, '--epoch', '9']);
    expect(missing.status).to.equal(1);
    expect(missing.err.join('\n')).to.contain('no closed registration is stored for epoch 9');
  });

  it('refuses bad flags and key files', async () => {
    const bad = join(root, 'bad.skey');
    writeFileSync(bad, 'not a key');
    for (const args of [
      ['--genesis-skey', skey, '--epoch', '3'],
      ['--config', config, '--epoch', '3'],
      ['--config', config, '--genesis-skey', skey, '--epoch', '1.5'],
      ['--config', config, '--genesis-skey', bad, '--epoch', '3'],
      ['--config', config, '--genesis-skey', join(root, 'absent'), '--epoch', '3'],
    ]) {
      let error: unknown;
      try {
        await genesis(args);
      } catch (e) {
        error = e;
      }
      expect(error, args.join(' ')).to.be.instanceOf(CliUsageError);
    }
  });
});
