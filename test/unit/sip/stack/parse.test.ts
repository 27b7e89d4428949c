// The stack's parse entry (src/sip/stack/parse.ts) and the %-escape repair of faithful.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { answerableCSeq } from '../../../../src/sip/stack/faithful';
import { formatSipMessage, parseSipDatagram } from '../../../../src/sip/stack/parse';
import { isRequest } from '../../../../src/sip/message/types';

const esc02 = fs.readFileSync(path.resolve(__dirname, '../../../fixtures/sip/rfc4475/esc02.dat'));

describe('SIP parse entry of the stack', () => {
  it('RFC 4475 3.1.1.5: RE%47IST%45R is an unknown method, not REGISTER, and C%6Fntact is not a Contact', () => {
    const o = parseSipDatagram(esc02);
    if (o.kind !== 'ok' || !isRequest(o.msg)) throw new Error(JSON.stringify(o));
    expect(o.msg.method).toBe('RE%47IST%45R');
    expect(o.msg.headers.cseq).toEqual({ seq: 29344, method: 'RE%47IST%45R' });
    expect((o.msg.headers.contact as unknown[]).length).toBe(2);
    expect(formatSipMessage(o.msg).toString('latin1')).toMatch(/^RE%47IST%45R sip:registrar\.example\.com SIP\/2\.0\r\n/);
  });

  it('RFC 3261 8.2.6.2: the response to such a request echoes the wire CSeq while the library looks its transaction up by the unescaped one', () => {
    const raw = { status: 501, reason: 'Not Implemented', headers: { cseq: { seq: 1, method: 'RE%47IST%45R' } } };
    answerableCSeq(raw);
    const cseq = raw.headers.cseq;
    expect(cseq.method).toBe('REGISTER'); // the lookup
    expect(cseq.method).toBe('RE%47IST%45R'); // the writer, and every retransmission
    expect(cseq.method).toBe('RE%47IST%45R');
  });

  it('a datagram without an empty line is unparseable, a broken one rejected with its status', () => {
    expect(parseSipDatagram(Buffer.from('OPTIONS sip:a SIP/2.0\r\n'))).toEqual({ kind: 'unparseable' });
    expect(parseSipDatagram(Buffer.from('OPTIONS sip:localhost SIP/7.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\n'))).toMatchObject({ kind: 'rejected', status: 505 });
  });
});
