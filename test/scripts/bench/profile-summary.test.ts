import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const SCRIPT = fileURLToPath(new URL('../../../scripts/bench/profile-summary.ts', import.meta.url));

/** root → verify (project) → pairing (a dependency); root → (idle). Samples 10 ms apart. */
const PROFILE = {
  nodes: [
    { id: 1, callFrame: { functionName: '(root)', url: '' }, children: [2, 3] },
    {
      id: 2,
      callFrame: { functionName: 'verify', url: 'file:///r/protocol/stm/verify.ts' },
      children: [4],
    },
    { id: 3, callFrame: { functionName: '(idle)', url: '' } },
    {
      id: 4,
      callFrame: { functionName: 'pairing', url: 'file:///r/node_modules/mcl-wasm/mcl.js' },
    },
  ],
  startTime: 0,
  samples: [4, 4, 2, 3, 4],
  timeDeltas: [0, 10_000, 10_000, 10_000, 10_000],
};

interface Row {
  name: string;
  ms: number;
}

describe('profile:summary', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'profile-summary-'));
    writeFileSync(join(dir, 'CPU.20261124.120000.42.0.001.cpuprofile'), JSON.stringify(PROFILE));
    // Another thread of the same process (tsx's module loader): left out.
    writeFileSync(join(dir, 'CPU.20261124.120000.42.1.002.cpuprofile'), JSON.stringify(PROFILE));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const summarize = async (...args: string[]): Promise<Record<string, unknown>> => {
    const out = join(dir, 'summary.json');
    await promisify(execFile)(process.execPath, ['--import', 'tsx', SCRIPT, dir, '--json', out, ...args]);
    return JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
  };

  it('splits busy time by component, self time and inclusive project time; idle apart', async () => {
    const summary = await summarize();
    expect(summary.busySeconds).to.equal(0.03);
    expect(summary.idleSeconds).to.equal(0.01);
    const rows = (key: string): [string, number][] => (summary[key] as Row[]).map((r) => [r.name, r.ms]);
    expect(rows('components')).to.deep.equal([
      ['mcl-wasm', 20],
      ['protocol/stm', 10],
    ]);
    expect(rows('selfTime')).to.deep.equal([
      ['pairing node_modules/mcl-wasm/mcl.js', 20],
      ['verify protocol/stm/verify.ts', 10],
    ]);
    expect(rows('ownInclusiveTime')).to.deep.equal([['verify protocol/stm/verify.ts', 30]]);
  });

  it('keeps only the samples of the --from/--to span', async () => {
    const summary = await summarize('--from', '0.015', '--to', '0.035');
    expect(summary.busySeconds).to.equal(0.01);
    expect(summary.idleSeconds).to.equal(0.01);
    expect((summary.components as Row[]).map((r) => r.name)).to.deep.equal(['protocol/stm']);
  });
});
