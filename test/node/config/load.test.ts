import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadNodeConfig } from '../../../node/config/index.ts';
import type { LoadNodeConfigOptions, NodeConfig } from '../../../node/config/index.ts';

const PEER = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp';
const BOOTSTRAP = `/ip4/10.0.0.1/tcp/4001/p2p/${PEER}`;

const MINIMAL_JSON = {
  network: 'devnet',
  dataDir: 'data',
  identities: ['keys/pool-a'],
  chain: { genesisTime: '2025-01-01T00:00:00Z', epochLengthSeconds: 60, stakeDistributionFile: 'stake.json' },
  protocol: { k: 5, m: 100, phiF: 0.65 },
};

const MINIMAL_YAML = `# a devnet node
network: devnet
dataDir: data
identities:
  - keys/pool-a
chain:
  genesisTime: 2025-01-01T00:00:00Z
  epochLengthSeconds: 60
  stakeDistributionFile: stake.json
protocol: { k: 5, m: 100, phiF: 0.65 }
`;

async function loadError(options: LoadNodeConfigOptions): Promise<ConfigError> {
  try {
    await loadNodeConfig(options);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('node/config: loading', () => {
  let dir: string;
  let configDir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'config-'));
    configDir = join(dir, 'etc');
    mkdirSync(configDir);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, text: string): string => {
    const file = join(configDir, name);
    writeFileSync(file, text);
    return file;
  };

  const expected = (): NodeConfig => ({
    network: 'devnet',
    dataDir: join(configDir, 'data'),
    listen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap: [],
    identities: [join(configDir, 'keys/pool-a')],
    aggregator: true,
    chain: {
      genesisTimeMs: Date.UTC(2025, 0, 1),
      epochLengthSeconds: 60,
      slotLengthMs: 1000,
      slotsPerKesPeriod: 129_600,
      stakeDistributionFile: join(configDir, 'stake.json'),
    },
    protocol: { k: 5, m: 100, phiF: 0.65 },
    signedEntityTypes: ['MithrilStakeDistribution', 'CardanoStakeDistribution'],
    p2p: { targetPeers: 8, maxPeers: 32, loopback: false, relaySignatures: true },
    registration: { closeFraction: 0.6, reannounceSeconds: 180 },
    log: { level: 'info' },
    genesis: { epoch: 1 },
  });

  it('reads a JSON file, applies defaults and resolves paths against its directory', async () => {
    const file = write('node.json', JSON.stringify(MINIMAL_JSON));
    const config = await loadNodeConfig({ file, env: {}, cwd: dir });
    expect(config).to.deep.equal(expected());
    expect(
      Object.isFrozen(config) && Object.isFrozen(config.chain) && Object.isFrozen(config.listen),
    ).to.equal(true);
  });

  it('reads the same config from YAML, and sniffs the format of other file names', async () => {
    expect(await loadNodeConfig({ file: write('node.yaml', MINIMAL_YAML), env: {} })).to.deep.equal(
      expected(),
    );
    expect(await loadNodeConfig({ file: write('node.yml', MINIMAL_YAML), env: {} })).to.deep.equal(
      expected(),
    );
    expect(await loadNodeConfig({ file: write('node.conf', MINIMAL_YAML), env: {} })).to.deep.equal(
      expected(),
    );
    const sniffedJson = write('node', `  ${JSON.stringify(MINIMAL_JSON)}`);
    expect(await loadNodeConfig({ file: sniffedJson, env: {} })).to.deep.equal(expected());
  });

  it('finds the file through MITHRIL_MESH_CONFIG, relative to the working directory', async () => {
    write('node.json', JSON.stringify(MINIMAL_JSON));
    const config = await loadNodeConfig({ env: { MITHRIL_MESH_CONFIG: 'etc/node.json' }, cwd: dir });
    expect(config).to.deep.equal(expected());
  });

  it('layers file < environment < overrides, resolving env and override paths against the cwd', async () => {
    const file = write(
      'node.yaml',
      `${MINIMAL_YAML}p2p:\n  targetPeers: 4\n  maxPeers: 40\nlisten: [/ip4/0.0.0.0/tcp/4001]\n`,
    );
    const config = await loadNodeConfig({
      file,
      cwd: dir,
      env: {
        MITHRIL_MESH_DATA_DIR: 'env-data',
        MITHRIL_MESH_P2P_TARGET_PEERS: '12',
        MITHRIL_MESH_P2P_LOOPBACK: 'true',
        MITHRIL_MESH_AGGREGATOR: 'false',
        MITHRIL_MESH_BOOTSTRAP: ` ${BOOTSTRAP} , /dns4/boot.example/tcp/4001/p2p/${PEER}`,
        MITHRIL_MESH_IDENTITIES: 'k1,k2',
        MITHRIL_MESH_CHAIN_GENESIS_TIME: '1700000000000',
        MITHRIL_MESH_PROTOCOL_PHI_F: '0.2',
        MITHRIL_MESH_LISTEN: '',
        MITHRIL_MESH_LOG_LEVEL: '',
        PATH: '/usr/bin',
      },
      overrides: {
        dataDir: '/abs/data',
        p2p: { maxPeers: 64, targetPeers: undefined },
        log: { level: 'debug' },
      },
    });
    expect(config.dataDir).to.equal('/abs/data');
    expect(config.p2p).to.deep.equal({
      targetPeers: 12,
      maxPeers: 64,
      loopback: true,
      relaySignatures: true,
    });
    expect(config.aggregator).to.equal(false);
    expect(config.bootstrap).to.deep.equal([BOOTSTRAP, `/dns4/boot.example/tcp/4001/p2p/${PEER}`]);
    expect(config.identities).to.deep.equal([join(dir, 'k1'), join(dir, 'k2')]);
    expect(config.chain.genesisTimeMs).to.equal(1_700_000_000_000);
    expect(config.chain.stakeDistributionFile).to.equal(join(configDir, 'stake.json'));
    expect(config.protocol).to.deep.equal({ k: 5, m: 100, phiF: 0.2 });
    expect(config.listen).to.deep.equal([]);
    expect(config.log.level).to.equal('debug');
  });

  it('works from the environment alone', async () => {
    const config = await loadNodeConfig({
      cwd: dir,
      env: {
        MITHRIL_MESH_NETWORK: 'devnet',
        MITHRIL_MESH_DATA_DIR: 'd',
        MITHRIL_MESH_CHAIN_GENESIS_TIME: '2025-01-01T01:00:00+01:00',
        MITHRIL_MESH_CHAIN_EPOCH_LENGTH_SECONDS: '30',
        MITHRIL_MESH_CHAIN_STAKE_DISTRIBUTION_FILE: 's.json',
        MITHRIL_MESH_PROTOCOL_K: '1',
        MITHRIL_MESH_PROTOCOL_M: '1',
        MITHRIL_MESH_PROTOCOL_PHI_F: '1',
        MITHRIL_MESH_P2P_ANNOUNCE: '/ip4/1.2.3.4/tcp/4001',
      },
    });
    expect(config.chain.genesisTimeMs).to.equal(Date.UTC(2025, 0, 1));
    expect(config.dataDir).to.equal(join(dir, 'd'));
    expect(config.p2p.announce).to.deep.equal(['/ip4/1.2.3.4/tcp/4001']);
  });

  it('lists every problem of every layer at once, with its path and source', async () => {
    const file = write(
      'node.json',
      JSON.stringify({
        network: 'Dev Net',
        dataDir: '',
        listen: ['/ip4/999.0.0.1/tcp/1', '/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/0'],
        bootstrap: ['/ip4/10.0.0.1/tcp/4001'],
        identities: 'keys',
        aggregator: 'yes',
        chain: { genesisTime: '2025-13-01T00:00:00Z', epochLengthSeconds: -5, slotLengthMs: 0 },
        protocol: { k: 0, m: 1.5, phiF: 2 },
        signedEntityTypes: ['MithrilStakeDistributions', 'CardanoImmutableFilesFull'],
        p2p: { targetPeers: 10, maxPeers: 5, loopback: 1 },
        registration: { closeFraction: 1, reannounceSeconds: 0 },
        log: { level: 'verbose' },
      }),
    );
    const error = await loadError({
      file,
      env: { MITHRIL_MESH_P2P_TARGET_PEER: '3', MITHRIL_MESH_REGISTRATION: 'x' },
    });
    expect(error.code).to.equal('INVALID_CONFIG');
    expect(error.problems.map((p) => p.path)).to.deep.equal([
      'MITHRIL_MESH_P2P_TARGET_PEER',
      'MITHRIL_MESH_REGISTRATION',
      'network',
      'dataDir',
      'listen[0]',
      'listen[2]',
      'bootstrap[0]',
      'identities',
      'aggregator',
      'chain.genesisTime',
      'chain.epochLengthSeconds',
      'chain.slotLengthMs',
      'chain.stakeDistributionFile',
      'protocol.k',
      'protocol.m',
      'protocol.phiF',
      'signedEntityTypes[0]',
      'signedEntityTypes[1]',
      'p2p.loopback',
      'registration.closeFraction',
      'registration.reannounceSeconds',
      'log.level',
      'p2p.maxPeers',
    ]);
    expect(error.message).to.contain('chain.epochLengthSeconds: must be a positive number, got -5');
    expect(error.message).to.contain(`(from ${file})`);
    expect(error.message).to.contain('listen[2]: duplicate of listen[1]');
    expect(error.message).to.contain('chain.stakeDistributionFile: is required');
    expect(error.message).to.contain('did you mean "MITHRIL_MESH_P2P_TARGET_PEERS"?');
    expect(error.message).to.contain('did you mean "MithrilStakeDistribution"?');
    expect(error.message).to.contain('bootstrap[0]: must end with /p2p/<peer id>');
  });

  it('refuses an aggregator that would not receive signatures', async () => {
    const file = write('node.json', JSON.stringify({ ...MINIMAL_JSON, p2p: { relaySignatures: false } }));
    const error = await loadError({ file, env: {} });
    expect(error.problems.map((p) => `${p.path}: ${p.message}`)).to.deep.equal([
      'p2p.relaySignatures: an aggregator needs the signatures: it must relay them (true)',
    ]);
    const leaf = write(
      'leaf.json',
      JSON.stringify({ ...MINIMAL_JSON, aggregator: false, p2p: { relaySignatures: false } }),
    );
    expect((await loadNodeConfig({ file: leaf, env: {} })).p2p.relaySignatures).to.equal(false);
  });

  it('names the environment variable a bad value came from', async () => {
    const file = write('node.json', JSON.stringify(MINIMAL_JSON));
    const error = await loadError({ file, env: { MITHRIL_MESH_P2P_MAX_PEERS: 'many' } });
    expect(error.problems).to.deep.equal([
      {
        path: 'p2p.maxPeers',
        message: 'must be a positive integer, got "many"',
        source: 'MITHRIL_MESH_P2P_MAX_PEERS',
      },
    ]);
  });

  it('rejects unknown keys, suggesting a close known one', async () => {
    const file = write(
      'node.yaml',
      `${MINIMAL_YAML}data_dir: x\np2p:\n  targetPeer: 3\nchain2: {}\nregistration:\n  closeFractions: 0.5\n`.replace(
        'epochLengthSeconds: 60',
        'epochLengthSeconds: 60\n  epochLength: 60',
      ),
    );
    const error = await loadError({ file, env: {} });
    expect(error.problems.map((p) => `${p.path}: ${p.message}`)).to.deep.equal([
      'data_dir: unknown key (did you mean "dataDir"?)',
      'chain2: unknown key (did you mean "chain"?)',
      'chain.epochLength: unknown key (did you mean "epochLengthSeconds"?)',
      'p2p.targetPeer: unknown key (did you mean "targetPeers"?)',
      'registration.closeFractions: unknown key (did you mean "closeFraction"?)',
    ]);
    const far = await loadError({
      file: write('far.json', JSON.stringify({ ...MINIMAL_JSON, zzz: 1 })),
      env: {},
    });
    expect(far.problems.map((p) => p.message)).to.deep.equal(['unknown key']);
  });

  it('treats __proto__ as an unknown key, never as a prototype', async () => {
    const file = write(
      'proto.json',
      `{"__proto__": {"network": "polluted", "polluted": true}, "p2p": {"__proto__": {"x": 1}}}`,
    );
    const error = await loadError({ file, env: {}, overrides: MINIMAL_JSON });
    expect(error.problems.map((p) => p.path)).to.deep.equal(['__proto__', 'p2p.__proto__']);
    expect(({} as Record<string, unknown>)['polluted']).to.equal(undefined);
  });

  it('checks fields against each other', async () => {
    const base = {
      ...MINIMAL_JSON,
      chain: { ...MINIMAL_JSON.chain, epochLengthSeconds: 1.5, slotLengthMs: 1000 },
    };
    const file = write('node.json', JSON.stringify({ ...base, protocol: { k: 101, m: 100, phiF: 0.5 } }));
    const error = await loadError({ file, env: {} });
    expect(error.problems.map((p) => p.path)).to.deep.equal(['protocol.k', 'chain.epochLengthSeconds']);
    const ok = await loadNodeConfig({
      file,
      env: {},
      overrides: { chain: { slotLengthMs: 500 }, protocol: { k: 100 } },
    });
    expect(ok.chain.epochLengthSeconds).to.equal(1.5);
  });

  it('accepts genesis times as RFC 3339 with offsets or Unix ms, in whole milliseconds', async () => {
    const file = write('node.json', JSON.stringify(MINIMAL_JSON));
    const at = async (genesisTime: string | number) =>
      (await loadNodeConfig({ file, env: {}, overrides: { chain: { genesisTime } } })).chain.genesisTimeMs;
    expect(await at('2025-01-01T00:00:00.123Z')).to.equal(Date.UTC(2025, 0, 1) + 123);
    expect(await at('2024-12-31T20:00:00-04:00')).to.equal(Date.UTC(2025, 0, 1));
    expect(await at(0)).to.equal(0);
    for (const bad of ['2025-01-01T00:00:00.0001Z', '1969-12-31T23:59:59Z', 'yesterday', -1, 1.5]) {
      const error = await loadError({ file, env: {}, overrides: { chain: { genesisTime: bad } } });
      expect(error.problems.map((p) => p.path)).to.deep.equal(['chain.genesisTime']);
      expect(error.problems[0]!.source).to.equal('overrides');
    }
  });

  it('reports unreadable files, syntax errors and non-mapping documents', async () => {
    expect((await loadError({ file: join(configDir, 'missing.yaml'), env: {} })).code).to.equal(
      'CONFIG_UNREADABLE',
    );
    expect((await loadError({ file: write('bad.json', '{"network": "devnet",}'), env: {} })).code).to.equal(
      'CONFIG_SYNTAX',
    );
    expect(
      (await loadError({ file: write('dup.json', '{"network": "a", "network": "b"}'), env: {} })).code,
    ).to.equal('CONFIG_SYNTAX');
    const dup = await loadError({ file: write('dup.yaml', 'network: a\nnetwork: b\n'), env: {} });
    expect(dup.code).to.equal('CONFIG_SYNTAX');
    expect(dup.problems[0]!.path).to.contain('dup.yaml');
    expect((await loadError({ file: write('bad.yaml', 'network: [unclosed\n'), env: {} })).code).to.equal(
      'CONFIG_SYNTAX',
    );
    const list = await loadError({ file: write('list.yaml', '- a\n- b\n'), env: {} });
    expect(list.problems[0]).to.deep.include({
      path: '(top level)',
      message: 'must be a mapping of keys to values',
    });
    const empty = await loadError({ file: write('empty.yaml', ''), env: {} });
    expect(empty.problems.map((p) => p.path)).to.include.members(['network', 'dataDir', 'chain.genesisTime']);
  });
});
