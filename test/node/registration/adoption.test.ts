import { expect } from 'chai';
import { avkToJsonHex } from '../../../protocol/codec/json-hex.ts';
import { loadBlsBackend } from '../../../protocol/crypto/bls/index.ts';
import type { BlsBackend } from '../../../protocol/crypto/bls/index.ts';
import { chaCha20Random } from '../../../protocol/crypto/random.ts';
import { concatBytes, u32BE } from '../../../protocol/encoding/bytes.ts';
import { ClosedKeyRegistration } from '../../../protocol/stm/index.ts';
import type { AggregateVerificationKey } from '../../../protocol/stm/index.ts';
import { MeshEvents } from '../../../node/events.ts';
import type { MeshEventMap } from '../../../node/events.ts';
import type { RequestResponse } from '../../../node/p2p/request-response.ts';
import {
  MAX_CLOSED_SET_REGISTRATIONS,
  MAX_CLOSED_SET_RESPONSE_BYTES,
  closedRegistrationsProtocol,
  decodeClosedSetResponse,
  encodeClosedSetRequest,
  encodeClosedSetResponse,
} from '../../../node/registration/closed-set.ts';
import { RegistrationServiceError } from '../../../node/registration/errors.ts';
import { decodeRegistration } from '../../../node/registration/message.ts';
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
import { START_KES_PERIOD, alter, craft, testPool, vkPopOf } from './fixtures.ts';
import type { TestPool } from './fixtures.ts';

/** The registration recorded at R is open during E and certified (as the next AVK) during R. */
const E = FIRST_EPOCH;
const R = E + 1;
const CLOSE_FRACTION = 0.5;
const PROTOCOL = closedRegistrationsProtocol('devnet');
const ASK = { maxResponseBytes: MAX_CLOSED_SET_RESPONSE_BYTES, timeoutMs: 1_000 };

interface TestNode {
  id: string;
  pool: TestPool;
  service: RegistrationService;
  store: ReturnType<typeof memoryStore>;
  closed: MeshEventMap['registration:closed'][];
}

type NodeOptions = Partial<Omit<RegistrationServiceOptions, 'store'>> & {
  store?: ReturnType<typeof memoryStore>;
};

describe('node/registration/service: adopting the certified set', function () {
  this.timeout(120_000);
  let bls: BlsBackend;
  let pools: TestPool[];
  let clock: CountingClock;
  let chain: FakeChain;
  let network: FakeNetwork;
  let nodes: TestNode[];

  before(async () => {
    bls = await loadBlsBackend('mcl');
    pools = [1, 2, 3, 4, 5].map(testPool);
  });

  beforeEach(() => {
    clock = new CountingClock(epochTime(E, 0.01));
    const stakes = new Map(pools.map((p, i) => [p.partyId, BigInt((i + 1) * 1_000)]));
    chain = new FakeChain(clock, stakes, START_KES_PERIOD + 5n);
    network = new FakeNetwork();
    nodes = [];
  });

  afterEach(async () => {
    await Promise.all(nodes.map((n) => n.service.stop()));
  });

  function makeNode(id: string, pool: TestPool, over: NodeOptions = {}): TestNode {
    const { publisher, requestResponse } = network.join(id);
    const store = over.store ?? memoryStore();
    const events = new MeshEvents();
    const service = new RegistrationService({
      network: 'devnet',
      identities: [pool],
      chain,
      clock,
      random: chaCha20Random(new Uint8Array(32).fill(id.charCodeAt(1))),
      bls,
      store,
      publisher,
      requestResponse,
      events,
      closeFraction: CLOSE_FRACTION,
      ...SERVICE_TIMING,
      ...over,
    });
    const node: TestNode = { id, pool, service, store, closed: [] };
    events.on('registration:closed', (e) => node.closed.push(e));
    nodes.push(node);
    return node;
  }

  async function settle(): Promise<void> {
    for (let round = 0; round < 3; round++) {
      await network.settle();
      await Promise.all(nodes.map((n) => n.service.whenIdle()));
    }
  }

  async function start(node: TestNode): Promise<TestNode> {
    await node.service.start();
    network.attach(node.id, node.service.topicHandler);
    await settle();
    return node;
  }

  async function advanceTo(ms: number): Promise<void> {
    clock.advance(ms - clock.now());
    await settle();
  }

  async function startAll(count: number, over: (i: number) => NodeOptions = () => ({})): Promise<TestNode[]> {
    const started = pools.slice(0, count).map((pool, i) => makeNode(`n${i}`, pool, over(i)));
    for (const node of started) await start(node);
    return started;
  }

  /** To the close point of R, after a re-announcement reached the nodes started before others. */
  async function closeR(): Promise<void> {
    await advanceTo(epochTime(E, 0.01) + SERVICE_TIMING.reannounceMs);
    await advanceTo(closeAt(R));
  }

  const closeAt = (epoch: number) => epochTime(epoch - 1, CLOSE_FRACTION);
  const avkOf = (node: TestNode): AggregateVerificationKey => node.service.signerSet(R)!.registration.avk;
  const hexOf = (node: TestNode): string | undefined => {
    const set = node.service.signerSet(R);
    return set === undefined ? undefined : avkToJsonHex(set.registration.avk);
  };
  const entriesOf = (node: TestNode) =>
    node.store.registrations.closed.get(R)!.entries.map((e) => [e.partyId, e.stake]);

  async function askClosedSet(from: RequestResponse, peer: string, epoch = R): Promise<Uint8Array[]> {
    return decodeClosedSetResponse(await from.request(peer, PROTOCOL, encodeClosedSetRequest(epoch), ASK));
  }

  it('a node partitioned during the window adopts the certified set, is no signer of it, and keeps it after a restart', async () => {
    network.isolated.add('n4');
    const all = await startAll(5);
    await closeR();
    const [majority, odd] = [all[0]!, all[4]!];
    expect(majority.service.signerSet(R)!.partyIds).to.deep.equal(pools.slice(0, 4).map((p) => p.partyId));
    expect(odd.service.signerSet(R)!.partyIds).to.deep.equal([odd.pool.partyId]);
    expect(odd.service.ownSecretKey(R, odd.pool.partyId)).to.not.equal(undefined);

    network.isolated.delete('n4');
    await advanceTo(epochTime(R, 0.1));
    const certified = avkOf(majority);
    for (const node of all.slice(0, 4)) {
      expect(await node.service.adoptCertifiedSet(R, certified)).to.equal('matched');
    }
    expect(await odd.service.adoptCertifiedSet(R, certified)).to.equal('adopted');
    await settle();

    expect(hexOf(odd)).to.equal(avkToJsonHex(certified));
    expect(odd.service.signerSet(R)!.partyIds).to.deep.equal(majority.service.signerSet(R)!.partyIds);
    expect(entriesOf(odd)).to.deep.equal(entriesOf(majority));
    expect(odd.closed.filter((c) => c.epoch === R).map((c) => [c.signers, c.avk])).to.deep.equal([
      [1, odd.closed[0]!.avk],
      [4, avkToJsonHex(certified)],
    ]);
    // Its own registration is not in the certified set: it keeps its key but signs nothing.
    expect(odd.service.ownSecretKey(R, odd.pool.partyId)).to.equal(undefined);
    expect(odd.store.ownKeys.keys.get(`${R}/${odd.pool.partyId}`)).to.not.equal(undefined);
    const probe = network.join('probe').requestResponse;
    const served = await askClosedSet(probe, majority.id);
    expect(await askClosedSet(probe, odd.id)).to.deep.equal(served);

    // Idempotent, and the adopted set survives a restart (the replaced registration is not reloaded).
    expect(await odd.service.adoptCertifiedSet(R, certified)).to.equal('matched');
    await odd.service.stop();
    network.leave(odd.id);
    const restarted = await start(makeNode('n4b', odd.pool, { store: odd.store }));
    expect(hexOf(restarted)).to.equal(avkToJsonHex(certified));
    expect(restarted.service.ownSecretKey(R, odd.pool.partyId)).to.equal(undefined);
    expect(await askClosedSet(probe, restarted.id)).to.deep.equal(served);
    expect(await restarted.service.adoptCertifiedSet(R, certified)).to.equal('matched');
  });

  it('a node that missed registrations adopts the set once for concurrent calls, and keeps signing with its own key', async () => {
    network.deaf.add('n4');
    const all = await startAll(5, (i) => (i === 4 ? { pullPeers: 0 } : {}));
    await closeR();
    const [majority, odd] = [all[0]!, all[4]!];
    expect(odd.service.signerSet(R)!.partyIds).to.deep.equal([odd.pool.partyId]);
    expect(majority.service.signerSet(R)!.partyIds).to.have.length(5);
    const ownKey = odd.service.ownSecretKey(R, odd.pool.partyId);

    await advanceTo(epochTime(R, 0.1));
    const requests = network.requests;
    const certified = avkOf(majority);
    const results = await Promise.all([
      odd.service.adoptCertifiedSet(R, certified),
      odd.service.adoptCertifiedSet(R, certified),
    ]);
    expect(results).to.deep.equal(['adopted', 'adopted']);
    // Every peer holds the certified set: the first one asked gives it.
    expect(network.requests - requests).to.equal(1);
    expect(odd.service.signerSet(R)!.partyIds).to.deep.equal(majority.service.signerSet(R)!.partyIds);
    expect(odd.service.ownSecretKey(R, odd.pool.partyId)).to.equal(ownKey);
    expect(odd.store.registrations.messages.get(R)!.size).to.equal(5);
  });

  it('a node started after the close point, with no set, adopts one', async () => {
    const all = await startAll(3);
    await closeR();
    await advanceTo(epochTime(R, 0.1));
    const late = await start(makeNode('n3', pools[3]!));
    expect(late.service.signerSet(R)).to.equal(undefined);
    expect(await late.service.adoptCertifiedSet(R, avkOf(all[0]!))).to.equal('adopted');
    expect(hexOf(late)).to.equal(hexOf(all[0]!));
    expect(late.closed.map((c) => c.epoch)).to.deep.equal([R]);
  });

  it("is 'unavailable' when no peer has a set with the certified AVK, and changes nothing", async () => {
    const all = await startAll(3, () => ({ adoptionPeers: 5 }));
    await closeR();
    await advanceTo(epochTime(R, 0.1));
    const node = all[0]!;
    const before = hexOf(node);
    const record = node.store.registrations.closed.get(R);
    const elsewhere = ClosedKeyRegistration.fromEntries([{ vk: bls.verificationKey(77n), stake: 5n }]).avk;
    const requests = network.requests;
    expect(await node.service.adoptCertifiedSet(R, elsewhere)).to.equal('unavailable');
    expect(network.requests - requests).to.equal(2);
    expect(hexOf(node)).to.equal(before);
    expect(node.store.registrations.closed.get(R)).to.equal(record);
    expect(node.closed).to.have.length(1);

    // Peers started after the close point answer that they have no set.
    const late = await Promise.all([3, 4].map((i) => start(makeNode(`n${i}`, pools[i]!))));
    for (const n of all) network.isolated.add(n.id);
    expect(await late[0]!.service.adoptCertifiedSet(R, avkOf(node))).to.equal('unavailable');
    expect(await askClosedSet(network.join('probe').requestResponse, late[1]!.id)).to.deep.equal([]);
  });

  it('does not adopt a tampered or malformed answer, and adopts from the next peer', async () => {
    const all = await startAll(3);
    await closeR();
    await advanceTo(epochTime(R, 0.1));
    const certified = avkOf(all[0]!);
    const probe = network.join('probe').requestResponse;
    const genuine = await askClosedSet(probe, all[0]!.id);
    expect(genuine).to.deep.equal(
      all[0]!.service.signerSet(R)!.partyIds.map((p) => all[0]!.store.registrations.messages.get(R)!.get(p)),
    );
    const late = await start(makeNode('n3', pools[3]!, { adoptionPeers: 5 }));
    const evil = network.join('evil').requestResponse;
    let answer: () => Uint8Array = () => encodeClosedSetResponse(genuine);
    await evil.handle(PROTOCOL, async () => answer(), { maxRequestBytes: 8 });
    for (const n of all) network.isolated.add(n.id);

    const first = decodeRegistration(genuine[0]!);
    const flipped = Uint8Array.from(first.kesSignature);
    flipped[100] = flipped[100]! ^ 1;
    const frame = (bytes: Uint8Array) => concatBytes(u32BE(1), u32BE(bytes.length), bytes);
    const replaced = (bytes: Uint8Array) => encodeClosedSetResponse([bytes, ...genuine.slice(1)]);
    const answers: [string, () => Uint8Array][] = [
      ['a forged KES signature (same AVK)', () => replaced(alter(first, { kesSignature: flipped }).bytes)],
      [
        'a forged opcert (same AVK)',
        () => replaced(alter(first, { opCert: { ...first.opCert, issueNumber: 9n } }).bytes),
      ],
      [
        'another key of the same pool (another AVK)',
        () => replaced(craft(pools[0]!, R, vkPopOf(bls, 555n), chain.kesPeriod).bytes),
      ],
      ['a registration left out (another AVK)', () => encodeClosedSetResponse(genuine.slice(1))],
      ['a registration twice', () => encodeClosedSetResponse([...genuine, genuine[0]!])],
      ['another epoch', () => replaced(alter(first, { epoch: R + 1 }).bytes)],
      ['a short registration', () => frame(genuine[0]!.subarray(1))],
      ['a truncated frame', () => encodeClosedSetResponse(genuine).subarray(1)],
      ['a count above the bound', () => u32BE(MAX_CLOSED_SET_REGISTRATIONS + 1)],
      ['an answer above the size bound', () => new Uint8Array(MAX_CLOSED_SET_RESPONSE_BYTES + 1)],
      [
        'no answer',
        () => {
          throw new Error('stream reset');
        },
      ],
    ];
    for (const [what, make] of answers) {
      answer = make;
      expect(await late.service.adoptCertifiedSet(R, certified)).to.equal('unavailable', what);
    }
    expect(late.service.signerSet(R)).to.equal(undefined);
    expect(late.store.registrations.closed.size).to.equal(0);
    expect(late.closed).to.deep.equal([]);

    answer = answers[0]![1];
    network.isolated.delete(all[1]!.id);
    expect(await late.service.adoptCertifiedSet(R, certified)).to.equal('adopted');
    expect(hexOf(late)).to.equal(avkToJsonHex(certified));
  });

  it('serves its closed set as the stored bytes in signer order, an empty answer without one, and refuses malformed requests', async () => {
    const all = await startAll(2);
    const probe = network.join('probe').requestResponse;
    expect(await askClosedSet(probe, 'n0')).to.deep.equal([]);
    await closeR();
    const node = all[0]!;
    const stored = node.store.registrations.messages.get(R)!;
    expect(await askClosedSet(probe, 'n0')).to.deep.equal(
      node.service.signerSet(R)!.partyIds.map((p) => stored.get(p)),
    );
    expect(await askClosedSet(probe, 'n0', R + 5)).to.deep.equal([]);
    let caught: unknown;
    await probe.request('n0', PROTOCOL, new Uint8Array(7), ASK).catch((error: unknown) => (caught = error));
    expect(caught).to.be.instanceOf(RegistrationServiceError);
    expect((caught as RegistrationServiceError).code).to.equal('MALFORMED_REQUEST');
  });

  it('refuses epochs it does not keep, a stopped service and invalid options', async () => {
    const [node] = await startAll(1);
    const avk = ClosedKeyRegistration.fromEntries([{ vk: bls.verificationKey(77n), stake: 5n }]).avk;
    const refused = async (epoch: number, code: string) => {
      let caught: unknown;
      await node!.service.adoptCertifiedSet(epoch, avk).catch((error: unknown) => (caught = error));
      expect(caught).to.be.instanceOf(RegistrationServiceError);
      expect((caught as RegistrationServiceError).code).to.equal(code);
    };
    await refused(E - 3, 'EPOCH_NOT_RETAINED');
    await refused(E + 2, 'EPOCH_NOT_RETAINED');
    await node!.service.stop();
    await refused(R, 'NOT_RUNNING');
    expectCode(
      () => makeNode('x', pools[1]!, { adoptionPeers: -1 }),
      RegistrationServiceError,
      'INVALID_OPTIONS',
    );
    expectCode(
      () => makeNode('y', pools[1]!, { closedSetTimeoutMs: 0 }),
      RegistrationServiceError,
      'INVALID_OPTIONS',
    );
  });
});
