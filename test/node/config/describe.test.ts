import { expect } from 'chai';
import { ConfigError, describeConfig, validateNodeConfig } from '../../../node/config/index.ts';
import type { NodeConfigInput } from '../../../node/config/index.ts';

const PEER = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp';

const input: NodeConfigInput = {
  network: 'preview-mesh',
  dataDir: '/var/lib/mesh',
  bootstrap: [1, 2, 3, 4, 5].map((i) => `/ip4/10.0.0.${i}/tcp/4001/p2p/${PEER}`),
  identities: ['/keys/a', '/keys/b'],
  chain: {
    genesisTime: 1_735_689_600_000,
    epochLengthSeconds: 300,
    stakeDistributionFile: '/etc/mesh/stake.json',
  },
  protocol: { k: 5, m: 100, phiF: 0.65 },
  p2p: { loopback: true },
};

describe('node/config: validation and summary', () => {
  it('summarises a config on one screen, cutting long lists', () => {
    const text = describeConfig(validateNodeConfig(input));
    const lines = text.split('\n');
    expect(lines.length).to.be.at.most(20);
    expect(text).to.contain('preview-mesh');
    expect(text).to.contain('2025-01-01T00:00:00.000Z');
    expect(text).to.contain('k=5 m=100 phi_f=0.65');
    expect(text).to.contain('… and 2 more');
    expect(text).to.contain('2: /keys/a, /keys/b');
    expect(text).to.contain('loopback mode');
  });

  it('requires MithrilStakeDistribution among the signed entity types', () => {
    expect(() => validateNodeConfig({ ...input, signedEntityTypes: ['CardanoStakeDistribution'] })).to.throw(
      ConfigError,
      'signedEntityTypes: must include MithrilStakeDistribution',
    );
    expect(
      validateNodeConfig({ ...input, signedEntityTypes: ['MithrilStakeDistribution'] }).signedEntityTypes,
    ).to.deep.equal(['MithrilStakeDistribution']);
  });

  it('rejects a config that is not a mapping', () => {
    expect(() => validateNodeConfig(['network'])).to.throw(ConfigError, '(top level): must be a mapping');
    expect(() => validateNodeConfig({ ...input, chain: 5 })).to.throw(
      ConfigError,
      'chain: must be a mapping',
    );
  });
});
