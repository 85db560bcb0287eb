import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMPARISON_FILE, simulate, STAR_DIR } from '../../../scripts/commands/simulate.ts';
import type { ComparisonRow, RunMeasurements } from '../../../scripts/simnet/report/index.ts';
import { CSV_FILES, PLOT_FILES, RESULTS_FILE } from '../../../scripts/simnet/report/index.ts';
import {
  bootstrapPlan,
  BYTES_NOTE,
  CHILD_PROCESS_NOTE,
  LINK_NOTE,
  PRELOAD_NOTE,
  runningAtEnd,
  runSimulation,
  seededRandom,
} from '../../../scripts/simnet/runner.ts';
import { parseScenario } from '../../../scripts/simnet/scenario.ts';

/** 3 nodes hosting 6 equal signers: with phi_f = 0.8 they win about 64 of the 80 indexes, far above k = 20. */
const tiny = (nodes = 3, topology = '{ kind: bootstrap-only }'): string =>
  [
    'name: tiny',
    'seed: 3',
    `nodes: ${nodes}`,
    'signers: 6',
    'stakes: { distribution: uniform }',
    'protocol: { k: 20, m: 80, phiF: 0.8 }',
    'epochs: 1',
    'epochSeconds: 6',
    `topology: ${topology}`,
  ].join('\n');

describe('simnet runner', () => {
  it('knows which nodes run at the end of the churn', () => {
    const scenario = parseScenario(
      `${tiny(5).replace('epochs: 1', 'epochs: 3')}\nchurn:\n` +
        '  - { atEpoch: 0.5, leave: [1, 2] }\n  - { atEpoch: 1, join: [1, 4] }\n  - { atEpoch: 2, join: [3] }',
      'inline',
    );
    expect([...runningAtEnd(scenario)].sort()).to.deep.equal([0, 1, 3, 4]);
  });

  it('draws random topologies among earlier nodes, deterministically from the seed', () => {
    const scenario = parseScenario(tiny(6, '{ kind: random, degree: 2 }'), 'inline');
    const plan = bootstrapPlan(scenario, seededRandom(scenario.seed));
    expect(plan).to.deep.equal(bootstrapPlan(scenario, seededRandom(scenario.seed)));
    plan.forEach((peers, i) => {
      expect(peers).to.have.length(Math.min(2, i));
      for (const p of peers) expect(p).to.be.below(i);
    });
  });

  it('runs a tiny scenario with latency and loss, and its star baseline, through the command', async function () {
    this.timeout(150_000);
    const dir = mkdtempSync(join(tmpdir(), 'simnet-test-'));
    try {
      const file = join(dir, 'tiny.yaml');
      writeFileSync(
        file,
        `${tiny()}\nnetwork: { latencyMs: { median: 10, jitter: 5 }, loss: 0.02 }\nbaseline: star`,
      );
      const out = join(dir, 'out');
      const lines: string[] = [];
      const errors: string[] = [];
      const code = await simulate(file, out, { out: (l) => lines.push(l), err: (l) => errors.push(l) });
      expect(errors, errors.join('\n')).to.deep.equal([]);
      expect(code).to.equal(0);
      expect(lines.filter((l) => l.includes('certified on all 3 nodes'))).to.have.length(4);

      const read = (at: string): { m: RunMeasurements; fractionCertified: number } => {
        const results = JSON.parse(readFileSync(join(at, RESULTS_FILE), 'utf8')) as {
          measurements: RunMeasurements;
          summary: { totals: { fractionCertified: number } };
        };
        for (const name of [...Object.values(CSV_FILES), ...Object.values(PLOT_FILES)]) {
          expect(existsSync(join(at, name)), name).to.equal(true);
        }
        return { m: results.measurements, fractionCertified: results.summary.totals.fractionCertified };
      };
      const p2p = read(out);
      const star = read(join(out, STAR_DIR));
      for (const { m, fractionCertified } of [p2p, star]) {
        expect(m.scenario['notes']).to.include(BYTES_NOTE).and.include(LINK_NOTE);
        expect(fractionCertified).to.equal(1);
        // Epoch 2, the one certified epoch: both default entity types.
        expect(m.rounds.map((r) => r.entityType).sort()).to.deep.equal([
          'CardanoStakeDistribution',
          'MithrilStakeDistribution',
        ]);
        for (const round of m.rounds) {
          expect(round.epoch).to.equal(2);
          expect(round.certificateAtNodeMs).to.have.length(3);
          for (const t of round.certificateAtNodeMs) expect(t).to.be.a('number');
          expect(round.signatureHeldAtNodeMs.length).to.be.within(1, 6);
          expect(round.quorumAtFirstNodeMs).to.be.a('number');
        }
        expect(m.nodes.map((n) => n.index)).to.deep.equal([0, 1, 2]);
        const rows = Math.max(...m.rounds.map((r) => r.signatureHeldAtNodeMs.length));
        expect(m.signaturesGossiped).to.be.at.least(rows);
        let sent = 0;
        let received = 0;
        for (const n of m.nodes) {
          expect(n.awaited).to.equal(true);
          expect(n.deliveries).to.be.at.least(n.signatureDeliveries).and.at.least(n.duplicates);
          expect(n.bytesSent).to.be.above(0);
          sent += n.bytesSent;
          received += n.bytesReceived;
        }
        // Every byte one node sends on loopback another receives, but for what was in flight when counted.
        expect(received / sent).to.be.within(0.9, 1.1);
      }
      // The mesh relays signatures to every node; in the star only node 0 receives them, and a
      // node holds no signature but its own signers' and (node 0) everyone's.
      expect(p2p.m.nodes.every((n) => n.signatureDeliveries > 0)).to.equal(true);
      expect(star.m.nodes.map((n) => n.signatureDeliveries > 0)).to.deep.equal([true, false, false]);
      for (const round of star.m.rounds) {
        // (A signature arriving after node 0 certified the round is ignored there.)
        expect(round.signatureHeldAtNodeMs.some((held) => held[0] !== -1)).to.equal(true);
        for (const held of round.signatureHeldAtNodeMs) {
          expect(held.filter((t) => t !== -1).length).to.be.at.most(2);
        }
      }
      const comparison = JSON.parse(readFileSync(join(out, COMPARISON_FILE), 'utf8')) as ComparisonRow[];
      expect(comparison.map((r) => r.measure)).to.include(
        'time to certificate at every node, median over rounds (ms)',
      );
      expect(lines.some((l) => l.startsWith('mesh (p2p) against one aggregator'))).to.equal(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const processes of ['single', 'separate']) {
    it(`preloads the signer sets into every node's store (${processes}): the first certified epoch opens once they run`, async function () {
      this.timeout(150_000);
      const scenario = parseScenario(`${tiny()}\nprocesses: ${processes}\nregistration: preloaded`, 'inline');
      const lines: string[] = [];
      const result = await runSimulation(scenario, 'p2p', { progress: (l) => lines.push(l) });
      expect(result.complete, result.reason).to.equal(true);
      expect(
        lines.some((l) => l.endsWith('signer sets preloaded: epoch 1 6 signers, epoch 2 6 signers')),
      ).to.equal(true);
      expect(lines.some((l) => / epoch 2 opens in \d+ ms, certifying epochs 2–2 /.test(l))).to.equal(true);
      const m = result.measurements;
      expect(m.scenario['notes']).to.include(PRELOAD_NOTE);
      const rounds = m.rounds.filter((r) => r.epoch === 2);
      expect(rounds.map((r) => r.entityType).sort()).to.deep.equal([
        'CardanoStakeDistribution',
        'MithrilStakeDistribution',
      ]);
      for (const round of rounds) {
        // Every signer signed with its preloaded key (each wins an index but with probability ~1e-9),
        // and every node certified.
        expect(round.signatureHeldAtNodeMs).to.have.length(6);
        for (const t of round.certificateAtNodeMs) expect(t).to.be.a('number');
      }
    });
  }

  it('runs nodes as separate processes, with a node leaving and coming back', async function () {
    this.timeout(150_000);
    const dir = mkdtempSync(join(tmpdir(), 'simnet-test-'));
    try {
      const scenario = parseScenario(
        `${tiny().replace('epochs: 1', 'epochs: 2')}\nprocesses: separate\n` +
          'churn:\n  - { atEpoch: 0.2, leave: [2] }\n  - { atEpoch: 0.6, join: [2] }',
        'inline',
      );
      const lines: string[] = [];
      const result = await runSimulation(scenario, 'p2p', { progress: (l) => lines.push(l) });
      expect(result.complete, result.reason).to.equal(true);
      expect(lines.some((l) => l.includes('left 2'))).to.equal(true);
      expect(lines.some((l) => l.includes('joined 2'))).to.equal(true);
      const m = result.measurements;
      expect(m.scenario['notes']).to.include(CHILD_PROCESS_NOTE);
      expect((m.scenario['notes'] as string[]).some((n) => n.includes('netem'))).to.equal(true);
      // The last epoch is certified everywhere, node 2 included (it caught up after rejoining).
      for (const round of m.rounds.filter((r) => r.epoch === 3)) {
        for (const t of round.certificateAtNodeMs) expect(t).to.be.a('number');
      }
      for (const n of m.nodes) {
        expect(n.cpuSeconds).to.be.above(0);
        expect(n.rssBytes).to.be.above(10 * 2 ** 20);
        expect(n.bytesSent).to.be.above(0);
      }
      // Each process measures itself: the figures differ between nodes.
      expect(new Set(m.nodes.map((n) => n.cpuSeconds)).size).to.be.above(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
