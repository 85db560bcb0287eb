/**
 * A `TopicHandler` of plain-text test messages on the registration topic. The text chooses the
 * verdict: `bad…` fails to decode (REJECT MALFORMED), `ignore…` is IGNOREd (DUPLICATE),
 * `reject…` is REJECTed (INVALID_SIGNATURE), `crash…` throws a plain Error, `slow…` waits for
 * `release()`; anything else is valid.
 */
import { ignore, reject } from '../../../node/gossip/errors.ts';
import type { TopicHandler } from '../../../node/gossip/handler.ts';
import type { MeshTopic } from '../../../node/gossip/topics.ts';

export class TextHandler implements TopicHandler<string> {
  readonly topic: MeshTopic = { kind: 'registration' };
  readonly maxMessageBytes = 256;
  /** Every message decoded, in order. */
  readonly decoded: string[] = [];
  /** Accepted message → [sender, time of acceptance (performance.now())]. */
  readonly accepted = new Map<string, [string, number]>();
  /** Dispatches 'accept' after each accepted message. */
  readonly changes = new EventTarget();
  private gate: Promise<void>;
  release!: () => void;

  constructor() {
    this.gate = new Promise((resolve) => (this.release = resolve));
  }

  decode(data: Uint8Array): string {
    const text = new TextDecoder().decode(data);
    this.decoded.push(text);
    if (text.startsWith('bad')) throw reject('MALFORMED', 'not a test message');
    return text;
  }

  async validate(message: string): Promise<void> {
    if (message.startsWith('slow')) await this.gate;
    if (message.startsWith('ignore')) throw ignore('DUPLICATE', 'seen before');
    if (message.startsWith('reject')) throw reject('INVALID_SIGNATURE', 'forged');
    if (message.startsWith('crash')) throw new Error('handler bug');
  }

  async accept(message: string, from: string): Promise<void> {
    this.accepted.set(message, [from, performance.now()]);
    this.changes.dispatchEvent(new Event('accept'));
  }
}
