import { expect } from 'chai';
import type { MeshEventMap } from '../../../node/events.ts';
import { decodeSignatureMessage } from '../../../node/signing/message.ts';
import type { Clock } from '../../../node/runtime/clock.ts';
import { SigningServiceError } from '../../../node/signing/service.ts';
import type { BlsBackend } from '../../../protocol/crypto/bls/backend.ts';
import { loadBlsBackend } from '../../../protocol/crypto/bls/index.ts';
import { bytesToHex } from '../../../protocol/encoding/bytes.ts';
import type { SignedEntityType } from '../../../protocol/message/signed-entity-type.ts';
import { EPOCH_MS, poolId } from './fakes.ts';
import { CSD, EPOCH, MSD, PARAMS, World, settle } from './world.ts';

const [A, B, C] = [1, 2, 3].map(poolId) as [string, string, string];
/** 1 lovelace of 12e9: φ(w) ≈ 1.3e-10 per index, it never wins. */
const TINY = poolId(6);
/** Registered only at EPOCH: a signer from EPOCH + 1 on. */
const LATE = poolId(7);
/** Never registered. */
const NONE = poolId(8);
const BASE = new Map([
  [A, 4_000_000_000n],
  [B, 5_000_000_000n],
  [C, 3_000_000_000n],
  [TINY, 1n],
]);
const WITH_LATE = new Map([...BASE, [LATE, 6_000_000_000n]]);
const IDENTITIES = [A, B, TINY, LATE, NONE];

/** Party ids of the publications, per entity type and beacon epoch. */
function publications(w: World): string[] {
  return w.publisher.published.map(({ data }) => {
    const m = decodeSignatureMessage(data, PARAMS.m);
    return `${m.entity.type}(${m.entity.epoch}):${m.partyId}`;
  });
}

describe('signing/service', () => {
  let backend: BlsBackend;
  before(async () => {
    backend = await loadBlsBackend('mcl');
  });

  function world(): World {
    const w = new World({ stakes: BASE, closed: [], backend, service: { identities: IDENTITIES } });
    w.view.close(EPOCH - 1, BASE);
    w.view.close(EPOCH, WITH_LATE);
    return w;
  }

  /** The expected publications: identities of the set that win, pool by pool (all beacons of a pool together). */
  async function expected(w: World, entities: SignedEntityType[]): Promise<string[]> {
    const opens = await Promise.all(entities.map((entity) => w.open(entity)));
    const out: string[] = [];
    for (const p of IDENTITIES) {
      for (const [i, open] of opens.entries()) {
        const entity = entities[i]!;
        if (open.signers.partyIds.includes(p) && w.stmSign(open, p) !== null)
          out.push(`${entity.type}(${entity.epoch}):${p}`);
      }
    }
    return out;
  }

  it('signs the enabled beacons at start-up and at each epoch start, only in the set, only winners', async () => {
    const w = world();
    const own: MeshEventMap['signature:accepted'][] = [];
    w.events.on('signature:accepted', (e) => own.push(e));
    const keysBefore = w.spy.verificationKeys;
    await w.service.start();
    // A, B and TINY are in the set: one signer each (one key derivation) serves both beacons.
    expect(w.spy.verificationKeys - keysBefore).to.equal(3);
    const atStart = await expected(w, [MSD, CSD]);
    expect(atStart).to.include.members([`MithrilStakeDistribution(${EPOCH}):${A}`]);
    expect(atStart.some((p) => p.endsWith(TINY) || p.endsWith(LATE) || p.endsWith(NONE))).to.equal(false);
    expect(publications(w)).to.deep.equal(atStart);
    // One event per own signature, although publishing runs the accept path again.
    expect(own.map((e) => [`${e.entity.type}(${e.entity.epoch}):${e.partyId}`, e.own])).to.deep.equal(
      atStart.map((p) => [p, true]),
    );
    for (const { data } of w.publisher.published) {
      const m = decodeSignatureMessage(data, PARAMS.m);
      expect(await w.store.get(m.entity, m.partyId)).to.deep.equal(data);
    }
    const open = await w.open(MSD);
    expect(open.signatures.map((s) => s.partyId)).to.have.members(
      atStart.filter((p) => p.startsWith('Mithril')).map((p) => p.split(':')[1]),
    );

    // Epoch EPOCH + 1: the set recorded at EPOCH + 1 closes during EPOCH.
    w.view.close(EPOCH + 1, WITH_LATE);
    w.publisher.published.length = 0;
    w.clock.advance(EPOCH_MS);
    await w.service.whenIdle();
    const next: SignedEntityType[] = [
      { type: 'MithrilStakeDistribution', epoch: EPOCH + 1 },
      { type: 'CardanoStakeDistribution', epoch: EPOCH },
    ];
    const later = await expected(w, next);
    expect(later.some((p) => p.endsWith(LATE))).to.equal(true);
    expect(publications(w)).to.deep.equal(later);
    await w.service.stop();
  });

  it('lets the event loop turn between pools while it signs', async () => {
    const w = world();
    // A probe re-armed on every turn of the event loop records how far signing had got.
    const signsAtTurn: number[] = [];
    let probing = true;
    const probe = (): void => {
      signsAtTurn.push(w.spy.signs);
      if (probing) setImmediate(probe);
    };
    setImmediate(probe);
    await w.service.start();
    probing = false;
    const total = w.spy.signs;
    expect(total).to.be.above(2);
    // Turns while signing was under way, not only before and after it: a node hosting many pools
    // keeps serving its sockets and timers.
    expect(signsAtTurn.some((n) => n > 0 && n < total)).to.equal(true);
  });

  it('signs at the epoch start when its timer fires a millisecond early', async () => {
    // Node's timers can fire a millisecond before the boundary as Date.now sees it.
    const base: { clock?: World['clock'] } = {};
    const early: Clock = {
      now: () => base.clock!.now(),
      setTimeout: (fn, ms) => base.clock!.setTimeout(fn, ms > 1 ? ms - 1 : ms),
      clearTimeout: (handle) => base.clock!.clearTimeout(handle),
    };
    const w = new World({
      stakes: BASE,
      closed: [],
      backend,
      service: { identities: IDENTITIES, clock: early },
    });
    base.clock = w.clock;
    w.view.close(EPOCH - 1, BASE);
    w.view.close(EPOCH, WITH_LATE);
    w.view.close(EPOCH + 1, WITH_LATE);
    await w.service.start();
    await w.service.whenIdle();
    w.publisher.published.length = 0;
    const boundary = w.chain.epochWindow(EPOCH).endMs;
    w.clock.advance(boundary - w.clock.now() + 2);
    await w.service.whenIdle();
    const next: SignedEntityType[] = [
      { type: 'MithrilStakeDistribution', epoch: EPOCH + 1 },
      { type: 'CardanoStakeDistribution', epoch: EPOCH },
    ];
    expect(publications(w)).to.deep.equal(await expected(w, next));
    await w.service.stop();
  });

  it('waits for a set that closes late, then signs on registration:closed', async () => {
    const w = world();
    await w.service.start();
    w.publisher.published.length = 0;
    w.clock.advance(EPOCH_MS);
    await w.service.whenIdle();
    const msd: SignedEntityType = { type: 'MithrilStakeDistribution', epoch: EPOCH + 1 };
    const result = await w.service.openMessage(msd);
    expect(result).to.include({ status: 'unavailable', reason: 'NEXT_SIGNER_SET_UNKNOWN' });
    expect(w.publisher.published).to.deep.equal([]);
    w.view.close(EPOCH + 1, WITH_LATE);
    w.events.emit('registration:closed', { epoch: EPOCH + 1, signers: 5, totalStake: 0n, avk: '' });
    await settle();
    await w.service.whenIdle();
    expect(publications(w)).to.include(`MithrilStakeDistribution(${EPOCH + 1}):${LATE}`);
    await w.service.stop();
  });

  it('does not sign again after a restart: reloads the store and re-publishes the same bytes', async () => {
    const w = world();
    await w.service.start();
    const first = w.publisher.published.map((p) => bytesToHex(p.data));
    const before = await w.open(MSD);
    const counted = { signatures: before.signatures.length, indexes: before.distinctIndexes };
    await w.service.stop();
    // Identities of the set with nothing stored lost the lottery: only they play it again.
    let losers = 0;
    for (const entity of [MSD, CSD]) {
      const open = await w.open(entity);
      for (const p of IDENTITIES) {
        if (open.signers.partyIds.includes(p) && (await w.store.get(entity, p)) === undefined) losers++;
      }
    }
    expect(losers).to.be.at.least(2);

    w.spy.signs = 0;
    w.publisher.published.length = 0;
    const events: MeshEventMap['signature:accepted'][] = [];
    w.events.on('signature:accepted', (e) => events.push(e));
    w.restart();
    await w.service.start();
    expect(w.spy.signs).to.equal(losers);
    expect(w.publisher.published.map((p) => bytesToHex(p.data))).to.deep.equal(first);
    expect(events).to.deep.equal([]);
    const after = await w.open(MSD);
    expect({ signatures: after.signatures.length, indexes: after.distinctIndexes }).to.deep.equal(counted);
    expect(after.signatures.every((s) => s.own)).to.equal(true);
    await w.service.stop();
  });

  it('signs only the enabled types and refuses types it cannot compute', async () => {
    const w = new World({
      stakes: BASE,
      backend,
      service: { identities: [A, B], entityTypes: ['MithrilStakeDistribution'] },
    });
    expect(w.service.handlers.map((h) => h.topic)).to.deep.equal([
      { kind: 'signature', entityType: 'MithrilStakeDistribution' },
    ]);
    await w.service.start();
    expect(publications(w).length).to.be.greaterThan(0);
    expect(publications(w).every((p) => p.startsWith('MithrilStakeDistribution'))).to.equal(true);
    await w.service.stop();
    expect(() => new World({ stakes: BASE, backend, service: { entityTypes: ['CardanoTransactions'] } }))
      .to.throw(SigningServiceError)
      .with.property('code', 'UNSUPPORTED_ENTITY_TYPE');
  });

  it('drops the stored signatures the window can no longer reach', async () => {
    const w = world();
    await w.service.start();
    expect(await w.store.list(CSD)).to.not.deep.equal([]);
    // In EPOCH + 2 the oldest reachable beacon is CardanoStakeDistribution(EPOCH): CSD(EPOCH - 1) goes.
    w.clock.advance(2 * EPOCH_MS);
    await settle();
    await w.service.whenIdle();
    expect(await w.store.list(CSD)).to.deep.equal([]);
    expect(await w.store.list(MSD)).to.not.deep.equal([]);
    await w.service.stop();
  });

  it('skips certified beacons and cancels its epoch timer on stop', async () => {
    const w = new World({
      stakes: BASE,
      backend,
      service: { identities: [A, B], isCertified: (e) => e.type === 'CardanoStakeDistribution' },
    });
    await w.service.start();
    expect(publications(w).every((p) => p.startsWith('MithrilStakeDistribution'))).to.equal(true);
    await w.service.stop();
    w.publisher.published.length = 0;
    w.view.close(EPOCH + 1, BASE);
    w.clock.advance(EPOCH_MS);
    await settle();
    await w.service.whenIdle();
    expect(w.publisher.published).to.deep.equal([]);
  });
});
