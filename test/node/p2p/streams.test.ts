import { expect } from 'chai';
import { RequestResponseError, createRequestResponse } from '../../../node/p2p/streams.ts';
import type { RequestResponse } from '../../../node/p2p/request-response.ts';
import type { TestNode } from './helpers.ts';
import { startNode, stopAll } from './helpers.ts';

const PROTOCOL = '/mithril-mesh/testnet/echo/1.0.0';

describe('p2p/streams (request/response over TCP loopback)', function () {
  this.timeout(20_000);
  let nodes: TestNode[] = [];
  let client: RequestResponse;
  let server: RequestResponse;
  let serverId: string;
  /** Releases handlers that hang (the timeout test) so that no stream outlives the test. */
  const release = new AbortController();

  before(async () => {
    nodes = [await startNode(), await startNode()];
    const [a, b] = nodes as [TestNode, TestNode];
    client = createRequestResponse(a.host);
    server = createRequestResponse(b.host);
    serverId = b.id;
    await a.host.dial(b.host.getMultiaddrs());
  });

  after(async () => {
    release.abort();
    await stopAll(nodes);
  });

  async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
    try {
      await promise;
    } catch (err) {
      expect(err).to.be.instanceOf(RequestResponseError);
      expect((err as RequestResponseError).code, String(err)).to.equal(code);
      return;
    }
    expect.fail(`expected ${code}`);
  }

  const options = { maxResponseBytes: 1024, timeoutMs: 5000 };

  it('answers a request', async () => {
    await server.handle(
      `${PROTOCOL}/answer`,
      async (request, peerId) => {
        expect(peerId).to.equal(nodes[0]?.id);
        return new Uint8Array([...request].reverse());
      },
      { maxRequestBytes: 16 },
    );
    const response = await client.request(serverId, `${PROTOCOL}/answer`, new Uint8Array([1, 2, 3]), options);
    expect([...response]).to.deep.equal([3, 2, 1]);
    expect(client.connectedPeers()).to.deep.equal([serverId]);
  });

  it('times out when the responder does not answer in time', async () => {
    await server.handle(
      `${PROTOCOL}/slow`,
      () =>
        new Promise<Uint8Array>((_resolve, reject) =>
          release.signal.addEventListener('abort', () => reject(new Error('released'))),
        ),
      { maxRequestBytes: 16 },
    );
    await expectCode(
      client.request(serverId, `${PROTOCOL}/slow`, new Uint8Array([1]), { ...options, timeoutMs: 200 }),
      'TIMEOUT',
    );
  });

  it("stops at the caller's abort signal", async () => {
    const controller = new AbortController();
    const pending = client.request(serverId, `${PROTOCOL}/slow`, new Uint8Array([1]), {
      ...options,
      signal: controller.signal,
    });
    controller.abort();
    await expectCode(pending, 'ABORTED');
  });

  it('rejects a response above maxResponseBytes', async () => {
    await server.handle(`${PROTOCOL}/big`, async () => new Uint8Array(2048), { maxRequestBytes: 16 });
    await expectCode(
      client.request(serverId, `${PROTOCOL}/big`, new Uint8Array([1]), options),
      'RESPONSE_TOO_LARGE',
    );
  });

  it('gets no response when the handler throws', async () => {
    await server.handle(
      `${PROTOCOL}/fail`,
      async () => {
        throw new Error('handler failure');
      },
      { maxRequestBytes: 16 },
    );
    await expectCode(
      client.request(serverId, `${PROTOCOL}/fail`, new Uint8Array([1]), options),
      'NO_RESPONSE',
    );
  });

  it('gets no answer to a request above maxRequestBytes', async () => {
    let called = false;
    await server.handle(
      `${PROTOCOL}/small`,
      async () => {
        called = true;
        return new Uint8Array([1]);
      },
      { maxRequestBytes: 4 },
    );
    try {
      await client.request(serverId, `${PROTOCOL}/small`, new Uint8Array(64), options);
      expect.fail('expected a failure');
    } catch (err) {
      expect(err).to.be.instanceOf(RequestResponseError);
      expect(['NO_RESPONSE', 'STREAM_ERROR']).to.include((err as RequestResponseError).code);
    }
    expect(called).to.equal(false);
  });

  it('fails to dial a protocol nobody handles, and after unhandle', async () => {
    await expectCode(
      client.request(serverId, `${PROTOCOL}/none`, new Uint8Array([1]), options),
      'DIAL_FAILED',
    );
    await server.unhandle(`${PROTOCOL}/answer`);
    await expectCode(
      client.request(serverId, `${PROTOCOL}/answer`, new Uint8Array([1]), options),
      'DIAL_FAILED',
    );
  });
});
