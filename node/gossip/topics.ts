/**
 * Gossipsub topics: one for registrations, and one per signed-entity type for single
 * signatures and for certificates, all scoped by network so that two meshes never mix.
 * `/mithril-mesh/<network>/registration/1`, `/mithril-mesh/<network>/signature/<Type>/1`,
 * `/mithril-mesh/<network>/certificate/<Type>/1`. The trailing 1 is the message format version.
 */
import type { SignedEntityTypeName } from '../../protocol/message/signed-entity-type.ts';
import { ACTIVE_SIGNED_ENTITY_TYPES } from '../../protocol/message/signed-entity-type.ts';

export const TOPIC_VERSION = '1';

export type MeshTopic =
  | { kind: 'registration' }
  | { kind: 'signature'; entityType: SignedEntityTypeName }
  | { kind: 'certificate'; entityType: SignedEntityTypeName };

/** Network names appear in topic strings and protocol ids: keep them to a safe alphabet. */
const NETWORK_RE = /^[a-z0-9][a-z0-9-]{0,31}$/;

export function isValidNetworkName(network: string): boolean {
  return NETWORK_RE.test(network);
}

export function topicName(network: string, topic: MeshTopic): string {
  const base = `/mithril-mesh/${network}`;
  switch (topic.kind) {
    case 'registration':
      return `${base}/registration/${TOPIC_VERSION}`;
    case 'signature':
    case 'certificate':
      return `${base}/${topic.kind}/${topic.entityType}/${TOPIC_VERSION}`;
  }
}

/** The topic a string names on `network`, or undefined for any other string (unknown topics are rejected). */
export function parseTopic(network: string, name: string): MeshTopic | undefined {
  const parts = name.split('/');
  // ['', 'mithril-mesh', network, kind, (type,) version]
  if (parts[0] !== '' || parts[1] !== 'mithril-mesh' || parts[2] !== network) return undefined;
  if (parts.length === 5 && parts[3] === 'registration' && parts[4] === TOPIC_VERSION)
    return { kind: 'registration' };
  if (
    parts.length === 6 &&
    (parts[3] === 'signature' || parts[3] === 'certificate') &&
    parts[5] === TOPIC_VERSION
  ) {
    const entityType = ACTIVE_SIGNED_ENTITY_TYPES.find((t) => t === parts[4]);
    if (entityType !== undefined) return { kind: parts[3], entityType };
  }
  return undefined;
}
