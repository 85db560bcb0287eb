/**
 * Certificates on the wire: the gossip message and the frames of the `certificates`
 * request/response protocol (docs/convergence.md, "Exchange"). All integers big-endian.
 *
 * Full form: `version u8 ‖ form u8 = 1 ‖ json length u32 ‖ JSON ‖ multi-signature`. The JSON is the
 * reference's `CertificateMessage` in serde's compact form (what the store keeps and aggregators
 * serve) with `multi_signature` left "", and the multi-signature follows in the compact wire form
 * of protocol/codec/wire.ts: its JSON-hex is about 7 times larger (each byte becomes a decimal
 * number, then two hex digits per character). A genesis certificate has no multi-signature: its
 * JSON is the whole certificate and nothing follows. Decoding re-encodes and compares, so each
 * certificate has exactly one encoding and two messages are equal exactly when their bytes are.
 *
 * Announce form, for a certificate above the gossip bound: `version u8 ‖ form u8 = 2 ‖ hash 32 ‖
 * size u32 (of its full form) ‖ signed entity type JSON`; receivers fetch it by hash from the peer
 * that relayed the announcement.
 *
 * Requests: `version u8 ‖ kind u8 = 1 ‖ hash 32` (one certificate by hash), or `version u8 ‖
 * kind u8 = 2 ‖ epoch u64 ‖ offset u32` (the certificates of epochs ≥ epoch in chain order,
 * skipping `offset` of them: pull-on-connect, page by page). Response: `more u8 ‖ count u32 ‖
 * count × (length u32 ‖ full form)`, `more` = 1 when the page was cut short by the size bound.
 */
import type { Certificate, CertificateMessage } from '../../protocol/certificate/certificate.ts';
import {
  certificateFromMessage,
  certificateSignedEntityType,
  certificateToMessage,
  parseCertificateMessage,
  stringifyCertificateMessage,
} from '../../protocol/certificate/certificate.ts';
import { parseJson, stringifyJson } from '../../protocol/codec/json.ts';
import { avkFromJsonHex, avkToJsonHex } from '../../protocol/codec/json-hex.ts';
import {
  MAX_WIRE_BYTES,
  concatenationProofFromWire,
  concatenationProofToWire,
} from '../../protocol/codec/wire.ts';
import {
  bytesToHex,
  concatBytes,
  equalBytes,
  hexToBytes,
  readUnsignedBE,
  u32BE,
  u64BE,
  utf8,
} from '../../protocol/encoding/bytes.ts';
import { DecodeError, ProtocolError } from '../../protocol/errors.ts';
import type { SignedEntityType } from '../../protocol/message/signed-entity-type.ts';
import {
  signedEntityTypeFromJson,
  signedEntityTypeToJson,
} from '../../protocol/message/signed-entity-type.ts';
import { isValidNetworkName } from '../gossip/topics.ts';

/**
 * Malformed bytes. Codes: TRUNCATED, TRAILING_BYTES, TOO_LARGE, UNSUPPORTED_VERSION,
 * UNKNOWN_FORM, UNKNOWN_REQUEST, INVALID_CERTIFICATE_ENCODING, NON_CANONICAL, UNSUPPORTED_FIELD.
 */
export class CertificateMessageError extends DecodeError {}

/** A certificate the mesh cannot send. Codes: UNSUPPORTED_FIELD, TOO_LARGE, INVALID_NETWORK. */
export class CertificateEncodeError extends ProtocolError {}

/** First byte of every message and request; bump on an incompatible layout change. */
export const CERTIFICATE_MESSAGE_VERSION = 1;
const FORM_FULL = 1;
const FORM_ANNOUNCE = 2;
const REQUEST_BY_HASH = 1;
const REQUEST_SINCE = 2;

const HEADER_BYTES = 2;
const U32_BYTES = 4;
const U64_BYTES = 8;
/** A certificate hash: hex SHA-256. */
const HASH_BYTES = 32;

/**
 * Largest certificate gossiped in full: 256 KiB, mithril-relay's `max_transmit_size` (spec §6.1),
 * the bound the reference's own p2p layer puts on a gossip message. Gossip pushes a message to
 * every mesh peer (6 to 12) and answers IWANTs, so a large certificate costs each node several
 * copies; announced, it is fetched once per node. Devnet certificates take a few KB; a mainnet
 * one (about 3,000 signers in the metadata, a proof of up to ~310 KB) is announced.
 */
export const MAX_GOSSIP_CERTIFICATE_BYTES = 256 * 1024;

/**
 * Largest JSON part: the metadata lists every signer (about 85 bytes each, so ~255 KB for
 * mainnet's ~3,000 pools) and the rest is under 1 KB; 1 MiB leaves room for 12,000 signers.
 */
export const MAX_CERTIFICATE_JSON_BYTES = 1024 * 1024;

/** Largest full form: header, JSON length, JSON, and a proof of at most `MAX_WIRE_BYTES`. */
export const MAX_CERTIFICATE_BYTES = HEADER_BYTES + U32_BYTES + MAX_CERTIFICATE_JSON_BYTES + MAX_WIRE_BYTES;

/** The longest signed entity type JSON, `{"CardanoBlocksTransactions":[e,b,o]}` with u64s, is ~90 bytes. */
const MAX_ENTITY_JSON_BYTES = 256;

/** A by-hash request (the larger of the two kinds). */
export const MAX_CERTIFICATES_REQUEST_BYTES = HEADER_BYTES + HASH_BYTES;
/** Two largest certificates: a page always holds at least one. */
export const MAX_CERTIFICATES_RESPONSE_BYTES = 2 * MAX_CERTIFICATE_BYTES;
/** `more` flag and count. */
const RESPONSE_HEADER_BYTES = 1 + U32_BYTES;

const PROTOCOL_NAME = 'certificates';
/** Bump on an incompatible change of a frame. */
const PROTOCOL_VERSION = '1.0.0';

/** `/mithril-mesh/<network>/certificates/1.0.0`. */
export function certificatesProtocol(network: string): string {
  if (!isValidNetworkName(network)) {
    throw new CertificateEncodeError('INVALID_NETWORK', `invalid network name ${JSON.stringify(network)}`);
  }
  return `/mithril-mesh/${network}/${PROTOCOL_NAME}/${PROTOCOL_VERSION}`;
}

export type CertificateGossip =
  | { form: 'full'; certificate: Certificate; bytes: Uint8Array }
  | { form: 'announce'; entity: SignedEntityType; hash: string; size: number; bytes: Uint8Array };

export type CertificatesRequest =
  { kind: 'by-hash'; hash: string } | { kind: 'since'; epoch: number; offset: number };

export interface CertificatesResponse {
  /** The responder has more certificates after these. */
  more: boolean;
  /** Full forms, decoded by the caller. */
  certificates: Uint8Array[];
}

const textDecoder = new TextDecoder('utf-8', { fatal: true });

function malformed(code: string, message: string, cause?: unknown): never {
  throw new CertificateMessageError(code, message, cause === undefined ? undefined : { cause });
}

/** A reader that checks every length against what is left. */
class Reader {
  private pos = 0;

  constructor(private readonly bytes: Uint8Array) {}

  take(n: number, what: string): Uint8Array {
    if (this.pos + n > this.bytes.length)
      malformed('TRUNCATED', `${what} needs ${n} bytes at offset ${this.pos}`);
    this.pos += n;
    return this.bytes.subarray(this.pos - n, this.pos);
  }

  uint(n: number, what: string): number {
    const value = readUnsignedBE(this.take(n, what), 0, n);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) malformed('TOO_LARGE', `${what} ${value} exceeds 2^53-1`);
    return Number(value);
  }

  rest(): Uint8Array {
    const out = this.bytes.subarray(this.pos);
    this.pos = this.bytes.length;
    return out;
  }

  end(what: string): void {
    if (this.pos !== this.bytes.length)
      malformed('TRAILING_BYTES', `${this.bytes.length - this.pos} bytes after the ${what}`);
  }
}

function header(bytes: Uint8Array, what: string): { reader: Reader; kind: number } {
  const reader = new Reader(bytes);
  const [version, kind] = reader.take(HEADER_BYTES, `${what} header`);
  if (version !== CERTIFICATE_MESSAGE_VERSION) malformed('UNSUPPORTED_VERSION', `${what} version ${version}`);
  return { reader, kind: kind! };
}

function decodeText(bytes: Uint8Array, what: string): string {
  try {
    return textDecoder.decode(bytes);
  } catch (cause) {
    malformed('INVALID_CERTIFICATE_ENCODING', `${what} is not UTF-8`, cause);
  }
}

/** The JSON part: every field but the multi-signature, which a multi-signature certificate leaves "". */
function jsonPart(certificate: Certificate): CertificateMessage {
  const { signature } = certificate;
  if (
    certificate.ancillaryProverData !== undefined ||
    certificate.ancillaryVerifierData !== undefined ||
    certificate.aggregateVerificationKeySnark !== undefined ||
    certificate.genesisSchnorrSignature !== undefined
  ) {
    // The mesh makes and accepts Pythagoras-era certificates only: no SNARK-era fields.
    throw new CertificateEncodeError(
      'UNSUPPORTED_FIELD',
      `certificate ${certificate.hash} has SNARK-era fields`,
    );
  }
  if (signature.type === 'genesis') return certificateToMessage(certificate);
  return {
    hash: certificate.hash,
    previousHash: certificate.previousHash,
    epoch: certificate.epoch,
    signedEntityType: signature.signedEntityType,
    metadata: certificate.metadata,
    protocolMessage: certificate.protocolMessage,
    signedMessage: certificate.signedMessage,
    aggregateVerificationKey: avkToJsonHex(certificate.aggregateVerificationKey),
    multiSignature: '',
    genesisSignature: '',
  };
}

/** The full form of `certificate`. Throws `CertificateEncodeError` (UNSUPPORTED_FIELD, TOO_LARGE). */
export function encodeCertificate(certificate: Certificate): Uint8Array {
  const json = utf8(stringifyCertificateMessage(jsonPart(certificate)));
  const { signature } = certificate;
  const proof =
    signature.type === 'multi' ? concatenationProofToWire(signature.multiSignature) : new Uint8Array(0);
  if (json.length > MAX_CERTIFICATE_JSON_BYTES) {
    throw new CertificateEncodeError(
      'TOO_LARGE',
      `certificate ${certificate.hash}: ${json.length} bytes of JSON`,
    );
  }
  return concatBytes(
    Uint8Array.of(CERTIFICATE_MESSAGE_VERSION, FORM_FULL),
    u32BE(json.length, 'JSON length'),
    json,
    proof,
  );
}

function decodeFullBody(reader: Reader, bytes: Uint8Array): Certificate {
  const length = reader.uint(U32_BYTES, 'JSON length');
  if (length > MAX_CERTIFICATE_JSON_BYTES) malformed('TOO_LARGE', `${length} bytes of JSON`);
  const text = decodeText(reader.take(length, 'JSON'), 'the JSON part');
  const proofBytes = reader.rest();
  let certificate: Certificate;
  try {
    const message = parseCertificateMessage(text);
    if (message.multiSignature !== '') malformed('NON_CANONICAL', 'the JSON part carries a multi-signature');
    if (message.genesisSignature !== '') {
      certificate = certificateFromMessage(message);
    } else {
      certificate = {
        hash: message.hash,
        previousHash: message.previousHash,
        epoch: message.epoch,
        metadata: message.metadata,
        protocolMessage: message.protocolMessage,
        signedMessage: message.signedMessage,
        aggregateVerificationKey: avkFromJsonHex(message.aggregateVerificationKey),
        signature: {
          type: 'multi',
          signedEntityType: message.signedEntityType,
          multiSignature: concatenationProofFromWire(proofBytes),
        },
      };
    }
  } catch (cause) {
    if (cause instanceof CertificateMessageError || !(cause instanceof ProtocolError)) throw cause;
    malformed('INVALID_CERTIFICATE_ENCODING', `certificate: ${cause.message}`, cause);
  }
  let canonical: Uint8Array;
  try {
    canonical = encodeCertificate(certificate);
  } catch (cause) {
    if (!(cause instanceof ProtocolError)) throw cause;
    malformed('UNSUPPORTED_FIELD', cause.message, cause);
  }
  if (!equalBytes(canonical, bytes))
    malformed('NON_CANONICAL', `certificate ${certificate.hash} is not in its canonical encoding`);
  return certificate;
}

/** Decodes a full form (a response item). Throws `CertificateMessageError`. */
export function decodeCertificate(bytes: Uint8Array): Certificate {
  if (bytes.length > MAX_CERTIFICATE_BYTES) malformed('TOO_LARGE', `certificate of ${bytes.length} bytes`);
  const { reader, kind } = header(bytes, 'certificate');
  if (kind !== FORM_FULL) malformed('UNKNOWN_FORM', `form ${kind} where a full certificate is expected`);
  return decodeFullBody(reader, bytes);
}

function encodeAnnounce(certificate: Certificate, size: number): Uint8Array {
  return concatBytes(
    Uint8Array.of(CERTIFICATE_MESSAGE_VERSION, FORM_ANNOUNCE),
    hexToBytes(certificate.hash, HASH_BYTES, 'certificate hash'),
    u32BE(size, 'size'),
    utf8(stringifyJson(signedEntityTypeToJson(certificateSignedEntityType(certificate)))),
  );
}

/** The gossip message of `certificate`: its full form, or an announcement when that is above the bound. */
export function encodeCertificateGossip(certificate: Certificate): { bytes: Uint8Array; announced: boolean } {
  const full = encodeCertificate(certificate);
  return full.length <= MAX_GOSSIP_CERTIFICATE_BYTES
    ? { bytes: full, announced: false }
    : { bytes: encodeAnnounce(certificate, full.length), announced: true };
}

/** Decodes a gossip message (full or announce). Throws `CertificateMessageError`. */
export function decodeCertificateGossip(bytes: Uint8Array): CertificateGossip {
  const copy = Uint8Array.from(bytes);
  const { reader, kind } = header(copy, 'certificate message');
  if (kind === FORM_FULL) {
    if (copy.length > MAX_GOSSIP_CERTIFICATE_BYTES)
      malformed('TOO_LARGE', `full certificate of ${copy.length} bytes on gossip`);
    return { form: 'full', certificate: decodeFullBody(reader, copy), bytes: copy };
  }
  if (kind !== FORM_ANNOUNCE) malformed('UNKNOWN_FORM', `certificate message form ${kind}`);
  const hash = bytesToHex(reader.take(HASH_BYTES, 'hash'));
  const size = reader.uint(U32_BYTES, 'size');
  const entityBytes = reader.rest();
  if (entityBytes.length > MAX_ENTITY_JSON_BYTES)
    malformed('TOO_LARGE', `signed entity type of ${entityBytes.length} bytes`);
  let entity: SignedEntityType;
  try {
    entity = signedEntityTypeFromJson(parseJson(decodeText(entityBytes, 'the signed entity type')));
  } catch (cause) {
    if (cause instanceof CertificateMessageError || !(cause instanceof ProtocolError)) throw cause;
    malformed('INVALID_CERTIFICATE_ENCODING', `announced signed entity type: ${cause.message}`, cause);
  }
  if (!equalBytes(utf8(stringifyJson(signedEntityTypeToJson(entity))), entityBytes)) {
    malformed('NON_CANONICAL', 'the announced signed entity type is not in its canonical encoding');
  }
  return { form: 'announce', entity, hash, size, bytes: copy };
}

export function encodeCertificatesRequest(request: CertificatesRequest): Uint8Array {
  if (request.kind === 'by-hash') {
    return concatBytes(
      Uint8Array.of(CERTIFICATE_MESSAGE_VERSION, REQUEST_BY_HASH),
      hexToBytes(request.hash, HASH_BYTES, 'certificate hash'),
    );
  }
  return concatBytes(
    Uint8Array.of(CERTIFICATE_MESSAGE_VERSION, REQUEST_SINCE),
    u64BE(request.epoch, 'epoch'),
    u32BE(request.offset, 'offset'),
  );
}

/** Throws `CertificateMessageError` unless the request is exact. */
export function decodeCertificatesRequest(bytes: Uint8Array): CertificatesRequest {
  const { reader, kind } = header(bytes, 'request');
  let request: CertificatesRequest;
  if (kind === REQUEST_BY_HASH) {
    request = { kind: 'by-hash', hash: bytesToHex(reader.take(HASH_BYTES, 'hash')) };
  } else if (kind === REQUEST_SINCE) {
    request = {
      kind: 'since',
      epoch: reader.uint(U64_BYTES, 'epoch'),
      offset: reader.uint(U32_BYTES, 'offset'),
    };
  } else {
    malformed('UNKNOWN_REQUEST', `request kind ${kind}`);
  }
  reader.end('request');
  return request;
}

/**
 * A page of full forms: as many of `certificates` (in order) as fit `MAX_CERTIFICATES_RESPONSE_BYTES`,
 * at least one; `sent` says how many.
 */
export function encodeCertificatesResponse(certificates: readonly Uint8Array[]): {
  bytes: Uint8Array;
  sent: number;
} {
  const parts: Uint8Array[] = [];
  let size = RESPONSE_HEADER_BYTES;
  let sent = 0;
  for (const certificate of certificates) {
    const next = size + U32_BYTES + certificate.length;
    if (sent > 0 && next > MAX_CERTIFICATES_RESPONSE_BYTES) break;
    parts.push(u32BE(certificate.length, 'length'), certificate);
    size = next;
    sent++;
  }
  const more = sent < certificates.length;
  return { bytes: concatBytes(Uint8Array.of(more ? 1 : 0), u32BE(sent, 'count'), ...parts), sent };
}

/**
 * Throws `CertificateMessageError` on a bad flag, a length above the bound, missing or trailing
 * bytes (the count needs no bound of its own: each item takes at least its length prefix).
 */
export function decodeCertificatesResponse(bytes: Uint8Array): CertificatesResponse {
  if (bytes.length > MAX_CERTIFICATES_RESPONSE_BYTES)
    malformed('TOO_LARGE', `response of ${bytes.length} bytes`);
  const reader = new Reader(bytes);
  const flag = reader.uint(1, 'more flag');
  if (flag > 1) malformed('INVALID_CERTIFICATE_ENCODING', `more flag ${flag}`);
  const count = reader.uint(U32_BYTES, 'count');
  const certificates: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const length = reader.uint(U32_BYTES, 'length');
    if (length > MAX_CERTIFICATE_BYTES) malformed('TOO_LARGE', `certificate ${i} of ${length} bytes`);
    certificates.push(Uint8Array.from(reader.take(length, `certificate ${i}`)));
  }
  reader.end('response');
  return { more: flag === 1, certificates };
}
