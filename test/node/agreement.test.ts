/**
 * Registration agreement across the mesh: a node that starts after the first registration
 * closed has no signer set of its own for that epoch; the genesis certificate names one, and the
 * node adopts it from its peers, then keeps the same certificates as everyone else.
 */
import { expect } from 'chai';
import { avkToJsonHex } from '../../protocol/codec/json-hex.ts';
import { TEST_GENESIS_EPOCH, TestNetwork } from './support/network.ts';

const NODES = 5;
const LATE = NODES - 1;
const EPOCH_MS = 8000;

describe('registration agreement: a late node adopts the certified signer set', function () {
  this.timeout(120_000);
  let net: TestNetwork;

  before(async () => {
    net = await TestNetwork.start({
      nodes: NODES,
      startNodes: NODES - 1,
      epochLengthMs: EPOCH_MS,
      genesisDelayMs: 5000,
      parameters: { k: 40, m: 100, phiF: 0.8 },
      genesis: true,
    });
  });
  after(async () => net?.remove());

  it('adopts the genesis set it missed and then holds the same certificates', async () => {
    const early = [0, 1, 2, 3];
    await Promise.all(
      early.map((i) =>
        net.until(i, () => net.events(i, 'certificate:stored').some((e) => e.genesis), 'the genesis'),
      ),
    );
    const late = await net.startNode(LATE);
    // It started after the set recorded at the genesis epoch closed: that set comes from peers.
    await net.until(
      LATE,
      () => late.registration.signerSet(TEST_GENESIS_EPOCH) !== undefined,
      'the adopted signer set of the genesis epoch',
    );
    const certified = net.nodes[0]!.registration.signerSet(TEST_GENESIS_EPOCH)!;
    const adopted = late.registration.signerSet(TEST_GENESIS_EPOCH)!;
    expect(avkToJsonHex(adopted.registration.avk)).to.equal(avkToJsonHex(certified.registration.avk));
    expect(adopted.partyIds).to.deep.equal(certified.partyIds);
    expect(adopted.partyIds).to.not.include(net.identities[LATE]!.partyId);

    // The first certificates (epoch 2): the late node keeps the same ones as the others.
    const msd2 = (i: number): string | undefined =>
      net
        .events(i, 'certificate:stored')
        .filter((e) => !e.genesis && e.entity.type === 'MithrilStakeDistribution' && e.entity.epoch === 2)
        .at(-1)?.hash;
    await net.untilAll(
      (i) => msd2(i) !== undefined && msd2(i) === msd2(0),
      'the same MithrilStakeDistribution(2)',
    );
  });
});
