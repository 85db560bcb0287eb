/**
 * The devnet's last word: verifies every node's stored chain back to the devnet's genesis key
 * and checks that all nodes hold the same chain.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { genesisVerificationKeyFromHex } from '../../protocol/cardano/genesis-key.ts';
import { loadBlsBackend } from '../../protocol/crypto/bls/index.ts';
import { loadStoredCertificates, verifyLoadedCertificates } from '../commands/verify-chain.ts';
import type { DevnetPlan } from './plan.ts';

/**
 * `allowEmpty`: a node with no certificate yet is reported, not failed (a run interrupted early).
 */
export async function verifyDevnetChains(
  plan: DevnetPlan,
  { allowEmpty }: { allowEmpty: boolean },
): Promise<{ ok: boolean; lines: string[] }> {
  const ctx = {
    backend: await loadBlsBackend('mcl'),
    genesisVerificationKey: genesisVerificationKeyFromHex(
      readFileSync(join(plan.dir, 'genesis.vkey'), 'utf8').trim(),
    ),
  };
  const lines: string[] = [];
  const chains = new Set<string>();
  let ok = true;
  for (let i = 1; i <= plan.manifest.nodes; i++) {
    const loaded = await loadStoredCertificates(plan.dataDir(i));
    if (loaded.length === 0) {
      lines.push(`node ${i}: no certificate yet`);
      ok &&= allowEmpty;
      continue;
    }
    const report = verifyLoadedCertificates(loaded, ctx);
    const hashes = report.certificates.map((c) => c.hash).sort();
    chains.add(hashes.join(','));
    ok &&= report.valid;
    const failed = report.certificates.find((c) => !c.ok);
    lines.push(
      report.valid
        ? `node ${i}: chain verified, ${report.certificates.length} certificates back to genesis, latest ${report.start}`
        : `node ${i}: chain INVALID: ${failed?.hash} failed check ${failed?.check}`,
    );
  }
  ok &&= chains.size <= 1;
  if (chains.size === 0) return { ok, lines };
  lines.push(
    chains.size === 1
      ? `all ${plan.manifest.nodes} nodes hold the same chain; verify one with: npm run mesh -- verify-chain --data-dir ${plan.dataDir(1)} --genesis-vkey ${join(plan.dir, 'genesis.vkey')}`
      : `nodes hold ${chains.size} DIFFERENT chains`,
  );
  return { ok, lines };
}
