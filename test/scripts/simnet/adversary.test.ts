import { expect } from 'chai';
import { selectAdversaries } from '../../../scripts/simnet/adversary.ts';
import { runSimulation, seededRandom, signerStakes } from '../../../scripts/simnet/runner.ts';
import { parseScenario } from '../../../scripts/simnet/scenario.ts';

/**
 * 6 nodes hosting 12 equal signers, 2 adversarial (a third: invalid signatures and garbage); all
 * sign, so they win about 64 of the 80 indexes (phi_f = 0.8), and the 4 honest nodes alone about
 * 52 (1 - 0.2^(2/3)), far above k = 20.
 */
const scenario = (selection = 'random'): string =>
  [
    'name: adversarial-tiny',
    'seed: 5',
    'nodes: 6',
    'signers: 12',
    'stakes: { distribution: uniform }',
    'protocol: { k: 20, m: 80, phiF: 0.8 }',
    'epochs: 1',
    'epochSeconds: 8',
    'topology: { kind: random, degree: 2 }',
    'adversaries: { invalidSignatures: 0.17, garbage: 0.17 }',
    `adversarySelection: ${selection}`,
  ].join('\n');

describe('simnet adversaries', () => {
  it('selects adversaries by stake or from the seed, never node 0', () => {
    const s = parseScenario(
      [
        'name: pick',
        'seed: 2',
        'nodes: 4',
        'signers: 4',
        'stakes: { distribution: explicit, values: [40, 10, 30, 20] }',
        'protocol: { k: 2, m: 10, phiF: 0.8 }',
        'adversaries: { equivocation: 0.25, silent: 0.25 }',
        'adversarySelection: lowest-stake',
      ].join('\n'),
      'inline',
    );
    const stakes = signerStakes(s, seededRandom(s.seed));
    expect([...selectAdversaries(s, stakes, seededRandom(1))]).to.deep.equal([
      [1, 'equivocation'],
      [3, 'silent'],
    ]);
    const highest = { ...s, adversarySelection: 'highest-stake' as const };
    expect([...selectAdversaries(highest, stakes, seededRandom(1))]).to.deep.equal([
      [2, 'equivocation'],
      [3, 'silent'],
    ]);
    const random = parseScenario(scenario(), 'inline');
    const picked = selectAdversaries(random, signerStakes(random, seededRandom(5)), seededRandom(5));
    expect(picked.size).to.equal(2);
    expect(picked.has(0)).to.equal(false);
    expect([...picked.values()].sort()).to.deep.equal(['garbage', 'invalidSignatures']);
  });

  it('certifies every round on every honest node; REJECTs are attributed to the adversaries, who score below 0', async function () {
    this.timeout(60_000);
    const s = parseScenario(scenario(), 'inline');
    const result = await runSimulation(s);
    expect(result.complete, result.reason).to.equal(true);
    const m = result.measurements;
    expect(result.adversaries.map((a) => a.kind).sort()).to.deep.equal(['garbage', 'invalidSignatures']);
    const adversarial = new Set(result.adversaries.map((a) => a.index));
    expect(m.rounds).to.have.length(2);
    for (const round of m.rounds) {
      round.certificateAtNodeMs.forEach((t, i) => {
        if (!adversarial.has(i)) expect(t, `node ${i} ${round.entityType}`).to.be.a('number');
      });
    }
    const rejectsFrom = (peerId: string, reason: string): number =>
      m.validation
        .filter((v) => v.action === 'reject' && v.reason.startsWith(reason))
        .reduce((sum, v) => sum + (v.byPeer?.[peerId] ?? 0), 0);
    for (const a of result.adversaries) {
      expect(a.rejectedByHonest, `${a.kind} rejects`).to.be.greaterThan(0);
      expect(m.scores?.[a.peerId], `${a.kind} score`).to.equal(a.meanScore);
      expect(a.meanScore, `${a.kind} score`).to.be.below(0);
    }
    const garbage = result.adversaries.find((a) => a.kind === 'garbage')!;
    const forger = result.adversaries.find((a) => a.kind === 'invalidSignatures')!;
    // Its registration garbage comes first (epoch 0): once graylisted, its later messages are dropped unjudged.
    expect(rejectsFrom(garbage.peerId, 'registration:MALFORMED')).to.be.greaterThan(0);
    expect(
      rejectsFrom(forger.peerId, 'signature:INVALID_SIGNATURE') +
        rejectsFrom(forger.peerId, 'signature:EQUIVOCATION'),
    ).to.be.greaterThan(0);
  });
});
