import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ComparisonRow, RunMeasurements } from '../../../scripts/simnet/report/index.ts';
import {
  comparisonTable,
  csvField,
  csvTable,
  formatComparison,
  percentile,
  PLOT_FILES,
  PLOT_GUIDE,
  ReportError,
  summarize,
  writeRunReport,
} from '../../../scripts/simnet/report/index.ts';
import { fullSetHeldAtNodeMs } from '../../../scripts/simnet/report/summary.ts';
import { escapeXml, niceTicks } from '../../../scripts/simnet/report/svg.ts';

const MACHINE = { node: 'v20.20.0', cpu: 'test', cores: 2, memoryGiB: 4 };

/** 4 nodes; round 1: node 3 never certifies nor holds signature 2; round 2: all certify. */
function run(variant: 'p2p' | 'star' = 'p2p', name = 'small <&> "mesh"'): RunMeasurements {
  return {
    scenario: { name, nodes: 4, signers: 3, seed: 7, stakes: { distribution: 'uniform', stake: 10n ** 20n } },
    variant,
    rounds: [
      {
        epoch: 1,
        entityType: 'MithrilStakeDistribution',
        openedAtMs: 1000,
        quorumAtFirstNodeMs: 80,
        certificateAtNodeMs: [100, 200, 300, null],
        signatureHeldAtNodeMs: [
          [0, 10, 20, 30],
          [5, 15, 25, 35],
          [40, 50, 60, -1],
        ],
      },
      {
        epoch: 2,
        entityType: 'CardanoStakeDistribution',
        openedAtMs: 21000,
        quorumAtFirstNodeMs: 40,
        certificateAtNodeMs: [50, 60, 70, 80],
        signatureHeldAtNodeMs: [
          [0, 1, 2, 3],
          [4, 5, 6, 7],
        ],
      },
    ],
    nodes: [0, 1, 2, 3].map((index) => ({
      index,
      deliveries: index === 3 ? 0 : 10,
      signatureDeliveries: index === 3 ? 0 : 10,
      bytesReceived: 1000 * (index + 1),
      bytesSent: variant === 'p2p' ? 2000 : 1000,
      duplicates: index === 3 ? 0 : index * 5,
      cpuSeconds: 1.5,
      rssBytes: 64 * 2 ** 20,
    })),
    validation: [
      { reason: 'valid', action: 'accept', count: 30 },
      {
        reason: 'bad signature, "forged"\non purpose',
        action: 'reject',
        count: variant === 'p2p' ? 3 : 0,
        byPeer: { zeta: 1, alpha: 2 },
      },
    ],
    signaturesGossiped: 5,
  };
}

/** Records of an RFC 4180 document (CRLF line ends, quoted fields may hold `,` `"` CR LF). */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"' && field === '') {
      // A quoted field: up to the first quote that is not a doubled one.
      let j = i + 1;
      while (j < text.length && !(text[j] === '"' && text[j + 1] !== '"')) j += text[j] === '"' ? 2 : 1;
      if (j >= text.length) throw new Error('unterminated quote');
      field = text.slice(i + 1, j).replaceAll('""', '"');
      i = j + 1;
    } else if (text[i] === ',') {
      record.push(field);
      field = '';
      i++;
    } else if (text.startsWith('\r\n', i)) {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += 2;
    } else {
      if (text[i] === '"' || text[i] === '\n' || text[i] === '\r') throw new Error(`bare ${text[i]} at ${i}`);
      field += text[i];
      i++;
    }
  }
  expect(field, 'document ends with CRLF').to.equal('');
  expect(record).to.deep.equal([]);
  return records;
}

/** Checks that `svg` is well-formed XML with an <svg> root; returns the element names in document order. */
function wellFormedElements(svg: string): string[] {
  const declaration = '<?xml version="1.0" encoding="UTF-8"?>\n';
  expect(svg.startsWith(declaration)).to.equal(true);
  const tag =
    /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"<&]*(?:&(?:amp|lt|gt|quot|apos);[^"<&]*)*")*)\s*(\/?)>/y;
  const textRun = /(?:[^<&]|&(?:amp|lt|gt|quot|apos);)*/y;
  const stack: string[] = [];
  const names: string[] = [];
  let roots = 0;
  let pos = declaration.length;
  while (pos < svg.length) {
    textRun.lastIndex = pos;
    const run = textRun.exec(svg)![0];
    if (stack.length === 0) expect(run.trim(), 'text outside the root').to.equal('');
    pos += run.length;
    if (pos >= svg.length) break;
    tag.lastIndex = pos;
    const m = tag.exec(svg);
    if (m === null) throw new Error(`malformed markup at ${pos}: ${svg.slice(pos, pos + 40)}`);
    const [whole, closing, name, , selfClosing] = m;
    if (closing === '/') {
      expect(stack.pop(), `closing </${name}>`).to.equal(name);
    } else {
      if (stack.length === 0) roots++;
      names.push(name!);
      if (selfClosing !== '/') stack.push(name!);
    }
    pos += whole.length;
  }
  expect(stack, 'unclosed elements').to.deep.equal([]);
  expect(roots).to.equal(1);
  expect(names[0]).to.equal('svg');
  return names;
}

/** A command that renders SVG to PNG here, found by rendering a trivial SVG; undefined when none does. */
function svgRenderer(dir: string): ((svg: string, png: string) => boolean) | undefined {
  const candidates = [
    (svg: string, png: string) => spawnSync('rsvg-convert', ['-o', png, svg]),
    (svg: string, png: string) => spawnSync('convert', [svg, png]),
  ];
  const probe = join(dir, 'probe.svg');
  writeFileSync(
    probe,
    '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>',
  );
  const isPng = (png: string): boolean => {
    try {
      return readFileSync(png)
        .subarray(0, 8)
        .equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    } catch {
      return false;
    }
  };
  for (const render of candidates) {
    const png = join(dir, 'probe.png');
    rmSync(png, { force: true });
    if (render(probe, png).status === 0 && isPng(png)) {
      return (svg, out) => render(svg, out).status === 0 && isPng(out);
    }
  }
  return undefined;
}

describe('simnet report', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'simnet-report-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('percentile (nearest rank)', () => {
    it('returns the value of rank ⌈p·n/100⌉', () => {
      const data = [15, 50, 35, 20, 40];
      expect(percentile(data, 30)).to.equal(20);
      expect(percentile(data, 40)).to.equal(20);
      expect(percentile(data, 50)).to.equal(35);
      expect(percentile(data, 100)).to.equal(50);
      const oneToTwenty = Array.from({ length: 20 }, (_, i) => 20 - i);
      expect(percentile(oneToTwenty, 50)).to.equal(10);
      expect(percentile(oneToTwenty, 95)).to.equal(19);
      expect(percentile(oneToTwenty, 5)).to.equal(1);
    });

    it('ranks nulls (never) last and returns null when the rank falls on one', () => {
      const times = [300, null, 100, 200];
      expect(percentile(times, 50)).to.equal(200);
      expect(percentile(times, 75)).to.equal(300);
      expect(percentile(times, 95)).to.equal(null);
      expect(percentile(times, 100)).to.equal(null);
      expect(percentile([null, null], 50)).to.equal(null);
      expect(percentile([], 50)).to.equal(null);
    });

    it('rejects p outside (0, 100]', () => {
      expect(() => percentile([1], 0)).to.throw(RangeError);
      expect(() => percentile([1], 101)).to.throw(RangeError);
    });
  });

  describe('summarize', () => {
    it('summarizes rounds, nodes and totals, with nodes that never certified explicit', () => {
      const s = summarize(run());
      const [r1, r2] = s.rounds;
      expect(r1).to.deep.include({
        signatures: 3,
        certifiedNodes: 3,
        fractionCertified: 0.75,
        lastCertifiedMs: 300,
      });
      expect(r1!.timeToCertificate).to.deep.equal({ p50Ms: 200, p95Ms: null, maxMs: null });
      expect(r1!.quorumAtFirstNodeMs).to.equal(80);
      expect(r2!.timeToCertificate).to.deep.equal({ p50Ms: 60, p95Ms: 80, maxMs: 80 });
      expect(r2!.fractionCertified).to.equal(1);

      expect(s.nodes[1]).to.deep.equal({
        index: 1,
        deliveriesPerSignature: 2,
        duplicatesPerDelivery: 0.5,
        certifiedRounds: 2,
      });
      expect(s.nodes[3]).to.deep.include({ duplicatesPerDelivery: null, certifiedRounds: 1 });

      // All 8 (round, node) times: 50 60 70 80 100 200 300 never.
      expect(s.totals.timeToCertificate).to.deep.equal({ p50Ms: 80, p95Ms: null, maxMs: null });
      expect(s.totals).to.deep.include({
        rounds: 2,
        nodes: 4,
        signatures: 5,
        deliveries: 30,
        duplicates: 15,
        bytesSent: 8000,
        fractionCertified: 7 / 8,
        duplicatesPerDelivery: 0.5,
        quorumAtFirstNodeP50Ms: 40,
        maxRssBytes: 64 * 2 ** 20,
      });
      expect(s.totals.deliveriesPerSignature).to.equal((2 + 2 + 2 + 0) / 4);
      // Round 1 never reached node 3: no time at every node; round 2 did at 80 ms.
      expect(s.totals.timeToCertificateAtAllNodes).to.deep.equal({ p50Ms: 80, p95Ms: null, maxMs: null });
      expect(s.totals.validation).to.deep.equal({ accept: 30, ignore: 0, reject: 3 });
    });

    it('waits for every awaited node only, for the time to certificate at all nodes', () => {
      const m = run();
      m.nodes[3]!.awaited = false;
      expect(summarize(m).totals.timeToCertificateAtAllNodes).to.deep.equal({
        p50Ms: 70,
        p95Ms: 300,
        maxMs: 300,
      });
    });

    it('finds when each node held the signature set, or the certificate standing for it', () => {
      const m = run();
      expect(fullSetHeldAtNodeMs(m.rounds[0]!, 4)).to.deep.equal([40, 50, 60, null]);
      // A signature first held after the first certificate (100 ms) is not in the set; node 2
      // stored the certificate (70 ms) before it held the set (80 ms).
      const round = {
        ...m.rounds[0]!,
        certificateAtNodeMs: [100, 200, 70, null],
        signatureHeldAtNodeMs: [
          [0, 10, 80, 30],
          [150, 160, 170, 180],
        ],
      };
      expect(fullSetHeldAtNodeMs(round, 4)).to.deep.equal([0, 10, 70, 30]);
      expect(fullSetHeldAtNodeMs({ ...m.rounds[0]!, signatureHeldAtNodeMs: [] }, 2)).to.deep.equal([0, 0]);
    });

    it('rejects measurements that contradict themselves, listing every problem', () => {
      const m = run();
      m.rounds[0]!.certificateAtNodeMs.pop();
      m.nodes[2]!.index = 7;
      m.nodes[0]!.duplicates = -1;
      try {
        summarize(m);
        expect.fail('summarize accepted invalid measurements');
      } catch (e) {
        expect(e).to.be.instanceOf(ReportError);
        const error = e as ReportError;
        expect(error.code).to.equal('INVALID_MEASUREMENTS');
        expect(error.problems).to.have.length(3);
        expect(error.message).to.match(
          /rounds\[0\]\.certificateAtNodeMs: must have one entry per node \(4\), got 3/,
        );
      }
    });
  });

  describe('CSV', () => {
    it('quotes fields with commas, quotes, CR or LF (RFC 4180)', () => {
      expect(csvField('plain')).to.equal('plain');
      expect(csvField('a,b')).to.equal('"a,b"');
      expect(csvField('say "hi"')).to.equal('"say ""hi"""');
      expect(csvField('two\nlines')).to.equal('"two\nlines"');
      expect(csvField('cr\r')).to.equal('"cr\r"');
      expect(csvField(null)).to.equal('');
      expect(csvField(0.25)).to.equal('0.25');
      expect(csvTable(['a', 'b'], [['x,y', null]])).to.equal('a,b\r\n"x,y",\r\n');
    });
  });

  describe('SVG text', () => {
    it('escapes markup and replaces characters XML cannot hold', () => {
      expect(escapeXml(`<a href="x">&'</a>`)).to.equal('&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;');
      expect(escapeXml('bell\u0007 tab\t \ud800 😀')).to.equal('bell\ufffd tab\t \ufffd 😀');
    });

    it('picks round tick values', () => {
      expect(niceTicks(0, 1)).to.deep.equal([0, 0.2, 0.4, 0.6, 0.8, 1]);
      expect(niceTicks(0, 300)).to.deep.equal([0, 50, 100, 150, 200, 250, 300]);
      expect(niceTicks(0, 12_000)).to.deep.equal([0, 2000, 4000, 6000, 8000, 10_000, 12_000]);
    });
  });

  describe('writeRunReport', () => {
    it('writes results.json, three CSVs and three plots', () => {
      const { files } = writeRunReport(dir, run(), { machine: MACHINE });
      expect(readdirSync(dir).sort()).to.deep.equal(
        [
          'results.json',
          'rounds.csv',
          'nodes.csv',
          'validation.csv',
          'time-to-certificate-cdf.svg',
          'dissemination.svg',
          'duplicates-per-node.svg',
        ].sort(),
      );
      expect(files).to.have.length(7);

      const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
      expect(results.machine).to.deep.equal(MACHINE);
      expect(results.percentileMethod).to.match(/^nearest-rank/);
      expect(results.measurements.scenario.stakes.stake).to.equal('100000000000000000000');
      expect(results.summary.totals.fractionCertified).to.equal(7 / 8);
      expect(results.summary.rounds[0].timeToCertificate.maxMs).to.equal(null);

      const rounds = parseCsv(readFileSync(join(dir, 'rounds.csv'), 'utf8'));
      expect(rounds).to.have.length(3);
      expect(rounds[0]).to.include.members([
        'epoch',
        'entityType',
        'fractionCertified',
        'timeToCertificateP95Ms',
      ]);
      const p95 = rounds[0]!.indexOf('timeToCertificateP95Ms');
      expect(rounds[1]![p95]).to.equal('');
      expect(rounds[2]![p95]).to.equal('80');

      const nodes = parseCsv(readFileSync(join(dir, 'nodes.csv'), 'utf8'));
      expect(nodes).to.have.length(5);
      expect(nodes.every((r) => r.length === nodes[0]!.length)).to.equal(true);
      expect(nodes[0]![0]).to.equal('index');

      const validation = parseCsv(readFileSync(join(dir, 'validation.csv'), 'utf8'));
      expect(validation).to.deep.equal([
        ['reason', 'action', 'count', 'byPeer'],
        ['valid', 'accept', '30', ''],
        ['bad signature, "forged"\non purpose', 'reject', '3', '{"alpha":2,"zeta":1}'],
      ]);
    });

    it('draws well-formed, self-explaining SVG plots with escaped text', () => {
      writeRunReport(dir, run(), { machine: MACHINE });
      for (const file of Object.values(PLOT_FILES)) {
        const svg = readFileSync(join(dir, file), 'utf8');
        const elements = wellFormedElements(svg);
        expect(elements, file).to.include.members(['title', 'desc', 'line', 'text']);
        expect(svg, file).to.include('class="x-axis"').and.include('class="y-axis"');
        expect(svg, file).to.include('small &lt;&amp;&gt; &quot;mesh&quot;');
        expect(svg, file).not.to.include('small <&>');
      }
      const cdf = readFileSync(join(dir, PLOT_FILES.timeToCertificateCdf), 'utf8');
      expect(cdf)
        .to.include('time since round opened (ms)')
        .and.include('fraction of (round, node) pairs certified');
      expect(cdf).to.include('certified 87.5 %');
      expect(cdf.match(/<path /g)).to.have.length(1);
      expect(cdf).not.to.include('class="legend"');

      const dissemination = readFileSync(join(dir, PLOT_FILES.dissemination), 'utf8');
      expect(dissemination.match(/<path /g)).to.have.length(2);
      expect(dissemination).to.include('class="legend"');
      expect(dissemination)
        .to.include('epoch 1 MithrilStakeDistribution')
        .and.include('epoch 2 CardanoStakeDistribution');

      const bars = readFileSync(join(dir, PLOT_FILES.duplicatesPerNode), 'utf8');
      expect(
        bars.match(/<rect [^>]*fill="#4e79a7"/g),
        'one bar per node that was delivered something',
      ).to.have.length(3);
      expect(bars).to.include('duplicates per message received').and.include('node number');
    });

    it('draws empty runs and long legends without breaking', () => {
      const empty: RunMeasurements = { ...run(), rounds: [], nodes: [], validation: [] };
      writeRunReport(dir, empty, { machine: MACHINE });
      for (const file of Object.values(PLOT_FILES)) wellFormedElements(readFileSync(join(dir, file), 'utf8'));
      expect(readFileSync(join(dir, PLOT_FILES.timeToCertificateCdf), 'utf8')).to.include(
        'no round was measured',
      );

      const many = run();
      const template = many.rounds[1]!;
      many.rounds = Array.from({ length: 40 }, (_, i) => ({ ...template, epoch: i }));
      writeRunReport(dir, many, { machine: MACHINE });
      const svg = readFileSync(join(dir, PLOT_FILES.dissemination), 'utf8');
      wellFormedElements(svg);
      expect(svg).to.match(/… and \d+ more/);
      expect(svg.match(/<path /g)).to.have.length(40);
    });

    it('renders to PNG when an SVG renderer is installed', function () {
      const render = svgRenderer(dir);
      if (render === undefined) this.skip();
      writeRunReport(dir, run(), { machine: MACHINE });
      for (const file of Object.values(PLOT_FILES)) {
        expect(render!(join(dir, file), join(dir, `${file}.png`)), file).to.equal(true);
      }
    });

    it('is deterministic: the same measurements give byte-identical files', () => {
      const a = join(dir, 'a');
      const b = join(dir, 'b');
      writeRunReport(a, run());
      writeRunReport(b, run());
      const names = readdirSync(a).sort();
      expect(readdirSync(b).sort()).to.deep.equal(names);
      for (const name of names) {
        expect(readFileSync(join(b, name)).equals(readFileSync(join(a, name))), name).to.equal(true);
      }
    });

    it('writes nothing for invalid measurements', () => {
      const m = run();
      m.rounds[1]!.signatureHeldAtNodeMs[0]!.push(9);
      expect(() => writeRunReport(join(dir, 'out'), m)).to.throw(ReportError);
      expect(readdirSync(dir)).to.deep.equal([]);
    });
  });

  describe('comparison', () => {
    const row = (rows: ComparisonRow[], start: string): ComparisonRow =>
      rows.find((r) => r.measure.startsWith(start))!;

    it('gives P2P and star values and their ratio', () => {
      const rows = comparisonTable(run('p2p'), run('star'));
      expect(row(rows, 'bytes sent per node')).to.deep.equal({
        measure: 'bytes sent per node, mean (B)',
        p2p: 2000,
        star: 1000,
        ratio: 2,
      });
      expect(row(rows, 'time to certificate p50')).to.deep.include({ p2p: 80, star: 80, ratio: 1 });
      expect(row(rows, 'time to certificate p95')).to.deep.include({ p2p: null, ratio: null });
      expect(row(rows, 'messages rejected')).to.deep.include({ p2p: 3, star: 0, ratio: null });
      expect(row(rows, 'peak RSS')).to.deep.include({ p2p: 64, star: 64, ratio: 1 });
    });

    it('prints a table with one line per measure', () => {
      const rows = comparisonTable(run('p2p'), run('star'));
      const lines = formatComparison(rows).split('\n');
      expect(lines).to.have.length(rows.length + 2);
      expect(lines[0]).to.match(/^measure\s+p2p\s+star\s+p2p\/star$/);
      expect(lines.find((l) => l.startsWith('bytes sent per node'))).to.match(/2000\s+1000\s+2\.00x$/);
      expect(lines.find((l) => l.startsWith('time to certificate p95'))).to.match(/-\s+-\s+-$/);
    });

    it('refuses runs of the wrong variant or of different scenarios', () => {
      expect(() => comparisonTable(run('star'), run('star')))
        .to.throw(ReportError)
        .with.property('code', 'VARIANT_MISMATCH');
      expect(() => comparisonTable(run('p2p', 'a'), run('star', 'b')))
        .to.throw(ReportError)
        .with.property('code', 'SCENARIO_MISMATCH');
    });
  });

  it('exports a guide to every plot, the one BENCHMARKS.md shows', () => {
    for (const file of Object.values(PLOT_FILES)) expect(PLOT_GUIDE).to.include(file);
    expect(readFileSync('BENCHMARKS.md', 'utf8')).to.include(PLOT_GUIDE);
  });
});
