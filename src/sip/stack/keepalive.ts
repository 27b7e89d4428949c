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

  constructor(private readonly maxHeadBytes: number) {}

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
        this.state = 'body';
        continue;
      }
      // body
      const take = Math.min(this.bodyLeft, text.length - i);
      this.bodyLeft -= take;
      i += take;
      if (this.bodyLeft === 0) this.state = 'between';
    }
    return pings;
  }

  private lose(): void {
    this.state = 'lost';
    this.head = '';
  }
}
