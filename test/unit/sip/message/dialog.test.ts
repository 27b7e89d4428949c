// RFC 3261 12: dialog creation for UAS and UAC, in-dialog requests, CSeq ordering.
import { acceptRemoteSeq, dialogAsUac, dialogAsUas, inDialogRequest, matchesDialog, refreshTarget } from '../../../../src/sip/message/dialog';
import type { SipRequest, SipResponse } from '../../../../src/sip/message/types';

const invite: SipRequest = {
  method: 'INVITE',
  uri: 'sip:bob@localhost',
  headers: {
    via: [{ version: '2.0', protocol: 'UDP', host: '127.0.0.1', port: 5070, params: { branch: 'z9hG4bK1' } }],
    from: { uri: 'sip:alice@localhost', params: { tag: 'a1' } },
    to: { uri: 'sip:bob@localhost', params: {} },
    'call-id': 'c1',
    cseq: { seq: 7, method: 'INVITE' },
    contact: [{ uri: 'sip:alice@127.0.0.1:5070', params: {} }],
    'record-route': [{ uri: 'sip:p1;lr', params: {} }, { uri: 'sip:p2;lr', params: {} }],
  },
  body: Buffer.alloc(0),
};

test('RFC 3261 12.1.1: UAS dialog takes the route set in order and the Contact as remote target', () => {
  const d = dialogAsUas(invite, 'b1');
  expect(d.remoteTarget).toBe('sip:alice@127.0.0.1:5070');
  expect(d.routeSet.map((r) => r.uri)).toEqual(['sip:p1;lr', 'sip:p2;lr']);
  const bye = inDialogRequest(d, 'BYE');
  expect(bye.uri).toBe('sip:alice@127.0.0.1:5070');
  expect(bye.headers.from?.params.tag).toBe('b1');
  expect(bye.headers.to?.params.tag).toBe('a1');
  expect(bye.headers.cseq).toEqual({ seq: 2, method: 'BYE' });
});

test('RFC 3261 12.1.2: UAC dialog reverses Record-Route and keeps our CSeq', () => {
  const ok: SipResponse = {
    status: 200,
    reason: 'OK',
    headers: { ...invite.headers, to: { uri: 'sip:bob@localhost', params: { tag: 'b9' } }, contact: [{ uri: 'sip:bob@127.0.0.1:5080', params: {} }] },
    body: Buffer.alloc(0),
  };
  const d = dialogAsUac(invite, ok);
  expect(d.routeSet.map((r) => r.uri)).toEqual(['sip:p2;lr', 'sip:p1;lr']);
  expect(d.remoteTarget).toBe('sip:bob@127.0.0.1:5080');
  const ack = inDialogRequest(d, 'ACK', { seq: 7 });
  expect(ack.headers.cseq).toEqual({ seq: 7, method: 'ACK' });
  expect(inDialogRequest(d, 'BYE').headers.cseq?.seq).toBe(8);
});

test('RFC 3261 12.2.2: a lower or equal CSeq is out of order; matching needs both tags', () => {
  const d = dialogAsUas(invite, 'b1');
  const next = (seq: number, method = 'BYE'): SipRequest => ({
    ...invite,
    method,
    headers: { ...invite.headers, to: { uri: 'sip:bob@localhost', params: { tag: 'b1' } }, cseq: { seq, method } },
  });
  expect(matchesDialog(d, next(8))).toBe(true);
  expect(matchesDialog(d, invite)).toBe(false);
  expect(acceptRemoteSeq(d, next(8))).toBe(true);
  expect(acceptRemoteSeq(d, next(8))).toBe(false);
  expect(acceptRemoteSeq(d, next(5, 'ACK'))).toBe(true);
});

test('RFC 3261 12.2.1.2: a target refresh updates the remote target', () => {
  const d = dialogAsUas(invite, 'b1');
  refreshTarget(d, { ...invite, headers: { ...invite.headers, contact: [{ uri: 'sip:alice@10.0.0.9:5070', params: {} }] } });
  expect(d.remoteTarget).toBe('sip:alice@10.0.0.9:5070');
});
