/**
 * The node's libp2p identity: an Ed25519 key in `<dataDir>/peer-id.key`, protobuf-marshalled as
 * libp2p marshals keys, readable by its owner only. A restarted node keeps its PeerId, so peers
 * that remember it (their PeerStore, bootstrap lists) find it again.
 *
 * Errors are `PeerKeyError` with the stable codes:
 * - INSECURE_PERMISSIONS: the key file is readable or writable by group or others;
 * - CORRUPT: the file does not hold a marshalled private key;
 * - WRONG_KEY_TYPE: it holds a key that is not Ed25519;
 * - IO_ERROR: the data dir or the file cannot be created or read.
 * An existing file is never rewritten or replaced.
 */
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';
import { ProtocolError } from '../../protocol/errors.ts';

export class PeerKeyError extends ProtocolError {}

export const PEER_KEY_FILE = 'peer-id.key';

/** Owner read/write only (the design's 0600). */
const KEY_FILE_MODE = 0o600;
/** The data dir is the owner's only (docs/node-design.md, Persistence). */
const DATA_DIR_MODE = 0o700;
/** Permission bits of group and others: none may be set on a secret key file. */
const GROUP_OTHER_BITS = 0o077;
/** A marshalled Ed25519 key is 68 bytes (4 bytes of protobuf framing, 64 key bytes): refuse to read big files. */
const MAX_KEY_FILE_BYTES = 1024;

/** Loads the key in `<dataDir>/peer-id.key`, or creates it (and the data dir) when absent. */
export async function loadOrCreatePeerKey(dataDir: string): Promise<PrivateKey> {
  const path = join(dataDir, PEER_KEY_FILE);
  const existing = await readKeyFile(path);
  if (existing !== undefined) return decodeKey(existing, path);
  return createKeyFile(dataDir, path);
}

async function readKeyFile(path: string): Promise<Uint8Array | undefined> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw new PeerKeyError('IO_ERROR', `cannot open ${path}`, { cause: err });
  }
  try {
    // fstat on the open handle: the mode checked is the mode of the file read.
    const info = await handle.stat();
    if ((info.mode & GROUP_OTHER_BITS) !== 0)
      throw new PeerKeyError(
        'INSECURE_PERMISSIONS',
        `${path} has mode ${(info.mode & 0o777).toString(8)}: a private key must be 600 (chmod 600 ${path})`,
      );
    if (info.size > MAX_KEY_FILE_BYTES)
      throw new PeerKeyError('CORRUPT', `${path} has ${info.size} bytes: not a marshalled Ed25519 key`);
    return new Uint8Array(await handle.readFile());
  } catch (err) {
    if (err instanceof PeerKeyError) throw err;
    throw new PeerKeyError('IO_ERROR', `cannot read ${path}`, { cause: err });
  } finally {
    await handle.close();
  }
}

/**
 * @libp2p/crypto 5.1.23 declares its keys against its own copy of @libp2p/interface 3.x (with a
 * newer uint8arraylist), libp2p 2.x against @libp2p/interface 2.x: the same runtime objects under
 * two declarations, converted here once.
 */
function asLibp2pKey(key: ReturnType<typeof privateKeyFromProtobuf>): PrivateKey {
  return key as unknown as PrivateKey;
}

function decodeKey(bytes: Uint8Array, path: string): PrivateKey {
  let key: PrivateKey;
  try {
    key = asLibp2pKey(privateKeyFromProtobuf(bytes));
  } catch (err) {
    throw new PeerKeyError('CORRUPT', `${path} does not hold a marshalled private key`, { cause: err });
  }
  if (key.type !== 'Ed25519')
    throw new PeerKeyError('WRONG_KEY_TYPE', `${path} holds a ${key.type} key, expected Ed25519`);
  return key;
}

async function createKeyFile(dataDir: string, path: string): Promise<PrivateKey> {
  const key = await generateKeyPair('Ed25519');
  try {
    await mkdir(dataDir, { recursive: true, mode: DATA_DIR_MODE });
    // 'wx': fail rather than replace a key that appeared meanwhile; the mode applies at creation.
    const handle = await open(path, 'wx', KEY_FILE_MODE);
    try {
      await handle.writeFile(privateKeyToProtobuf(key));
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw new PeerKeyError('IO_ERROR', `cannot create ${path}`, { cause: err });
  }
  return asLibp2pKey(key);
}

function isErrno(err: unknown, code: string): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === code;
}
