// SDP with its MSRP attributes (src/sdp): garbage throws only SdpError; a body that parses
// writes back and parses to the same description; the answer side (negotiateAcceptTypes,
// answererRole) takes any parsed offer without throwing.
import { deepStrictEqual } from 'node:assert';
import { answererRole, negotiateAcceptTypes, parseSdp, SdpError, writeSdp } from '../../../src/sdp';
import { garbageArb, seedFiles } from '../mutate';
import { onlyTyped, type Harness } from '../runner';

const SEEDS = seedFiles('test/fixtures/sdp', /\.sdp$/);
const TOKENS = [
  '\r\n', '\n', 'v=0\r\n', 'o=- 1 1 IN IP4 1.2.3.4\r\n', 's=-\r\n', 'c=IN IP4 ', 'c=IN IP6 ::1\r\n', 't=0 0\r\n',
  'm=message 7394 TCP/MSRP *\r\n', 'm=message 0 TCP/TLS/MSRP *\r\n', 'a=path:', 'msrp://a.example.com:7394/2s93i9ek2a;tcp',
  'msrps://[::1]:1/x;tcp ', 'a=accept-types:', 'text/plain ', 'message/cpim', '*', 'a=accept-wrapped-types:', 'a=max-size:',
  '18446744073709551616', 'a=setup:', 'actpass', 'passive', 'a=connection:new', 'a=sendonly', 'a=msrp-cema', '=', ' ', '\x00', '\xff', '\xc3',
];

export const sdpHarness: Harness = {
  parser: 'sdp',
  properties: [
    {
      name: 'garbage',
      bytes: true,
      arbitrary: garbageArb(SEEDS, TOKENS),
      check: (data: Buffer) =>
        onlyTyped(() => {
          const sd = parseSdp(data);
          // round trip: writeSdp is byte-exact on what parsed
          const again = parseSdp(writeSdp(sd));
          deepStrictEqual(again, sd);
          for (const m of sd.media) {
            onlyTyped(() => negotiateAcceptTypes(m.acceptTypes, ['text/plain', 'message/cpim', '*']), SdpError);
            answererRole(m.setup);
          }
        }, SdpError),
      quickRuns: 300,
    },
  ],
};
