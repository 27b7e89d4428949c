// RFC 5626 4.4.1 CRLF keep-alives: which bytes are pings, wherever the stream is split.
import fc from 'fast-check';
import { isCrlfDatagram, StreamPings, stunBindingRequest, stunBindingSuccess } from '../../../../src/sip/stack/keepalive';

const req = (body = '') => `MESSAGE sip:a@x SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

test('RFC 5626 4.4.1: a datagram of CR/LF only is a keep-alive; anything else is not', () => {
  expect(isCrlfDatagram(Buffer.from('\r\n\r\n'))).toBe(true);
  expect(isCrlfDatagram(Buffer.from('\r\n'))).toBe(true);
  expect(isCrlfDatagram(Buffer.alloc(0))).toBe(false);
  expect(isCrlfDatagram(Buffer.from('\r\n\r\nOPTIONS'))).toBe(false);
  expect(isCrlfDatagram(Buffer.from([0x0d, 0x0a, 0x00]))).toBe(false);
});

describe('StreamPings', () => {
  test('RFC 5626 4.4.1: a double CRLF between messages is a ping, the end of a header section is not', () => {
    const p = new StreamPings(16384);
    expect(p.push(req())).toBe(0);
    expect(p.push('\r\n\r\n')).toBe(1);
    expect(p.push('\r\n\r\n\r\n\r\n')).toBe(2);
    expect(p.push(req('x'))).toBe(0);
  });

  test('a CRLFCRLF inside a body is body, not a ping', () => {
    const p = new StreamPings(16384);
    expect(p.push(req('\r\n\r\n\r\n\r\n') + '\r\n\r\n')).toBe(1);
  });

  test('RFC 3261 7.5: a single CRLF before a message is ignored, not a ping', () => {
    const p = new StreamPings(16384);
    expect(p.push('\r\n' + req() + '\r\n' + req())).toBe(0);
  });

  test('any split of a stream counts the same pings', () => {
    // as the library hands it over: one char per byte ('binary'), so UTF-8 bodies keep their length
    const text = '\r\n\r\n' + req('a\r\n\r\nb') + '\r\n\r\n' + req() + '\r\n\r\n\r\n' + req('é€'.repeat(3));
    const stream = Buffer.from(text, 'utf8').toString('latin1');
    const whole = new StreamPings(16384).push(stream);
    expect(whole).toBe(3);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: stream.length }), { maxLength: 12 }), (cuts) => {
        const at = [...new Set(cuts)].sort((a, b) => a - b);
        const p = new StreamPings(16384);
        let n = 0;
        let from = 0;
        for (const c of [...at, stream.length]) {
          n += p.push(Buffer.from(stream.slice(from, c), 'latin1'));
          from = c;
        }
        return n === whole;
      }),
    );
  });

  test('stops counting after a header section over the cap or without Content-Length', () => {
    const big = new StreamPings(64);
    expect(big.push(`OPTIONS sip:x SIP/2.0\r\nX: ${'a'.repeat(100)}\r\nContent-Length: 0\r\n\r\n\r\n\r\n`)).toBe(0);
    const nocl = new StreamPings(16384);
    expect(nocl.push('OPTIONS sip:x SIP/2.0\r\nVia: x\r\n\r\n\r\n\r\n')).toBe(0);
  });
});

describe('STUN keep-alives (RFC 5626 4.4.2, RFC 5389)', () => {
  // RFC 5769 2.2 / 2.3: the transaction id and addresses of the sample responses
  const txid = Buffer.from('b7e7a701bc34d686fa87dfae', 'hex');

  test('RFC 5389 6: a Binding request is recognised by type, magic cookie and length; SIP and junk are not', () => {
    const rq = Buffer.concat([Buffer.from('000100002112a442', 'hex'), txid]);
    expect(stunBindingRequest(rq)?.equals(txid)).toBe(true);
    expect(stunBindingRequest(Buffer.from('OPTIONS sip:localhost SIP/2.0\r\n\r\n'))).toBeUndefined();
    expect(stunBindingRequest(Buffer.concat([Buffer.from('000100042112a442', 'hex'), txid]))).toBeUndefined();
    expect(stunBindingRequest(Buffer.concat([Buffer.from('010100002112a442', 'hex'), txid]))).toBeUndefined();
  });

  test('RFC 5389 15.2 (RFC 5769 2.2 vector): XOR-MAPPED-ADDRESS of 192.0.2.1:32853', () => {
    const rs = stunBindingSuccess(txid, '192.0.2.1', 32853)!;
    expect(rs.subarray(0, 8).toString('hex')).toBe('0101000c2112a442');
    expect(rs.subarray(8, 20).equals(txid)).toBe(true);
    expect(rs.subarray(20).toString('hex')).toBe('002000080001a147e112a643');
  });

  test('RFC 5389 15.2 (RFC 5769 2.3 vector): XOR-MAPPED-ADDRESS of [2001:db8:1234:5678:11:2233:4455:6677]:32853', () => {
    const rs = stunBindingSuccess(txid, '2001:db8:1234:5678:11:2233:4455:6677', 32853)!;
    expect(rs.subarray(20).toString('hex')).toBe('002000140002a147' + '0113a9faa5d3f179bc25f4b5bed2b9d9');
  });
});

describe('StreamPings message framing (issue 11 item 6c: the slowloris bound reads it)', () => {
  const head = 'OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nContent-Length: 0\r\n\r\n';
  test('a message without a body is complete at the end of its head, even when the chunk ends there', () => {
    const p = new StreamPings(16384);
    p.push(Buffer.from(head));
    expect(p.messages).toBe(1);
    expect(p.inMessage).toBe(false);
  });
  test('a head or body still arriving is inside a message; pings between messages are not', () => {
    const p = new StreamPings(16384);
    p.push(Buffer.from('\r\n\r\n'));
    expect(p.inMessage).toBe(false);
    p.push(Buffer.from('OPTIONS sip:x SIP/2.0\r\n'));
    expect(p.inMessage).toBe(true);
    p.push(Buffer.from('Content-Length: 4\r\n\r\nab'));
    expect(p.inMessage).toBe(true);
    expect(p.messages).toBe(0);
    p.push(Buffer.from('cd'));
    expect(p.inMessage).toBe(false);
    expect(p.messages).toBe(1);
  });
});
