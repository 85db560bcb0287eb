import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  kesPublicKey,
  poolIdFromColdVerificationKey,
  readColdSigningKey,
  readColdVerificationKey,
  readKesSigningKey,
  readKesVerificationKey,
  readOperationalCertificate,
  verifyOpCert,
  ed25519PublicKey,
} from '../../protocol/cardano/index.ts';
import { main } from '../../scripts/cli.ts';
import { KEY_FILES } from '../../node/identity/key-files.ts';

async function cli(args: string[]): Promise<{ status: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const status = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { status, out: out.join('\n'), err: err.join('\n') };
}

describe('mithril-mesh keygen', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'keygen-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a consistent cold key, KES key and opcert, 0600, and prints the pool id', async () => {
    const out = join(dir, 'pool');
    const run = await cli(['keygen', '--out', out, '--issue-number', '3', '--start-kes-period', '7']);
    expect(run.status, run.err).to.equal(0);
    const read = (name: string): string => readFileSync(join(out, name), 'utf8');
    const coldSk = readColdSigningKey(read(KEY_FILES.coldSigningKey));
    const coldVk = readColdVerificationKey(read(KEY_FILES.coldVerificationKey));
    const kesSk = readKesSigningKey(read(KEY_FILES.kesSigningKey));
    const kesVk = readKesVerificationKey(read(KEY_FILES.kesVerificationKey));
    const opCert = readOperationalCertificate(read(KEY_FILES.operationalCertificate));
    expect(ed25519PublicKey(coldSk)).to.deep.equal(coldVk);
    expect(kesPublicKey(kesSk)).to.deep.equal(kesVk);
    expect(opCert.coldVk).to.deep.equal(coldVk);
    expect(opCert.kesVk).to.deep.equal(kesVk);
    expect(opCert.issueNumber).to.equal(3n);
    expect(opCert.startKesPeriod).to.equal(7n);
    expect(verifyOpCert(opCert)).to.equal(true);
    const poolId = poolIdFromColdVerificationKey(coldVk);
    expect(run.out).to.contain(`pool id: ${poolId}`);
    for (const name of Object.values(KEY_FILES)) {
      expect(statSync(join(out, name)).mode & 0o777, name).to.equal(0o600);
    }
    expect(statSync(out).mode & 0o777).to.equal(0o700);
    // The secret never reaches the output.
    expect(run.out).not.to.contain(Buffer.from(coldSk).toString('hex'));
  });

  it('never overwrites existing keys unless --force', async () => {
    const out = join(dir, 'pool');
    expect((await cli(['keygen', '--out', out])).status).to.equal(0);
    const before = readFileSync(join(out, KEY_FILES.coldSigningKey), 'utf8');
    const again = await cli(['keygen', '--out', out]);
    expect(again.status).to.equal(2);
    expect(again.err).to.match(/already exists; pass --force/);
    expect(readFileSync(join(out, KEY_FILES.coldSigningKey), 'utf8')).to.equal(before);
    expect((await cli(['keygen', '--out', out, '--force'])).status).to.equal(0);
    expect(readFileSync(join(out, KEY_FILES.coldSigningKey), 'utf8')).not.to.equal(before);
  });

  it('rejects bad usage with status 2', async () => {
    expect((await cli(['keygen'])).status).to.equal(2);
    expect((await cli(['keygen', '--out', dir, '--issue-number', '-1'])).status).to.equal(2);
    expect((await cli(['keygen', '--out', dir, '--nope'])).status).to.equal(2);
  });
});
