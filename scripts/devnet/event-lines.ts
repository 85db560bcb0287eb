/**
 * The line protocol between `mithril-mesh start --events json` and whoever supervises the
 * process (the devnet, simulations): one JSON object per line on stdout,
 * `{"time":<ms>,"event":"<name>","data":{…}}`, BigInt values written as decimal strings.
 */
import type { MeshEventMap } from '../../node/events.ts';

/** Events of the process itself, besides the node's `MeshEventMap`. */
export interface ProcessEventMap {
  'node:listening': { peerId: string; multiaddrs: string[] };
  'node:stopping': { signal: string };
  'node:error': { message: string };
}

export type EventLineMap = MeshEventMap & ProcessEventMap;
export type EventLineName = keyof EventLineMap;

export interface EventLine<K extends EventLineName = EventLineName> {
  time: number;
  event: K;
  data: EventLineMap[K];
}

export function formatEventLine<K extends EventLineName>(
  time: number,
  event: K,
  data: EventLineMap[K],
): string {
  return JSON.stringify({ time, event, data }, (_key, value: unknown) =>
    typeof value === 'bigint' ? value.toString() : value,
  );
}

/** The event of one stdout line, or undefined for a line that is not one (logs, partial output). */
export function parseEventLine(line: string): EventLine | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value = JSON.parse(line) as Partial<EventLine>;
    if (typeof value.time !== 'number' || typeof value.event !== 'string' || typeof value.data !== 'object') {
      return undefined;
    }
    return value as EventLine;
  } catch {
    return undefined;
  }
}
