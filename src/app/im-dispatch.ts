// Which IM function owns a request: the focus (controlling IM function) takes the conference
// factory, pre-defined groups, IM Session Identities and its own dialogs; everything else
// (1-1 sessions, their dialogs and CANCELs) is the participating function's.
import type { IncomingRequest } from '../sip/stack';
import type { ControllingFunction } from '../im/controlling/focus';
import type { ParticipatingFunction } from '../im/participating/b2bua';

export interface ImHandlers {
  invite(req: IncomingRequest): Promise<void>;
  ack(req: IncomingRequest): void;
  bye(req: IncomingRequest): void | Promise<void>;
  cancel(req: IncomingRequest): void;
}

export function imDispatch(focus: ControllingFunction, participating: ParticipatingFunction): ImHandlers {
  return {
    invite: (req) => focus.route(req) ?? participating.invite(req),
    ack: (req) => (focus.claims(req.msg) ? focus.ack(req) : participating.ack(req)),
    bye: (req) => (focus.claims(req.msg) ? focus.bye(req) : participating.bye(req)),
    // the focus answers every INVITE at once: a CANCEL can only be for a 1-1 set-up
    cancel: (req) => participating.cancel(req),
  };
}
