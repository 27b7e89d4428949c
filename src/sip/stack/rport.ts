// RFC 3581 4: a server that receives a request whose top Via has an empty rport fills it
// with the source port, on every transport. The library does it for UDP only.
import type { Flow, SipRequest } from '../message/types';

export function fillRport(msg: SipRequest, flow: Flow): void {
  const top = msg.headers.via?.[0];
  if (!top || !Object.prototype.hasOwnProperty.call(top.params, 'rport')) return;
  const v = top.params.rport;
  if (v === null || v === undefined || v === '') top.params.rport = String(flow.port);
}
