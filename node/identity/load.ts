/**
 * Loads an SPO identity from a key directory as `mithril-mesh keygen` writes it (cardano-cli
 * file names and text envelopes). Only what a running node needs is read: `cold.vkey`,
 * `kes.skey` and `opcert.cert`; the cold signing key may (and should) live elsewhere. The KES
 * signing key is refused when group or others may access it, as ssh does with private keys.
 */
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import {
  readColdVerificationKey,
  readKesSigningKey,
  readOperationalCertificate,
} from '../../protocol/cardano/index.ts';
import { ProtocolError } from '../../protocol/errors.ts';
import { KEY_FILES } from './key-files.ts';
import { IdentityError } from './errors.ts';
import { SignerIdentity } from './signer-identity.ts';

/** Permission bits of group and others (rwx each). */
const GROUP_OTHER_BITS = 0o077;
/** Mode bits shown in messages: permissions only, not the file type. */
const PERMISSION_BITS = 0o777;

async function readKeyFile(path: string, secret: boolean): Promise<Buffer> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new IdentityError('KEY_FILE_MISSING', `${path} does not exist (see mithril-mesh keygen)`, {
        file: path,
        cause: e,
      });
    }
    throw new IdentityError('KEY_FILE_UNREADABLE', `cannot read ${path}: ${(e as Error).message}`, {
      file: path,
      cause: e,
    });
  }
  try {
    // Checked on the open handle, so the file checked is the file read.
    const { mode } = await handle.stat();
    // Windows has no POSIX permission bits to check.
    if (secret && process.platform !== 'win32' && (mode & GROUP_OTHER_BITS) !== 0) {
      const shown = (mode & PERMISSION_BITS).toString(8).padStart(4, '0');
      throw new IdentityError(
        'KEY_FILE_INSECURE',
        `${path} holds a secret key but is accessible by group or others (mode ${shown}); run chmod 600 ${path}`,
        { file: path },
      );
    }
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

function decode<T>(path: string, bytes: Buffer, read: (text: string) => T): T {
  try {
    return read(bytes.toString('utf8'));
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    throw new IdentityError('KEY_FILE_INVALID', `${path}: ${e.message}`, { file: path, cause: e });
  } finally {
    bytes.fill(0);
  }
}

/** Throws `IdentityError` naming the file at fault (`file`), see its codes. */
export async function loadIdentity(dir: string): Promise<SignerIdentity> {
  const coldPath = join(dir, KEY_FILES.coldVerificationKey);
  const kesPath = join(dir, KEY_FILES.kesSigningKey);
  const opCertPath = join(dir, KEY_FILES.operationalCertificate);
  const coldVerificationKey = decode(coldPath, await readKeyFile(coldPath, false), readColdVerificationKey);
  const opCert = decode(opCertPath, await readKeyFile(opCertPath, false), readOperationalCertificate);
  const kesKey = decode(kesPath, await readKeyFile(kesPath, true), readKesSigningKey);
  try {
    return SignerIdentity.fromKeys({ coldVerificationKey, opCert, kesKey });
  } catch (e) {
    if (!(e instanceof IdentityError)) throw e;
    throw new IdentityError(e.code, `${opCertPath}: ${e.message}`, { file: opCertPath, cause: e });
  }
}
