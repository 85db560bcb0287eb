import { expect } from 'chai';
import {
  chmodSync,
  copyFileSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import {
  IdentityError,
  SignerIdentity,
  createSimulatedIdentity,
  simulatedPartyId,
  loadIdentity,
} from '../../../node/identity/index.ts';
import {
  KesError,
  kesKeyGen,
  kesSecretKeyToBytes,
  readOperationalCertificate,
  verifyRegistration,
  writeOperationalCertificate,
} from '../../../protocol/cardano/index.ts';
import { generateSecretKey } from '../../../protocol/crypto/bls/keys.ts';
import { nobleBackend } from '../../../protocol/crypto/bls/noble.ts';
import { chaCha20Random } from '../../../protocol/crypto/random.ts';
import { bytesToHex } from '../../../protocol/encoding/bytes.ts';
import type { VerificationKeyPoP } from '../../../protocol/stm/types.ts';
import { KEY_FILES } from '../../../node/identity/key-files.ts';
import { generateOperatorKeys } from '../../../scripts/commands/keygen.ts';
import { expectCode } from '../../protocol/cardano/fixtures.ts';

const seed = (n: number): Uint8Array => new Uint8Array(32).fill(n);

async function loadError(dir: string): Promise<IdentityError> {
  try {
    await loadIdentity(dir);
  } catch (e) {
    if (e instanceof IdentityError) return e;
    throw e;
  }
  throw new Error(`expected ${dir} to be refused`);
}

function freshVkPop(n: number): VerificationKeyPoP {
  const sk = generateSecretKey(chaCha20Random(seed(n)));
  return { vk: nobleBackend.verificationKey(sk), pop: nobleBackend.proofOfPossession(sk) };
}

describe('node/identity: loading keygen output', () => {
  let root: string;
  let dir: string;
  let poolId: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'identity-'));
    dir = join(root, 'pool');
    poolId = generateOperatorKeys(dir, { startKesPeriod: 7n, issueNumber: 2n }).poolId;
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('loads the pool without its cold signing key', async () => {
    unlinkSync(join(dir, KEY_FILES.coldSigningKey));
    const identity = await loadIdentity(dir);
    expect(identity.partyId).to.equal(poolId);
    expect(identity.opCert.startKesPeriod).to.equal(7n);
    expect(identity.opCert.issueNumber).to.equal(2n);
    expect(bytesToHex(identity.coldVerificationKey)).to.equal(bytesToHex(identity.opCert.coldVk));
    expect(identity.poolIdHash).to.have.length(28);
  });

  it('refuses a KES key file open to group or others, naming it', async () => {
    const kesPath = join(dir, KEY_FILES.kesSigningKey);
    for (const mode of [0o640, 0o604, 0o660]) {
      chmodSync(kesPath, mode);
      const error = await loadError(dir);
      expect(error.code).to.equal('KEY_FILE_INSECURE');
      expect(error.file).to.equal(kesPath);
      expect(error.message).to.contain(`chmod 600 ${kesPath}`);
      expect(error.message).to.contain(`mode 0${mode.toString(8)}`);
    }
    chmodSync(kesPath, 0o400);
    // Public files may be world-readable.
    chmodSync(join(dir, KEY_FILES.coldVerificationKey), 0o644);
    chmodSync(join(dir, KEY_FILES.operationalCertificate), 0o644);
    expect((await loadIdentity(dir)).partyId).to.equal(poolId);
  });

  it('names a missing or malformed file', async () => {
    const opCertPath = join(dir, KEY_FILES.operationalCertificate);
    const kesPath = join(dir, KEY_FILES.kesSigningKey);
    writeFileSync(kesPath, readFileSync(join(dir, KEY_FILES.kesVerificationKey)));
    let error = await loadError(dir);
    expect([error.code, error.file]).to.deep.equal(['KEY_FILE_INVALID', kesPath]);
    expect(error.message).to.contain('KesSigningKey');
    unlinkSync(opCertPath);
    error = await loadError(dir);
    expect([error.code, error.file]).to.deep.equal(['KEY_FILE_MISSING', opCertPath]);
  });

  it('refuses an opcert of another cold key or another KES key, or with a bad signature', async () => {
    const other = join(root, 'other');
    generateOperatorKeys(other);
    const opCertPath = join(dir, KEY_FILES.operationalCertificate);
    const original = readFileSync(opCertPath, 'utf8');

    copyFileSync(join(other, KEY_FILES.operationalCertificate), opCertPath);
    let error = await loadError(dir);
    expect([error.code, error.file]).to.deep.equal(['OPCERT_COLD_KEY_MISMATCH', opCertPath]);

    writeFileSync(opCertPath, original);
    copyFileSync(join(other, KEY_FILES.kesSigningKey), join(dir, KEY_FILES.kesSigningKey));
    error = await loadError(dir);
    expect(error.code).to.equal('OPCERT_KES_KEY_MISMATCH');

    generateOperatorKeys(dir, { force: true, startKesPeriod: 7n });
    const opCert = readOperationalCertificate(readFileSync(opCertPath, 'utf8'));
    writeFileSync(opCertPath, writeOperationalCertificate({ ...opCert, startKesPeriod: 8n }));
    error = await loadError(dir);
    expect(error.code).to.equal('OPCERT_INVALID');
  });

  it('signs registrations that verify at the evolutions of the current KES period', async () => {
    const identity = await loadIdentity(dir);
    const vkPop = freshVkPop(1);
    expect(identity.kesEvolutionsAt(5n)).to.equal(0n);
    expect(identity.kesEvolutionsAt(10n)).to.equal(3n);
    const signed = identity.signRegistration(vkPop, 10n);
    expect(signed.kesEvolutions).to.equal(3n);
    const verified = verifyRegistration({
      vkPop,
      kesSignature: signed.kesSignature,
      opCert: identity.opCert,
      bls: nobleBackend,
      currentKesPeriod: 10n,
    });
    expect(verified).to.deep.include({ partyId: poolId, kesEvolutions: 3n, verifiedEvolution: 3 });
    expectCode(() => identity.signRegistration(vkPop, 6n), KesError, 'KES_PERIOD_MISMATCH');
  });
});

describe('node/identity: simulated identities', () => {
  it('are deterministic from the seed, and equal to keygen with the same ChaCha20 stream', async () => {
    const a = createSimulatedIdentity(seed(3), { startKesPeriod: 4n });
    const b = createSimulatedIdentity(seed(3), { startKesPeriod: 4n });
    const c = createSimulatedIdentity(seed(4), { startKesPeriod: 4n });
    expect(a.partyId).to.equal(b.partyId);
    expect(writeOperationalCertificate(a.opCert)).to.equal(writeOperationalCertificate(b.opCert));
    expect(c.partyId).to.not.equal(a.partyId);
    // The id alone, without generating the keys.
    expect(simulatedPartyId(seed(3))).to.equal(a.partyId);
    expect(simulatedPartyId(seed(4))).to.equal(c.partyId);

    const root = mkdtempSync(join(tmpdir(), 'identity-'));
    try {
      const keys = generateOperatorKeys(join(root, 'k'), {
        random: chaCha20Random(seed(3)),
        startKesPeriod: 4n,
      });
      const loaded = await loadIdentity(join(root, 'k'));
      expect(keys.poolId).to.equal(a.partyId);
      expect(writeOperationalCertificate(loaded.opCert)).to.equal(writeOperationalCertificate(a.opCert));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('sign registrations that verify, with the ±1 tolerance around the evolution', () => {
    const identity = createSimulatedIdentity(seed(5), { startKesPeriod: 100n });
    const vkPop = freshVkPop(2);
    const signed = identity.signRegistration(vkPop, 102n);
    const verify = (currentKesPeriod: bigint) =>
      verifyRegistration({
        vkPop,
        kesSignature: signed.kesSignature,
        opCert: identity.opCert,
        bls: nobleBackend,
        currentKesPeriod,
      });
    expect(verify(102n)).to.deep.include({ partyId: identity.partyId, verifiedEvolution: 2 });
    expect(verify(103n).verifiedEvolution).to.equal(2);
    expect(() => verify(104n)).to.throw('KES signature does not verify');
  });

  it('need a 32-byte seed', () => {
    expectCode(() => createSimulatedIdentity(new Uint8Array(31)), IdentityError, 'INVALID_SEED');
  });

  it('never show key bytes in JSON or util.inspect', () => {
    const identity = createSimulatedIdentity(seed(6));
    // Recompute the secrets as createSimulatedIdentity draws them: cold seed, then KES seed.
    const random = chaCha20Random(seed(6));
    const coldSecret = random(32);
    const kesSecret = kesSecretKeyToBytes(kesKeyGen(random(32)).secretKey);
    const leaks = (text: string): boolean =>
      [coldSecret, kesSecret.subarray(0, 32), kesSecret.subarray(32, 64)].some(
        (bytes) => text.includes(bytesToHex(bytes)) || text.includes(Array.from(bytes).join(',')),
      );
    const outputs = [
      JSON.stringify(identity),
      JSON.stringify({ identities: [identity] }),
      inspect(identity, { showHidden: true, depth: Infinity }),
      inspect({ identity }, { showHidden: true, depth: Infinity }),
      `${String(identity)}`,
    ];
    for (const text of outputs) expect(leaks(text), text).to.equal(false);
    expect(JSON.parse(JSON.stringify(identity))).to.deep.equal({
      partyId: identity.partyId,
      opCertIssueNumber: '0',
      opCertStartKesPeriod: '0',
    });
    expect(inspect(identity)).to.contain(identity.partyId);
    expect(Object.keys(identity)).to.deep.equal(['partyId', 'poolIdHash', 'coldVerificationKey', 'opCert']);
  });

  it('cannot sign once wiped', () => {
    const identity = createSimulatedIdentity(seed(7));
    identity.wipe();
    expectCode(() => identity.signRegistration(freshVkPop(3), 0n), IdentityError, 'IDENTITY_WIPED');
  });

  it('are checked like loaded ones when built from keys', () => {
    const a = createSimulatedIdentity(seed(8));
    const kes = kesKeyGen(seed(9));
    expectCode(
      () =>
        SignerIdentity.fromKeys({
          coldVerificationKey: a.coldVerificationKey,
          opCert: a.opCert,
          kesKey: kes.secretKey,
        }),
      IdentityError,
      'OPCERT_KES_KEY_MISMATCH',
    );
  });
});
