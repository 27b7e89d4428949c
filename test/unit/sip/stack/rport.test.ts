import { fillRport } from '../../../../src/sip/stack/rport';
import type { SipRequest } from '../../../../src/sip/message/types';

const rq = (params: Record<string, string | null>): SipRequest => ({
  method: 'OPTIONS',
  uri: 'sip:localhost',
  headers: { via: [{ protocol: 'TCP', host: '127.0.0.1', port: 5070, params }] },
  body: Buffer.alloc(0),
});
const flow = { protocol: 'TCP' as const, address: '127.0.0.1', port: 40123 };

test('RFC 3581 4: an empty rport is filled with the source port, on TCP as on UDP', () => {
  const m = rq({ branch: 'z9hG4bK1', rport: null });
  fillRport(m, flow);
  expect(m.headers.via![0]!.params.rport).toBe('40123');
});

test('RFC 3581 4: no rport asked, none added; a value already set is kept', () => {
  const none = rq({ branch: 'z9hG4bK1' });
  fillRport(none, flow);
  expect('rport' in none.headers.via![0]!.params).toBe(false);
  const set = rq({ branch: 'z9hG4bK1', rport: '5070' });
  fillRport(set, flow);
  expect(set.headers.via![0]!.params.rport).toBe('5070');
});
