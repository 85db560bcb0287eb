/**
 * `RequestResponse` on libp2p streams: one length-prefixed request and one length-prefixed
 * response per stream (it-pipe + it-length-prefixed). The responder bounds the request it reads,
 * the requester the response; a length prefix above the bound fails before the body is read.
 * Every exchange has a deadline, and every stream ends closed (done) or aborted (failure).
 *
 * Requests fail with `RequestResponseError`, codes: TIMEOUT, ABORTED (the caller's signal),
 * DIAL_FAILED (no connection or protocol not supported), RESPONSE_TOO_LARGE, NO_RESPONSE (the
 * responder closed the stream without an answer: its handler threw), STREAM_ERROR.
 */
import type { Logger, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import * as lp from 'it-length-prefixed';
import { pipe } from 'it-pipe';
import type { Libp2p } from 'libp2p';
import { ProtocolError } from '../../protocol/errors.ts';
import type { RequestHandler, RequestResponse } from './request-response.ts';

export class RequestResponseError extends ProtocolError {}

/**
 * A responder gives up on an exchange after this long (reading the request, answering, writing):
 * longer than any requester timeout in the node, so that requesters time out first; it only frees
 * streams of requesters that stall.
 */
export const RESPONDER_TIMEOUT_MS = 30_000;

export type StreamHost = Pick<Libp2p, 'handle' | 'unhandle' | 'dialProtocol' | 'getPeers' | 'logger'>;

export function createRequestResponse(host: StreamHost): RequestResponse {
  const log = host.logger.forComponent('mithril-mesh:request-response');
  return {
    async handle(protocol, handler, { maxRequestBytes }) {
      await host.handle(protocol, ({ stream, connection }) => {
        void respond(stream, connection.remotePeer.toString(), handler, maxRequestBytes, log);
      });
    },

    async unhandle(protocol) {
      await host.unhandle(protocol);
    },

    async request(peerId, protocol, request, { maxResponseBytes, timeoutMs, signal }) {
      const timeout = AbortSignal.timeout(timeoutMs);
      const deadline = signal === undefined ? timeout : AbortSignal.any([timeout, signal]);
      const failure = (err: unknown, fallback: string): RequestResponseError => {
        if (timeout.aborted)
          return new RequestResponseError('TIMEOUT', `${protocol}: no response in ${timeoutMs} ms`);
        if (signal?.aborted === true)
          return new RequestResponseError('ABORTED', `${protocol}: aborted`, { cause: err });
        if (err instanceof RequestResponseError) return err;
        if (err instanceof Error && err.name === 'InvalidDataLengthError')
          return new RequestResponseError(
            'RESPONSE_TOO_LARGE',
            `${protocol}: response above ${maxResponseBytes} bytes`,
          );
        return new RequestResponseError(fallback, `${protocol} with ${peerId}: ${String(err)}`, {
          cause: err,
        });
      };

      let stream: Stream;
      try {
        stream = await host.dialProtocol(peerIdFromString(peerId), protocol, { signal: deadline });
      } catch (err) {
        throw failure(err, 'DIAL_FAILED');
      }
      const onAbort = (): void => stream.abort(failure(deadline.reason, 'ABORTED'));
      deadline.addEventListener('abort', onAbort, { once: true });
      try {
        // The sink closes our writing side once the request is sent.
        await pipe([request], (source) => lp.encode(source), stream.sink);
        const response = await readOne(stream, maxResponseBytes);
        if (response === undefined)
          throw new RequestResponseError(
            'NO_RESPONSE',
            `${protocol}: ${peerId} closed the stream without an answer`,
          );
        await stream.close({ signal: deadline });
        return response;
      } catch (err) {
        const error = failure(err, 'STREAM_ERROR');
        stream.abort(error);
        throw error;
      } finally {
        deadline.removeEventListener('abort', onAbort);
      }
    },

    connectedPeers() {
      return host.getPeers().map((peerId) => peerId.toString());
    },
  };
}

/** Reads one frame of at most `maxBytes`; undefined if the stream ends first. */
async function readOne(stream: Stream, maxBytes: number): Promise<Uint8Array | undefined> {
  for await (const frame of lp.decode(stream.source, { maxDataLength: maxBytes })) return frame.subarray();
  return undefined;
}

async function respond(
  stream: Stream,
  peerId: string,
  handler: RequestHandler,
  maxRequestBytes: number,
  log: Logger,
): Promise<void> {
  const deadline = AbortSignal.timeout(RESPONDER_TIMEOUT_MS);
  const onAbort = (): void =>
    stream.abort(new RequestResponseError('TIMEOUT', `${stream.protocol}: responder deadline`));
  deadline.addEventListener('abort', onAbort, { once: true });
  try {
    const request = await readOne(stream, maxRequestBytes);
    if (request === undefined) {
      await stream.close({ signal: deadline });
      return;
    }
    let response: Uint8Array;
    try {
      response = await handler(request, peerId);
    } catch (err) {
      // No answer: the requester sees the stream end (NO_RESPONSE).
      log('%s handler failed for %s: %e', stream.protocol, peerId, err);
      await stream.close({ signal: deadline });
      return;
    }
    await pipe([response], (source) => lp.encode(source), stream.sink);
    await stream.close({ signal: deadline });
  } catch (err) {
    log('%s exchange with %s failed: %e', stream.protocol, peerId, err);
    stream.abort(err instanceof Error ? err : new Error(String(err)));
  } finally {
    deadline.removeEventListener('abort', onAbort);
  }
}
