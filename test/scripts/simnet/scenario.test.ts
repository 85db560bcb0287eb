import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { ProtocolError } from '../../../protocol/errors.ts';
import {
  ScenarioError,
  describeScenario,
  loadScenario,
  parseScenario,
} from '../../../scripts/simnet/scenario.ts';
import type { Scenario, ScenarioProblem } from '../../../scripts/simnet/scenario.ts';

const SCENARIOS = fileURLToPath(new URL('../../../scripts/scenarios/', import.meta.url));

const MINIMAL = {
  name: 'minimal',
  nodes: 4,
  signers: 10,
  stakes: { distribution: 'uniform' },
  protocol: { k: 5, m: 50, phiF: 0.5 },
};

function parse(input: unknown): Scenario {
  return parseScenario(JSON.stringify(input), 'test.json');
}

function with_(changes: Record<string, unknown>): Record<string, unknown> {
  return { ...MINIMAL, ...changes };
}

function problemsOf(input: unknown): ScenarioProblem[] {
  try {
    parse(input);
  } catch (e) {
    if (e instanceof ScenarioError) return [...e.problems];
    throw e;
  }
  throw new Error('expected a ScenarioError');
}

/** The message reported at `path` (exactly one expected). */
function problemAt(input: unknown, path: string): string {
  const at = problemsOf(input).filter((p) => p.path === path);
  expect(at, `problems at ${path}`).to.have.length(1);
  return at[0]!.message;
}

describe('scripts/simnet/scenario', () => {
  describe('example scenarios', () => {
    it('small.yaml: 6 nodes, 24 uniform signers round-robin, random degree 3, 20 ms and 1 % loss', async () => {
      const s = await loadScenario(join(SCENARIOS, 'small.yaml'));
      expect(s.nodes).to.equal(6);
      expect(s.signers).to.equal(24);
      expect(s.nodeSigners[1]).to.deep.equal([1, 7, 13, 19]);
      expect(s.stakes.distribution).to.equal('uniform');
      expect(s.protocol).to.deep.equal({ k: 20, m: 80, phiF: 0.8 });
      expect([s.epochs, s.epochSeconds]).to.deep.equal([2, 10]);
      expect(s.topology).to.deep.equal({ kind: 'random', degree: 3 });
      expect(s.network).to.deep.equal({ latencyMs: { median: 20, jitter: 0 }, loss: 0.01 });
    });

    it('adversarial.yaml: 10 nodes, 2 adversarial (invalid signatures, equivocation), heavy-tailed stakes', async () => {
      const s = await loadScenario(join(SCENARIOS, 'adversarial.yaml'));
      expect(s.nodes).to.equal(10);
      expect(s.adversaries).to.deep.equal({ invalidSignatures: 1, equivocation: 1, garbage: 0, silent: 0 });
      expect(s.stakes.distribution).to.equal('heavy-tailed');
    });

    it('mainnet-scale.yaml: 3000 heavy-tailed signers on 30 nodes with k=1944 m=16948 phi_f=0.2', async () => {
      const s = await loadScenario(join(SCENARIOS, 'mainnet-scale.yaml'));
      expect([s.nodes, s.signers]).to.deep.equal([30, 3000]);
      expect(s.protocol).to.deep.equal({ k: 1944, m: 16948, phiF: 0.2 });
      expect(s.stakes).to.deep.equal({
        distribution: 'heavy-tailed',
        alpha: 1.1,
        min: 1_000_000_000n,
        max: 80_000_000_000_000n,
      });
      expect(s.nodeSigners.every((hosted) => hosted.length === 100)).to.equal(true);
      expect(s.registration).to.equal('preloaded');
    });

    it('describes each on one screen', async () => {
      for (const file of ['small.yaml', 'adversarial.yaml', 'mainnet-scale.yaml']) {
        const text = describeScenario(await loadScenario(join(SCENARIOS, file)));
        const lines = text.split('\n');
        expect(lines.length).to.be.at.most(24);
        expect(
          lines.every((line) => line.length <= 100),
          text,
        ).to.equal(true);
      }
    });
  });

  describe('defaults', () => {
    it('fills every optional field and freezes the result', () => {
      const s = parse(MINIMAL);
      expect(s).to.deep.equal({
        name: 'minimal',
        seed: 1,
        nodes: 4,
        signers: 10,
        nodeSigners: [
          [0, 4, 8],
          [1, 5, 9],
          [2, 6],
          [3, 7],
        ],
        aggregators: [0, 1, 2, 3],
        stakes: { distribution: 'uniform', stake: 1_000_000_000n },
        protocol: { k: 5, m: 50, phiF: 0.5 },
        epochs: 3,
        epochSeconds: 20,
        entityTypes: ['MithrilStakeDistribution', 'CardanoStakeDistribution'],
        topology: { kind: 'bootstrap-only' },
        network: { latencyMs: { median: 0, jitter: 0 }, loss: 0 },
        churn: [],
        lateJoiners: [],
        adversaries: { invalidSignatures: 0, equivocation: 0, garbage: 0, silent: 0 },
        adversarySelection: 'random',
        processes: 'single',
        registration: 'gossip',
        baseline: 'none',
      });
      expect(Object.isFrozen(s)).to.equal(true);
      expect(Object.isFrozen(s.nodeSigners[0])).to.equal(true);
      expect(Object.isFrozen(s.network.latencyMs)).to.equal(true);
    });

    it('heavy-tailed stakes default to alpha 1.1 between 1e9 and 8e13 lovelace', () => {
      expect(parse(with_({ stakes: { distribution: 'heavy-tailed' } })).stakes).to.deep.equal({
        distribution: 'heavy-tailed',
        alpha: 1.1,
        min: 1_000_000_000n,
        max: 80_000_000_000_000n,
      });
    });

    it('treats an empty YAML value as absent', () => {
      const s = parseScenario(
        'name: x\nnodes: 2\nsigners: 2\nstakes: {distribution: uniform}\nprotocol: {k: 1, m: 2, phiF: 1}\nchurn:\n',
        'x.yaml',
      );
      expect(s.churn).to.deep.equal([]);
    });
  });

  describe('resolution', () => {
    it('aggregators: a count is the first nodes, a list is sorted, all is every node', () => {
      expect(parse(with_({ aggregators: 2 })).aggregators).to.deep.equal([0, 1]);
      expect(parse(with_({ aggregators: [3, 1] })).aggregators).to.deep.equal([1, 3]);
      expect(parse(with_({ aggregators: 'all' })).aggregators).to.deep.equal([0, 1, 2, 3]);
    });

    it('signersPerNode hosts signers in blocks', () => {
      const s = parse(with_({ signersPerNode: [4, 0, 3, 3] }));
      expect(s.nodeSigners).to.deep.equal([[0, 1, 2, 3], [], [4, 5, 6], [7, 8, 9]]);
    });

    it('explicit stakes keep integers beyond 2^53 exact, in JSON and YAML', () => {
      const big = '90000000000000001';
      const values = `[${big}, 1, 2, 3, 4, 5, 6, 7, 8, 9]`;
      const json = `{"name":"x","nodes":4,"signers":10,"stakes":{"distribution":"explicit","values":${values}},"protocol":{"k":5,"m":50,"phiF":0.5}}`;
      const yaml = `name: x\nnodes: 4\nsigners: 10\nstakes: {distribution: explicit, values: ${values}}\nprotocol: {k: 5, m: 50, phiF: 0.5}\n`;
      for (const s of [parseScenario(json, 'a.json'), parseScenario(yaml, 'a.yaml')]) {
        expect(s.stakes).to.deep.equal({
          distribution: 'explicit',
          values: [BigInt(big), 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n],
        });
      }
    });

    it('a latency given as a number is the median with no jitter', () => {
      expect(parse(with_({ network: { latencyMs: 15 } })).network.latencyMs).to.deep.equal({
        median: 15,
        jitter: 0,
      });
    });
  });

  describe('formats', () => {
    const full = with_({
      seed: 42,
      aggregators: [0, 2],
      stakes: { distribution: 'heavy-tailed', alpha: 1.5, min: 2e9, max: 5e12 },
      topology: { kind: 'ring' },
      network: { latencyMs: { median: 20, jitter: 5 }, loss: 0.02 },
      churn: [
        { atEpoch: 1, leave: [1] },
        { atEpoch: 2, join: [1] },
      ],
      adversaries: { silent: 0.25 },
      adversarySelection: 'lowest-stake',
      processes: 'separate',
      baseline: 'star',
    });

    it('YAML and JSON give the same scenario', () => {
      const fromJson = parseScenario(JSON.stringify(full), 'full.json');
      const fromYaml = parseScenario(`# a comment\n${stringify(full)}`, 'full.yaml');
      expect(fromYaml).to.deep.equal(fromJson);
      expect(fromJson.adversaries.silent).to.equal(1);
    });

    it('sniffs the format when the extension says nothing', () => {
      expect(parseScenario(JSON.stringify(full), 'scenario.txt')).to.deep.equal(parse(full));
      expect(parseScenario(stringify(full), 'scenario')).to.deep.equal(parse(full));
    });

    it('reports syntax errors as SCENARIO_SYNTAX and unreadable files as SCENARIO_UNREADABLE', async () => {
      expect(() => parseScenario('{"name": ', 'bad.json'))
        .to.throw(ScenarioError)
        .with.property('code', 'SCENARIO_SYNTAX');
      expect(() => parseScenario('name: [unclosed', 'bad.yaml'))
        .to.throw(ScenarioError)
        .with.property('code', 'SCENARIO_SYNTAX');
      expect(() => parseScenario('name: a\nname: b\n', 'dup.yaml')).to.throw(ScenarioError, /invalid YAML/);
      const error = await loadScenario('/nonexistent/scenario.yaml').catch((e: unknown) => e);
      expect(error).to.be.instanceOf(ScenarioError).and.to.have.property('code', 'SCENARIO_UNREADABLE');
    });

    it('loads JSON files too', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'scenario-'));
      try {
        const file = join(dir, 'full.json');
        writeFileSync(file, JSON.stringify(full));
        expect(await loadScenario(file)).to.deep.equal(parse(full));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('problems', () => {
    it('ScenarioError is a ProtocolError listing every problem with its path', () => {
      let error: unknown;
      try {
        parse({ nodes: 0 });
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(ProtocolError).and.instanceOf(ScenarioError);
      const e = error as ScenarioError;
      expect(e.code).to.equal('INVALID_SCENARIO');
      expect(e.message).to.match(/^scenario test\.json: 5 problems:\n {2}name: is required/);
      expect(e.problems.map((p) => p.path)).to.deep.equal(['name', 'nodes', 'signers', 'stakes', 'protocol']);
    });

    it('reports a bad value in every field at once, each with a clear message', () => {
      const problems = problemsOf({
        name: '',
        seed: -1,
        nodes: 2.5,
        signers: 'ten',
        aggregators: 'some',
        stakes: { distribution: 'heavy-tailed', alpha: 0, min: -5, max: 1.5 },
        protocol: { k: 0, m: 'x', phiF: 1.2 },
        epochs: 0,
        epochSeconds: -1,
        entityTypes: ['CardanoStakeDistribution', 'Nope'],
        topology: { kind: 'mesh' },
        network: { latencyMs: { median: -1, jitter: 'x' }, loss: 1 },
        churn: [{ atEpoch: -1, leave: 'x' }],
        adversaries: { silent: 2 },
        adversarySelection: 'richest',
        processes: 'many',
        registration: 'later',
        baseline: 'mesh',
      });
      const byPath = Object.fromEntries(problems.map((p) => [p.path, p.message]));
      expect(byPath).to.include({
        name: 'must be a non-empty string, got ""',
        seed: 'must be an integer ≥ 0, got -1',
        nodes: 'must be a positive integer, got 2.5',
        signers: 'must be a positive integer, got "ten"',
        aggregators: "must be 'all', a number of nodes or a list of node indexes",
        'stakes.alpha': 'must be a positive number, got 0',
        'stakes.min': 'must be a positive whole number of lovelace, got -5',
        'stakes.max': 'must be a positive whole number of lovelace, got 1.5',
        'protocol.k': 'must be a positive integer, got 0',
        'protocol.m': 'must be a positive integer, got "x"',
        'protocol.phiF': 'must be a number in (0, 1], got 1.2',
        epochs: 'must be a positive integer, got 0',
        epochSeconds: 'must be a positive number, got -1',
        'entityTypes[1]': `unknown value; one of MithrilStakeDistribution, CardanoStakeDistribution, CardanoTransactions, CardanoDatabase, CardanoBlocksTransactions`,
        'topology.kind': 'unknown value; one of bootstrap-only, random, ring',
        'network.latencyMs.median': 'must be a number ≥ 0, got -1',
        'network.latencyMs.jitter': 'must be a number ≥ 0, got "x"',
        'network.loss': 'must be a probability in [0, 1), got 1',
        // epochs is invalid too, so only the lower bound is checked.
        'churn[0].atEpoch': 'must be a number ≥ 0, got -1',
        'churn[0].leave': 'must be a list, got "x"',
        'adversaries.silent': 'must be a fraction in [0, 1], got 2',
        adversarySelection: 'unknown value; one of lowest-stake, highest-stake, random',
        processes: 'unknown value; one of single, separate',
        registration: 'unknown value; one of gossip, preloaded',
        baseline: 'unknown value; one of none, star',
      });
      expect(problems).to.have.length(25);
    });

    it('checks values against nodes and signers', () => {
      expect(problemAt(with_({ aggregators: 5 }), 'aggregators')).to.equal(
        "must be 'all', a list of node indexes or a count from 1 to nodes (4), got 5",
      );
      expect(problemAt(with_({ aggregators: [0, 4] }), 'aggregators[1]')).to.equal(
        'must be a node index from 0 to 3 (nodes: 4), got 4',
      );
      expect(problemAt(with_({ aggregators: [1, 1] }), 'aggregators[1]')).to.equal(
        'duplicate of aggregators[0]',
      );
      expect(problemAt(with_({ aggregators: [] }), 'aggregators')).to.match(/at least one node/);
      expect(problemAt(with_({ topology: { kind: 'random', degree: 4 } }), 'topology.degree')).to.equal(
        'must be an integer from 1 to nodes - 1 (3), got 4',
      );
      expect(problemAt(with_({ topology: { kind: 'random' } }), 'topology.degree')).to.equal('is required');
      expect(problemAt(with_({ signersPerNode: [5, 5] }), 'signersPerNode')).to.equal(
        'must give a count for each of the 4 nodes, got 2',
      );
      expect(problemAt(with_({ signersPerNode: [1, 1, 1, 1] }), 'signersPerNode')).to.equal(
        'must add up to signers (10), got 4',
      );
      expect(
        problemAt(with_({ stakes: { distribution: 'explicit', values: [1, 2] } }), 'stakes.values'),
      ).to.equal('must hold one stake per signer: 10 values, got 2');
      expect(
        problemAt(with_({ stakes: { distribution: 'heavy-tailed', min: 10, max: 5 } }), 'stakes.min'),
      ).to.equal('must not exceed stakes.max (5)');
      expect(problemAt(with_({ protocol: { k: 60, m: 50, phiF: 0.5 } }), 'protocol.k')).to.match(
        /^must not exceed protocol\.m \(50\)/,
      );
      expect(problemAt(with_({ entityTypes: ['CardanoStakeDistribution'] }), 'entityTypes')).to.match(
        /must include MithrilStakeDistribution/,
      );
      expect(problemAt(with_({ stakes: { values: [] } }), 'stakes.distribution')).to.equal('is required');
    });

    it('rejects unknown keys with a suggestion, at every level', () => {
      const problems = problemsOf(
        with_({
          signer: 3,
          protocol: { k: 5, m: 50, phi_f: 0.5, phiF: 0.5 },
          network: { latency: 20 },
          churn: [{ atEpoch: 1, leaves: [1] }],
          adversaries: { equivocations: 0.25, sybil: 0.25 },
        }),
      );
      expect(problems).to.deep.include.members([
        { path: 'signer', message: 'unknown key (did you mean "signers"?)' },
        { path: 'protocol.phi_f', message: 'unknown key (did you mean "phiF"?)' },
        { path: 'network.latency', message: 'unknown key (did you mean "latencyMs"?)' },
        { path: 'churn[0].leaves', message: 'unknown key (did you mean "leave"?)' },
        { path: 'adversaries.equivocations', message: 'unknown key (did you mean "equivocation"?)' },
        { path: 'adversaries.sybil', message: 'unknown key' },
      ]);
    });

    it('names the variant a key belongs to', () => {
      expect(problemAt(with_({ stakes: { distribution: 'uniform', alpha: 2 } }), 'stakes.alpha')).to.equal(
        'applies only to distribution heavy-tailed, not uniform',
      );
      expect(problemAt(with_({ topology: { kind: 'ring', degree: 2 } }), 'topology.degree')).to.equal(
        'applies only to kind random, not ring',
      );
      expect(problemAt(with_({ topology: { kind: 'ring', degre: 2 } }), 'topology.degre')).to.equal(
        'unknown key',
      );
      expect(problemAt(with_({ stakes: { distribution: 'pareto', alpa: 2 } }), 'stakes.alpa')).to.equal(
        'unknown key (did you mean "alpha"?)',
      );
    });

    it('rejects a document that is not a mapping', () => {
      expect(problemsOf([1, 2])).to.deep.equal([
        { path: '(top level)', message: 'must be a mapping of keys to values' },
      ]);
    });
  });

  describe('churn', () => {
    it('resolves leave and rejoin, and nodes whose first event is a join as late joiners', () => {
      const s = parse(
        with_({
          churn: [
            { atEpoch: 0.5, leave: [1, 2] },
            { atEpoch: 1, join: [3] },
            { atEpoch: 1, join: [1] },
            { atEpoch: 2.5, leave: [1], join: [2] },
          ],
        }),
      );
      expect(s.churn[0]).to.deep.equal({ atEpoch: 0.5, leave: [1, 2], join: [] });
      expect(s.churn[3]).to.deep.equal({ atEpoch: 2.5, leave: [1], join: [2] });
      expect(s.lateJoiners).to.deep.equal([3]);
    });

    it('rejects late joiners with preloaded signer sets (made before the run, they would miss them)', () => {
      const churn = [
        { atEpoch: 0.5, leave: [1] },
        { atEpoch: 1, join: [1, 3] },
      ];
      expect(problemAt(with_({ churn, registration: 'preloaded' }), 'registration')).to.equal(
        'preloaded signer sets are made before the run: late joiners (3) would miss them',
      );
      // A node leaving and coming back keeps its store: allowed.
      const rejoin = [
        { atEpoch: 0.5, leave: [1] },
        { atEpoch: 1, join: [1] },
      ];
      expect(parse(with_({ churn: rejoin, registration: 'preloaded' })).registration).to.equal('preloaded');
    });

    it('rejects a node that leaves twice without joining', () => {
      const churn = [
        { atEpoch: 0, leave: [1] },
        { atEpoch: 1, leave: [2, 1] },
      ];
      expect(problemAt(with_({ churn }), 'churn[1].leave[1]')).to.equal(
        'node 1 already left at churn[0] and has not joined since',
      );
    });

    it('rejects a node that joins twice without leaving', () => {
      const churn = [
        { atEpoch: 0, join: [3] },
        { atEpoch: 1, join: [3] },
      ];
      expect(problemAt(with_({ churn }), 'churn[1].join[0]')).to.equal(
        'node 3 already joined at churn[0] and has not left since',
      );
    });

    it('rejects indexes beyond the nodes, events out of order, empty events and leave+join of one node', () => {
      const problems = problemsOf(
        with_({
          churn: [{ atEpoch: 1, leave: [4] }, { atEpoch: 2, leave: [0], join: [0] }, { atEpoch: 2 }],
        }),
      );
      expect(problems).to.deep.equal([
        { path: 'churn[0].leave[0]', message: 'must be a node index from 0 to 3 (nodes: 4), got 4' },
        { path: 'churn[1].join[0]', message: 'node 0 also leaves in this event: split it into two events' },
        { path: 'churn[2]', message: 'must leave or join at least one node' },
      ]);
      expect(
        problemAt(
          with_({
            churn: [
              { atEpoch: 2, leave: [0] },
              { atEpoch: 1, join: [0] },
            ],
          }),
          'churn[1].atEpoch',
        ),
      ).to.equal('must not be before churn[0].atEpoch (2): list events in time order');
      expect(
        problemAt(with_({ epochs: 2, churn: [{ atEpoch: 2, leave: [0] }] }), 'churn[0].atEpoch'),
      ).to.match(/below epochs \(2\)/);
    });

    it('needs one node running from the start', () => {
      expect(problemAt(with_({ nodes: 2, churn: [{ atEpoch: 1, join: [0, 1] }] }), 'churn')).to.equal(
        'every node joins late: at least one must run from the start',
      );
    });
  });

  describe('adversaries', () => {
    it('rounds fractions of the nodes to whole nodes', () => {
      const s = parse(
        with_({ nodes: 10, adversaries: { invalidSignatures: 0.15, garbage: 0.3, silent: 0.1 } }),
      );
      expect(s.adversaries).to.deep.equal({ invalidSignatures: 2, equivocation: 0, garbage: 3, silent: 1 });
    });

    it('accepts fractions adding up to exactly 1 despite float rounding', () => {
      const s = parse(
        with_({ nodes: 10, adversaries: { invalidSignatures: 0.1, equivocation: 0.2, garbage: 0.7 } }),
      );
      expect(s.adversaries).to.deep.equal({ invalidSignatures: 1, equivocation: 2, garbage: 7, silent: 0 });
    });

    it('rejects fractions adding up to more than 1', () => {
      expect(problemAt(with_({ adversaries: { silent: 0.6, garbage: 0.5 } }), 'adversaries')).to.equal(
        'fractions must add up to at most 1, got 1.1',
      );
    });

    it('rejects a fraction that amounts to no node, and counts that round beyond the nodes', () => {
      expect(problemAt(with_({ adversaries: { silent: 0.1 } }), 'adversaries.silent')).to.equal(
        'is 0.1 of 4 nodes, less than half a node: no node would be adversarial',
      );
      expect(
        problemAt(with_({ nodes: 3, adversaries: { silent: 0.5, garbage: 0.5 } }), 'adversaries'),
      ).to.equal('fractions round to 4 adversarial nodes, more than nodes (3)');
    });
  });
});
