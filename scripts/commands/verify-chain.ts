/**
 * `mithril-mesh verify-chain`: verifies certificates in the reference aggregator's JSON message
 * format back to a genesis certificate signed by the configured genesis key.
 *
 * Without --from, EVERY certificate in the input is verified against its parent (so a damaged
 * sibling that is not on the latest certificate's path is caught too); the lines follow the
 * chain from the latest certificate back to genesis, then the other certificates by epoch.
 * With --from HASH, only the path from that certificate to genesis is verified.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  genesisVerificationKeyFromBytesHex,
  genesisVerificationKeyFromHex,
} from '../../protocol/cardano/genesis-key.ts';
import type { Certificate, VerifierContext } from '../../protocol/certificate/index.ts';
import {
  CertificateVerificationError,
  certificateFromJson,
  certificateSignedEntityType,
  verifyCertificate,
} from '../../protocol/certificate/index.ts';
import type { JsonValue } from '../../protocol/codec/json.ts';
import { parseJson } from '../../protocol/codec/json.ts';
import type { BlsBackendName } from '../../protocol/crypto/bls/index.ts';
import { loadBlsBackend } from '../../protocol/crypto/bls/index.ts';
import { ProtocolError } from '../../protocol/errors.ts';
import { signedEntityTypeToJson } from '../../protocol/message/signed-entity-type.ts';
import { openMeshStore } from '../../node/store/index.ts';
import type { Command } from './command.ts';
import { CliUsageError, EXIT_FAILED, EXIT_OK } from './command.ts';

/** 256 MiB: far above any real chain export, low enough to refuse a runaway file early. */
const MAX_CERTIFICATES_FILE_BYTES = 256 * 1024 * 1024;

/** One input certificate: decoded, or the reason it could not be. */
type Loaded =
  | { ok: true; label: string; certificate: Certificate }
  | { ok: false; label: string; epoch?: number; error: ProtocolError };

export interface CertificateReport {
  hash: string;
  epoch: number | null;
  signedEntityType: string | null;
  genesis: boolean;
  ok: boolean;
  /** The failed check's stable code (e.g. HASH_MISMATCH, MULTI_SIGNATURE_INVALID, DECODE). */
  check?: string;
  error?: string;
}

export interface ChainReport {
  valid: boolean;
  /** Hash of the certificate the walk started from. */
  start: string | null;
  certificates: CertificateReport[];
}

function entityLabel(certificate: Certificate): string {
  const json = signedEntityTypeToJson(certificateSignedEntityType(certificate));
  const [name, beacon] = Object.entries(json)[0]!;
  const parts = Array.isArray(beacon)
    ? beacon
    : beacon !== null && typeof beacon === 'object'
      ? Object.values(beacon)
      : [beacon];
  return `${name}(${parts.map(String).join(',')})`;
}

/** The certificates a node stored in its data dir (the node must be stopped: LevelDB is locked while it runs). */
export async function loadStoredCertificates(dataDir: string): Promise<Loaded[]> {
  let store;
  try {
    store = await openMeshStore({ dataDir });
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    const hint = e.code === 'LOCKED' ? ' (is the node still running?)' : '';
    throw new CliUsageError(`cannot open the store in ${dataDir}: ${e.message}${hint}`);
  }
  try {
    return (await store.certificates.list()).map((certificate) => ({
      ok: true,
      label: certificate.hash,
      certificate,
    }));
  } finally {
    await store.close();
  }
}

/** Reads an array of certificates or an object keyed by hash; each entry is decoded on its own. */
export function loadCertificates(value: JsonValue): Loaded[] {
  const entries: [string, JsonValue][] = Array.isArray(value)
    ? value.map((v, i) => [`#${i}`, v])
    : value !== null && typeof value === 'object' && typeof value !== 'bigint'
      ? Object.entries(value)
      : [];
  if (entries.length === 0) {
    throw new CliUsageError(
      'the certificates file must hold a non-empty JSON array or an object keyed by hash',
    );
  }
  return entries.map(([key, raw]) => {
    const fields = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? raw : {};
    const label = typeof fields['hash'] === 'string' ? fields['hash'] : key;
    try {
      const certificate = certificateFromJson(raw);
      if (!Array.isArray(value) && key !== certificate.hash) {
        return {
          ok: false,
          label: key,
          epoch: certificate.epoch,
          error: new CertificateVerificationError(
            'HASH_MISMATCH',
            key,
            `listed under ${key} but its hash field is ${certificate.hash}`,
          ),
        };
      }
      return { ok: true, label, certificate };
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      return { ok: false, label, error: e };
    }
  });
}

function latestFirst(a: Certificate, b: Certificate): number {
  if (a.epoch !== b.epoch) return b.epoch - a.epoch;
  return a.metadata.sealedAt === b.metadata.sealedAt ? 0 : a.metadata.sealedAt > b.metadata.sealedAt ? -1 : 1;
}

/** Verifies the loaded certificates (all of them, or the path from `from`) and reports each. */
export function verifyLoadedCertificates(loaded: Loaded[], ctx: VerifierContext, from?: string): ChainReport {
  const byHash = new Map<string, Certificate>();
  const undecodable: CertificateReport[] = [];
  for (const l of loaded) {
    if (!l.ok) {
      const named = l.error instanceof CertificateVerificationError;
      undecodable.push({
        hash: l.label,
        epoch: l.epoch ?? null,
        signedEntityType: null,
        genesis: false,
        ok: false,
        check: named ? (l.error as CertificateVerificationError).check : 'DECODE',
        error: named ? l.error.message : `${l.error.message} [${l.error.code}]`,
      });
    } else if (byHash.has(l.certificate.hash)) {
      undecodable.push({
        hash: l.label,
        epoch: l.certificate.epoch,
        signedEntityType: entityLabel(l.certificate),
        genesis: false,
        ok: false,
        check: 'DUPLICATE',
        error: 'the same certificate hash is listed twice',
      });
    } else {
      byHash.set(l.certificate.hash, l.certificate);
    }
  }

  const sorted = [...byHash.values()].sort(latestFirst);
  const start = from ?? sorted[0]?.hash ?? null;
  const path: Certificate[] = [];
  const onPath = new Set<string>();
  let next = start === null ? undefined : byHash.get(start);
  while (next !== undefined && !onPath.has(next.hash)) {
    path.push(next);
    onPath.add(next.hash);
    next = next.signature.type === 'genesis' ? undefined : byHash.get(next.previousHash);
  }
  const cycleAt = next?.hash;
  const toVerify = from === undefined ? [...path, ...sorted.filter((c) => !onPath.has(c.hash))] : path;

  const reports: CertificateReport[] = [];
  if (from !== undefined && !byHash.has(from)) {
    const decodeFailure = undecodable.find((r) => r.hash === from);
    reports.push(
      decodeFailure ?? {
        hash: from,
        epoch: null,
        signedEntityType: null,
        genesis: false,
        ok: false,
        check: 'MISSING_CERTIFICATE',
        error: `no certificate ${from} in the input`,
      },
    );
  }
  for (const certificate of toVerify) {
    const genesis = certificate.signature.type === 'genesis';
    const report: CertificateReport = {
      hash: certificate.hash,
      epoch: certificate.epoch,
      signedEntityType: entityLabel(certificate),
      genesis,
      ok: true,
    };
    try {
      if (!genesis && certificate.previousHash === cycleAt && certificate === path.at(-1)) {
        throw new CertificateVerificationError(
          'CYCLE',
          certificate.hash,
          `previous_hash ${cycleAt} was already visited`,
        );
      }
      verifyCertificate(certificate, genesis ? null : (byHash.get(certificate.previousHash) ?? null), ctx);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      report.ok = false;
      report.check = e instanceof CertificateVerificationError ? e.check : e.code;
      report.error = e.message;
    }
    reports.push(report);
  }
  // A certificate that could not be decoded is a failure of the input, whichever path is asked.
  if (from === undefined) reports.push(...undecodable);
  return { valid: reports.length > 0 && reports.every((r) => r.ok), start, certificates: reports };
}

function shortHash(hash: string): string {
  return hash.length > 16 ? `${hash.slice(0, 16)}…` : hash;
}

/** One line per certificate, then a summary. */
export function formatChainReport(report: ChainReport): string[] {
  const lines = report.certificates.map((r) => {
    const status = r.ok ? 'ok  ' : 'FAIL';
    const epoch = r.epoch === null ? 'epoch ?' : `epoch ${r.epoch}`;
    const what = r.genesis ? 'genesis' : (r.signedEntityType ?? '?');
    const failure = r.ok ? '' : `  check ${r.check}: ${r.error}`;
    return `${status}  ${shortHash(r.hash)}  ${epoch}  ${what}${failure}`;
  });
  const total = report.certificates.length;
  const failed = report.certificates.filter((r) => !r.ok);
  if (report.valid) {
    const genesis = report.certificates.filter((r) => r.genesis).length;
    lines.push(
      `chain valid: ${total} certificates verified back to genesis (${genesis} genesis), latest ${report.start}`,
    );
  } else {
    const first = failed[0]!;
    lines.push(
      `chain INVALID: ${failed.length} of ${total} certificates failed; first: ${first.hash} failed check ${first.check}`,
    );
  }
  return lines;
}

function readGenesisKey(value: string): Uint8Array {
  const text = existsSync(value) ? readFileSync(value, 'utf8') : value;
  try {
    const trimmed = text.trim();
    // 64 hex digits is a raw Ed25519 key; anything else is one of the genesis.vkey file forms.
    return /^[0-9a-fA-F]{64}$/.test(trimmed)
      ? genesisVerificationKeyFromBytesHex(trimmed)
      : genesisVerificationKeyFromHex(trimmed);
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    throw new CliUsageError(`--genesis-vkey is not a genesis verification key: ${e.message}`);
  }
}

function readCertificatesFile(path: string): JsonValue {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliUsageError(`cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return parseJson(text, { maxLength: MAX_CERTIFICATES_FILE_BYTES, maxDepth: 64 });
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    throw new CliUsageError(`${path} is not valid JSON: ${e.message}`);
  }
}

export const verifyChainCommand: Command = {
  name: 'verify-chain',
  summary: 'verify a certificate chain back to its genesis certificate',
  usage: [
    'usage: mithril-mesh verify-chain (--certificates FILE | --data-dir DIR) --genesis-vkey HEX_OR_FILE',
    '                                 [--from HASH] [--json] [--backend mcl|noble]',
    '',
    'FILE holds certificates in the Mithril aggregator JSON format: an array, or an object keyed by',
    "hash. DIR is a (stopped) node's data dir. The genesis key is 32-byte hex, or a genesis.vkey file",
    '(legacy JSON-hex or bundle form).',
    'Exit status: 0 the whole chain verifies, 1 a certificate fails (its check is named), 2 bad input.',
  ].join('\n'),
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        certificates: { type: 'string' },
        'data-dir': { type: 'string' },
        'genesis-vkey': { type: 'string' },
        from: { type: 'string' },
        json: { type: 'boolean', default: false },
        backend: { type: 'string', default: 'mcl' },
      },
      strict: true,
    });
    if ((values.certificates === undefined) === (values['data-dir'] === undefined)) {
      throw new CliUsageError('give exactly one of --certificates FILE and --data-dir DIR');
    }
    if (!values['genesis-vkey']) throw new CliUsageError('--genesis-vkey HEX_OR_FILE is required');
    if (values.backend !== 'mcl' && values.backend !== 'noble') {
      throw new CliUsageError('--backend must be mcl or noble');
    }
    const ctx: VerifierContext = {
      backend: await loadBlsBackend(values.backend as BlsBackendName),
      genesisVerificationKey: readGenesisKey(values['genesis-vkey']),
    };
    const loaded =
      values.certificates !== undefined
        ? loadCertificates(readCertificatesFile(values.certificates))
        : await loadStoredCertificates(values['data-dir']!);
    if (loaded.length === 0) throw new CliUsageError(`${values['data-dir']} holds no certificate`);
    const report = verifyLoadedCertificates(loaded, ctx, values.from);
    if (values.json) io.out(JSON.stringify(report, null, 2));
    else for (const line of formatChainReport(report)) io.out(line);
    return report.valid ? EXIT_OK : EXIT_FAILED;
  },
};
