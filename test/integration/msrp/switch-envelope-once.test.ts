import { until } from './helpers';
import { cpimOf, switchRig } from './switch-helpers';

describe('MSRP switch: one CPIM envelope per message', () => {
  test('RFC 3862 envelope built once per message, not once per receiver (6 participants, 4 messages: 4 envelopes, the same bytes at every receiver)', async () => {
    let envelopes = 0;
    // the switch reads its clock for the envelope's DateTime, once for each envelope it writes
    const now = (): Date => new Date(Date.UTC(2026, 0, 1, 0, 0, envelopes++));
    const rig = await switchRig(6, { switchOpts: { now } });
    try {
      const [sender, ...receivers] = rig.members;
      for (let i = 0; i < 4; i++) expect((await sender.ep.send(Buffer.from(`message ${i}`))).status).toBe(200);
      await until(() => receivers.every((m) => m.received.length === 4), 'four messages at each receiver');
      expect(envelopes).toBe(4);
      for (let i = 0; i < 4; i++) {
        const heads = receivers.map((m) => JSON.stringify(cpimOf(m.received[i]).headers));
        expect(new Set(heads).size).toBe(1);
      }
      expect(rig.sw.counters.deliveries).toBe(4 * receivers.length);
    } finally {
      await rig.close();
    }
  });
});
