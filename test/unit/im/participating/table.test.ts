import { B2bSession } from '../../../../src/im/participating/session';
import { SessionTable } from '../../../../src/im/participating/table';

let n = 0;
function session(caller: string, callee: string, address: string): B2bSession {
  n++;
  return new B2bSession(`s${n}`, '1-1', `p${n}`, { user: caller, flows: [{ protocol: 'TCP', address, port: 5060 }], ourUri: 'msrp://a' }, { user: callee, flows: [], ourUri: 'msrp://b' });
}

describe('SessionTable: the counts the admission limits read (indexed per user and per source, issue 8)', () => {
  test('a user counts sessions it calls and answered ones it is called in; a ringing inbound one only from the same caller', () => {
    const t = new SessionTable();
    const out = session('alice', 'bob', '10.0.0.1');
    const ringing = session('carol', 'alice', '10.0.0.2');
    const answered = session('dave', 'alice', '10.0.0.3');
    for (const s of [out, ringing, answered]) t.add(s, undefined);
    answered.state = 'confirmed';
    t.confirmed(answered);
    expect(t.userSessions('alice')).toBe(2);
    expect(t.userSessions('alice', 'carol')).toBe(3);
    expect(t.userSessions('bob', 'alice')).toBe(1);
    expect(t.userSessions('nobody')).toBe(0);
    t.remove(out);
    expect(t.userSessions('alice')).toBe(1);
    expect(t.userSessions('bob')).toBe(0);
  });

  test('pending per source counts only unanswered sessions from that address, and forgets answered and removed ones', () => {
    const t = new SessionTable();
    const a = session('u1', 'v1', '192.0.2.1');
    const b = session('u2', 'v2', '192.0.2.1');
    const c = session('u3', 'v3', '192.0.2.2');
    for (const s of [a, b, c]) t.add(s, undefined);
    expect(t.pendingFromSource('192.0.2.1')).toBe(2);
    a.state = 'confirmed';
    t.confirmed(a);
    expect(t.pendingFromSource('192.0.2.1')).toBe(1);
    b.state = 'terminated';
    expect(t.pendingFromSource('192.0.2.1')).toBe(0);
    t.remove(b);
    t.remove(c);
    expect(t.pendingFromSource('192.0.2.2')).toBe(0);
    expect(t.size).toBe(1);
  });

  test('a session a user opens with itself counts once', () => {
    const t = new SessionTable();
    const self = session('eve', 'eve', '10.0.0.9');
    t.add(self, undefined);
    expect(t.userSessions('eve')).toBe(1);
    t.remove(self);
    expect(t.userSessions('eve')).toBe(0);
  });
});
