import { expect } from 'chai';
import { chunkDelayMs, delayed, isConditioned } from '../../../scripts/simnet/link.ts';
import { seededRandom } from '../../../scripts/simnet/random.ts';

async function* chunks(...sizes: number[]): AsyncGenerator<Uint8Array> {
  for (const size of sizes) yield new Uint8Array(size);
}

describe('simnet link model', () => {
  it('delays each chunk by median ± jitter, and a lost one by a retransmission timeout more', () => {
    const random = seededRandom(1);
    const plain = { latencyMs: { median: 50, jitter: 20 }, loss: 0 };
    const delays = Array.from({ length: 1000 }, () => chunkDelayMs(plain, random));
    expect(Math.min(...delays)).to.be.at.least(30);
    expect(Math.max(...delays)).to.be.at.most(70);
    // RTO: twice the median (100 ms), floored at 200 ms; about half of the chunks are lost.
    const lossy = { latencyMs: { median: 50, jitter: 0 }, loss: 0.5 };
    const lossyDelays = Array.from({ length: 1000 }, () => chunkDelayMs(lossy, random));
    expect(new Set(lossyDelays)).to.deep.equal(new Set([50, 250]));
    expect(lossyDelays.filter((d) => d === 250).length).to.be.within(400, 600);
    expect(isConditioned({ latencyMs: { median: 0, jitter: 0 }, loss: 0 })).to.equal(false);
    expect(isConditioned(lossy)).to.equal(true);
  });

  it('holds chunks back until due and never lets one overtake the one before', async () => {
    const planned = [40, 0, 10];
    const start = Date.now();
    const arrivals: { size: number; atMs: number }[] = [];
    for await (const chunk of delayed(chunks(1, 2, 3), () => planned.shift()!)) {
      arrivals.push({ size: chunk.byteLength, atMs: Date.now() - start });
    }
    expect(arrivals.map((a) => a.size)).to.deep.equal([1, 2, 3]);
    // setTimeout may fire a millisecond early on some platforms.
    for (const a of arrivals) expect(a.atMs).to.be.at.least(39);
  });

  it('passes the source failure on after the chunks before it', async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(1);
      throw new Error('socket reset');
    }
    const seen: number[] = [];
    let error: unknown;
    try {
      for await (const chunk of delayed(failing(), () => 1)) seen.push(chunk.byteLength);
    } catch (e) {
      error = e;
    }
    expect(seen).to.deep.equal([1]);
    expect(String(error)).to.include('socket reset');
  });
});
