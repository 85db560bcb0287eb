import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { genesisVerificationKeyToLegacyHex } from '../../protocol/cardano/genesis-key.ts';
import { certificateToMessage, stringifyCertificateMessage } from '../../protocol/certificate/index.ts';
import { bytesToHex } from '../../protocol/encoding/bytes.ts';
import { loadBlsBackend } from '../../protocol/crypto/bls/index.ts';
import { main } from '../../scripts/cli.ts';
import type { SampleChain } from '../fixtures/sample-chain.ts';
import { buildSampleChain } from '../fixtures/sample-chain.ts';

interface Run {
  status: number;
  out: string;
  err: string;
}

async function cli(args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const status = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { status, out: out.join('\n'), err: err.join('\n') };
}

/** Every string and number leaf of a JSON value, as a path of keys and a mutated copy maker. */
function leafPaths(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (value !== null && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) =>
      leafPaths(v, [...path, Array.isArray(value) ? Number(k) : k]),
    );
  }
  return [path];
}

/** Changes one character of a string leaf (one hex digit of hex strings) or adds 1 to a number. */
function mutate(root: unknown, path: (string | number)[]): void {
  let parent = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const key = path.at(-1)!;
  const value = parent[key];
  if (typeof value === 'number') parent[key] = value + 1;
  else if (typeof value === 'string') {
    const at = Math.floor(value.length / 2);
    const c = value[at] ?? '';
    const replacement = /[0-9a-f]/.test(c)
      ? ((parseInt(c, 16) + 1) % 16).toString(16)
      : c === 'x'
        ? 'y'
        : 'x';
    parent[key] = value.slice(0, at) + replacement + value.slice(at + 1);
  }
}

describe('mithril-mesh verify-chain', function () {
  this.timeout(120_000);
  let dir: string;
  let chain: SampleChain;
  let messages: unknown[];
  let genesisKeyFile: string;

  const writeCertificates = (value: unknown): string => {
    const file = join(dir, `certs-${Math.random().toString(16).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(value));
    return file;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verify-chain-'));
    chain = buildSampleChain({ backend: await loadBlsBackend('mcl') });
    // Through the reference's JSON message text (stakes may exceed 2^53 there: JSON.parse is
    // fine here because the sample stakes are small).
    messages = chain.certificates.map((c) =>
      JSON.parse(stringifyCertificateMessage(certificateToMessage(c))),
    );
    genesisKeyFile = join(dir, 'genesis.vkey');
    writeFileSync(genesisKeyFile, genesisVerificationKeyToLegacyHex(chain.genesisVerificationKey));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('verifies a chain made by our code: genesis, 3 epochs, 2 entity types, 6 unequal signers', async () => {
    expect(chain.certificates).to.have.length(7);
    const run = await cli([
      'verify-chain',
      '--certificates',
      writeCertificates(messages),
      '--genesis-vkey',
      genesisKeyFile,
    ]);
    expect(run.status, run.out + run.err).to.equal(0);
    const lines = run.out.split('\n');
    expect(lines).to.have.length(8);
    expect(lines.slice(0, 7).every((l) => l.startsWith('ok'))).to.equal(true);
    expect(run.out).to.match(/MithrilStakeDistribution\(7\)/);
    expect(run.out).to.match(/CardanoStakeDistribution\(6\)/);
    expect(lines[7]).to.match(/^chain valid: 7 certificates/);
    const signers = chain.certificates[0]!.metadata.signers.length;
    expect(signers).to.be.greaterThan(1);
  });

  it('accepts an object keyed by hash, a raw hex key, --from and --json', async () => {
    const keyed = Object.fromEntries(messages.map((m) => [(m as { hash: string }).hash, m]));
    const csd = chain.certificates.find((c) => c.signature.type === 'multi' && c.epoch === 6)!;
    const run = await cli([
      'verify-chain',
      '--certificates',
      writeCertificates(keyed),
      '--genesis-vkey',
      bytesToHex(chain.genesisVerificationKey),
      '--from',
      csd.hash,
      '--json',
    ]);
    expect(run.status, run.err).to.equal(0);
    const report = JSON.parse(run.out);
    expect(report.valid).to.equal(true);
    expect(report.start).to.equal(csd.hash);
    // From a CardanoStakeDistribution(5) certificate of epoch 6: CSD, MSD(6), MSD(5), genesis.
    expect(report.certificates.map((c: { epoch: number }) => c.epoch)).to.deep.equal([6, 6, 5, 4]);
  });

  it('fails and names the check when any field of any certificate changes', async () => {
    let cases = 0;
    for (let i = 0; i < messages.length; i++) {
      for (const path of leafPaths(messages[i])) {
        const copy = structuredClone(messages);
        mutate(copy[i], path);
        if (JSON.stringify(copy[i]) === JSON.stringify(messages[i])) continue;
        const run = await cli([
          'verify-chain',
          '--certificates',
          writeCertificates(copy),
          '--genesis-vkey',
          genesisKeyFile,
        ]);
        const where = `certificate ${i}, field ${path.join('.')}`;
        expect(run.status, where).to.equal(1);
        expect(run.out, where).to.match(/FAIL .* check [A-Z_]+: /);
        expect(run.out, where).to.match(
          /chain INVALID: \d+ of \d+ certificates failed; first: \S+ failed check [A-Z_]+/,
        );
        cases++;
      }
    }
    expect(cases).to.be.greaterThan(100);
  });

  it('fails with the genesis key of another network', async () => {
    const run = await cli([
      'verify-chain',
      '--certificates',
      writeCertificates(messages),
      '--genesis-vkey',
      '11'.repeat(32),
    ]);
    expect(run.status).to.equal(1);
    expect(run.out).to.match(/check GENESIS_SIGNATURE_INVALID/);
  });

  it('exits 2 on unreadable or malformed input', async () => {
    const missing = await cli([
      'verify-chain',
      '--certificates',
      join(dir, 'none.json'),
      '--genesis-vkey',
      genesisKeyFile,
    ]);
    expect(missing.status).to.equal(2);
    expect(missing.err).to.match(/cannot read/);
    const garbage = join(dir, 'garbage.json');
    writeFileSync(garbage, '{"a":');
    expect(
      (await cli(['verify-chain', '--certificates', garbage, '--genesis-vkey', genesisKeyFile])).status,
    ).to.equal(2);
    const badKey = await cli(['verify-chain', '--certificates', garbage, '--genesis-vkey', 'zz']);
    expect(badKey.status).to.equal(2);
    expect((await cli(['verify-chain'])).status).to.equal(2);
    expect((await cli(['verify-chain', '--bogus'])).status).to.equal(2);
  });
});
