// People and sessions on the admin page (issue 12 item 3): who is registered, which 1-1 and
// group sessions run, and the operator's two actions: end a session, remove a participant
// (OMA IM 7.2.1.9). An anonymous participant is listed without its address (RFC 3323).
import type * as http from 'node:http';
import type { Binding } from '../store';
import type { GroupSessionView } from '../im/controlling/focus';
import type { OneToOneView } from '../im/participating/b2bua';
import { json, segment } from './respond';

export interface PeopleSources {
  /** Every stored binding (expired ones are dropped here). */
  bindings(): Binding[];
  oneToOne(): OneToOneView[];
  groupSessions(): GroupSessionView[];
  endOneToOne(id: string): boolean;
  endGroupSession(id: string): boolean;
  /** 7.2.1.9: BYE to the participant, NOTIFY to the others. */
  removeParticipant(sessionId: string, participantId: string): boolean;
  now?: () => number;
}

/** Ids the page sends back: the hex/base64url ids the IM functions make, nothing else. */
const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** GET /registrations: users with their live contacts and expiry. */
export function registrationsHandler(src: PeopleSources) {
  return (_req: http.IncomingMessage, res: http.ServerResponse): void => {
    const now = (src.now ?? Date.now)();
    const byUser = new Map<string, { contact: string; expiresAt: string; expiresInS: number; from: string }[]>();
    for (const b of src.bindings()) {
      if (b.expiresAt <= now) continue;
      let list = byUser.get(b.user);
      if (list === undefined) byUser.set(b.user, (list = []));
      list.push({ contact: b.contact, expiresAt: new Date(b.expiresAt).toISOString(), expiresInS: Math.round((b.expiresAt - now) / 1000), from: `${b.received.protocol} ${b.received.address}:${b.received.port}` });
    }
    const users = [...byUser].sort(([a], [b]) => a.localeCompare(b)).map(([user, contacts]) => ({ user, contacts }));
    json(res, 200, { users });
  };
}

/** GET /sessions: 1-1 and group sessions with their participants. */
export function sessionsHandler(src: PeopleSources) {
  return (_req: http.IncomingMessage, res: http.ServerResponse): void => {
    const iso = (t: number) => new Date(t).toISOString();
    json(res, 200, {
      oneToOne: src.oneToOne().map((s) => ({ ...s, createdAt: iso(s.createdAt) })),
      groups: src.groupSessions().map((s) => ({ ...s, createdAt: iso(s.createdAt) })),
    });
  };
}

/** DELETE /sessions/<id>: the session ends (BYE to everyone in it). */
export function sessionHandler(src: PeopleSources) {
  return (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const id = segment(req, 2);
    if (id === undefined || !ID.test(id)) return json(res, 404, { error: 'no such session' });
    const ended = src.endGroupSession(id) || src.endOneToOne(id);
    if (!ended) return json(res, 404, { error: 'no such session (it may have ended already)' });
    json(res, 200, { id, result: 'ended' });
  };
}

/** DELETE /sessions/<id>/participants/<pid>: OMA IM 7.2.1.9 removal. */
export function participantHandler(src: PeopleSources) {
  return (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const id = segment(req, 2);
    const pid = segment(req, 4);
    if (id === undefined || pid === undefined || !ID.test(id) || !ID.test(pid)) return json(res, 404, { error: 'no such participant' });
    if (!src.removeParticipant(id, pid)) return json(res, 404, { error: 'no such participant in a running group session (it may have left already)' });
    json(res, 200, { id, participant: pid, result: 'removed' });
  };
}
