/**
 * Issue acceptance for the mesh: real nodes over TCP loopback in one process, waiting on events.
 */
import { expect } from 'chai';
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';
import { randomBytes } from 'node:crypto';
import { topicName } from '../../node/gossip/topics.ts';
import type { MeshHost } from '../../node/p2p/index.ts';
import { createHost } from '../../node/p2p/index.ts';
import { encodeRegistration } from '../../node/registration/message.ts';
import { decodeSignatureMessage, encodeSignatureMessage } from '../../node/signing/message.ts';
import { avkToJsonHex } from '../../protocol/codec/json-hex.ts';
import { generateSecretKey, loadBlsBackend } from '../../protocol/crypto/bls/index.ts';
import type { BlsBackend } from '../../protocol/crypto/bls/index.ts';
import { chaCha20Random } from '../../protocol/crypto/random.ts';
import type { SignedEntityType } from '../../protocol/message/signed-entity-type.ts';
import { TEST_NETWORK, TestNetwork } from './support/network.ts';

const NODES = 10;
/** 10 s epochs: registration closes 6 s in, leaving the rest for signatures to spread. */
const EPOCH_MS = 10_000;

describe('the mesh: 10 nodes on TCP loopback', function () {
  this.timeout(180_000);
  let net: TestNetwork;
  let bls: BlsBackend;
  let injector: MeshHost | undefined;

  before(async () => {
    bls = await loadBlsBackend('mcl');
    net = await TestNetwork.start({
      nodes: NODES,
      epochLengthMs: EPOCH_MS,
      genesisDelayMs: 6000,
      parameters: { k: 40, m: 100, phiF: 0.8 },
    });
  });
  after(async () => {
    await injector?.stop();
    await net?.remove();
  });

  it('each node, given one bootstrap address, finds at least 5 peers through the DHT', async () => {
    await net.untilAll((i) => net.nodes[i]!.host.getPeers().length >= 5, '5 peers', 30_000);
  });

  it('every node registers for epoch 1 and all close identical registrations (same AVK)', async () => {
    await net.untilAll(
      (i) => net.events(i, 'registration:closed').some((e) => e.epoch === 1),
      'epoch 1 closed',
    );
    const closed = net.nodes.map((_, i) => net.events(i, 'registration:closed').find((e) => e.epoch === 1)!);
    expect(closed.map((c) => c.signers)).to.deep.equal(Array(NODES).fill(NODES));
    expect(new Set(closed.map((c) => c.avk)).size).to.equal(1);
    const sets = net.nodes.map((n) => n.registration.signerSet(1)!);
    expect(new Set(sets.map((s) => avkToJsonHex(s.registration.avk))).size).to.equal(1);
    expect(sets[0]!.partyIds).to.have.members(net.identities.map((id) => id.partyId));
  });

  it('every node receives every single signature of the round of epoch 2', async () => {
    const beacons: SignedEntityType[] = [
      { type: 'MithrilStakeDistribution', epoch: 2 },
      { type: 'CardanoStakeDistribution', epoch: 1 },
    ];
    const same = (a: SignedEntityType, b: SignedEntityType): boolean =>
      a.type === b.type && a.epoch === b.epoch;
    // Who won: each node reports its own signatures (with 10 pools and phi_f = 0.8 a pool loses
    // all 100 lotteries with odds ~1e-7, so all of them sign).
    const own = (beacon: SignedEntityType): Set<string> =>
      new Set(
        net.nodes.flatMap((_, i) =>
          net
            .events(i, 'signature:accepted')
            .filter((e) => e.own && same(e.entity, beacon))
            .map((e) => e.partyId),
        ),
      );
    await net.untilAll(() => beacons.every((b) => own(b).size === NODES), 'every pool signed both beacons');
    for (const beacon of beacons) {
      await net.untilAll((i) => {
        const seen = new Set(
          net
            .events(i, 'signature:accepted')
            .filter((e) => same(e.entity, beacon))
            .map((e) => e.partyId),
        );
        return [...own(beacon)].every((p) => seen.has(p));
      }, `all signatures of ${beacon.type}`);
      for (let i = 0; i < NODES; i++) {
        const received = net.events(i, 'signature:accepted').filter((e) => same(e.entity, beacon));
        expect(received, `node ${i} ${beacon.type}`).to.have.length(NODES);
      }
    }
  });

  it('REJECTs or IGNOREs garbage, invalid, wrong-epoch and equivocating messages, counting reasons; the injector loses score', async () => {
    const target = net.nodes[0]!;
    const privateKey = (await generateKeyPair('Ed25519')) as unknown as PrivateKey;
    injector = await createHost({
      network: TEST_NETWORK,
      privateKey,
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap: [target.multiaddrs().find((a) => a.includes('/127.0.0.1/'))!],
      loopback: true,
      maxConnections: 20,
      seenTtlMs: 120_000,
      rejectCount: () => 0,
      isBanned: () => false,
    });
    await injector.start();
    const registrationTopic = topicName(TEST_NETWORK, { kind: 'registration' });
    const msdTopic = topicName(TEST_NETWORK, { kind: 'signature', entityType: 'MithrilStakeDistribution' });
    injector.services.pubsub.subscribe(registrationTopic);
    injector.services.pubsub.subscribe(msdTopic);
    const injectorId = injector.peerId.toString();
    // Both directions: gossipsub only sends to peers it knows subscribe to the topic.
    const subscribedBothWays = (topic: string): boolean =>
      target.host.services.pubsub.getSubscribers(topic).some((p) => p.toString() === injectorId) &&
      injector!.services.pubsub.getSubscribers(topic).some((p) => p.toString() === target.peerId);
    await net.until(
      0,
      () => subscribedBothWays(registrationTopic) && subscribedBothWays(msdTopic),
      'the injector and the target subscribed to each other',
    );

    // A registration window with at least 3 s left, and pool 3 already registered in it.
    const epoch = (): number => target.chain.currentEpoch();
    await net.until(
      0,
      () => {
        const r = epoch() + 1;
        return target.registration.isOpen(r) && target.registration.closeAt(r) - Date.now() > 3000;
      },
      'an open registration window',
      2 * EPOCH_MS,
    );
    const recording = epoch() + 1;
    const pool = net.identities[3]!;
    await net.until(
      0,
      () =>
        net
          .events(0, 'registration:accepted')
          .some((e) => e.epoch === recording && e.partyId === pool.partyId),
      'pool 3 registered',
    );
    const firstRegistration = await target.store.registrations.get(recording, pool.partyId);
    expect(firstRegistration).to.not.equal(undefined);
    const random = chaCha20Random(new Uint8Array(32).fill(99));
    const registration = (forEpoch: number): Uint8Array => {
      const sk = generateSecretKey(random);
      const vkPop = { vk: bls.verificationKey(sk), pop: bls.proofOfPossession(sk) };
      const { kesSignature, kesEvolutions } = pool.signRegistration(vkPop, target.chain.currentKesPeriod());
      return encodeRegistration({ epoch: forEpoch, vkPop, opCert: pool.opCert, kesEvolutions, kesSignature });
    };
    const publish = (topic: string, data: Uint8Array): Promise<unknown> =>
      injector!.services.pubsub.publish(topic, data);
    await publish(registrationTopic, new Uint8Array(randomBytes(300))); // garbage
    await publish(registrationTopic, registration(recording + 5)); // far future epoch
    await publish(registrationTopic, registration(recording - 1)); // a closed, past epoch
    await publish(registrationTopic, registration(recording)); // a second key for pool 3: equivocation

    // An invalid single signature: pool A's message carrying pool B's sigma, for the beacon of
    // epoch 2 (every node holds its signatures; it stays in the window for the whole test).
    const beacon: SignedEntityType = { type: 'MithrilStakeDistribution', epoch: 2 };
    const stored = await target.store.signatures.list(beacon);
    expect(stored.length).to.be.greaterThan(1);
    const m = target.config.protocol.m;
    const a = decodeSignatureMessage(stored[0]!.message, m);
    const b = decodeSignatureMessage(stored[1]!.message, m);
    const { bytes: _bytes, ...fields } = a;
    await publish(
      msdTopic,
      encodeSignatureMessage({ ...fields, signature: { ...a.signature, sigma: b.signature.sigma } }),
    );

    const count = (key: string): number => target.gossip.counters().get(key) ?? 0;
    await net.until(
      0,
      () =>
        count('registration:reject:MALFORMED') >= 1 &&
        count('registration:reject:FUTURE_EPOCH') >= 1 &&
        count('registration:reject:EQUIVOCATION') >= 1 &&
        count('registration:ignore:WRONG_EPOCH') + count('registration:ignore:REGISTRATION_CLOSED') >= 1 &&
        count('signature:reject:EQUIVOCATION') + count('signature:reject:INVALID_SIGNATURE') >= 1,
      'every injected message judged',
    );
    await net.until(0, () => target.gossip.getScore(injectorId) < 0, 'the injector score below zero');
    expect(target.gossip.rejectedByPeer().get(injectorId) ?? 0).to.be.at.least(4);
    // The equivocating registration did not replace pool 3's first one.
    expect(await target.store.registrations.get(recording, pool.partyId)).to.deep.equal(firstRegistration);
  });

  it('a node restarted from its data dir keeps its PeerId, registrations and signatures', async () => {
    const index = NODES - 1;
    const before = net.nodes[index]!;
    const partyId = net.identities[index]!.partyId;
    const peerId = before.peerId;
    const avk = avkToJsonHex(before.registration.signerSet(1)!.registration.avk);
    const ownKey = before.registration.ownSecretKey(2, partyId);
    const beacon: SignedEntityType = { type: 'MithrilStakeDistribution', epoch: 2 };
    const signatures = (await before.store.signatures.list(beacon)).map((s) => s.partyId).sort();
    expect(ownKey).to.not.equal(undefined);
    expect(signatures).to.have.length(NODES);

    const after = await net.restart(index);
    expect(after.peerId).to.equal(peerId);
    expect(avkToJsonHex(after.registration.signerSet(1)!.registration.avk)).to.equal(avk);
    expect(after.registration.ownSecretKey(2, partyId)).to.equal(ownKey);
    expect((await after.store.signatures.list(beacon)).map((s) => s.partyId).sort()).to.deep.equal(
      signatures,
    );
  });
});
