// RFC 4475 3.1.1.5: "%" in a method, a header name or the CSeq method is not an escape: the
// method RE%47IST%45R is not REGISTER and a C%6Fntact header is an extension header, not a
// Contact. sip@0.0.6 unescape()s all three, so that message reached the handlers as a
// REGISTER with a third Contact (torture/fuzz finding). When the head holds such a "%", the
// message is parsed again with each of those "%" written as "%25", which the library's
// unescape turns back into the "%" that was on the wire.
import './without-ws'; // before 'sip': see there
import * as sip from 'sip';

/**
 * A "%" in the method, in a header name (a line start up to its colon) or in the CSeq line.
 * One pass over the head: a regular expression for this backtracks quadratically on a long
 * line of "%" with no colon (300 ms for 16 KB), which every datagram could ask for.
 */
function suspect(head: string): boolean {
  if (head.indexOf('%') < 0) return false;
  let lineStart = 0;
  let inName = true;
  for (let i = 0; i < head.length; i++) {
    const c = head.charCodeAt(i);
    if (c === 0x0a) {
      lineStart = i + 1;
      inName = true;
    } else if (c === 0x25 /* % */) {
      if (inName) return true;
      // the CSeq method follows the colon
      if (/^cseq\s*:/i.test(head.slice(lineStart, lineStart + 8))) return true;
    } else if (inName && (c === 0x3a /* : */ || (lineStart === 0 && c === 0x20))) {
      inName = false;
    }
  }
  return false;
}

function escapeHead(head: string): string {
  const lines = head.split('\r\n');
  return lines
    .map((line, i) => {
      if (i === 0) return line.replace(/^[^ ]*/, (m) => (/^SIP\//i.test(line) ? m : m.replace(/%/g, '%25')));
      const colon = line.indexOf(':');
      if (colon <= 0 || line[0] === ' ' || line[0] === '\t') return line;
      const name = line.slice(0, colon);
      let value = line.slice(colon);
      // CSeq (no compact form): its method token is unescaped too
      if (/^\s*cseq\s*$/i.test(name)) value = value.replace(/^(:\s*\d+\s+)(\S+)/, (_m, a: string, b: string) => a + b.replace(/%/g, '%25'));
      return name.replace(/%/g, '%25') + value;
    })
    .join('\r\n');
}

/** The library's message, or the same message parsed without the unescaping when the head needs it. */
export function faithful(raw: sip.RawMessage): sip.RawMessage {
  const head = raw.rawHead;
  if (head === undefined || !suspect(head)) return raw;
  const again = sip.parse(Buffer.from(`${escapeHead(head)}\r\n\r\n${raw.content ?? ''}`, 'binary'));
  if (again === undefined) return raw;
  again.rawHead = head;
  again.bodyLength = raw.bodyLength;
  again.content = raw.content;
  // what the transport wrote into the top Via (received, rport) when it took the message
  const before = (raw.headers.via as sip.RawVia[] | undefined)?.[0];
  const after = (again.headers.via as sip.RawVia[] | undefined)?.[0];
  if (before && after) {
    for (const k of ['received', 'rport'] as const) if (before.params[k] !== undefined) after.params[k] = before.params[k] ?? null;
  }
  return again;
}

/**
 * The other half of the re-parse above: the library keyed the server transaction of such a
 * request by the unescaped CSeq method, and looks it up by the response's CSeq method. A
 * response that echoes the wire CSeq (RFC 3261 8.2.6.2) would find no transaction and never
 * be sent, so its CSeq answers the lookup (the first read) with the unescaped method and the
 * writer (every later read) with the method as it was on the wire.
 */
export function answerableCSeq(raw: sip.RawMessage): void {
  const cseq = raw.headers.cseq as sip.RawCSeq | undefined;
  if (raw.status === undefined || cseq === undefined || typeof cseq.method !== 'string' || !cseq.method.includes('%')) return;
  const wire = cseq.method;
  const libs = unescape(wire);
  if (libs === wire) return;
  let reads = 0;
  raw.headers.cseq = {
    seq: cseq.seq,
    get method(): string {
      return reads++ === 0 ? libs : wire;
    },
  };
}
