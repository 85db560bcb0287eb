import { expect } from 'chai';
import { GossipValidationError } from '../../../node/gossip/errors.ts';
import type { MeshEventMap } from '../../../node/events.ts';
import { beaconWindow } from '../../../node/signing/window.ts';
import { ManualClock } from '../../../node/runtime/clock.ts';
import type { BlsBackend } from '../../../protocol/crypto/bls/backend.ts';
import { loadBlsBackend } from '../../../protocol/crypto/bls/index.ts';
import { FakeChain, poolId } from './fakes.ts';
import { CSD, EPOCH, MSD, World, outcome, settle } from './world.ts';

const POOLS = [1, 2, 3, 4, 5].map(poolId);
const STAKES = new Map(POOLS.map((p, i) => [p, BigInt(i + 1) * 1_000_000_000n]));
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

describe('signing/validator', () => {
  let backend: BlsBackend;
  before(async () => {
    backend = await loadBlsBackend('mcl');
  });

  const world = (service = {}): World =>
    new World({ stakes: STAKES, backend, service: { batchSize: 2, ...service } });

  it('accepts a valid signature and counts its indexes; accept stores it and emits once', async () => {
    const w = world();
    const open = await w.open(MSD);
    const winners = w.winners(open);
    expect(winners.length).to.be.at.least(3);
    const events: MeshEventMap['signature:accepted'][] = [];
    w.events.on('signature:accepted', (e) => events.push(e));
    const indexes = new Set<number>();
    for (const partyId of winners) {
      const message = w.message(open, partyId);
      expect(await w.validate(message)).to.equal('accept');
      await w.handler('MithrilStakeDistribution').accept(message, 'peer');
      await w.handler('MithrilStakeDistribution').accept(message, 'peer');
      expect(await w.store.get(MSD, partyId)).to.deep.equal(message.bytes);
      message.signature.indexes.forEach((i) => indexes.add(i));
    }
    expect(open.signatures.map((s) => s.partyId)).to.deep.equal(winners);
    expect(open.distinctIndexes).to.equal(indexes.size);
    expect(events.map((e) => [e.partyId, e.own])).to.deep.equal(winners.map((p) => [p, false]));
    expect(open.signatures[0]!.entry).to.deep.equal(
      open.signers.registration.entryAt(open.signatures[0]!.sig.signerIndex),
    );
  });

  it('rejects malformed bytes (MALFORMED) and a type on the wrong topic (WRONG_TOPIC)', async () => {
    const w = world();
    expect(() => w.handler('MithrilStakeDistribution').decode(new Uint8Array(10)))
      .to.throw(GossipValidationError)
      .that.include({ action: 'reject', reason: 'MALFORMED' });
    const csd = await w.open(CSD);
    const message = w.message(csd, w.winners(csd)[0]!);
    expect(await w.validate(message, 'MithrilStakeDistribution')).to.equal('reject:WRONG_TOPIC');
    expect(await w.validate(message)).to.equal('accept');
  });

  it('ignores beacons outside the window (FUTURE_EPOCH, WRONG_EPOCH) and unknown signer sets', async () => {
    const w = world();
    const open = await w.open(MSD);
    const partyId = w.winners(open)[0]!;
    const at = (entity: typeof MSD) => w.validate(w.message(open, partyId, { entity }));
    expect(await at({ type: 'MithrilStakeDistribution', epoch: EPOCH + 1 })).to.equal('ignore:FUTURE_EPOCH');
    expect(await at({ type: 'CardanoStakeDistribution', epoch: EPOCH })).to.equal('ignore:FUTURE_EPOCH');
    expect(await at({ type: 'MithrilStakeDistribution', epoch: EPOCH - 2 })).to.equal('ignore:WRONG_EPOCH');
    // MithrilStakeDistribution(4) is still open early in epoch 5, but no set is closed at 3 here.
    expect(await at({ type: 'MithrilStakeDistribution', epoch: EPOCH - 1 })).to.equal(
      'ignore:SIGNER_SET_UNKNOWN',
    );
  });

  it('defines the window: current epoch, or the previous one until the open-message timeout', () => {
    const clock = new ManualClock(10 * DAY_MS);
    const chain = new FakeChain(clock, new Map(), DAY_MS);
    const status = (entity: typeof MSD) => beaconWindow(entity, chain, clock.now()).status;
    const msd = (epoch: number): typeof MSD => ({ type: 'MithrilStakeDistribution', epoch });
    const csd = (epoch: number): typeof MSD => ({ type: 'CardanoStakeDistribution', epoch });
    expect([status(msd(10)), status(csd(9)), status(msd(9)), status(csd(8))]).to.deep.equal(
      Array(4).fill('open'),
    );
    expect([status(msd(11)), status(csd(10))]).to.deep.equal(['future', 'future']);
    clock.advance(HOUR_MS / 2);
    // 30 min after the boundary: CardanoStakeDistribution's timeout (1800 s) is over, not MSD's (3600 s).
    expect([status(msd(9)), status(csd(8))]).to.deep.equal(['open', 'expired']);
    clock.advance(HOUR_MS / 2);
    expect([status(msd(9)), status(msd(8)), status(msd(10))]).to.deep.equal(['expired', 'expired', 'open']);
  });

  it('ignores pools outside our set (NOT_A_SIGNER) and foreign signer indexes (SIGNER_MISMATCH): views may differ', async () => {
    const w = world();
    const open = await w.open(MSD);
    const [a, b] = w.winners(open) as [string, string];
    const signatureOfB = w.stmSign(open, b)!;
    expect(await w.validate(w.message(open, a, { partyId: poolId(99), signature: signatureOfB }))).to.equal(
      'ignore:NOT_A_SIGNER',
    );
    expect(await w.validate(w.message(open, a, { signature: signatureOfB }))).to.equal(
      'ignore:SIGNER_MISMATCH',
    );
  });

  it('ignores a signature of another signed message (MESSAGE_MISMATCH)', async () => {
    const w = world();
    const open = await w.open(MSD);
    const message = w.message(open, w.winners(open)[0]!, { signedMessage: new Uint8Array(32).fill(1) });
    expect(await w.validate(message)).to.equal('ignore:MESSAGE_MISMATCH');
  });

  it('ignores duplicates, accepted or still in a batch (DUPLICATE)', async () => {
    const w = world();
    const open = await w.open(MSD);
    const [a, b] = w.winners(open) as [string, string];
    const first = w.validate(w.message(open, a));
    const again = w.validate(w.message(open, a));
    expect([await first, await again]).to.deep.equal(['accept', 'ignore:DUPLICATE']);
    expect(await w.validate(w.message(open, a))).to.equal('ignore:DUPLICATE');
    expect(await w.validate(w.message(open, b))).to.equal('accept');
  });

  it('keeps the first of two different signatures of a pool (EQUIVOCATION), before and after crypto', async () => {
    const w = world();
    const open = await w.open(MSD);
    const withTwo = w.winners(open).filter((p) => w.stmSign(open, p)!.indexes.length >= 2);
    expect(withTwo.length).to.be.at.least(2);
    const [a, b] = withTwo as [string, string];
    for (const partyId of [a, b]) {
      const full = w.stmSign(open, partyId)!;
      // Any non-empty subset of the winning indexes is a valid signature too, with other bytes.
      const fewer = { ...full, indexes: full.indexes.slice(1) };
      const first = w.message(open, partyId, { signature: partyId === a ? full : fewer });
      const second = w.message(open, partyId, { signature: partyId === a ? fewer : full });
      if (partyId === a) {
        // Accepted first, then checked against it before any crypto.
        expect(await w.validate(first)).to.equal('accept');
        expect(await w.validate(second)).to.equal('reject:EQUIVOCATION');
      } else {
        // Both in the same batch: both verify, the first queued is kept.
        const handler = w.handler('MithrilStakeDistribution');
        const verdicts = [outcome(handler.validate(first, 'p1')), outcome(handler.validate(second, 'p2'))];
        await settle();
        expect(await Promise.all(verdicts)).to.deep.equal(['accept', 'reject:EQUIVOCATION']);
      }
      expect(open.get(partyId)!.bytes).to.deep.equal(first.bytes);
    }
  });

  it('ignores certified beacons before any crypto (CERTIFIED)', async () => {
    const certified = new Set(['MithrilStakeDistribution']);
    const w = world({ isCertified: (entity: typeof MSD) => certified.has(entity.type) });
    const open = await w.open(MSD);
    const partyId = w.winners(open)[0]!;
    const forged = { ...w.stmSign(open, partyId)!, sigma: new Uint8Array(48).fill(0xaa) };
    w.spy.aggregates.length = 0;
    expect(await w.validate(w.message(open, partyId, { signature: forged }))).to.equal('ignore:CERTIFIED');
    expect(w.spy.aggregates).to.deep.equal([]);
    certified.clear();
    expect(await w.validate(w.message(open, partyId, { signature: forged }))).to.equal(
      'reject:INVALID_SIGNATURE',
    );
    expect(await w.validate(w.message(open, partyId))).to.equal('accept');
  });

  it('rejects a signature that fails the lottery or BLS (INVALID_SIGNATURE)', async () => {
    const w = world();
    const open = await w.open(MSD);
    const [a, b] = w.winners(open) as [string, string];
    const ofB = w.stmSign(open, b)!;
    // σ of b with a's index and claimed indexes: lottery or BLS fails for a's key and stake.
    const stolen = { ...ofB, signerIndex: w.stmSign(open, a)!.signerIndex };
    expect(await w.validate(w.message(open, a, { signature: stolen }))).to.equal('reject:INVALID_SIGNATURE');
    const outOfRange = { ...w.stmSign(open, a)!, indexes: [w.params.m + 1] };
    expect(await w.validate(w.message(open, a, { signature: outOfRange }))).to.equal(
      'reject:INVALID_SIGNATURE',
    );
    expect(await w.validate(w.message(open, a))).to.equal('accept');
  });
});
