/**
 * Request/response over libp2p streams (length-prefixed frames with it-pipe), as domain modules
 * see it: they register a handler per protocol and ask peers, without touching libp2p.
 * Protocol ids are `/mithril-mesh/<network>/<name>/<version>`.
 */
export interface RequestHandler {
  /** Answers one request from `peerId`; throwing closes the stream without an answer. */
  (request: Uint8Array, peerId: string): Promise<Uint8Array>;
}

export interface RequestResponse {
  handle(protocol: string, handler: RequestHandler, options: { maxRequestBytes: number }): Promise<void>;
  unhandle(protocol: string): Promise<void>;
  /** Sends one request and reads one response; rejects on timeout, abort or a response above `maxResponseBytes`. */
  request(
    peerId: string,
    protocol: string,
    request: Uint8Array,
    options: { maxResponseBytes: number; timeoutMs: number; signal?: AbortSignal },
  ): Promise<Uint8Array>;
  /** Peers currently connected (candidates to ask). */
  connectedPeers(): string[];
}
