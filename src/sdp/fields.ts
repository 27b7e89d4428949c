/** Field-level checks of the RFC 4566 section 9 grammar for the lines an IM server relies on. */
import { SdpError, excerpt } from './errors';
import type { NumberedLine } from './lines';
import type { SdpAttribute } from './types';

// RFC 4566 section 9: o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>
const ORIGIN = /^\S+ [0-9]+ [0-9]+ IN IP[46] \S+$/;
// RFC 4566 section 9: c=<nettype> <addrtype> <connection-address>
const CONNECTION = /^IN IP[46] \S+$/;
// RFC 4566 section 9: t=<start-time> <stop-time>
const TIMING = /^[0-9]+ [0-9]+$/;
// RFC 4566 section 9: token (media, proto parts, att-field)
const TOKEN = /^[A-Za-z0-9!#$%&'*+\-.^_`{|}~]+$/;
const PROTO = /^[A-Za-z0-9!#$%&'*+\-.^_`{|}~]+(?:\/[A-Za-z0-9!#$%&'*+\-.^_`{|}~]+)*$/;
// RFC 4566 section 9: port [/ number of ports]
const PORT = /^([0-9]+)(?:\/[0-9]+)?$/;

/** Checks the v=, o=, s=, c= and t= lines of a section; m= and a= have their own parsers. */
export function checkFieldLines(lines: readonly NumberedLine[]): void {
  for (const line of lines) {
    switch (line.type) {
      case 'v':
        // RFC 4566 section 5.1: version 0 is the only one defined
        if (line.value !== '0') throw bad(line, `unsupported SDP version "${excerpt(line.value)}"`);
        break;
      case 'o':
        if (!ORIGIN.test(line.value)) throw bad(line, `malformed o= line "${excerpt(line.value)}"`);
        break;
      case 's':
        // RFC 4566 section 5.3: s= MUST NOT be empty (a single space is allowed)
        if (line.value === '') throw bad(line, 'empty s= line');
        break;
      case 'c':
        if (!CONNECTION.test(line.value)) throw bad(line, `malformed c= line "${excerpt(line.value)}"`);
        break;
      case 't':
        if (!TIMING.test(line.value)) throw bad(line, `malformed t= line "${excerpt(line.value)}"`);
        break;
      default:
        break;
    }
  }
}

export interface MediaLine {
  readonly type: string;
  readonly port: number;
  readonly proto: string;
  readonly formats: readonly string[];
}

/** m=<media> <port>[/<count>] <proto> 1*(SP <fmt>) (RFC 4566 section 5.14). */
export function parseMediaLine(line: NumberedLine): MediaLine {
  const fields = line.value.split(' ');
  if (fields.length < 4 || fields.some((f) => f === '')) {
    throw bad(line, `malformed m= line "${excerpt(line.value)}" (need <media> <port> <proto> <fmt>...)`);
  }
  const [type, portField, proto, ...formats] = fields;
  if (!TOKEN.test(type)) throw bad(line, `bad media type "${excerpt(type)}" in m= line`);
  const port = PORT.exec(portField);
  if (port === null) throw bad(line, `m= port "${excerpt(portField)}" is not a number`);
  const portNumber = Number(port[1]);
  if (portNumber > 65535) throw bad(line, `m= port ${port[1]} out of range`);
  if (!PROTO.test(proto)) throw bad(line, `bad transport protocol "${excerpt(proto)}" in m= line`);
  return { type, port: portNumber, proto, formats };
}

/** a=<att-field>[:<att-value>] (RFC 4566 section 5.13). */
export function parseAttributeLine(line: NumberedLine): SdpAttribute {
  const colon = line.value.indexOf(':');
  const name = colon < 0 ? line.value : line.value.slice(0, colon);
  if (!TOKEN.test(name)) throw new SdpError('SDP_SYNTAX', `bad attribute name "${excerpt(name)}"`, line.lineNo);
  return { name, value: colon < 0 ? undefined : line.value.slice(colon + 1) };
}

function bad(line: NumberedLine, reason: string): SdpError {
  return new SdpError('SDP_BAD_FIELD', reason, line.lineNo);
}
