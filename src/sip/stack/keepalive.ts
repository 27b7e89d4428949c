// CRLF keep-alives (RFC 5626 4.4.1; linphone also sends them over UDP). They are not SIP
// messages, so they are taken out where bytes first arrive: a datagram of nothing but CR/LF
// is dropped silently (never reaches the parser, never counts as malformed), and on a stream
// a double CRLF between two messages is a ping answered with a single CRLF (pong).
//
// The stream parser of the library consumes the bytes itself; StreamPings only follows the
// same framing (head up to CRLFCRLF, then Content-Length bytes of body) to tell a ping
// between messages from the CRLFCRLF that ends a header section.

/** A UDP datagram that carries only CR and LF bytes (and at least one). */
export function isCrlfDatagram(data: Buffer): boolean {
  if (data.length === 0) return false;
  for (let i = 0; i < data.length; i++) {
    const c = data[i];
    if (c !== 0x0d && c !== 0x0a) return false;
  }
  return true;
}

const PING = '\r\n\r\n';

/**
 * Follows one stream's framing and counts the pings in it. After anything it cannot follow
 * (a header section over the cap, an unusable Content-Length) it stops counting: the library
 * closes such a connection anyway.
 */
export class StreamPings {
  private state: 'between' | 'head' | 'body' | 'lost' = 'between';
  /** CR/LF run seen between messages, while it is still a prefix of CRLFCRLF. */
  private run = '';
  private head = '';
  private bodyLeft = 0;
  /** Complete SIP messages framed so far. */
  messages = 0;

  constructor(private readonly maxHeadBytes: number) {}

  /** Part of a SIP message has arrived and its end has not (a slow sender is inside one). */
  get inMessage(): boolean {
    return this.state === 'head' || this.state === 'body';
  }

  /** Feeds one chunk (a Buffer, or a 'binary' string once the library set the encoding); returns the pings it completed. */
  push(chunk: Buffer | string): number {
    const text = typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    let pings = 0;
    let i = 0;
    while (i < text.length && this.state !== 'lost') {
      if (this.state === 'between') {
        const ch = text[i] as string;
        if (ch === '\r' || ch === '\n') {
          this.run += ch;
          if (this.run === PING) {
            pings++;
            this.run = '';
          } else if (!PING.startsWith(this.run)) {
            // a stray LF or CR LF LF: RFC 3261 7.5 says ignore it; start over from this byte
            this.run = ch === '\r' ? '\r' : '';
          }
          i++;
          continue;
        }
        this.run = '';
        this.state = 'head';
        this.head = '';
        continue;
      }
      if (this.state === 'head') {
        const from = Math.max(0, this.head.length - 3);
        this.head += text.slice(i);
        const end = this.head.indexOf(PING, from);
        if (end < 0) {
          if (this.head.length > this.maxHeadBytes) this.lose();
          return pings;
        }
        const consumedBefore = this.head.length - (text.length - i);
        const cl = /\r\n(?:content-length|l)[ \t]*:[ \t]*([0-9]{1,10})[ \t]*\r?$/im.exec(this.head.slice(0, end + 2));
        if (end > this.maxHeadBytes || !cl) {
          this.lose();
          return pings;
        }
        this.bodyLeft = Number(cl[1]);
        i += end + PING.length - consumedBefore;
        this.head = '';
        // a message without a body is complete with its head, even at the end of a chunk
        if (this.bodyLeft === 0) {
          this.messages++;
          this.state = 'between';
        } else this.state = 'body';
        continue;
      }
      // body
      const take = Math.min(this.bodyLeft, text.length - i);
      this.bodyLeft -= take;
      i += take;
      if (this.bodyLeft === 0) {
        this.messages++;
        this.state = 'between';
      }
    }
    return pings;
  }

  private lose(): void {
    this.state = 'lost';
    this.head = '';
  }
}

// RFC 5626 4.4.2 / 8.4: a client using outbound over UDP keeps its flow alive with STUN
// Binding requests (RFC 5389) sent to the SIP port; the answer tells it its public address.
const STUN_MAGIC = 0x2112a442;
const STUN_BINDING_REQUEST = 0x0001;
const STUN_BINDING_SUCCESS = 0x0101;
const XOR_MAPPED_ADDRESS = 0x0020;

/** The transaction id of a STUN Binding request (RFC 5389 6), or undefined for anything else. */
export function stunBindingRequest(data: Buffer): Buffer | undefined {
  if (data.length < 20 || data.length > 548) return undefined;
  if (data.readUInt16BE(0) !== STUN_BINDING_REQUEST || data.readUInt32BE(4) !== STUN_MAGIC) return undefined;
  const length = data.readUInt16BE(2);
  if (length % 4 !== 0 || 20 + length !== data.length) return undefined;
  return data.subarray(8, 20);
}

/** RFC 5389 7.3.1 / 15.2: Binding success response carrying XOR-MAPPED-ADDRESS of the sender. */
export function stunBindingSuccess(transactionId: Buffer, address: string, port: number): Buffer | undefined {
  const v4 = /^(?:::ffff:)?(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  let family: number;
  let addr: Buffer;
  if (v4) {
    family = 0x01;
    addr = Buffer.from(v4.slice(1, 5).map(Number));
  } else {
    const bytes = ipv6Bytes(address);
    if (!bytes) return undefined;
    family = 0x02;
    addr = bytes;
  }
  // the address is XORed with the magic cookie (and the transaction id for IPv6)
  const key = Buffer.alloc(16);
  key.writeUInt32BE(STUN_MAGIC, 0);
  transactionId.copy(key, 4);
  const xaddr = Buffer.from(addr.map((b, i) => b ^ (key[i] as number)));
  const attr = Buffer.alloc(4 + 4 + xaddr.length);
  attr.writeUInt16BE(XOR_MAPPED_ADDRESS, 0);
  attr.writeUInt16BE(4 + xaddr.length, 2);
  attr.writeUInt8(0, 4);
  attr.writeUInt8(family, 5);
  attr.writeUInt16BE(port ^ (STUN_MAGIC >>> 16), 6);
  xaddr.copy(attr, 8);
  const head = Buffer.alloc(20);
  head.writeUInt16BE(STUN_BINDING_SUCCESS, 0);
  head.writeUInt16BE(attr.length, 2);
  head.writeUInt32BE(STUN_MAGIC, 4);
  transactionId.copy(head, 8);
  return Buffer.concat([head, attr]);
}

function ipv6Bytes(address: string): Buffer | undefined {
  const parts = address.split('::');
  if (parts.length > 2) return undefined;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const head = groups(parts[0] as string);
  const tail = parts.length === 2 ? groups(parts[1] as string) : [];
  const fill = 8 - head.length - tail.length;
  if (fill < 0 || (parts.length === 1 && fill !== 0)) return undefined;
  const all = [...head, ...Array(fill).fill('0'), ...tail];
  if (!all.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}
