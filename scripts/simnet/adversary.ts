/**
 * Adversarial nodes of a simulation: which nodes misbehave (`selectAdversaries`) and how
 * (`startAdversary`). An adversarial node is a real `MeshNode` that keeps running the honest
 * protocol (it registers, signs and relays) and, on top of it, publishes bad messages with its
 * own libp2p host (`node.host.services.pubsub.publish`), bypassing its own validation, whenever it
 * sees honest traffic of a round (its own node's events):
 *
 * - `garbage`: on the first foreign signature of a beacon and the first foreign registration of a
 *   recording epoch, `GARBAGE_PER_ROUND` messages of random bytes on that topic (REJECT MALFORMED).
 *   Once its score is below the graylist threshold, honest neighbours drop its messages unjudged.
 * - `invalidSignatures`: for each foreign signature it accepts (up to `FORGERIES_PER_ROUND` per
 *   beacon), the same message re-encoded with the σ of another signer of the beacon from its store
 *   (REJECT INVALID_SIGNATURE, or EQUIVOCATION where the receiver holds the genuine one).
 * - `equivocation`: `EQUIVOCATION_DELAY_MS` after each of its own pools' registrations is
 *   accepted, a second registration of that pool for the same (still open) recording epoch with a
 *   fresh BLS key, KES-signed by the pool (REJECT EQUIVOCATION). The delay lets the genuine one
 *   reach every node first, so that the honest nodes keep the same signer set.
 * - `silent`: right after start, its signing service and its gossip adapter are stopped: its
 *   pools never sign, and it is subscribed to no topic, so it relays nothing and publishes no
 *   signature. Its registration service keeps running, so its pools may still be registered (their
 *   stake then counts in the signer set without ever signing, the harder case for the quorum).
 *
 * The runner waits for certificates on the honest nodes only: an adversary is graylisted by its
 * neighbours once its score falls below the threshold, and may then miss certificates.
 *
 * Node 0 is never adversarial: it holds the genesis signing key and every node bootstraps from it.
 */
import { randomBytes } from 'node:crypto';
import { topicName } from '../../node/gossip/topics.ts';
import type { MeshNode } from '../../node/mesh-node.ts';
import { encodeRegistration } from '../../node/registration/message.ts';
import { decodeSignatureMessage, encodeSignatureMessage } from '../../node/signing/message.ts';
import type { BlsBackend } from '../../protocol/crypto/bls/index.ts';
import { generateSecretKey } from '../../protocol/crypto/bls/index.ts';
import type { RandomSource } from '../../protocol/crypto/random.ts';
import type { SignedEntityType } from '../../protocol/message/signed-entity-type.ts';
import { beaconLabel } from './measure.ts';
import type { AdversaryKind, Scenario } from './scenario.ts';
import { ADVERSARY_KINDS } from './scenario.ts';

/** Garbage messages per topic and round: enough REJECTs to push the sender's score well below 0. */
export const GARBAGE_PER_ROUND = 3;
/** Garbage size: a registration-sized blob, below every topic's message size limit. */
const GARBAGE_BYTES = 300;
/** Forged signatures per beacon: a few, each one a REJECT at every honest neighbour. */
export const FORGERIES_PER_ROUND = 3;
/** Loopback gossip delivers a registration to every node well within this time. */
export const EQUIVOCATION_DELAY_MS = 1000;
/** The equivocating registration is sent only with at least this much of the window left. */
const EQUIVOCATION_MIN_WINDOW_MS = 500;
/** The node that holds the genesis key and bootstraps every other node. */
const GENESIS_NODE = 0;

/**
 * The kind of each adversarial node (node index → kind). Nodes are ranked by `adversarySelection`
 * (by the total stake of their signers, ties by index, or shuffled from `random`); the first
 * `adversaries.invalidSignatures` ranked nodes get that kind, the next ones the following kind, in
 * `ADVERSARY_KINDS` order. Node 0 is never picked.
 */
export function selectAdversaries(
  s: Scenario,
  stakes: readonly bigint[],
  random: () => number,
): Map<number, AdversaryKind> {
  const nodeStake = s.nodeSigners.map((signers) => signers.reduce((sum, j) => sum + stakes[j]!, 0n));
  const candidates = Array.from({ length: s.nodes }, (_, i) => i).filter((i) => i !== GENESIS_NODE);
  const byStake = (a: number, b: number): number =>
    nodeStake[a]! < nodeStake[b]! ? -1 : nodeStake[a]! > nodeStake[b]! ? 1 : a - b;
  switch (s.adversarySelection) {
    case 'lowest-stake':
      candidates.sort(byStake);
      break;
    case 'highest-stake':
      candidates.sort((a, b) => byStake(b, a));
      break;
    case 'random':
      // Fisher-Yates from the seed.
      for (let j = candidates.length - 1; j > 0; j--) {
        const pick = Math.floor(random() * (j + 1));
        [candidates[j], candidates[pick]] = [candidates[pick]!, candidates[j]!];
      }
      break;
  }
  const kinds = ADVERSARY_KINDS.flatMap((kind) => new Array<AdversaryKind>(s.adversaries[kind]).fill(kind));
  return new Map(kinds.slice(0, candidates.length).map((kind, r) => [candidates[r]!, kind]));
}

/** Number of adversaries the scenario asks for that `selectAdversaries` could not place (node 0 excluded). */
export function unplacedAdversaries(s: Scenario, selected: ReadonlyMap<number, AdversaryKind>): number {
  return ADVERSARY_KINDS.reduce((sum, kind) => sum + s.adversaries[kind], 0) - selected.size;
}

export interface AdversaryContext {
  bls: BlsBackend;
  /** Randomness for the fresh keys of equivocating registrations. */
  random: RandomSource;
  /** Called with any error of a misbehaviour (the run goes on). */
  onError(error: unknown): void;
}

/** Makes a started `node` misbehave as `kind`; resolves to a function that stops the misbehaviour. */
export async function startAdversary(
  node: MeshNode,
  kind: AdversaryKind,
  context: AdversaryContext,
): Promise<() => void> {
  const network = node.config.network;
  const pubsub = node.host.services.pubsub;
  const publish = (topic: string, data: Uint8Array): void => {
    // No subscribed peer yet is not an error of the run: the message is simply lost.
    pubsub.publish(topic, data).catch(() => undefined);
  };
  const guard = (task: Promise<void>): void => {
    task.catch(context.onError);
  };
  const signatureTopic = (entity: SignedEntityType): string =>
    topicName(network, { kind: 'signature', entityType: entity.type });
  const registrationTopic = topicName(network, { kind: 'registration' });

  switch (kind) {
    case 'silent':
      await node.signing.stop();
      node.gossip.stop();
      return () => undefined;
    case 'garbage': {
      const rounds = new Set<string>();
      const spray = (round: string, topic: string): void => {
        if (rounds.has(round)) return;
        rounds.add(round);
        for (let g = 0; g < GARBAGE_PER_ROUND; g++)
          publish(topic, new Uint8Array(randomBytes(GARBAGE_BYTES)));
      };
      const offSignatures = node.events.on('signature:accepted', (e) => {
        if (!e.own) spray(`signature ${beaconLabel(e.entity)}`, signatureTopic(e.entity));
      });
      const offRegistrations = node.events.on('registration:accepted', (e) => {
        if (!e.own) spray(`registration ${e.epoch}`, registrationTopic);
      });
      return () => {
        offSignatures();
        offRegistrations();
      };
    }
    case 'invalidSignatures': {
      const forged = new Map<string, number>();
      const m = node.config.protocol.m;
      const forge = async (entity: SignedEntityType, partyId: string): Promise<void> => {
        const label = beaconLabel(entity);
        if ((forged.get(label) ?? 0) >= FORGERIES_PER_ROUND) return;
        const stored = await node.store.signatures.list(entity);
        const victim = stored.find((s) => s.partyId === partyId);
        const donor = stored.find((s) => s.partyId !== partyId);
        if (victim === undefined || donor === undefined) return;
        if ((forged.get(label) ?? 0) >= FORGERIES_PER_ROUND) return;
        forged.set(label, (forged.get(label) ?? 0) + 1);
        const a = decodeSignatureMessage(victim.message, m);
        const b = decodeSignatureMessage(donor.message, m);
        const { bytes: _bytes, ...fields } = a;
        publish(
          signatureTopic(entity),
          encodeSignatureMessage({ ...fields, signature: { ...a.signature, sigma: b.signature.sigma } }),
        );
      };
      return node.events.on('signature:accepted', (e) => {
        if (!e.own) guard(forge(e.entity, e.partyId));
      });
    }
    case 'equivocation': {
      const timers = new Set<NodeJS.Timeout>();
      const equivocate = (epoch: number, partyId: string): void => {
        const identity = node.identities.find((id) => id.partyId === partyId);
        const closesInMs = node.registration.closeAt(epoch) - Date.now();
        if (identity === undefined || !node.registration.isOpen(epoch)) return;
        if (closesInMs < EQUIVOCATION_MIN_WINDOW_MS) return;
        const sk = generateSecretKey(context.random);
        const vkPop = { vk: context.bls.verificationKey(sk), pop: context.bls.proofOfPossession(sk) };
        const { kesSignature, kesEvolutions } = identity.signRegistration(
          vkPop,
          node.chain.currentKesPeriod(),
        );
        publish(
          registrationTopic,
          encodeRegistration({ epoch, vkPop, opCert: identity.opCert, kesEvolutions, kesSignature }),
        );
      };
      const off = node.events.on('registration:accepted', (e) => {
        if (!e.own) return;
        const timer = setTimeout(() => {
          timers.delete(timer);
          try {
            equivocate(e.epoch, e.partyId);
          } catch (error) {
            context.onError(error);
          }
        }, EQUIVOCATION_DELAY_MS);
        timers.add(timer);
      });
      return () => {
        off();
        for (const timer of timers) clearTimeout(timer);
      };
    }
  }
}
