/**
 * `npm run bench:crypto`: the STM operations at Mithril mainnet scale, for every BLS backend,
 * with noble (the reference backend) as the baseline measured in the same run.
 * Writes bench/results/crypto.json and prints a table.
 */
import { createHash } from 'node:crypto';
import type { BlsBackend, BlsBackendName } from '../../protocol/crypto/bls/index.ts';
import { generateSecretKey, loadBlsBackend } from '../../protocol/crypto/bls/index.ts';
import { chaCha20Random } from '../../protocol/crypto/random.ts';
import type { RandomSource } from '../../protocol/crypto/random.ts';
import type {
  SignatureWithRegisteredParty,
  SingleSignature,
  StmParameters,
} from '../../protocol/stm/index.ts';
import {
  ClosedKeyRegistration,
  StmSigner,
  aggregateSignatures,
  aggregateVerifiedSignatures,
  verifyConcatenationProof,
  verifySingleSignature,
  verifySingleSignatures,
} from '../../protocol/stm/index.ts';
import type { BenchRow, Timing } from './harness.ts';
import { machineInfo, measure, printTable, writeResults } from './harness.ts';

/** Mainnet protocol parameters since epoch 619 (spec §1.1). */
const PARAMS: StmParameters = { m: 16948, k: 1944, phiF: 0.2 };
/** About the number of stake pools on Cardano mainnet (spec §8). */
const SIGNERS = 3000;
/** Pareto shape for pool stakes: a heavy tail where a few hundred pools hold half the stake. */
const PARETO_ALPHA = 1.1;
/** 1,000 ADA in lovelace: the smallest simulated pool. */
const MIN_STAKE = 1_000_000_000;
/** 80 M ADA in lovelace: about the largest mainnet pool (saturation is ~72 M ADA). */
const MAX_STAKE = 80_000_000_000_000;
const BACKENDS: BlsBackendName[] = ['noble', 'mcl'];
const BASELINE: BlsBackendName = 'noble';
const RESULTS_FILE = 'bench/results/crypto.json';

function uniform(random: RandomSource): number {
  // 48 random bits (6 bytes would break the ChaCha word rule, so draw 8 and keep 48).
  const b = random(8);
  let x = 0;
  for (let i = 0; i < 6; i++) x = x * 256 + b[i]!;
  return (x + 1) / 2 ** 48;
}

function heavyTailedStakes(random: RandomSource, n: number): bigint[] {
  return Array.from({ length: n }, () => {
    const pareto = MIN_STAKE / Math.pow(uniform(random), 1 / PARETO_ALPHA);
    return BigInt(Math.floor(Math.min(pareto, MAX_STAKE)));
  });
}

interface Setup {
  registration: ClosedKeyRegistration;
  secretKeys: bigint[];
  msg: Uint8Array;
  /** Single signatures of the largest signers, enough for a quorum. */
  signatures: SingleSignature[];
  signedStakeFraction: number;
  distinctIndexes: number;
  /**
   * The same signers' signatures on other messages: gossip brings signatures a node has never
   * decoded, while the backends cache decoded points, so each batch sample uses a fresh set.
   */
  freshBatches: { msg: Uint8Array; items: SignatureWithRegisteredParty[] }[];
}

/** Batch samples per backend, each on a set of signatures no backend has decoded yet. */
const FRESH_BATCHES = 3;

function messageOf(label: string): Uint8Array {
  // Mithril signs the 64 ASCII hex characters of a SHA-256 (spec §2.2).
  return new TextEncoder().encode(createHash('sha256').update(label).digest('hex'));
}

async function setUp(fast: BlsBackend): Promise<Setup> {
  const random = chaCha20Random(new Uint8Array(32).fill(7));
  const stakes = heavyTailedStakes(random, SIGNERS);
  const secretKeys = stakes.map(() => generateSecretKey(random));
  // Keys made here are honest, so the registration is closed without PoP checks.
  const registration = ClosedKeyRegistration.fromEntries(
    secretKeys.map((sk, i) => ({ vk: fast.verificationKey(sk), stake: stakes[i]! })),
  );
  const msg = messageOf('bench');

  const order = secretKeys
    .map((sk, i) => ({ sk, stake: stakes[i]! }))
    .sort((a, b) => Number(b.stake - a.stake));
  const signatures: SingleSignature[] = [];
  const indexes = new Set<number>();
  let signedStake = 0n;
  // Sign from the largest pools down until the quorum is covered with a 20 % margin, as the
  // honest majority of a real round would.
  for (const { sk, stake } of order) {
    if (indexes.size >= PARAMS.k * 1.2) break;
    const sig = new StmSigner(fast, sk, registration, PARAMS).sign(msg);
    signedStake += stake;
    if (!sig) continue;
    signatures.push(sig);
    for (const i of sig.indexes) indexes.add(i);
  }
  const signerKeys = order.slice(0, signatures.length + 1).map((o) => o.sk);
  const freshBatches = Array.from({ length: FRESH_BATCHES }, (_, i) => {
    const batchMsg = messageOf(`fresh batch ${i}`);
    const items = signerKeys
      .map((sk) => new StmSigner(fast, sk, registration, PARAMS).sign(batchMsg))
      .filter((sig): sig is SingleSignature => sig !== null)
      .map((sig) => ({ sig, entry: registration.entryAt(sig.signerIndex) }));
    return { msg: batchMsg, items };
  });
  return {
    registration,
    secretKeys,
    msg,
    signatures,
    freshBatches,
    signedStakeFraction: Number(signedStake) / Number(registration.totalStake),
    distinctIndexes: indexes.size,
  };
}

/** Median per-signature time over the fresh batches (one sample each, σ never decoded before). */
async function measureFreshBatches(backend: BlsBackend, setup: Setup, random: RandomSource): Promise<Timing> {
  const perSignature: number[] = [];
  for (const { msg, items } of setup.freshBatches) {
    const t = await measure(
      () => {
        const verdicts = verifySingleSignatures(backend, items, setup.registration.avk, PARAMS, msg, random);
        if (verdicts.some((v) => v !== null)) throw new Error('an honest signature failed to verify');
      },
      { samples: 1, warmup: 0, opsPerSample: items.length },
    );
    perSignature.push(t.medianMs);
  }
  perSignature.sort((a, b) => a - b);
  return {
    medianMs: perSignature[Math.floor(perSignature.length / 2)]!,
    minMs: perSignature[0]!,
    samples: perSignature.length,
  };
}

async function run(): Promise<void> {
  const backends = new Map<BlsBackendName, BlsBackend>();
  for (const name of BACKENDS) backends.set(name, await loadBlsBackend(name));
  const fast = backends.get('mcl')!;

  console.log(`setting up ${SIGNERS} signers, k=${PARAMS.k} m=${PARAMS.m} phi_f=${PARAMS.phiF} ...`);
  const setup = await setUp(fast);
  const { registration, msg, signatures } = setup;
  const avk = registration.avk;
  const joined: SignatureWithRegisteredParty[] = signatures.map((sig) => ({
    sig,
    entry: registration.entryAt(sig.signerIndex),
  }));
  const proof = aggregateVerifiedSignatures(registration, PARAMS, signatures);
  console.log(
    `${signatures.length} signatures (${(setup.signedStakeFraction * 100).toFixed(1)} % of stake, ` +
      `${setup.distinctIndexes} distinct indexes); proof keeps ${proof.signatures.length} signatures`,
  );

  const rows: BenchRow[] = [];
  const add = (operation: string, targetMs?: number): BenchRow => {
    const row: BenchRow = { operation, results: {}, ...(targetMs === undefined ? {} : { targetMs }) };
    rows.push(row);
    return row;
  };
  const keygen = add('keygen (sk, vk, PoP)');
  const sign = add(`lottery+sign, m=${PARAMS.m}`, 60);
  const verifyOne = add('single-signature verify, alone');
  const verifyBatch = add(`single-signature verify, fresh batch of ~${joined.length} (per sig)`, 0.5);
  const clerk = add(`clerk aggregation (verify + select), ${joined.length} sigs`);
  const select = add('clerk selection only (pre-verified)');
  const aggVerify = add(`aggregate verify, k=${PARAMS.k}`, 150);

  // A median-stake signer: the lottery cost does not depend on the stake, only on m.
  const medianSigner = new Map<string, StmSigner>();
  const random = chaCha20Random(new Uint8Array(32).fill(9));
  for (const [name, backend] of backends) {
    const slow = name === 'noble';
    console.log(`measuring ${name} ...`);
    keygen.results[name] = await measure(
      () => {
        const sk = generateSecretKey(random);
        backend.verificationKey(sk);
        backend.proofOfPossession(sk);
      },
      { samples: slow ? 5 : 20 },
    );
    const skMedian = setup.secretKeys[Math.floor(SIGNERS / 2)]!;
    medianSigner.set(name, new StmSigner(backend, skMedian, registration, PARAMS));
    sign.results[name] = await measure(() => medianSigner.get(name)!.sign(msg), { samples: slow ? 5 : 10 });
    let next = 0;
    verifyOne.results[name] = await measure(
      () => verifySingleSignature(backend, joined[next++ % joined.length]!, avk, PARAMS, msg),
      { samples: slow ? 5 : 20 },
    );
    verifyBatch.results[name] = await measureFreshBatches(backend, setup, random);
    clerk.results[name] = await measure(
      () => aggregateSignatures(backend, registration, PARAMS, msg, signatures, random),
      { samples: 3 },
    );
    select.results[name] = await measure(
      () => aggregateVerifiedSignatures(registration, PARAMS, signatures),
      {
        samples: 5,
      },
    );
    aggVerify.results[name] = await measure(
      () => verifyConcatenationProof(backend, proof, msg, avk, PARAMS),
      {
        samples: slow ? 3 : 10,
      },
    );
  }

  console.log('');
  printTable(rows, BACKENDS, BASELINE);
  writeResults(RESULTS_FILE, {
    benchmark: 'crypto',
    date: new Date().toISOString(),
    machine: machineInfo(),
    parameters: PARAMS,
    signers: SIGNERS,
    stakes: { distribution: 'pareto', alpha: PARETO_ALPHA, min: MIN_STAKE, max: MAX_STAKE },
    signingSet: {
      signatures: signatures.length,
      stakeFraction: setup.signedStakeFraction,
      distinctIndexes: setup.distinctIndexes,
      proofSignatures: proof.signatures.length,
    },
    baseline: BASELINE,
    rows,
  });
  console.log(`\nresults written to ${RESULTS_FILE}`);
}

await run();
