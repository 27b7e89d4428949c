// message/cpim as the client reads and writes it (RFC 3862), through the wire codec.
import { unwrapCpim, wrapCpim } from '../../../src/client/cpim';
import { warningText } from '../../../src/client/errors';

const crlf = (lines: string[]) => Buffer.from(lines.join('\r\n'), 'utf8');

test('RFC 3862 2: a CPIM payload gives the sender, the wrapped type and body', () => {
  const body = crlf(['From: "Bob B." <sip:bob@example.com>', 'To: <sip:conf-1@h>', 'DateTime: 2026-11-02T10:00:00Z', '', 'Content-Type: text/plain; charset=utf-8', '', 'hi €']);
  const u = unwrapCpim('message/cpim', body);
  expect(u.contentType).toBe('text/plain');
  expect(u.body.toString()).toBe('hi €');
  expect(u.sender).toEqual({ uri: 'sip:bob@example.com', name: 'Bob B.', anonymous: false });
  expect(u.cpim).toEqual({ payload: body, to: ['<sip:conf-1@h>'], dateTime: '2026-11-02T10:00:00Z' });
});

test('RFC 3323 / OMA IM: the anonymous URI in From marks an anonymous sender', () => {
  const u = unwrapCpim('message/cpim', crlf(['From: Anonymous <sip:anonymous@anonymous.invalid>', '', 'Content-Type: text/plain', '', 'x']));
  expect(u.sender).toEqual({ uri: 'sip:anonymous@anonymous.invalid', name: 'Anonymous', anonymous: true });
});

test('not CPIM, or CPIM that does not parse, is given as it came', () => {
  const plain = Buffer.from('hello');
  expect(unwrapCpim('text/plain', plain)).toEqual({ contentType: 'text/plain', body: plain });
  const broken = Buffer.from('no blank line here');
  expect(unwrapCpim('message/cpim', broken)).toEqual({ contentType: 'message/cpim', body: broken });
  // no Content-Type inside: text/plain (RFC 2045 5.2); no From: no sender
  const bare = unwrapCpim('message/cpim', crlf(['To: <sip:x@h>', '', '', 'body']));
  expect(bare.contentType).toBe('text/plain');
  expect(bare.sender).toBeUndefined();
});

test('wrapCpim reads back through unwrapCpim (anonymous or not)', () => {
  const w = wrapCpim({ from: 'sip:alice@h', anonymous: false, to: 'sip:conf-1@h:5060;transport=tcp', contentType: 'text/plain', body: Buffer.from('x\r\n\r\ny'), at: new Date(0) });
  const u = unwrapCpim('message/cpim', w);
  expect(u).toMatchObject({ contentType: 'text/plain', sender: { uri: 'sip:alice@h', anonymous: false } });
  expect(u.body.toString()).toBe('x\r\n\r\ny');
  const a = unwrapCpim('message/cpim', wrapCpim({ from: 'sip:alice@h', anonymous: true, to: 'sip:c@h', contentType: 'text/plain', body: Buffer.alloc(0), at: new Date(0) }));
  expect(a.sender?.anonymous).toBe(true);
  expect(a.sender?.uri).not.toContain('alice');
});

test('RFC 3261 20.43: the warn-text of a Warning is what the user reads', () => {
  expect(warningText('399 imedge.local "Too many invited users: 12 listed, MAX-ADHOC-GROUP-SIZE is 10"')).toBe('Too many invited users: 12 listed, MAX-ADHOC-GROUP-SIZE is 10');
  expect(warningText('399 h "a \\"quoted\\" word", 301 h "second"')).toBe('a "quoted" word; second');
  expect(warningText('garbage')).toBe('garbage');
});
