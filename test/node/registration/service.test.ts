import { expect } from 'chai';
import { avkToJsonHex } from '../../../protocol/codec/json-hex.ts';
import { loadBlsBackend } from '../../../protocol/crypto/bls/index.ts';
import type { BlsBackend } from '../../../protocol/crypto/bls/index.ts';
import { chaCha20Random } from '../../../protocol/crypto/random.ts';
import type { RandomSource } from '../../../protocol/crypto/random.ts';
import { bytesToHex } from '../../../protocol/encoding/bytes.ts';
import { MeshEvents } from '../../../node/events.ts';
import type { MeshEventMap } from '../../../node/events.ts';
import { RegistrationServiceError } from '../../../node/registration/errors.ts';
import { decodeRegistration } from '../../../node/registration/message.ts';
import {
  MAX_RESPONSE_BYTES,
  decodeRegistrationsResponse,
  encodeRegistrationsRequest,
  registrationsProtocol,
} from '../../../node/registration/pull.ts';
import { RegistrationService } from '../../../node/registration/service.ts';
import type { RegistrationServiceOptions } from '../../../node/registration/service.ts';
import { expectCode } from '../../protocol/cardano/fixtures.ts';
import {
  CountingClock,
  FakeChain,
  FakeNetwork,
  FIRST_EPOCH,
  epochTime,
  memoryStore,
  SERVICE_TIMING,
} from './fakes.ts';
import { START_KES_PERIOD, craft, expectVerdict, testPool, vkPopOf } from './fixtures.ts';
import type { TestPool } from './fixtures.ts';

/** The registration recorded at R is open during E. */
const E = FIRST_EPOCH;
const R = E + 1;
const CLOSE_FRACTION = 0.5;

interface TestNode {
  id: string;
  pool: TestPool;
  service: RegistrationService;
  store: ReturnType<typeof memoryStore>;
  events: MeshEvents;
  closed: MeshEventMap['registration:closed'][];
  accepted: MeshEventMap['registration:accepted'][];
}

describe('node/registration/service', function () {
  this.timeout(120_000);
  let bls: BlsBackend;
  let pools: TestPool[];
  /** Registers without a node of its own (used to craft late registrations). */
  let outsider: TestPool;
  let clock: CountingClock;
  let chain: FakeChain;
  let network: FakeNetwork;
  let nodes: TestNode[];

  before(async () => {
    bls = await loadBlsBackend('mcl');
    pools = [1, 2, 3, 4, 5].map(testPool);
    outsider = testPool(6);
  });

  beforeEach(() => {
    clock = new CountingClock(epochTime(E, 0.01));
    // Unequal stakes: the signer order is the stake order.
    const stakes = new Map([...pools, outsider].map((p, i) => [p.partyId, BigInt((i + 1) * 1_000)]));
    chain = new FakeChain(clock, stakes, START_KES_PERIOD + 5n);
    network = new FakeNetwork();
    nodes = [];
  });

  afterEach(async () => {
    await Promise.all(nodes.map((n) => n.service.stop()));
  });

  function makeNode(
    id: string,
    pool: TestPool,
    over: Partial<Omit<RegistrationServiceOptions, 'store'>> & {
      store?: ReturnType<typeof memoryStore>;
    } = {},
  ): TestNode {
    const { publisher, requestResponse } = network.join(id);
    const store = over.store ?? memoryStore();
    const events = new MeshEvents();
    const service = new RegistrationService({
      network: 'devnet',
      identities: [pool],
      chain,
      clock,
      random: chaCha20Random(new Uint8Array(32).fill(id.charCodeAt(id.length - 1))),
      bls,
      store,
      publisher,
      requestResponse,
      events,
      closeFraction: CLOSE_FRACTION,
      ...SERVICE_TIMING,
      ...over,
    });
    const node: TestNode = { id, pool, service, store, events, closed: [], accepted: [] };
    events.on('registration:closed', (e) => node.closed.push(e));
    events.on('registration:accepted', (e) => node.accepted.push(e));
    nodes.push(node);
    return node;
  }

  /** As a node does: subscribes to the topic once the service runs. */
  async function start(node: TestNode): Promise<void> {
    await node.service.start();
    network.attach(node.id, node.service.topicHandler);
  }

  async function settle(): Promise<void> {
    for (let round = 0; round < 3; round++) {
      await network.settle();
      await Promise.all(nodes.map((n) => n.service.whenIdle()));
    }
  }

  async function advanceTo(ms: number): Promise<void> {
    clock.advance(ms - clock.now());
    await settle();
  }

  async function startAll(count: number): Promise<TestNode[]> {
    const started = pools.slice(0, count).map((pool, i) => makeNode(`n${i}`, pool));
    for (const node of started) await start(node);
    await settle();
    return started;
  }

  const acceptedAt = (node: TestNode, epoch: number) =>
    node.store.registrations.messages.get(epoch)?.size ?? 0;
  const closeAt = (epoch: number) => epochTime(epoch - 1, CLOSE_FRACTION);

  it('registers every identity, and every node closes with the same AVK at the close point', async () => {
    const all = await startAll(5);
    // Nodes started one after the other, so early announcements reached only the nodes already
    // running; the first re-announcement reaches everyone.
    await advanceTo(epochTime(E, 0.01) + SERVICE_TIMING.reannounceMs);
    expect(network.requests).to.equal(0);
    for (const node of all) {
      expect(acceptedAt(node, R)).to.equal(5);
      expect(node.accepted.filter((e) => e.own)).to.deep.equal([
        { epoch: R, partyId: node.pool.partyId, own: true },
      ]);
      expect(node.service.isOpen(R)).to.equal(true);
      expect(node.service.signerSet(R)).to.equal(undefined);
    }

    await advanceTo(closeAt(R) - 1);
    expect(all.every((n) => n.closed.length === 0 && n.service.isOpen(R))).to.equal(true);
    // Re-announced as the same bytes: peers see duplicates only.
    for (const node of all) {
      const sent = network.published.get(node.id)!;
      expect(sent.length).to.be.greaterThan(1);
      expect(new Set(sent.map(bytesToHex)).size).to.equal(1);
    }
    expect(network.verdicts.filter((v) => v.reason !== 'DUPLICATE')).to.deep.equal([]);

    await advanceTo(closeAt(R));
    const avk = all[0]!.closed[0]!.avk;
    for (const node of all) {
      expect(node.closed).to.deep.equal([{ epoch: R, signers: 5, totalStake: 15_000n, avk }]);
      expect(node.service.isOpen(R)).to.equal(false);
      const set = node.service.signerSet(R)!;
      expect(avkToJsonHex(set.registration.avk)).to.equal(avk);
      expect(set.partyIds).to.deep.equal(pools.map((p) => p.partyId));
      const index = set.partyIds.indexOf(node.pool.partyId);
      const secretKey = node.service.ownSecretKey(R, node.pool.partyId)!;
      expect(bls.verificationKey(secretKey)).to.deep.equal(set.registration.entryAt(index).vk);
      expect(node.service.ownSecretKey(R, pools[(index + 1) % 5]!.partyId)).to.equal(undefined);
      const record = node.store.registrations.closed.get(R)!;
      expect(record.entries.map((e) => e.partyId)).to.deep.equal(set.partyIds);
      expect(record.closedAtMs).to.equal(closeAt(R));
    }
  });

  it('IGNOREs registrations after the close point and does not add them', async () => {
    const all = await startAll(3);
    await advanceTo(closeAt(R));
    const late = craft(outsider, R, vkPopOf(bls, 999n), chain.kesPeriod);
    const { service, store } = all[0]!;
    await expectVerdict(() => service.topicHandler.validate(late, 'n9'), 'ignore', 'REGISTRATION_CLOSED');
    await service.topicHandler.accept(late, 'n9');
    expect(acceptedAt(all[0]!, R)).to.equal(3);
    expect(service.signerSet(R)!.partyIds).to.have.length(3);
    expect(store.registrations.closed.get(R)!.entries).to.have.length(3);
  });

  it('keeps the first of two conflicting registrations validated concurrently', async () => {
    const [node] = await startAll(1);
    const first = craft(outsider, R, vkPopOf(bls, 1001n), chain.kesPeriod);
    const second = craft(outsider, R, vkPopOf(bls, 1002n), chain.kesPeriod);
    const { topicHandler } = node!.service;
    await Promise.all([topicHandler.validate(first, 'p1'), topicHandler.validate(second, 'p2')]);
    await topicHandler.accept(first, 'p1');
    await topicHandler.accept(second, 'p2');
    expect(node!.store.registrations.messages.get(R)!.get(outsider.partyId)).to.deep.equal(first.bytes);
    await expectVerdict(() => topicHandler.validate(second, 'p2'), 'reject', 'EQUIVOCATION');
    await advanceTo(closeAt(R));
    expect(node!.service.signerSet(R)!.registration.indexOf(first.vkPop.vk)).to.not.equal(undefined);
    expect(node!.service.signerSet(R)!.registration.indexOf(second.vkPop.vk)).to.equal(undefined);
  });

  it('a node that missed the gossip pulls the missing registrations from peers', async () => {
    network.deaf.add('n4');
    const all = await startAll(5);
    const deaf = all[4]!;
    expect(acceptedAt(deaf, R)).to.equal(1);
    expect(acceptedAt(all[0]!, R)).to.equal(5);

    await advanceTo(epochTime(E, 0.01) + SERVICE_TIMING.pullIntervalMs);
    expect(acceptedAt(deaf, R)).to.equal(5);
    expect(deaf.accepted.filter((e) => !e.own)).to.have.length(4);

    await advanceTo(closeAt(R));
    expect(new Set(all.map((n) => n.closed[0]!.avk)).size).to.equal(1);
  });

  it('the last pull runs before the close point, in time to be answered', async () => {
    network.deaf.add('n2');
    const started = pools
      .slice(0, 4)
      .map((pool, i) => makeNode(`n${i}`, pool, i === 2 ? { pullIntervalMs: 10 * 60 * 1000 } : {}));
    for (const node of started) await start(node);
    await settle();
    const deaf = started[2]!;
    const lastPull = closeAt(R) - SERVICE_TIMING.requestTimeoutMs;
    await advanceTo(lastPull - 1);
    expect(acceptedAt(deaf, R)).to.equal(1);
    await advanceTo(lastPull);
    expect(acceptedAt(deaf, R)).to.equal(4);
    await advanceTo(closeAt(R));
    expect(new Set(started.map((n) => n.closed[0]?.avk)).size).to.equal(1);
    expect(deaf.closed[0]!.signers).to.equal(4);
  });

  it('a restarted node keeps its key and registration, re-announces the stored bytes, and closes like the others', async () => {
    const all = await startAll(3);
    const before = all[0]!;
    const { partyId } = before.pool;
    const secretKey = before.service.ownSecretKey(R, partyId)!;
    const message = before.store.registrations.messages.get(R)!.get(partyId)!;
    await before.service.stop();
    network.leave(before.id);

    // No key may be drawn again: a 32-byte draw is a BLS key.
    const base = chaCha20Random(new Uint8Array(32).fill(9));
    const noKeys: RandomSource = (length) => {
      if (length === 32) throw new Error('drew a new key');
      return base(length);
    };
    const after = makeNode('n0b', before.pool, { store: before.store, random: noKeys });
    await start(after);
    await settle();
    expect(after.service.ownSecretKey(R, partyId)).to.equal(secretKey);
    expect(network.published.get('n0b')![0]).to.deep.equal(message);
    expect(before.store.ownKeys.keys.size).to.equal(1);
    expect(acceptedAt(after, R)).to.equal(3);
    expect(after.accepted).to.deep.equal([]);

    await advanceTo(closeAt(R));
    expect(after.closed).to.have.length(1);
    expect(after.closed[0]!.avk).to.equal(all[1]!.closed[0]!.avk);
  });

  it('a node restarted after closing reloads the closed set and does not register again', async () => {
    const all = await startAll(3);
    await advanceTo(closeAt(R));
    const before = all[1]!;
    const avk = before.closed[0]!.avk;
    const secretKey = before.service.ownSecretKey(R, before.pool.partyId);
    await before.service.stop();
    network.leave(before.id);

    const after = makeNode('n1b', before.pool, { store: before.store });
    await start(after);
    await settle();
    const set = after.service.signerSet(R)!;
    expect(avkToJsonHex(set.registration.avk)).to.equal(avk);
    expect(set.partyIds).to.deep.equal(before.service.signerSet(R)!.partyIds);
    expect(after.service.ownSecretKey(R, before.pool.partyId)).to.equal(secretKey);
    expect(after.service.isOpen(R)).to.equal(false);
    expect(network.published.get('n1b')).to.deep.equal([]);
    expect(after.closed).to.deep.equal([]);
  });

  it('reuses a key stored before a crash that left no registration', async () => {
    const store = memoryStore();
    await store.ownKeys.put(R, pools[0]!.partyId, 4242n);
    const node = makeNode('n0', pools[0]!, { store });
    await start(node);
    await settle();
    const stored = store.registrations.messages.get(R)!.get(pools[0]!.partyId)!;
    expect(bytesToHex(stored.subarray(9, 105))).to.equal(bytesToHex(bls.verificationKey(4242n)));
    expect(node.service.ownSecretKey(R, pools[0]!.partyId)).to.equal(4242n);
  });

  it('registers several identities, and one failing does not stop the others', async () => {
    const failing = {
      ...pools[0]!,
      signRegistration: () => {
        throw new Error('KES key expired');
      },
    };
    const node = makeNode('n0', pools[0]!, { identities: [failing, pools[1]!, pools[2]!] });
    await start(node);
    await settle();
    expect([...node.store.registrations.messages.get(R)!.keys()]).to.deep.equal([
      pools[1]!.partyId,
      pools[2]!.partyId,
    ]);
    expect(node.accepted.every((e) => e.own)).to.equal(true);
    expect(node.service.ownSecretKey(R, pools[0]!.partyId)).to.equal(undefined);
    expect(node.service.ownSecretKey(R, pools[2]!.partyId)).to.not.equal(undefined);
  });

  it('registers again every epoch with a fresh key and prunes two epochs back', async () => {
    const all = await startAll(3);
    // At a boundary nodes register between 0.1 and 0.4 of the time to the close (0.6): by 0.24.
    for (let epoch = E + 1; epoch <= E + 4; epoch++) await advanceTo(epochTime(epoch, 0.3));
    // Now in E + 4: recordings R = E + 1 … E + 4 closed, E + 5 open; kept from E + 2 on.
    const node = all[0]!;
    expect(node.closed.map((c) => c.epoch)).to.deep.equal([E + 1, E + 2, E + 3, E + 4]);
    expect(node.service.signerSet(E + 1)).to.equal(undefined);
    expect(node.service.signerSet(E + 2)).to.not.equal(undefined);
    expect([...node.store.registrations.messages.keys()].sort()).to.deep.equal([E + 2, E + 3, E + 4, E + 5]);
    expect([...node.store.registrations.closed.keys()].sort()).to.deep.equal([E + 2, E + 3, E + 4]);
    expect(node.store.ownKeys.keys.size).to.equal(4);
    const keys = [E + 2, E + 3, E + 4, E + 5].map((r) => node.service.ownSecretKey(r, node.pool.partyId));
    expect(new Set(keys).size).to.equal(4);
    expect(new Set(all.map((n) => n.closed[3]!.avk)).size).to.equal(1);
  });

  it('a node started after the close point leaves that epoch alone and registers for the next', async () => {
    clock.advance(epochTime(E, 0.7) - clock.now());
    const node = makeNode('n0', pools[0]!);
    await start(node);
    await settle();
    expect(network.published.get('n0')).to.deep.equal([]);
    expect(node.service.isOpen(R)).to.equal(false);
    // Not at the boundary itself: at a random point from 0.1 to 0.4 of the time to the close.
    await advanceTo(epochTime(E + 1, 0.05));
    expect(acceptedAt(node, R + 1)).to.equal(0);
    await advanceTo(epochTime(E + 1, 0.3));
    expect(acceptedAt(node, R + 1)).to.equal(1);
    expect(node.service.signerSet(R)).to.equal(undefined);
  });

  it('stop checks the proofs waiting for a batch instead of waiting for the batch timer', async () => {
    const node = makeNode('n0', pools[0]!, { proofBatchSize: 8 });
    // Started within the window, it registers at once.
    await start(node);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(
      acceptedAt(node, R),
      'its proof waits for 7 more, or a timer the manual clock never fires',
    ).to.equal(0);
    await node.service.stop();
    expect(clock.pendingTimers).to.equal(0);
  });

  it('stop cancels every timer and request handler', async () => {
    const all = await startAll(2);
    expect(clock.pendingTimers).to.be.greaterThan(0);
    for (const node of all) await node.service.stop();
    expect(clock.pendingTimers).to.equal(0);
    const published = network.published.get('n0')!.length;
    const requests = network.requests;
    await advanceTo(epochTime(E + 3));
    expect(network.published.get('n0')!.length).to.equal(published);
    expect(network.requests).to.equal(requests);
    expect(all[0]!.closed).to.deep.equal([]);
    expect(all[0]!.service.isOpen(R)).to.equal(false);
    const probe = network.join('probe').requestResponse;
    const request = encodeRegistrationsRequest({ epoch: R, known: [] });
    const options = { maxResponseBytes: MAX_RESPONSE_BYTES, timeoutMs: 1_000 };
    let refused = false;
    await probe
      .request('n0', registrationsProtocol('devnet'), request, options)
      .catch(() => (refused = true));
    expect(refused).to.equal(true);
  });

  it('answers registrations requests with what the requester lacks', async () => {
    const all = await startAll(3);
    await advanceTo(epochTime(E, 0.01) + SERVICE_TIMING.reannounceMs);
    const probe = network.join('probe').requestResponse;
    const options = { maxResponseBytes: MAX_RESPONSE_BYTES, timeoutMs: 1_000 };
    const ask = async (epoch: number, known: Uint8Array[]) =>
      decodeRegistrationsResponse(
        await probe.request(
          'n0',
          registrationsProtocol('devnet'),
          encodeRegistrationsRequest({ epoch, known }),
          options,
        ),
      ).map((bytes) => decodeRegistration(bytes).partyId);
    expect((await ask(R, [])).sort()).to.deep.equal(all.map((n) => n.pool.partyId).sort());
    const first = decodeRegistration(all[0]!.store.registrations.messages.get(R)!.get(pools[0]!.partyId)!);
    expect(await ask(R, [first.poolIdHash])).to.not.include(pools[0]!.partyId);
    expect(await ask(R, [first.poolIdHash])).to.have.length(2);
    expect(await ask(R + 5, [])).to.deep.equal([]);
  });

  it('refuses invalid options', () => {
    const make = (over: Partial<Omit<RegistrationServiceOptions, 'store'>>) => () =>
      makeNode('x', pools[0]!, over);
    expectCode(make({ closeFraction: 0 }), RegistrationServiceError, 'INVALID_OPTIONS');
    expectCode(make({ closeFraction: 1 }), RegistrationServiceError, 'INVALID_OPTIONS');
    expectCode(make({ reannounceMs: 0 }), RegistrationServiceError, 'INVALID_OPTIONS');
    expectCode(make({ pullPeers: -1 }), RegistrationServiceError, 'INVALID_OPTIONS');
    expectCode(make({ network: 'Not A Network' }), RegistrationServiceError, 'INVALID_OPTIONS');
    expectCode(make({ identities: [pools[0]!, pools[0]!] }), RegistrationServiceError, 'INVALID_OPTIONS');
    expectCode(
      make({ identities: [{ ...pools[0]!, partyId: pools[1]!.partyId }] }),
      RegistrationServiceError,
      'INVALID_OPTIONS',
    );
  });
});
