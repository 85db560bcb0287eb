import { expect } from 'chai';
import { GossipWireMetrics } from '../../../node/gossip/wire-metrics.ts';

describe('node/gossip/wire-metrics', () => {
  it("keeps gossipsub's received and duplicate counters by topic, and ignores the other metrics", () => {
    const metrics = new GossipWireMetrics();
    const received = metrics.gauge<{ topic: string }>({
      name: 'gossipsub_msg_received_prevalidation_total',
    });
    const duplicates = metrics.gauge<{ topic: string }>({
      name: 'gossipsub_pre_validation_duplicate_total',
    });
    const plain = metrics.gauge({ name: 'gossipsub_peers' });
    received.inc({ topic: 'a' }, 1);
    received.inc({ topic: 'a' }, 2);
    received.inc({ topic: 'b' });
    duplicates.inc({ topic: 'a' });
    plain.inc(5);
    plain.set(3);
    metrics.histogram().observe(1 as never);
    metrics.avgMinMax().set([1] as never);
    const counts = metrics.counts();
    expect([...counts.received]).to.deep.equal([
      ['a', 3],
      ['b', 1],
    ]);
    expect([...counts.duplicates]).to.deep.equal([['a', 1]]);
  });
});
