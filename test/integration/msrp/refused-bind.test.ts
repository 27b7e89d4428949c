import { randomBytes } from 'node:crypto';
import { bindSend, RawClient, relayRig, until } from './helpers';

const tid = (): string => randomBytes(6).toString('hex');

// Outside attack (session 13, F1): a connection already bound to one session sent a binding SEND
// for a second session with the wrong From-Path; it got 481, and the second session's real owner
// must still be able to bind it from its own connection.
describe('RFC 4975 7.3 / 5.4: a refused request never binds its session', () => {
  test('RFC 4975 7.3: 481 for a wrong From-Path on a connection bound to another session leaves the session free', async () => {
    const rig = await relayRig();
    const one = rig.relay.createPair({ a: { remotePath: ['msrp://127.0.0.1:9/aliceOne;tcp'] }, b: { remotePath: ['msrp://127.0.0.1:9/bobOne;tcp'] } });
    const two = rig.relay.createPair({ a: { remotePath: ['msrp://127.0.0.1:9/aliceTwo;tcp'] }, b: { remotePath: ['msrp://127.0.0.1:9/bobTwo;tcp'] } });
    const shared = await RawClient.open(rig.port);
    const owner = await RawClient.open(rig.port);
    try {
      const t1 = tid();
      shared.write(bindSend(t1, one.aLocal, 'msrp://127.0.0.1:9/aliceOne;tcp'));
      await until(() => shared.responses(t1).length === 1, 'first bind');
      expect(shared.responses(t1)[0].head).toMatchObject({ status: 200 });
      // the same connection, session two, but session one's From-Path
      const t2 = tid();
      shared.write(bindSend(t2, two.aLocal, 'msrp://127.0.0.1:9/aliceOne;tcp'));
      await until(() => shared.responses(t2).length === 1, 'refused bind');
      expect(shared.responses(t2)[0].head).toMatchObject({ status: 481 });
      // session two's owner binds it from its own connection
      const t3 = tid();
      owner.write(bindSend(t3, two.aLocal, 'msrp://127.0.0.1:9/aliceTwo;tcp'));
      await until(() => owner.responses(t3).length === 1, 'owner bind');
      expect(owner.responses(t3)[0].head).toMatchObject({ status: 200 });
      // and a correct binding SEND for a second session on a shared connection is allowed (5.4)
      const three = rig.relay.createPair({ a: { remotePath: ['msrp://127.0.0.1:9/aliceThree;tcp'] }, b: { remotePath: ['msrp://127.0.0.1:9/bobThree;tcp'] } });
      const t4 = tid();
      shared.write(bindSend(t4, three.aLocal, 'msrp://127.0.0.1:9/aliceThree;tcp'));
      await until(() => shared.responses(t4).length === 1, 'shared bind');
      expect(shared.responses(t4)[0].head).toMatchObject({ status: 200 });
    } finally {
      shared.end();
      owner.end();
      await rig.close();
    }
  });
});
