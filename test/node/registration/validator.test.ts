import { expect } from 'chai';
import { loadBlsBackend } from '../../../protocol/crypto/bls/index.ts';
import type { BlsBackend } from '../../../protocol/crypto/bls/index.ts';
import { ManualClock } from '../../../node/runtime/clock.ts';
import type { GossipValidationError } from '../../../node/gossip/errors.ts';
import { chaCha20Random } from '../../../protocol/crypto/random.ts';
import { RegistrationBook } from '../../../node/registration/state.ts';
import { RegistrationValidator } from '../../../node/registration/validator.ts';
import type { RegistrationBls } from '../../../node/registration/validator.ts';
import type { RegistrationMessage } from '../../../node/registration/message.ts';
import { FakeChain, epochTime } from './fakes.ts';
import { START_KES_PERIOD, alter, craft, expectVerdict, testPool, vkPopOf } from './fixtures.ts';
import type { TestPool } from './fixtures.ts';

/** Lets every pending promise chain run (a macrotask later), without waiting on time. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Registrations are open for CURRENT + 1. */
const CURRENT = 20;
const OPEN = CURRENT + 1;
const KES_NOW = START_KES_PERIOD + 5n;

describe('node/registration/validator', () => {
  let bls: BlsBackend;
  let a: TestPool;
  let b: TestPool;
  let unknown: TestPool;
  let clock: ManualClock;
  let chain: FakeChain;
  let book: RegistrationBook;
  let open: boolean;
  let validator: RegistrationValidator;
  let keyCounter = 100n;
  const freshVkPop = () => vkPopOf(bls, keyCounter++);
  const valid = (pool: TestPool, epoch = OPEN): RegistrationMessage =>
    craft(pool, epoch, freshVkPop(), KES_NOW);
  const validate = (message: RegistrationMessage) => () => validator.validate(message);

  before(async () => {
    bls = await loadBlsBackend('mcl');
    [a, b, unknown] = [testPool(1), testPool(2), testPool(3)];
  });

  beforeEach(() => {
    clock = new ManualClock(epochTime(CURRENT, 0.1));
    chain = new FakeChain(
      clock,
      new Map([
        [a.partyId, 10n],
        [b.partyId, 20n],
      ]),
      KES_NOW,
    );
    book = new RegistrationBook();
    open = true;
    validator = makeValidator({ proofBatchSize: 1 });
  });

  const makeValidator = (
    batch: { proofBatchSize: number; proofBatchDelayMs?: number },
    backend: RegistrationBls = bls,
  ) =>
    new RegistrationValidator({
      chain,
      bls: backend,
      clock,
      random: chaCha20Random(new Uint8Array(32).fill(9)),
      ledger: {
        isOpen: (epoch) => open && epoch === OPEN,
        accepted: (epoch, partyId) => book.accepted(epoch, partyId),
        keyUse: (vk, upToEpoch) => book.keyUse(vk, upToEpoch),
      },
      ...batch,
    });

  it('accepts a valid registration for the open epoch', async () => {
    await validator.validate(valid(a));
  });

  it('IGNOREs an older epoch (WRONG_EPOCH), the next one (FUTURE_EPOCH) and REJECTs beyond (FUTURE_EPOCH)', async () => {
    await expectVerdict(validate(valid(a, CURRENT)), 'ignore', 'WRONG_EPOCH');
    await expectVerdict(validate(valid(a, CURRENT - 5)), 'ignore', 'WRONG_EPOCH');
    await expectVerdict(validate(valid(a, OPEN + 1)), 'ignore', 'FUTURE_EPOCH');
    await expectVerdict(validate(valid(a, OPEN + 2)), 'reject', 'FUTURE_EPOCH');
    expect(chain.stakeReads).to.equal(0);
  });

  it('IGNOREs REGISTRATION_CLOSED once closed', async () => {
    open = false;
    await expectVerdict(validate(valid(a)), 'ignore', 'REGISTRATION_CLOSED');
  });

  it('REJECTs a pool absent from the stake distribution (UNKNOWN_POOL)', async () => {
    await expectVerdict(validate(valid(unknown)), 'reject', 'UNKNOWN_POOL');
  });

  it('REJECTs an opcert whose cold-key signature fails (OPCERT_INVALID)', async () => {
    const message = valid(a);
    const tampered = alter(message, { opCert: { ...message.opCert, issueNumber: 2n } });
    await expectVerdict(validate(tampered), 'reject', 'OPCERT_INVALID');
  });

  it('checks KES at the evolution of its own KES period: ±1 accepted, ±2 IGNOREd when genuine (KES_INVALID)', async () => {
    for (const [delta, verdict] of [
      [-2n, 'ignore'],
      [-1n, 'accept'],
      [0n, 'accept'],
      [1n, 'accept'],
      [2n, 'ignore'],
    ] as const) {
      const message = craft(a, OPEN, freshVkPop(), KES_NOW + delta);
      expect(message.kesEvolutions).to.equal(5n + delta);
      if (verdict === 'accept') await validator.validate(message);
      else await expectVerdict(validate(message), 'ignore', 'KES_INVALID');
    }
  });

  it('REJECTs a forged KES signature, or a genuine one with a false evolutions claim out of the window (KES_INVALID)', async () => {
    const message = valid(a);
    const forged = Uint8Array.from(message.kesSignature);
    forged[0] = forged[0]! ^ 1;
    await expectVerdict(validate(alter(message, { kesSignature: forged })), 'reject', 'KES_INVALID');
    // Signed over another vk ‖ PoP.
    await expectVerdict(validate(alter(message, { vkPop: freshVkPop() })), 'reject', 'KES_INVALID');
    const stale = craft(a, OPEN, freshVkPop(), KES_NOW - 3n);
    await expectVerdict(validate(alter(stale, { kesEvolutions: 5n })), 'reject', 'KES_INVALID');
    // The claim is informative only: inside the window a wrong claim does not matter.
    await validator.validate(alter(valid(a), { kesEvolutions: 60n }));
  });

  it('REJECTs a PoP that does not match the key, or an invalid key (POP_INVALID)', async () => {
    const swapped = { vk: bls.verificationKey(keyCounter++), pop: bls.proofOfPossession(keyCounter++) };
    await expectVerdict(validate(craft(a, OPEN, swapped, KES_NOW)), 'reject', 'POP_INVALID');
    const notAKey = { vk: new Uint8Array(96), pop: freshVkPop().pop };
    await expectVerdict(validate(craft(a, OPEN, notAKey, KES_NOW)), 'reject', 'POP_INVALID');
  });

  it('checks proofs of possession in batches: a full batch at once, the rest after the delay', async () => {
    const batched = makeValidator({ proofBatchSize: 3, proofBatchDelayMs: 50 });
    const swapped = { vk: bls.verificationKey(keyCounter++), pop: bls.proofOfPossession(keyCounter++) };
    const verdicts: string[] = [];
    const track = (label: string, message: RegistrationMessage) =>
      batched.validate(message).then(
        () => verdicts.push(`${label}:accept`),
        (error: GossipValidationError) => verdicts.push(`${label}:${error.reason}`),
      );
    const settled = [track('a', valid(a)), track('b-forged', craft(b, OPEN, swapped, KES_NOW))];
    await settle();
    expect(verdicts, 'two proofs wait for a third or the delay').to.deep.equal([]);
    settled.push(track('a-again', valid(a)));
    await Promise.all(settled);
    expect(verdicts.sort()).to.deep.equal(['a-again:accept', 'a:accept', 'b-forged:POP_INVALID']);
    const late = track('b', valid(b));
    await settle();
    clock.advance(49);
    await settle();
    expect(verdicts).to.have.length(3);
    clock.advance(1);
    await late;
    expect(verdicts).to.include('b:accept');
  });

  it('checks the same bytes once while their check is under way (gossip and pulls)', async () => {
    let proofChecks = 0;
    const counting: RegistrationBls = {
      validateVerificationKey: (vk) => bls.validateVerificationKey(vk),
      verifyProofOfPossession: (vk, pop) => {
        proofChecks++;
        return bls.verifyProofOfPossession(vk, pop);
      },
      verifyProofsOfPossession: (items, scalars) => bls.verifyProofsOfPossession(items, scalars),
    };
    const shared = makeValidator({ proofBatchSize: 1 }, counting);
    const message = valid(a);
    await Promise.all([shared.validate(message), shared.validate(message), shared.validate(message)]);
    expect(proofChecks).to.equal(1);
    await shared.validate(message);
    expect(proofChecks, 'a check that has ended is not reused').to.equal(2);
  });

  it('IGNOREs the accepted message again, or the same key in other bytes (DUPLICATE)', async () => {
    const message = valid(a);
    book.at(OPEN).add(message);
    await expectVerdict(validate(message), 'ignore', 'DUPLICATE');
    await expectVerdict(validate(alter(message, { kesEvolutions: 4n })), 'ignore', 'DUPLICATE');
  });

  it('REJECTs another key of an already registered pool (EQUIVOCATION) and keeps the first', async () => {
    const first = valid(a);
    book.at(OPEN).add(first);
    await expectVerdict(validate(valid(a)), 'reject', 'EQUIVOCATION');
    expect(book.accepted(OPEN, a.partyId)).to.equal(first);
  });

  it('REJECTs a key registered by another pool, or replayed from an earlier epoch (DUPLICATE_KEY)', async () => {
    const ofA = valid(a);
    book.at(OPEN).add(ofA);
    await expectVerdict(validate(craft(b, OPEN, ofA.vkPop, KES_NOW)), 'reject', 'DUPLICATE_KEY');

    // B's registration of the previous epoch, epoch field rewritten: its KES signature still verifies.
    const previous = craft(b, OPEN - 1, freshVkPop(), KES_NOW);
    book.at(OPEN - 1).add(previous);
    await expectVerdict(validate(alter(previous, { epoch: OPEN })), 'reject', 'DUPLICATE_KEY');
  });

  it('checks the state again after reading the stake distribution', async () => {
    const message = valid(a);
    const read = chain.stakeDistribution.bind(chain);
    chain.stakeDistribution = async () => {
      const stakes = await read();
      book.at(OPEN).add(message);
      return stakes;
    };
    await expectVerdict(validate(message), 'ignore', 'DUPLICATE');
    chain.stakeDistribution = async () => {
      open = false;
      return read();
    };
    await expectVerdict(validate(valid(b)), 'ignore', 'REGISTRATION_CLOSED');
  });

  describe('registrations of a closed set (adoption)', () => {
    const PAST = OPEN - 1;

    it('checks the set without the open window or the ledger, and returns the stakes', async () => {
      open = false;
      const [ofA, ofB] = [valid(a, PAST), valid(b, PAST)];
      book.at(PAST).add(valid(a, PAST));
      const entries = await validator.checkClosedSet(PAST, [ofA, ofB]);
      expect(entries.map((e) => [e.message, e.stake])).to.deep.equal([
        [ofA, 10n],
        [ofB, 20n],
      ]);
      expect(await validator.checkClosedSet(PAST, [])).to.deep.equal([]);
    });

    it('REJECTs a set with another epoch, a pool twice, a key twice or an unknown pool', async () => {
      const ofA = valid(a, PAST);
      const check = (messages: RegistrationMessage[]) => () => validator.checkClosedSet(PAST, messages);
      await expectVerdict(check([ofA, valid(b, OPEN)]), 'reject', 'WRONG_EPOCH');
      await expectVerdict(check([ofA, alter(ofA, { kesEvolutions: 1n })]), 'reject', 'DUPLICATE');
      await expectVerdict(check([ofA, valid(a, PAST)]), 'reject', 'EQUIVOCATION');
      await expectVerdict(check([ofA, craft(b, PAST, ofA.vkPop, KES_NOW)]), 'reject', 'DUPLICATE_KEY');
      await expectVerdict(check([ofA, valid(unknown, PAST)]), 'reject', 'UNKNOWN_POOL');
    });

    it('verifies KES at the evolution the signature was made at, up to our KES period + 1', async () => {
      chain.kesPeriod = START_KES_PERIOD + 20n;
      // Made 17 periods ago: the live validator would IGNORE it, adoption takes it.
      const old = craft(a, PAST, freshVkPop(), START_KES_PERIOD + 3n);
      await expectVerdict(() => validator.validate(alter(old, { epoch: OPEN })), 'ignore', 'KES_INVALID');
      await validator.certifyPast(old);
      // The claim is covered by no signature: a relayer may have changed it.
      await validator.certifyPast(alter(old, { kesEvolutions: 40n }));
      await validator.certifyPast(craft(a, PAST, freshVkPop(), chain.kesPeriod + 1n));
      const future = craft(a, PAST, freshVkPop(), chain.kesPeriod + 2n);
      await expectVerdict(() => validator.certifyPast(future), 'reject', 'KES_INVALID');
      await expectVerdict(
        () => validator.certifyPast(alter(future, { kesEvolutions: 3n })),
        'reject',
        'KES_INVALID',
      );
    });

    it('REJECTs a forged KES signature, opcert or PoP', async () => {
      const message = valid(a, PAST);
      const forged = Uint8Array.from(message.kesSignature);
      forged[0] = forged[0]! ^ 1;
      const certify = (m: RegistrationMessage) => () => validator.certifyPast(m);
      await expectVerdict(certify(alter(message, { kesSignature: forged })), 'reject', 'KES_INVALID');
      await expectVerdict(certify(alter(message, { vkPop: freshVkPop() })), 'reject', 'KES_INVALID');
      const opCert = { ...message.opCert, issueNumber: 2n };
      await expectVerdict(certify(alter(message, { opCert })), 'reject', 'OPCERT_INVALID');
      const swapped = { vk: bls.verificationKey(keyCounter++), pop: bls.proofOfPossession(keyCounter++) };
      await expectVerdict(certify(craft(a, PAST, swapped, KES_NOW)), 'reject', 'POP_INVALID');
    });
  });
});
