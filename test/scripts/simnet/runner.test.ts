import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simulate } from '../../../scripts/commands/simulate.ts';
import type { RunMeasurements } from '../../../scripts/simnet/report/index.ts';
import { CSV_FILES, PLOT_FILES, RESULTS_FILE } from '../../../scripts/simnet/report/index.ts';
import {
  bootstrapPlan,
  BYTES_NOTE,
  checkSupported,
  seededRandom,
  SimulationError,
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
  it('refuses what it cannot simulate yet, naming the fields', () => {
    const scenario = parseScenario(
      `${tiny()}\nnetwork: { latencyMs: { median: 20 }, loss: 0.01 }\nprocesses: separate`,
      'inline',
    );
    expect(() => checkSupported(scenario))
      .to.throw(SimulationError)
      .with.property('message')
      .that.includes('network.latencyMs')
      .and.includes('network.loss')
      .and.includes('processes (separate)');
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

  it('runs a tiny scenario through the command and writes its report', async function () {
    this.timeout(60_000);
    const dir = mkdtempSync(join(tmpdir(), 'simnet-test-'));
    try {
      const file = join(dir, 'tiny.yaml');
      writeFileSync(file, tiny());
      const out = join(dir, 'out');
      const lines: string[] = [];
      const errors: string[] = [];
      const code = await simulate(file, out, { out: (l) => lines.push(l), err: (l) => errors.push(l) });
      expect(errors, errors.join('\n')).to.deep.equal([]);
      expect(code).to.equal(0);
      expect(lines.some((l) => l.includes('certified on all 3 nodes'))).to.equal(true);

      const results = JSON.parse(readFileSync(join(out, RESULTS_FILE), 'utf8')) as {
        measurements: RunMeasurements;
        summary: { totals: { fractionCertified: number } };
      };
      const m = results.measurements;
      expect(m.scenario['notes']).to.include(BYTES_NOTE);
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
      expect(results.summary.totals.fractionCertified).to.equal(1);
      expect(m.nodes.map((n) => n.index)).to.deep.equal([0, 1, 2]);
      expect(m.nodes.every((n) => n.deliveries > 0)).to.equal(true);
      for (const name of [...Object.values(CSV_FILES), ...Object.values(PLOT_FILES)]) {
        expect(existsSync(join(out, name)), name).to.equal(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
