/**
 * `mithril-mesh keygen --out DIR`: a pool operator's Cardano keys in cardano-cli text-envelope
 * form — the Ed25519 cold key pair, a Sum6 KES key pair and the operational certificate binding
 * them — so a devnet node holds keys in the same format as a real SPO. Every file is 0600 in a
 * 0700 directory; existing keys are never overwritten unless --force is given.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  generateOperatorKeys as generateOperatorKeyMaterial,
  poolIdFromColdVerificationKey,
  writeColdSigningKey,
  writeColdVerificationKey,
  writeKesSigningKey,
  writeKesVerificationKey,
  writeOperationalCertificate,
} from '../../protocol/cardano/index.ts';
import type { RandomSource } from '../../protocol/crypto/random.ts';
import { systemRandom } from '../../protocol/crypto/random.ts';
import { KEY_FILES } from '../../node/identity/key-files.ts';
import type { Command } from './command.ts';
import { CliUsageError, EXIT_OK } from './command.ts';

/** Owner read/write only: these files hold or guard signing keys. */
const KEY_FILE_MODE = 0o600;
const KEY_DIR_MODE = 0o700;

export interface GeneratedKeys {
  poolId: string;
  files: Record<keyof typeof KEY_FILES, string>;
}

function parseUnsigned(value: string | undefined, flag: string): bigint {
  if (value === undefined) return 0n;
  if (!/^\d+$/.test(value)) throw new CliUsageError(`${flag} must be a non-negative integer`);
  return BigInt(value);
}

/** Creates the key files in `dir` (made if missing). */
export function generateOperatorKeys(
  dir: string,
  options: { issueNumber?: bigint; startKesPeriod?: bigint; force?: boolean; random?: RandomSource } = {},
): GeneratedKeys {
  const { cold, kes, opCert } = generateOperatorKeyMaterial(options.random ?? systemRandom, options);
  const contents: Record<keyof typeof KEY_FILES, string> = {
    coldSigningKey: writeColdSigningKey(cold.secretKey),
    coldVerificationKey: writeColdVerificationKey(cold.publicKey),
    kesSigningKey: writeKesSigningKey(kes.secretKey),
    kesVerificationKey: writeKesVerificationKey(kes.publicKey),
    operationalCertificate: writeOperationalCertificate(opCert),
  };
  cold.secretKey.fill(0);
  kes.secretKey.wipe();

  mkdirSync(dir, { recursive: true, mode: KEY_DIR_MODE });
  const files = {} as Record<keyof typeof KEY_FILES, string>;
  for (const [key, name] of Object.entries(KEY_FILES) as [keyof typeof KEY_FILES, string][]) {
    const path = join(dir, name);
    try {
      // 'wx' refuses to replace an existing key; the mode applies when the file is created.
      writeFileSync(path, contents[key], { mode: KEY_FILE_MODE, flag: options.force ? 'w' : 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new CliUsageError(`${path} already exists; pass --force to replace the keys in ${dir}`);
      }
      throw e;
    }
    files[key] = path;
  }
  return { poolId: poolIdFromColdVerificationKey(cold.publicKey), files };
}

export const keygenCommand: Command = {
  name: 'keygen',
  summary: "create a pool's cold key, KES key and operational certificate",
  usage: [
    'usage: mithril-mesh keygen --out DIR [--issue-number N] [--start-kes-period N] [--force]',
    '',
    `Writes ${Object.values(KEY_FILES).join(', ')} (cardano-cli text envelopes, mode 0600)`,
    'and prints the pool id.',
  ].join('\n'),
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        out: { type: 'string' },
        'issue-number': { type: 'string' },
        'start-kes-period': { type: 'string' },
        force: { type: 'boolean', default: false },
      },
      strict: true,
    });
    if (!values.out) throw new CliUsageError('--out DIR is required');
    const keys = generateOperatorKeys(values.out, {
      issueNumber: parseUnsigned(values['issue-number'], '--issue-number'),
      startKesPeriod: parseUnsigned(values['start-kes-period'], '--start-kes-period'),
      force: values.force,
    });
    io.out(`pool id: ${keys.poolId}`);
    for (const path of Object.values(keys.files)) io.out(`  wrote ${path}`);
    return EXIT_OK;
  },
};
