// People and sessions: registrations, 1-1 and group sessions; end a session, remove a
// participant (OMA IM 7.2.1.9: it gets a BYE, the others a NOTIFY). An anonymous participant
// arrives from the server without an address and is shown as "anonymous".
import { act, ago, fill, get, h, call } from './api.js';

const $ = (id) => document.getElementById(id);
const seg = encodeURIComponent;

function who(p) {
  return p.anonymous ? h('span', { className: 'anonymous' }, 'anonymous') : p.uri;
}

function endButton(id, what) {
  return h('button', {
    className: 'danger', type: 'button', dataset: { action: 'end', session: id },
    onclick: () => confirm(`End ${what}? Everyone in it gets a BYE.`) && act(() => call('DELETE', `/sessions/${seg(id)}`), refreshPeople),
  }, 'End session');
}

function groupSession(s) {
  const title = s.groupId !== undefined ? `${s.displayName ?? s.groupId} (group ${s.groupId})` : 'ad-hoc group';
  const rows = s.participants.map((p) =>
    h('tr', { dataset: { participant: p.id } },
      h('td', {}, who(p)),
      h('td', {}, p.state),
      h('td', {}, p.initiator ? 'initiator' : ''),
      h('td', {}, h('button', {
        className: 'quiet', type: 'button', dataset: { action: 'remove' },
        onclick: () => confirm(`Remove ${p.anonymous ? 'this anonymous participant' : p.uri} from the session?`) && act(() => call('DELETE', `/sessions/${seg(s.id)}/participants/${seg(p.id)}`), refreshPeople),
      }, 'Remove')),
    ));
  const body = h('tbody');
  fill(body, rows, 'nobody', 4);
  return h('div', { className: 'session', dataset: { session: s.id } },
    h('h3', {}, title, h('small', {}, `${s.identity} · since ${ago(s.createdAt)}`), endButton(s.id, 'this group session')),
    h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Participant'), h('th', {}, 'State'), h('th', {}, 'Role'), h('th', {}, ''))), body));
}

export async function refreshPeople() {
  const [regs, sessions] = await Promise.all([get('/registrations'), get('/sessions')]);
  fill($('registrations'), regs.users.flatMap((u) => u.contacts.map((c, i) =>
    h('tr', { dataset: { user: u.user } }, h('td', {}, i === 0 ? u.user : ''), h('td', {}, c.contact), h('td', {}, `${c.expiresInS} s`), h('td', {}, c.from)))), 'nobody is registered', 4);
  fill($('one-to-one'), sessions.oneToOne.map((s) =>
    h('tr', { dataset: { session: s.id } },
      h('td', {}, s.caller === null ? h('span', { className: 'anonymous' }, 'anonymous') : s.caller),
      h('td', {}, s.callee), h('td', {}, s.kind), h('td', {}, s.state), h('td', {}, ago(s.createdAt)),
      h('td', {}, endButton(s.id, 'this session')))), 'no 1-1 session', 6);
  const groups = sessions.groups.map(groupSession);
  $('group-sessions').replaceChildren(...(groups.length > 0 ? groups : [h('p', { className: 'muted' }, 'no group session')]));
}
