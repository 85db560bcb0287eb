import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeRegistration } from '../../../node/registration/message.ts';
import { openMeshStore } from '../../../node/store/index.ts';
import { verifyRegistration } from '../../../protocol/cardano/key-certification.ts';
import { loadBlsBackend } from '../../../protocol/crypto/bls/index.ts';
import { bytesToHex } from '../../../protocol/encoding/bytes.ts';
import { ClosedKeyRegistration } from '../../../protocol/stm/index.ts';
import { closedRecords, makeRegistrations, writePreload } from '../../../scripts/simnet/preload.ts';
import { simulatedIdentities } from '../../../scripts/simnet/sim-node.ts';

const SEED = 7;
const SIGNERS = [0, 1, 2, 3];
/** Recording epochs 1 and 2, made at the KES periods of epochs 0 and 1. */
const EPOCHS = [
  { epoch: 1, kesPeriod: 0 },
  { epoch: 2, kesPeriod: 1 },
];
const NETWORK = 'testnet';

describe('scripts/simnet/preload', () => {
  it('makes real registrations, reproducibly from the seed, each at its KES period', async () => {
    const bls = await loadBlsBackend('mcl');
    const identities = simulatedIdentities(SEED, SIGNERS);
    const made = await makeRegistrations(SEED, SIGNERS, identities, bls, EPOCHS);
    expect(made.registrations).to.have.length(8);
    expect(made.keys).to.have.length(8);
    for (const [n, r] of made.registrations.entries()) {
      const message = decodeRegistration(r.bytes);
      expect([message.epoch, message.partyId]).to.deep.equal([r.epoch, r.partyId]);
      const { kesPeriod } = EPOCHS.find((e) => e.epoch === r.epoch)!;
      const verified = verifyRegistration({
        vkPop: message.vkPop,
        kesSignature: message.kesSignature,
        opCert: message.opCert,
        bls,
        currentKesPeriod: BigInt(kesPeriod),
      });
      expect(verified.partyId).to.equal(r.partyId);
      expect(bls.verificationKey(made.keys[n]!.secretKey)).to.deep.equal(message.vkPop.vk);
    }
    // A fresh key per epoch.
    const vks = made.registrations.map((r) => bytesToHex(decodeRegistration(r.bytes).vkPop.vk));
    expect(new Set(vks).size).to.equal(8);
    // Same seed, same bytes (fresh identities: the KES keys above have evolved).
    const again = await makeRegistrations(SEED, SIGNERS, simulatedIdentities(SEED, SIGNERS), bls, EPOCHS);
    expect(again.registrations).to.deep.equal(made.registrations);
  });

  it('closes each epoch in STM order over the pools with stake, and writes every store', async () => {
    const bls = await loadBlsBackend('mcl');
    const fresh = simulatedIdentities(SEED, SIGNERS);
    const { registrations, keys } = await makeRegistrations(SEED, SIGNERS, fresh, bls, EPOCHS);
    // Signer 3's pool has no stake: left out of the closed sets, as the close leaves it out.
    const stakes = new Map(
      fresh.slice(0, 3).map((identity, j) => [identity.partyId, BigInt(1000 * (j + 1))]),
    );
    const closed = closedRecords(registrations, stakes, [1, 2], 1234);
    expect(closed.map((r) => [r.epoch, r.entries.length, r.closedAtMs])).to.deep.equal([
      [1, 3, 1234],
      [2, 3, 1234],
    ]);
    for (const record of closed) {
      const stm = ClosedKeyRegistration.fromEntries(record.entries.map(({ vk, stake }) => ({ vk, stake })));
      expect(stm.entries.map((e) => bytesToHex(e.vk))).to.deep.equal(
        record.entries.map((e) => bytesToHex(e.vk)),
      );
      for (const entry of record.entries) expect(stakes.get(entry.partyId)).to.equal(entry.stake);
    }

    const dir = mkdtempSync(join(tmpdir(), 'preload-test-'));
    try {
      // The node hosting signer 1 gets every registration and only its own keys.
      const own = keys.filter((k) => k.partyId === fresh[1]!.partyId);
      await writePreload(dir, NETWORK, { registrations, closed }, own);
      const store = await openMeshStore({ dataDir: dir, network: NETWORK });
      try {
        for (const epoch of [1, 2]) {
          const stored = await store.registrations.list(epoch);
          expect(stored.map((m) => bytesToHex(m.message)).sort()).to.deep.equal(
            registrations
              .filter((r) => r.epoch === epoch)
              .map((r) => bytesToHex(r.bytes))
              .sort(),
          );
          expect(await store.registrations.getClosed(epoch)).to.deep.equal(closed[epoch - 1]);
          expect(await store.ownKeys.get(epoch, fresh[1]!.partyId)).to.equal(
            own.find((k) => k.epoch === epoch)!.secretKey,
          );
          expect(await store.ownKeys.get(epoch, fresh[0]!.partyId)).to.equal(undefined);
        }
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
