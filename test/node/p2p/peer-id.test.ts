import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { expect } from 'chai';
import { PEER_KEY_FILE, PeerKeyError, loadOrCreatePeerKey } from '../../../node/p2p/peer-id.ts';

describe('p2p/peer-id', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mesh-peer-id-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
    try {
      await promise;
    } catch (err) {
      expect(err).to.be.instanceOf(PeerKeyError);
      expect((err as PeerKeyError).code).to.equal(code);
      return;
    }
    expect.fail(`expected ${code}`);
  }

  it('creates an Ed25519 key with mode 0600 and loads the same PeerId after a restart', async () => {
    const dataDir = join(dir, 'data');
    const first = await loadOrCreatePeerKey(dataDir);
    expect(first.type).to.equal('Ed25519');
    expect((await stat(join(dataDir, PEER_KEY_FILE))).mode & 0o777).to.equal(0o600);
    expect((await stat(dataDir)).mode & 0o777).to.equal(0o700);
    const second = await loadOrCreatePeerKey(dataDir);
    expect(peerIdFromPrivateKey(second).equals(peerIdFromPrivateKey(first))).to.equal(true);
  });

  it('refuses a key file readable by group or others', async () => {
    await loadOrCreatePeerKey(dir);
    await chmod(join(dir, PEER_KEY_FILE), 0o644);
    await expectCode(loadOrCreatePeerKey(dir), 'INSECURE_PERMISSIONS');
  });

  it('refuses a corrupt key file and leaves it as it is', async () => {
    const path = join(dir, PEER_KEY_FILE);
    await writeFile(path, new Uint8Array([1, 2, 3]), { mode: 0o600 });
    await expectCode(loadOrCreatePeerKey(dir), 'CORRUPT');
    expect((await stat(path)).size).to.equal(3);
  });

  it('refuses a key that is not Ed25519', async () => {
    const secp = await generateKeyPair('secp256k1');
    await writeFile(join(dir, PEER_KEY_FILE), privateKeyToProtobuf(secp), { mode: 0o600 });
    await expectCode(loadOrCreatePeerKey(dir), 'WRONG_KEY_TYPE');
  });

  it('refuses an oversized key file', async () => {
    await writeFile(join(dir, PEER_KEY_FILE), new Uint8Array(4096), { mode: 0o600 });
    await expectCode(loadOrCreatePeerKey(dir), 'CORRUPT');
  });
});
