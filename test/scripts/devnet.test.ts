import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../scripts/bin/mithril-mesh.js', import.meta.url));

describe('mithril-mesh devnet (node processes)', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'devnet-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('starts 3 node processes from one bootstrap address and stops them all cleanly on Ctrl-C', async () => {
    const child = spawn(process.execPath, [CLI, 'devnet', '--nodes', '3', '--data-dir', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        createInterface({ input: child.stdout }).on('line', (line) => {
          lines.push(line);
          if (line.includes('(3/3 up)')) resolve();
        });
        void exited.then(() => reject(new Error(`devnet exited early:\n${lines.join('\n')}`)));
      });
      child.kill('SIGINT');
      expect(await exited).to.equal(0);
    } finally {
      child.kill('SIGKILL');
    }
    const output = lines.join('\n');
    expect(output).to.match(/bootstrap address: \/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/12D3Koo/);
    expect(output).to.match(/SIGINT received: stopping 3 nodes/);
    expect(output).to.match(/all nodes stopped; data in/);
    // Every node's keys and its devnet manifest are in the data dir, ready for a resume.
    const manifest = JSON.parse(readFileSync(join(dir, 'devnet.json'), 'utf8')) as { poolIds: string[] };
    expect(manifest.poolIds).to.have.length(3);
  });
});
