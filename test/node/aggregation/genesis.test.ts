import { expect } from 'chai';
import {
  AggregationError,
  DevnetGenesis,
  createNetworkGenesis,
  decodeCertificateGossip,
  genesisSecretKeyToHex,
  readGenesisSecretKey,
} from '../../../node/aggregation/index.ts';
import { MeshEvents } from '../../../node/events.ts';
import type { ClosedRegistrationRecord } from '../../../node/store/types.ts';
import { bytesToHex } from '../../../protocol/encoding/bytes.ts';
import type { BlsBackend } from '../../../protocol/crypto/bls/backend.ts';
import { loadBlsBackend } from '../../../protocol/crypto/bls/index.ts';
import { FakeGossip } from './fakes.ts';
import { GENESIS_EPOCH, NETWORK, PARAMS, World } from './world.ts';

describe('aggregation/genesis', () => {
  let backend: BlsBackend;
  let world: World;
  before(async () => {
    backend = await loadBlsBackend('mcl');
    world = new World(backend);
  });

  it('reads genesis signing keys in the JSON-hex and hex forms, and nothing else', () => {
    const key = new Uint8Array(32).map((_, i) => i);
    expect(readGenesisSecretKey(genesisSecretKeyToHex(key))).to.deep.equal(key);
    expect(genesisSecretKeyToHex(key).startsWith('5b')).to.equal(true);
    expect(readGenesisSecretKey(`${bytesToHex(key)}\n`)).to.deep.equal(key);
    for (const bad of ['', 'zz', bytesToHex(key.subarray(1)), genesisSecretKeyToHex(key.subarray(1))]) {
      expect(() => readGenesisSecretKey(bad))
        .to.throw(AggregationError)
        .with.property('code', 'INVALID_GENESIS_KEY');
    }
  });

  it('is deterministic: the same record and key make the same certificate', () => {
    const again = createNetworkGenesis({
      record: world.record(GENESIS_EPOCH),
      network: NETWORK,
      protocolParameters: PARAMS,
      epochStartMs: world.chain.epochWindow(GENESIS_EPOCH).startMs,
      genesisSecretKey: world.genesisSecretKey,
    });
    expect(again.hash).to.equal(world.genesis.hash);
    expect(again.metadata.signers).to.deep.equal([]);
  });

  it('the devnet genesis holder creates and publishes it when the genesis registration closes', async () => {
    const node = await world.node({ genesis: false });
    const events = new MeshEvents();
    const gossip = new FakeGossip(world.clock, 0);
    const published: Uint8Array[] = [];
    gossip.nodes.push({ id: 'holder', handlers: [] });
    const publisher = gossip.publisher('holder');
    const closed = new Map<number, ClosedRegistrationRecord>();
    const service = new DevnetGenesis({
      genesisEpoch: GENESIS_EPOCH,
      genesisSecretKey: world.genesisSecretKey,
      network: NETWORK,
      protocolParameters: PARAMS,
      chain: world.chain,
      registrations: { getClosed: (epoch) => Promise.resolve(closed.get(epoch)) },
      certificates: node.certificates,
      publisher: {
        publish: async (topic, data) => {
          published.push(data);
          return publisher.publish(topic, data);
        },
      },
      events,
    });
    await service.start();
    expect(node.certificates.genesis()).to.equal(undefined);

    closed.set(GENESIS_EPOCH, world.record(GENESIS_EPOCH));
    events.emit('registration:closed', { epoch: GENESIS_EPOCH - 1, signers: 5, totalStake: 1n, avk: '' });
    events.emit('registration:closed', { epoch: GENESIS_EPOCH, signers: 5, totalStake: 1n, avk: '' });
    await service.stop();
    expect(node.certificates.genesis()?.hash).to.equal(world.genesis.hash);
    expect((await node.store.genesis())?.hash).to.equal(world.genesis.hash);
    expect(published).to.have.length(1);
    const message = decodeCertificateGossip(published[0]!);
    expect(message.form === 'full' && message.certificate.hash).to.equal(world.genesis.hash);
  });
});
