import { expect } from 'chai';
import type { BlsBackend } from '../../../protocol/crypto/bls/backend.ts';
import { loadBlsBackend } from '../../../protocol/crypto/bls/index.ts';
import { poolId } from './fakes.ts';
import { BATCH_DELAY_MS, MSD, World, outcome, settle } from './world.ts';

const BATCH_SIZE = 8;
const POOLS = Array.from({ length: 32 }, (_, i) => poolId(i + 1));
/** Equal stakes: a signature moved to another pool keeps winning the lottery, only BLS fails. */
const STAKES = new Map(POOLS.map((p) => [p, 1_000_000_000n]));
/** m = 100 so that nearly every one of 32 equal pools wins an index. */
const PARAMS = { k: 3, m: 100, phiF: 0.8 };

describe('signing/batch', () => {
  let backend: BlsBackend;
  before(async () => {
    backend = await loadBlsBackend('mcl');
  });

  it('verifies 30 signatures in batches of 8 and a delayed rest, rejecting exactly the invalid one', async () => {
    const w = new World({ stakes: STAKES, params: PARAMS, backend, service: { batchSize: BATCH_SIZE } });
    const open = await w.open(MSD);
    const winners = w.winners(open);
    expect(winners.length).to.be.at.least(31);
    const [victim, thief, ...honest] = winners as [string, string, ...string[]];
    // The thief's valid σ and indexes claimed by the victim: lottery passes, the BLS equation fails.
    const forged = { ...w.stmSign(open, thief)!, signerIndex: w.stmSign(open, victim)!.signerIndex };
    const messages = honest.slice(0, 29).map((p) => w.message(open, p));
    messages.splice(13, 0, w.message(open, victim, { signature: forged }));
    expect(messages).to.have.length(30);

    const handler = w.handler('MithrilStakeDistribution');
    const settled: string[] = [];
    const verdicts = messages.map((m, i) =>
      outcome(handler.validate(m, `peer${i}`)).then((v) => {
        settled[i] = v;
        return v;
      }),
    );
    await settle();
    // Three full batches went at once; the last 6 wait for the delay.
    expect(settled.filter((v) => v !== undefined)).to.have.length(24);
    w.clock.advance(BATCH_DELAY_MS - 1);
    await settle();
    expect(settled.filter((v) => v !== undefined)).to.have.length(24);
    w.clock.advance(1);
    const results = await Promise.all(verdicts);

    expect(results.filter((v) => v === 'accept')).to.have.length(29);
    expect(results[13]).to.equal('reject:INVALID_SIGNATURE');
    // One aggregate check per batch (3 × 8 + 6), plus the halvings of the batch holding the forgery.
    expect(w.spy.aggregates.filter((n) => n >= 6)).to.deep.equal([8, 8, 8, 6]);
    expect(open.signatures.map((s) => s.partyId)).to.have.members(honest.slice(0, 29));
    expect(open.get(victim)).to.equal(undefined);
  });

  it('accepts the genuine signature of a pool whose forgery arrived first', async () => {
    const w = new World({ stakes: STAKES, params: PARAMS, backend, service: { batchSize: BATCH_SIZE } });
    const open = await w.open(MSD);
    const [victim, thief] = w.winners(open) as [string, string];
    const forged = { ...w.stmSign(open, thief)!, signerIndex: w.stmSign(open, victim)!.signerIndex };
    const handler = w.handler('MithrilStakeDistribution');
    const verdicts = [
      outcome(handler.validate(w.message(open, victim, { signature: forged }), 'attacker')),
      outcome(handler.validate(w.message(open, victim), 'honest')),
    ];
    await settle();
    w.clock.advance(BATCH_DELAY_MS);
    expect(await Promise.all(verdicts)).to.deep.equal(['reject:INVALID_SIGNATURE', 'accept']);
  });
});
