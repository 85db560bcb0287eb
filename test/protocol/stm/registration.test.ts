import { expect } from 'chai';
import fc from 'fast-check';
import type { BlsBackend } from '../../../protocol/crypto/bls/backend.ts';
import { loadBlsBackend } from '../../../protocol/crypto/bls/index.ts';
import { U64_MAX, compareBytes } from '../../../protocol/encoding/bytes.ts';
import { RegistrationError, StmParameterError } from '../../../protocol/stm/errors.ts';
import { ClosedKeyRegistration, KeyRegistration } from '../../../protocol/stm/registration.ts';
import type { RegistrationEntry } from '../../../protocol/stm/types.ts';
import { SK1, SK2, V2_ROOT, VK1, VK2 } from './vectors.ts';

function registrationCode(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(RegistrationError);
    return (e as RegistrationError).code;
  }
  throw new Error('expected a RegistrationError');
}

describe('stm/registration', () => {
  let backend: BlsBackend;
  before(async () => {
    backend = await loadBlsBackend('mcl');
  });

  it('V2: registering vk1, vk2 with stake 1 closes to the reference AVK', () => {
    const reg = new KeyRegistration();
    reg.register(1n, { vk: VK2, pop: backend.proofOfPossession(SK2) }, backend);
    reg.register(1n, { vk: VK1, pop: backend.proofOfPossession(SK1) }, backend);
    const closed = reg.close();
    expect(closed.avk.mtCommitment.root).to.deep.equal(V2_ROOT);
    expect(closed.avk.mtCommitment.nrLeaves).to.equal(2);
    expect(closed.avk.totalStake).to.equal(2n);
    expect(closed.indexOf(VK1)).to.equal(0);
    expect(closed.indexOf(VK2)).to.equal(1);
    expect(closed.indexOf(new Uint8Array(96))).to.equal(undefined);
    expect(closed.entryAt(1)).to.deep.equal({ vk: VK2, stake: 1n });
    expect(registrationCode(() => closed.entryAt(2))).to.equal('UNREGISTERED_INDEX');
    expect(registrationCode(() => closed.entryAt(-1))).to.equal('UNREGISTERED_INDEX');
  });

  it('rejects duplicates, bad proofs of possession, bad stakes and overflows', () => {
    const pop1 = backend.proofOfPossession(SK1);
    const pop2 = backend.proofOfPossession(SK2);
    const reg = new KeyRegistration();
    reg.register(U64_MAX - 5n, { vk: VK1, pop: pop1 }, backend);
    expect(registrationCode(() => reg.register(1n, { vk: VK1, pop: pop1 }, backend))).to.equal(
      'ALREADY_REGISTERED',
    );
    expect(registrationCode(() => reg.register(6n, { vk: VK2, pop: pop2 }, backend))).to.equal(
      'TOTAL_STAKE_OVERFLOW',
    );
    expect(registrationCode(() => reg.register(1n, { vk: VK2, pop: pop1 }, backend))).to.equal('INVALID_KEY');
    expect(
      registrationCode(() => reg.register(1n, { vk: new Uint8Array(96).fill(7), pop: pop2 }, backend)),
    ).to.equal('INVALID_KEY');
    expect(registrationCode(() => reg.register(-1n, { vk: VK2, pop: pop2 }, backend))).to.equal(
      'STAKE_OUT_OF_RANGE',
    );
    expect(registrationCode(() => reg.register(1n << 64n, { vk: VK2, pop: pop2 }, backend))).to.equal(
      'STAKE_OUT_OF_RANGE',
    );
    expect(reg.size).to.equal(1);
    reg.register(5n, { vk: VK2, pop: pop2 }, backend);
    expect(reg.close().totalStake).to.equal(U64_MAX);
  });

  it('refuses to close an empty or zero-stake registration', () => {
    expect(registrationCode(() => new KeyRegistration().close())).to.equal('ZERO_TOTAL_STAKE');
    expect(
      registrationCode(() =>
        ClosedKeyRegistration.fromEntries([
          { vk: VK1, stake: 0n },
          { vk: VK2, stake: 0n },
        ]),
      ),
    ).to.equal('ZERO_TOTAL_STAKE');
    expect(
      registrationCode(() =>
        ClosedKeyRegistration.fromEntries([
          { vk: VK1, stake: 1n },
          { vk: VK1, stake: 2n },
        ]),
      ),
    ).to.equal('ALREADY_REGISTERED');
    expect(() => ClosedKeyRegistration.fromEntries([{ vk: new Uint8Array(95), stake: 1n }])).to.throw(
      StmParameterError,
    );
  });

  it('property: entries are ordered by (stake, vk bytes) whatever the input order', () => {
    const entries = fc.uniqueArray(
      fc.record({
        vk: fc.uint8Array({ minLength: 96, maxLength: 96 }),
        // Few distinct stakes, so that the vk tiebreak matters.
        stake: fc.bigInt({ min: 1n, max: 4n }),
      }),
      { minLength: 1, maxLength: 20, selector: (e) => Buffer.from(e.vk).toString('hex') },
    );
    fc.assert(
      fc.property(entries, fc.func(fc.integer()), (list: RegistrationEntry[], order) => {
        const closed = ClosedKeyRegistration.fromEntries(list);
        const shuffled = [...list].sort((a, b) => order(a) - order(b));
        const again = ClosedKeyRegistration.fromEntries(shuffled);
        expect(again.avk.mtCommitment.root).to.deep.equal(closed.avk.mtCommitment.root);
        for (let i = 1; i < closed.size; i++) {
          const a = closed.entries[i - 1]!;
          const b = closed.entries[i]!;
          expect(a.stake < b.stake || (a.stake === b.stake && compareBytes(a.vk, b.vk) < 0)).to.equal(true);
        }
        closed.entries.forEach((e, i) => expect(closed.indexOf(e.vk)).to.equal(i));
      }),
      { numRuns: 100 },
    );
  });
});
