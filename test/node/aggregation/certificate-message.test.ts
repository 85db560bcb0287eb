import { expect } from 'chai';
import {
  CertificateMessageError,
  MAX_CERTIFICATES_RESPONSE_BYTES,
  MAX_GOSSIP_CERTIFICATE_BYTES,
  certificatesProtocol,
  decodeCertificate,
  decodeCertificateGossip,
  decodeCertificatesRequest,
  decodeCertificatesResponse,
  encodeCertificate,
  encodeCertificateGossip,
  encodeCertificatesRequest,
  encodeCertificatesResponse,
} from '../../../node/aggregation/index.ts';
import type { Certificate } from '../../../protocol/certificate/index.ts';
import { buildCertificate, stringifyCertificate } from '../../../protocol/certificate/index.ts';
import { multiSignatureToJsonHex } from '../../../protocol/codec/json-hex.ts';
import type { BlsBackend } from '../../../protocol/crypto/bls/backend.ts';
import { loadBlsBackend } from '../../../protocol/crypto/bls/index.ts';
import { poolId } from './fakes.ts';
import { GENESIS_EPOCH, World, msd } from './world.ts';

function expectDecodeError(run: () => unknown, code: string): void {
  try {
    run();
  } catch (e) {
    expect(e).to.be.instanceOf(CertificateMessageError);
    expect((e as CertificateMessageError).code, (e as Error).message).to.equal(code);
    return;
  }
  expect.fail(`expected CertificateMessageError ${code}`);
}

describe('aggregation/certificate-message', () => {
  let backend: BlsBackend;
  let world: World;
  let master: Certificate;
  before(async () => {
    backend = await loadBlsBackend('mcl');
    world = new World(backend);
    master = await world.candidate(msd(GENESIS_EPOCH + 1), world.genesis);
  });

  it('round-trips standard and genesis certificates in full, far smaller than their JSON', () => {
    for (const certificate of [master, world.genesis]) {
      const bytes = encodeCertificateGossip(certificate);
      expect(bytes.announced).to.equal(false);
      const decoded = decodeCertificateGossip(bytes.bytes);
      if (decoded.form !== 'full') throw new Error('full form expected');
      expect(stringifyCertificate(decoded.certificate)).to.equal(stringifyCertificate(certificate));
      expect(decodeCertificate(encodeCertificate(certificate)).hash).to.equal(certificate.hash);
    }
    if (master.signature.type !== 'multi') throw new Error('multi');
    const jsonHex = multiSignatureToJsonHex(master.signature.multiSignature).length;
    expect(encodeCertificate(master).length).to.be.below(stringifyCertificate(master).length - jsonHex / 2);
  });

  it('refuses any other encoding of a certificate', () => {
    const bytes = encodeCertificate(master);
    expectDecodeError(() => decodeCertificate(Uint8Array.of(2, ...bytes.subarray(1))), 'UNSUPPORTED_VERSION');
    expectDecodeError(() => decodeCertificate(Uint8Array.of(1, 9, ...bytes.subarray(2))), 'UNKNOWN_FORM');
    expectDecodeError(() => decodeCertificate(bytes.subarray(0, 20)), 'TRUNCATED');
    expectDecodeError(() => decodeCertificate(Uint8Array.of(...bytes, 0)), 'INVALID_CERTIFICATE_ENCODING');
    // The same JSON with a space: same certificate, other bytes.
    const length = new DataView(bytes.buffer, bytes.byteOffset + 2, 4).getUint32(0);
    const json = new TextDecoder().decode(bytes.subarray(6, 6 + length));
    const spaced = new TextEncoder().encode(json.replace('{"hash"', '{ "hash"'));
    const respaced = Uint8Array.of(
      1,
      1,
      0,
      0,
      (spaced.length >> 8) & 255,
      spaced.length & 255,
      ...spaced,
      ...bytes.subarray(6 + length),
    );
    expectDecodeError(() => decodeCertificate(respaced), 'NON_CANONICAL');
  });

  it('announces a certificate above the gossip bound', () => {
    const big = buildCertificate({
      ...master,
      metadata: {
        ...master.metadata,
        signers: Array.from({ length: 4000 }, (_, i) => ({ partyId: poolId(i % 250), stake: BigInt(i) })),
      },
    });
    const full = encodeCertificate(big);
    expect(full.length).to.be.above(MAX_GOSSIP_CERTIFICATE_BYTES);
    const { bytes, announced } = encodeCertificateGossip(big);
    expect(announced).to.equal(true);
    expect(decodeCertificateGossip(bytes)).to.deep.include({
      form: 'announce',
      entity: msd(GENESIS_EPOCH + 1),
      hash: big.hash,
      size: full.length,
    });
    // A full form above the bound is not accepted on gossip.
    expectDecodeError(() => decodeCertificateGossip(full), 'TOO_LARGE');
  });

  it('encodes requests and pages responses', () => {
    expect(certificatesProtocol('devnet')).to.equal('/mithril-mesh/devnet/certificates/1.0.0');
    for (const request of [
      { kind: 'by-hash' as const, hash: master.hash },
      { kind: 'since' as const, epoch: 12, offset: 3 },
    ]) {
      expect(decodeCertificatesRequest(encodeCertificatesRequest(request))).to.deep.equal(request);
    }
    expectDecodeError(() => decodeCertificatesRequest(Uint8Array.of(1, 3)), 'UNKNOWN_REQUEST');
    expectDecodeError(
      () =>
        decodeCertificatesRequest(
          Uint8Array.of(...encodeCertificatesRequest({ kind: 'since', epoch: 1, offset: 0 }), 0),
        ),
      'TRAILING_BYTES',
    );

    const item = new Uint8Array(MAX_CERTIFICATES_RESPONSE_BYTES / 3);
    const page = encodeCertificatesResponse([item, item, item, item]);
    expect(page.sent).to.equal(2);
    const decoded = decodeCertificatesResponse(page.bytes);
    expect(decoded.more).to.equal(true);
    expect(decoded.certificates).to.have.length(2);
    const last = decodeCertificatesResponse(encodeCertificatesResponse([encodeCertificate(master)]).bytes);
    expect(last.more).to.equal(false);
    expect(decodeCertificate(last.certificates[0]!).hash).to.equal(master.hash);
    expectDecodeError(() => decodeCertificatesResponse(Uint8Array.of(0, 0, 0, 0, 1)), 'TRUNCATED');
  });
});
